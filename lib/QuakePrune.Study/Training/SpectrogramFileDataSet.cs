using System.Security.Cryptography;
using System.Text;
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

    public IEnumerable<HostBatch> Batches(string split, int batchSize, bool shuffle, ulong seed, int epoch) =>
        LoaderBatches.Of(File, split, batchSize, shuffle, seed, epoch);

    public void Dispose() => File.Dispose();
}

/// <summary>
/// A subset folder's images computed on the fly (<see cref="SubsetSpectrograms"/>) as training and evaluation read
/// them: the same rows, images and batches as the spectrogram file the `spectrogram` verb writes of the subset with the
/// same settings, batches computed ahead by the same prefetching loader.
/// </summary>
public sealed class SubsetImageDataSet(SubsetSpectrograms images) : IImageDataSet
{
    public static SubsetImageDataSet Open(string folder, SpectrogramSettings settings, int threads) =>
        new(SubsetSpectrograms.Open(folder, settings, threads));

    public SubsetSpectrograms Images { get; } = images;
    public string Source => Images.Path;

    /// <summary>
    /// The subset's two files' bytes and the settings that make its images (not the images: computing them all to hash
    /// them would cost an epoch). A resume is refused when either changed; a run begun on the spectrogram file of the
    /// same subset has another hash, so it resumes on the file only.
    /// </summary>
    public string ContentSha256()
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(Encoding.UTF8.GetBytes("spectrograms on the fly\n"));
        foreach (var (key, value) in Images.Settings.ToMap().OrderBy(kv => kv.Key, StringComparer.Ordinal))
            hash.AppendData(Encoding.UTF8.GetBytes($"{key}={value}\n"));
        hash.AppendData(Encoding.UTF8.GetBytes(Resumption.Sha256([Images.CsvPath, Images.Hdf5Path])));
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    public int Channels => Images.Channels;
    public int Height => Images.Height;
    public int Width => Images.Width;
    public SpectrogramSettings? Settings => Images.Settings;
    public IReadOnlyList<long> Labels => Images.Labels;
    public IReadOnlyList<string> TraceNames => Images.TraceNames;
    public IReadOnlyList<string> Splits => Images.Splits;
    public IReadOnlyList<float> SnrDb => Images.SnrDb;

    public int[] IndicesOf(string split) => Images.IndicesOf(split);

    public void ReadImages(IReadOnlyList<int> rows, Span<float> destination) => Images.ReadImages(rows, destination);

    public IEnumerable<HostBatch> Batches(string split, int batchSize, bool shuffle, ulong seed, int epoch) =>
        LoaderBatches.Of(Images, split, batchSize, shuffle, seed, epoch);

    public void Dispose() => Images.Dispose();
}

/// <summary>
/// One epoch of a split through the prefetching <see cref="SpectrogramLoader"/>, as the data sets hand it on.
/// </summary>
internal static class LoaderBatches
{
    public static IEnumerable<HostBatch> Of(
        ISpectrogramImages images,
        string split,
        int batchSize,
        bool shuffle,
        ulong seed,
        int epoch
    )
    {
        var loader = new SpectrogramLoader(
            images,
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
}

/// <summary>Opens the data sets the verbs name by path.</summary>
public static class ImageDataSets
{
    /// <summary>
    /// Whether <paramref name="path"/> is a folder, which only a subset is: its images are computed on the fly.
    /// </summary>
    public static bool IsSubsetFolder(string path) => Directory.Exists(path);

    /// <summary>
    /// A spectrogram file, or a subset folder whose images <paramref name="settings"/> compute on the fly on
    /// <paramref name="threads"/> threads (0: every core). A file carries its own settings: given beside one, they must
    /// be the file's.
    /// </summary>
    public static IImageDataSet Open(string path, SpectrogramSettings? settings = null, int threads = 0)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (IsSubsetFolder(path))
            return SubsetImageDataSet.Open(
                path,
                settings
                    ?? throw new ArgumentException(
                        $"'{path}' is a subset folder, whose images are computed on the fly, but no spectrogram settings were given "
                            + "(the `spectrogram` verb's options, or a model that records them)"
                    ),
                threads == 0 ? Environment.ProcessorCount : threads
            );
        var file = SpectrogramFileDataSet.Open(path);
        if (settings is not null && Difference(file.File.Settings, settings) is { } difference)
        {
            file.Dispose();
            throw new InvalidDataException(
                $"spectrogram file '{path}': its images were made with other settings than these ({difference})"
            );
        }
        return file;
    }

    /// <summary>
    /// The images <paramref name="model"/> reads: a spectrogram file, or a subset folder computed with the spectrogram
    /// settings the model records (those it was trained on).
    /// </summary>
    public static IImageDataSet OpenFor(string path, ModelInfo model, int threads = 0)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (!IsSubsetFolder(path))
            return Open(path, settings: null, threads);
        return Open(
            path,
            model.Spectrogram()
                ?? throw new InvalidDataException(
                    $"'{path}' is a subset folder, whose images are computed on the fly, but the model records no spectrogram settings to compute them with; give a spectrogram file"
                ),
            threads
        );
    }

    /// <summary>The first setting that differs, as "KEY: A in the file, B given"; null when they agree.</summary>
    private static string? Difference(SpectrogramSettings stored, SpectrogramSettings given)
    {
        if (stored == given)
            return null;
        var (a, b) = (stored.ToMap(), given.ToMap());
        return a
            .Keys.Union(b.Keys)
            .Order(StringComparer.Ordinal)
            .Where(key => a.GetValueOrDefault(key) != b.GetValueOrDefault(key))
            .Select(key =>
                $"{key}: {a.GetValueOrDefault(key) ?? "absent"} in the file, {b.GetValueOrDefault(key) ?? "absent"} given"
            )
            .First();
    }
}
