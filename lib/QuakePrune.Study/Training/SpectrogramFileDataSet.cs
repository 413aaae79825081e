using QuakePrune.Models;
using QuakePrune.Spectrograms;

namespace QuakePrune.Training;

/// <summary>A spectrogram file as training and evaluation read it: batches come from its prefetching loader.</summary>
public sealed class SpectrogramFileDataSet(SpectrogramFile file) : IImageDataSet
{
    public static SpectrogramFileDataSet Open(string path) => new(SpectrogramFile.Open(path));

    public SpectrogramFile File { get; } = file;
    public string Source => File.Path;

    /// <summary>The file's bytes (<see cref="Resumption.Sha256"/>).</summary>
    public string ContentSha256() => Resumption.Sha256([File.Path]);

    public int Channels => File.Channels;
    public int Height => File.Height;
    public int Width => File.Width;
    public SpectrogramSettings? Settings => File.Settings;
    public IReadOnlyList<long> Labels => File.Labels;
    public IReadOnlyList<string> TraceNames => File.TraceNames;
    public IReadOnlyList<string> Splits => File.Splits;
    public IReadOnlyList<float> SnrDb => File.SnrDb;

    public int[] IndicesOf(string split) => File.IndicesOf(split);

    public void ReadImages(IReadOnlyList<int> rows, Span<float> destination) => File.ReadImages(rows, destination);

    public IEnumerable<HostBatch> Batches(string split, int batchSize, bool shuffle, ulong seed, int epoch)
    {
        var loader = new SpectrogramLoader(
            File,
            new SpectrogramLoaderOptions
            {
                Split = split,
                BatchSize = batchSize,
                Shuffle = shuffle,
                Seed = seed,
            }
        );
        foreach (var batch in loader.Epoch(epoch))
            yield return new HostBatch(batch.Images, batch.Labels, batch.Indices, batch.Count);
    }

    public void Dispose() => File.Dispose();
}

/// <summary>Opens the data sets the verbs name by path.</summary>
public static class ImageDataSets
{
    public static IImageDataSet Open(string path) => SpectrogramFileDataSet.Open(path);
}
