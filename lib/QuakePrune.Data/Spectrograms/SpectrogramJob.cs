using System.Globalization;
using System.Text;

namespace QuakePrune.Spectrograms;

/// <summary>
/// What <see cref="SpectrogramFile.Write"/> makes: every trace of a subset as an image in one HDF5 file.
/// </summary>
public sealed record SpectrogramJob
{
    /// <summary>
    /// A subset folder (subset.hdf5 + subset.csv, as `quakeprune extract` writes) or a PREFIX of such a pair.
    /// </summary>
    public required string Subset { get; init; }

    /// <summary>The spectrogram file to write (written to a temporary name, renamed when complete).</summary>
    public required string OutputPath { get; init; }

    public SpectrogramSettings Settings { get; init; } = new();

    /// <summary>Threads computing images; one more reads traces and the calling thread writes.</summary>
    public int Threads { get; init; } = Environment.ProcessorCount;

    /// <summary>Traces handed to a worker at a time.</summary>
    public int BatchSize { get; init; } = 32;

    /// <summary>Leave out traces holding NaN/Inf (counted in the summary) instead of failing on the first.</summary>
    public bool SkipNonFinite { get; init; }

    /// <summary>Replace an existing output file.</summary>
    public bool Overwrite { get; init; }

    public IProgress<SpectrogramProgress>? Progress { get; init; }
    public CancellationToken Cancellation { get; init; }
}

/// <summary>Traces done (written or skipped) out of the subset's total.</summary>
public readonly record struct SpectrogramProgress(long Done, long Total, TimeSpan Elapsed);

/// <summary>Images written per split and class.</summary>
public sealed record SplitCount(string Split, int Earthquakes, int Noise)
{
    public int Total => Earthquakes + Noise;
}

/// <summary>What a finished <see cref="SpectrogramFile.Write"/> wrote.</summary>
public sealed record SpectrogramSummary
{
    public required string OutputPath { get; init; }

    /// <summary>Images written.</summary>
    public int Count { get; init; }

    /// <summary>Channels, height, width of each image.</summary>
    public required int[] ImageShape { get; init; }

    public SpectrogramDType DType { get; init; }
    public required IReadOnlyList<SplitCount> Splits { get; init; }

    /// <summary>
    /// Names of the traces left out for NaN/Inf values (only with <see cref="SpectrogramJob.SkipNonFinite"/>).
    /// </summary>
    public required IReadOnlyList<string> SkippedNonFinite { get; init; }

    public int Threads { get; init; }
    public double Seconds { get; init; }

    /// <summary>
    /// No spectrogram file was written: the images are computed from the subset while training
    /// (<see cref="SubsetSpectrograms"/>), and <see cref="OutputPath"/> records their settings and counts.
    /// </summary>
    public bool OnTheFly { get; init; }

    /// <summary>Subset traces (written or skipped) per second of the whole run, reading to renaming.</summary>
    public double TracesPerSecond => Seconds > 0 ? (Count + SkippedNonFinite.Count) / Seconds : 0;

    public override string ToString()
    {
        var c = CultureInfo.InvariantCulture;
        var text = new StringBuilder();
        var images =
            $"{Count} images of {string.Join("x", ImageShape)} {(DType == SpectrogramDType.Float16 ? "float16" : "float32")}";
        text.AppendLine(
            OnTheFly
                ? string.Create(
                    c,
                    $"{images}, computed on the fly from the subset while training (no spectrogram file); settings and counts in {OutputPath}"
                )
                : string.Create(c, $"wrote {OutputPath}: {images}")
        );
        foreach (var split in Splits)
            text.AppendLine(
                string.Create(
                    c,
                    $"  {split.Split}: {split.Total} ({split.Earthquakes} earthquakes, {split.Noise} noise)"
                )
            );
        text.AppendLine(string.Create(c, $"  skipped (NaN/Inf): {SkippedNonFinite.Count}"));
        text.Append(string.Create(c, $"  {Seconds:F2} s, {TracesPerSecond:F0} traces/s on {Threads} threads"));
        return text.ToString();
    }
}
