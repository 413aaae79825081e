using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using QuakePrune.Models;
using QuakePrune.Spectrograms;

namespace QuakePrune.Training;

/// <summary>
/// Labelled images split into train/dev/test: what training, evaluation and prediction read. A spectrogram file is the
/// usual one; <see cref="InMemoryImageDataSet"/> serves small sets held in memory (tests, notebooks). Its source,
/// shape, splits and batches are <see cref="IImageBatches"/>, what pruning's batch-norm recalibration (QuakePrune.Core)
/// reads.
/// </summary>
public interface IImageDataSet : IImageBatches, IDisposable
{
    /// <summary>SHA-256 (hex) of the set's content: a run records it, and a resume on other data is refused.</summary>
    string ContentSha256();

    /// <summary>The settings that made the images, when known: they travel into the trained model.</summary>
    SpectrogramSettings? Settings { get; }

    /// <summary>1 = earthquake, 0 = noise.</summary>
    IReadOnlyList<long> Labels { get; }

    IReadOnlyList<string> TraceNames { get; }
    IReadOnlyList<string> Splits { get; }

    /// <summary>Mean SNR in dB; NaN for noise.</summary>
    IReadOnlyList<float> SnrDb { get; }

    /// <summary>
    /// The images of any rows, in the order given, into consecutive slots of <paramref name="destination"/>.
    /// </summary>
    void ReadImages(IReadOnlyList<int> rows, Span<float> destination);
}

/// <summary>
/// The order of an epoch: a Fisher-Yates shuffle from (seed, epoch), as the spectrogram loader shuffles.
/// </summary>
public static class EpochOrder
{
    public static int[] Shuffle(int[] rows, ulong seed, int epoch) => SpectrogramLoader.Shuffle(rows, seed, epoch);
}

/// <summary>A data set held in memory: images row-major (N x C x H x W) with their columns.</summary>
public sealed class InMemoryImageDataSet : IImageDataSet
{
    private readonly float[] images;

    public InMemoryImageDataSet(
        float[] images,
        int channels,
        int height,
        int width,
        IReadOnlyList<long> labels,
        IReadOnlyList<string> splits,
        IReadOnlyList<string>? traceNames = null,
        IReadOnlyList<float>? snrDb = null,
        SpectrogramSettings? settings = null,
        string source = "memory"
    )
    {
        var count = labels.Count;
        if (channels < 1 || height < 1 || width < 1)
            throw new ArgumentException($"{source}: image shape {channels}x{height}x{width} is not positive");
        if (images.Length != (long)count * channels * height * width)
            throw new ArgumentException(
                $"{source}: {images.Length} values are not {count} images of {channels}x{height}x{width}"
            );
        if (splits.Count != count)
            throw new ArgumentException($"{source}: {splits.Count} splits for {count} labels");
        if (traceNames is not null && traceNames.Count != count)
            throw new ArgumentException($"{source}: {traceNames.Count} trace names for {count} labels");
        if (snrDb is not null && snrDb.Count != count)
            throw new ArgumentException($"{source}: {snrDb.Count} SNR values for {count} labels");
        if (Array.FindIndex(images, v => !float.IsFinite(v)) is var bad and >= 0)
            throw new ArgumentException(
                string.Create(
                    System.Globalization.CultureInfo.InvariantCulture,
                    $"{source}: image {bad / (channels * height * width)} holds {images[bad]}; a data set holds finite pixels only"
                )
            );
        this.images = images;
        (Channels, Height, Width) = (channels, height, width);
        Labels = labels;
        Splits = splits;
        TraceNames = traceNames ?? Enumerable.Range(0, count).Select(i => $"trace{i}").ToArray();
        SnrDb = snrDb ?? labels.Select(l => l == 1 ? 10f : float.NaN).ToArray();
        Settings = settings;
        Source = source;
    }

    public string Source { get; }
    public int Channels { get; }
    public int Height { get; }
    public int Width { get; }
    public SpectrogramSettings? Settings { get; }
    public IReadOnlyList<long> Labels { get; }
    public IReadOnlyList<string> TraceNames { get; }
    public IReadOnlyList<string> Splits { get; }
    public IReadOnlyList<float> SnrDb { get; }

    public int[] IndicesOf(string split) => Enumerable.Range(0, Labels.Count).Where(i => Splits[i] == split).ToArray();

    /// <summary>The shape, images, labels and splits: what training reads.</summary>
    public string ContentSha256()
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        ReadOnlySpan<int> shape = [Channels, Height, Width];
        hash.AppendData(MemoryMarshal.AsBytes(shape));
        hash.AppendData(MemoryMarshal.AsBytes(images.AsSpan()));
        hash.AppendData(MemoryMarshal.AsBytes(Labels.ToArray().AsSpan()));
        // Each split name ends in a NUL, so that moving a character from one name to the next changes the hash.
        foreach (var split in Splits)
            hash.AppendData(Encoding.UTF8.GetBytes(split + "\0"));
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    public IEnumerable<HostBatch> Batches(string split, int batchSize, bool shuffle, ulong seed, int epoch)
    {
        if (batchSize < 1)
            throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "batch size must be at least 1");
        var rows = IndicesOf(split);
        var order = shuffle ? EpochOrder.Shuffle(rows, seed, epoch) : rows;
        for (var start = 0; start < order.Length; start += batchSize)
        {
            var indices = order.AsSpan(start, Math.Min(batchSize, order.Length - start)).ToArray();
            var batch = new float[indices.Length * Channels * Height * Width];
            ReadImages(indices, batch);
            yield return new HostBatch(batch, indices.Select(i => Labels[i]).ToArray(), indices, indices.Length);
        }
    }

    public void ReadImages(IReadOnlyList<int> rows, Span<float> destination)
    {
        var length = Channels * Height * Width;
        if (destination.Length != rows.Count * length)
            throw new ArgumentException(
                $"{Source}: {rows.Count} images need {rows.Count * length} values; the destination holds {destination.Length}"
            );
        for (var k = 0; k < rows.Count; k++)
        {
            if (rows[k] < 0 || rows[k] >= Labels.Count)
                throw new ArgumentOutOfRangeException(
                    nameof(rows),
                    $"{Source}: row {rows[k]} is outside 0..{Labels.Count - 1}"
                );
            images.AsSpan(rows[k] * length, length).CopyTo(destination.Slice(k * length, length));
        }
    }

    public void Dispose() { }
}
