using System.Globalization;

namespace QuakePrune.Extract;

/// <summary>A closed range MIN:MAX (either side may be left open: `3:`, `:50`).</summary>
public readonly record struct ValueRange(double Min, double Max)
{
    public bool Contains(double value) => value >= Min && value <= Max;

    public static ValueRange Parse(string text, string option)
    {
        var parts = text.Split(':');
        if (parts.Length != 2)
            throw new ArgumentException($"{option}: '{text}' is not MIN:MAX");
        static double Side(string s, double open, string option, string text) =>
            s.Trim().Length == 0 ? open
            : double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && !double.IsNaN(v) ? v
            : throw new ArgumentException(
                $"{option}: '{text}' is not MIN:MAX (two numbers, either side may be left empty)"
            );
        var range = new ValueRange(
            Side(parts[0], double.NegativeInfinity, option, text),
            Side(parts[1], double.PositiveInfinity, option, text)
        );
        if (range.Min > range.Max)
            throw new ArgumentException($"{option}: '{text}' has MIN above MAX");
        return range;
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Min}:{Max}");
}

/// <summary>Split fractions (train, dev, test), SeisBench's names.</summary>
public readonly record struct SplitFractions(double Train, double Dev, double Test)
{
    public static readonly SplitFractions Default = new(0.8, 0.1, 0.1);
    public static readonly string[] Names = ["train", "dev", "test"];

    public double this[int index] =>
        index switch
        {
            0 => Train,
            1 => Dev,
            _ => Test,
        };

    public static SplitFractions Parse(string text)
    {
        var parts = text.Split(',');
        if (
            parts.Length != 3
            || parts.Any(p =>
                !double.TryParse(p, NumberStyles.Float, CultureInfo.InvariantCulture, out var x) || !double.IsFinite(x)
            )
        )
            throw new ArgumentException($"--split: '{text}' is not three fractions like 0.8,0.1,0.1");
        var v = parts.Select(p => double.Parse(p, CultureInfo.InvariantCulture)).ToArray();
        if (v.Any(x => x < 0) || !(Math.Abs(v.Sum() - 1) <= 1e-6))
            throw new ArgumentException($"--split: '{text}' must be non-negative and sum to 1");
        return new SplitFractions(v[0], v[1], v[2]);
    }
}

/// <summary>Progress of an extraction's writing pass.</summary>
public readonly record struct ExtractProgress(string Stage, long Done, long Total, TimeSpan Elapsed);

/// <summary>
/// What to extract. Event filters (SNR, magnitude, distance, P status) apply to earthquakes; the receiver type to both
/// classes. With no count given every matching trace is taken.
/// </summary>
public sealed record ExtractOptions
{
    /// <summary>STEAD prefixes (PREFIX.hdf5 + PREFIX.csv): chunks or a merged pair.</summary>
    public required IReadOnlyList<string> Inputs { get; init; }

    /// <summary>Output folder: gets subset.hdf5 and subset.csv.</summary>
    public required string OutputDirectory { get; init; }

    /// <summary>N earthquakes and N noise traces.</summary>
    public int? PerClass { get; init; }
    public int? Earthquakes { get; init; }
    public int? Noise { get; init; }

    /// <summary>Minimum of the mean SNR of the three components, in dB.</summary>
    public double? MinSnrDb { get; init; }
    public ValueRange? Magnitude { get; init; }
    public ValueRange? DistanceKm { get; init; }

    /// <summary>Accepted p_status values (e.g. manual), each one of <see cref="PickStatuses"/>.</summary>
    public IReadOnlyList<string>? PStatus { get; init; }

    /// <summary>
    /// The pick statuses STEAD records: a misspelt one would match no trace, so it is refused instead.
    /// </summary>
    public static IReadOnlyList<string> PickStatuses { get; } = ["manual", "automatic", "autopicker"];

    /// <summary>
    /// Whether <paramref name="text"/> has the form of a receiver type: SEED's band and instrument codes, two letters
    /// or digits.
    /// </summary>
    public static bool IsReceiverType(string text) => text.Length == 2 && text.All(char.IsAsciiLetterOrDigit);

    /// <summary>Accepted receiver types (e.g. HH, BH).</summary>
    public IReadOnlyList<string>? ReceiverTypes { get; init; }
    public ulong Seed { get; init; } = 1;
    public SplitFractions Split { get; init; } = SplitFractions.Default;

    /// <summary>Skip traces holding NaN/Inf (counted in the summary) instead of failing.</summary>
    public bool SkipNonFinite { get; init; }

    /// <summary>Replace an existing, non-empty output folder.</summary>
    public bool Overwrite { get; init; }
    public IProgress<ExtractProgress>? Progress { get; init; }
    public CancellationToken Cancellation { get; init; }
}

/// <summary>What an extraction wrote.</summary>
public sealed record ExtractSummary
{
    public required string Hdf5Path { get; init; }
    public required string CsvPath { get; init; }
    public long RowsScanned { get; init; }
    public long EarthquakesMatched { get; init; }
    public long NoiseMatched { get; init; }

    /// <summary>Traces written per class and split: [class: 0 noise, 1 earthquake][split: train, dev, test].</summary>
    public required int[][] Written { get; init; }
    public int SkippedNonFinite { get; init; }

    /// <summary>Where the result is smaller than asked: a class underfilled, a filter matching nothing.</summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];
    public double Seconds { get; init; }
    public double WriteSeconds { get; init; }

    public int Total => Written.Sum(c => c.Sum());
    public int Earthquakes => Written[1].Sum();
    public int Noise => Written[0].Sum();
    public double TracesPerSecond => WriteSeconds > 0 ? Total / WriteSeconds : 0;

    public override string ToString()
    {
        var lines = new List<string>
        {
            string.Create(
                CultureInfo.InvariantCulture,
                $"extract: {Total} traces ({Earthquakes} earthquakes, {Noise} noise) -> {Hdf5Path}, {CsvPath}"
            ),
            string.Create(
                CultureInfo.InvariantCulture,
                $"  scanned {RowsScanned} rows; matched {EarthquakesMatched} earthquakes, {NoiseMatched} noise; skipped {SkippedNonFinite} with NaN/Inf"
            ),
        };
        for (var s = 0; s < 3; s++)
            lines.Add(
                string.Create(
                    CultureInfo.InvariantCulture,
                    $"  {SplitFractions.Names[s], -5}  earthquakes {Written[1][s], 7}  noise {Written[0][s], 7}"
                )
            );
        lines.Add(
            string.Create(
                CultureInfo.InvariantCulture,
                $"  {Seconds:F1} s in all; writing {TracesPerSecond:F0} traces/s"
            )
        );
        return string.Join(Environment.NewLine, lines);
    }
}
