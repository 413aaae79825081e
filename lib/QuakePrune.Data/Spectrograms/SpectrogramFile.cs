using System.Globalization;
using QuakePrune.Hdf5;

namespace QuakePrune.Spectrograms;

/// <summary>
/// The training data set: one HDF5 file with `images` (N, 3, H, W) float16 or float32 chunked one sample per chunk,
/// `labels` (N) int64 (1 = earthquake, 0 = noise), `trace_name` and `split` (N strings), `snr_db` (N) float32 (mean of
/// the components; NaN for noise), and every spectrogram parameter plus the counts as attributes of the root.
/// <see cref="Write"/> makes one from a subset; <see cref="Open"/> reads one. Reading methods are safe to call from
/// several threads (the HDF5 bindings serialise the library calls).
/// </summary>
public sealed class SpectrogramFile : ISpectrogramImages
{
    public const string ImagesDataset = "images";
    public const string LabelsDataset = "labels";
    public const string TraceNameDataset = "trace_name";
    public const string SplitDataset = "split";
    public const string SnrDataset = "snr_db";
    public const string CountAttribute = "count";

    private readonly H5File file;
    private readonly H5Dataset images;
    private readonly Dictionary<string, int> rowByName;

    /// <summary>
    /// Computes every trace of a subset into a new spectrogram file, on all cores; see <see cref="SpectrogramJob"/>.
    /// </summary>
    public static SpectrogramSummary Write(SpectrogramJob job) => SpectrogramWriter.Write(job);

    public string Path { get; }

    /// <summary>Number of images.</summary>
    public int Count { get; }

    /// <summary>The settings the images were made with (read from the root attributes).</summary>
    public SpectrogramSettings Settings { get; }

    /// <summary>The root attributes as text, as h5py would show them.</summary>
    public IReadOnlyDictionary<string, string> Attributes { get; }

    public int Channels { get; }
    public int Height { get; }
    public int Width { get; }

    /// <summary>Channels, height, width of one image.</summary>
    public int[] ImageShape => [Channels, Height, Width];

    /// <summary>Values in one image.</summary>
    public int ImageLength => Channels * Height * Width;

    /// <summary>How the images are stored; reads always return float32.</summary>
    public SpectrogramDType StoredDType { get; }

    /// <summary>1 = earthquake, 0 = noise.</summary>
    public IReadOnlyList<long> Labels { get; }

    public IReadOnlyList<string> TraceNames { get; }

    /// <summary>train, dev or test.</summary>
    public IReadOnlyList<string> Splits { get; }

    /// <summary>Mean SNR of the three components in dB; NaN for noise.</summary>
    public IReadOnlyList<float> SnrDb { get; }

    private SpectrogramFile(string path, H5File file, H5Dataset images)
    {
        Path = path;
        this.file = file;
        this.images = images;
        var shape = images.Shape;
        if (shape.Length != 4 || shape[1] != SpectrogramComputer.Components || shape[2] < 1 || shape[3] < 1)
            throw new InvalidDataException(
                $"spectrogram file '{path}': dataset '{ImagesDataset}' has shape ({string.Join(", ", shape)}); expected (N, 3, H, W)"
            );
        StoredDType = images.ElementType switch
        {
            H5ElementType.Float32 => SpectrogramDType.Float32,
            H5ElementType.Float16 => SpectrogramDType.Float16,
            _ => throw new InvalidDataException(
                $"spectrogram file '{path}': dataset '{ImagesDataset}' is {images.DtypeName}; expected float16 or float32"
            ),
        };
        Count = checked((int)shape[0]);
        (Channels, Height, Width) = ((int)shape[1], (int)shape[2], (int)shape[3]);

        Labels = ReadColumn(LabelsDataset, d => d.Read<long>());
        TraceNames = ReadColumn(TraceNameDataset, d => d.ReadStrings());
        Splits = ReadColumn(SplitDataset, d => d.ReadStrings());
        SnrDb = ReadColumn(SnrDataset, d => d.Read<float>());
        rowByName = new Dictionary<string, int>(Count, StringComparer.Ordinal);
        for (var i = 0; i < Count; i++)
            if (!rowByName.TryAdd(TraceNames[i], i))
                throw new InvalidDataException(
                    $"spectrogram file '{path}': trace '{TraceNames[i]}' appears twice in '{TraceNameDataset}'"
                );

        Attributes = file.Attributes.Names().ToDictionary(name => name, name => file.Attributes.ReadString(name) ?? "");
        try
        {
            Settings = SpectrogramSettings.FromMap(Attributes);
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"spectrogram file '{path}': root attributes: {e.Message}", e);
        }
        if (Settings.ImageHeight != Height || Settings.ImageWidth(SpectrogramComputer.SteadSamples) != Width)
            throw new InvalidDataException(
                $"spectrogram file '{path}': images are {Height}x{Width} but the settings make {Settings.ImageHeight}x{Settings.ImageWidth(SpectrogramComputer.SteadSamples)}"
            );
    }

    private T[] ReadColumn<T>(string name, Func<H5Dataset, T[]> read)
    {
        if (!file.Contains(name))
            throw new InvalidDataException($"spectrogram file '{Path}': dataset '{name}' is missing");
        using var dataset = file.OpenDataset(name);
        if (dataset.Shape.Length != 1 || dataset.Shape[0] != Count)
            throw new InvalidDataException(
                $"spectrogram file '{Path}': dataset '{name}' has shape ({string.Join(", ", dataset.Shape)}); expected ({Count}) to match '{ImagesDataset}'"
            );
        return read(dataset);
    }

    /// <summary>
    /// Opens a spectrogram file read-only, checking its datasets agree with each other and with its settings.
    /// </summary>
    public static SpectrogramFile Open(string path)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException($"spectrogram file '{path}' not found", path);
        var file = H5File.Open(path);
        H5Dataset? images = null;
        try
        {
            if (!file.Contains(ImagesDataset))
                throw new InvalidDataException($"spectrogram file '{path}': dataset '{ImagesDataset}' is missing");
            images = file.OpenDataset(ImagesDataset);
            return new SpectrogramFile(path, file, images);
        }
        catch
        {
            images?.Dispose();
            file.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Reads images first..first+count-1 into <paramref name="destination"/> (count x 3 x H x W float32).
    /// </summary>
    public void ReadImages(int first, int count, Span<float> destination)
    {
        if (first < 0 || count < 0 || first > Count - count)
            throw new ArgumentOutOfRangeException(
                nameof(first),
                $"spectrogram file '{Path}': images {first}..{first + count - 1} are outside 0..{Count - 1}"
            );
        var values = count * ImageLength;
        if (destination.Length != values)
            throw new ArgumentException(
                $"spectrogram file '{Path}': {count} images need {values} values; the destination holds {destination.Length}",
                nameof(destination)
            );
        if (StoredDType == SpectrogramDType.Float32)
            images.ReadRows(first, count, destination);
        else
        {
            var stored = new Half[values];
            images.ReadRows<Half>(first, count, stored);
            for (var i = 0; i < values; i++)
                destination[i] = (float)stored[i];
        }
        RequireFinite(first, destination);
    }

    /// <summary>
    /// Every image any verb reads passes here: a NaN or infinite pixel would change a prediction or a score in silence
    /// (train met it as a NaN loss, predict not at all), so it is refused, naming the trace and the pixel.
    /// </summary>
    private void RequireFinite(int first, ReadOnlySpan<float> values) =>
        RequireFinite(values, first, ImageLength, Height, Width, $"spectrogram file '{Path}'", TraceNames);

    /// <summary>
    /// Refuses the first non-finite pixel of consecutive images (image <paramref name="first"/> onwards), naming
    /// <paramref name="source"/>, the image, its trace and the pixel: the check of this file's reads and of images
    /// computed on the fly (<see cref="SubsetSpectrograms"/>).
    /// </summary>
    internal static void RequireFinite(
        ReadOnlySpan<float> values,
        int first,
        int imageLength,
        int height,
        int width,
        string source,
        IReadOnlyList<string> traceNames
    )
    {
        for (var i = 0; i < values.Length; i++)
        {
            if (float.IsFinite(values[i]))
                continue;
            var (row, pixel) = Math.DivRem(i, imageLength);
            var (channel, position) = Math.DivRem(pixel, height * width);
            var (y, x) = Math.DivRem(position, width);
            throw new InvalidDataException(
                string.Create(
                    CultureInfo.InvariantCulture,
                    $"{source}: image {first + row} (trace '{traceNames[first + row]}') holds {values[i]} at channel {channel}, row {y}, column {x}; no verb reads a non-finite pixel"
                )
            );
        }
    }

    public float[] ReadImages(int first, int count)
    {
        var result = new float[count * ImageLength];
        ReadImages(first, count, result);
        return result;
    }

    /// <summary>
    /// Reads the images of any rows, in the order given, into consecutive slots of <paramref name="destination"/>.
    /// </summary>
    public void ReadImages(IReadOnlyList<int> indices, Span<float> destination)
    {
        ArgumentNullException.ThrowIfNull(indices);
        var length = ImageLength;
        if (destination.Length != indices.Count * length)
            throw new ArgumentException(
                $"spectrogram file '{Path}': {indices.Count} images need {indices.Count * length} values; the destination holds {destination.Length}",
                nameof(destination)
            );
        // Consecutive rows are read in one call; a shuffled batch is mostly single rows (one chunk each).
        var start = 0;
        while (start < indices.Count)
        {
            var end = start + 1;
            while (end < indices.Count && indices[end] == indices[end - 1] + 1)
                end++;
            ReadImages(indices[start], end - start, destination.Slice(start * length, (end - start) * length));
            start = end;
        }
    }

    /// <summary>One image, 3 x H x W.</summary>
    public float[] ReadImage(int index) => ReadImages(index, 1);

    /// <summary>The image of a trace, by name.</summary>
    public float[] ReadImage(string traceName) => ReadImage(IndexOf(traceName));

    /// <summary>The row of a trace; throws naming it when absent.</summary>
    public int IndexOf(string traceName) =>
        rowByName.TryGetValue(traceName, out var row)
            ? row
            : throw new KeyNotFoundException($"trace '{traceName}' is not in spectrogram file '{Path}'");

    /// <summary>Rows of one split (train, dev or test), ascending.</summary>
    public int[] IndicesOf(string split)
    {
        ArgumentNullException.ThrowIfNull(split);
        var result = new List<int>();
        for (var i = 0; i < Count; i++)
            if (Splits[i] == split)
                result.Add(i);
        return [.. result];
    }

    /// <summary>Rows of one split and class (label 1 = earthquake, 0 = noise), ascending.</summary>
    public int[] IndicesOf(string split, long label) => IndicesOf(split).Where(i => Labels[i] == label).ToArray();

    public void Dispose()
    {
        images.Dispose();
        file.Dispose();
    }
}
