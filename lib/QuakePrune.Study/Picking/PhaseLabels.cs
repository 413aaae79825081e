using QuakePrune.Stead;

namespace QuakePrune.Picking;

/// <summary>
/// What the catalogue says about one trace, as the labels and the metrics read it: the class, and the P, S and
/// coda-end samples (fractional sample indices into the 6000-sample window). A pick is present when the catalogue gives
/// a finite number; `None`, an empty cell or NaN means no pick. Noise traces carry no picks, whatever their row says.
/// </summary>
public sealed record TraceTruth(bool IsEarthquake, double? PSample, double? SSample, double? CodaEndSample)
{
    public static TraceTruth Noise { get; } = new(false, null, null, null);

    /// <summary>
    /// The truth of a catalogue row; the one place picks are read, so labels and metrics refuse alike what cannot be
    /// true: a pick before the window's first sample, a P pick whose status is given but whose sample is not a number,
    /// and an S pick at or before its P.
    /// </summary>
    public static TraceTruth FromRecord(SteadRecord record)
    {
        if (!record.IsEarthquake)
            return Noise;
        var (p, s) = (Finite(record.PArrivalSample), Finite(record.SArrivalSample));
        string Refused(string why) => $"trace '{record.TraceName}': {why}; such a row cannot be trained on or scored";
        if (p is null && !string.IsNullOrEmpty(record.PStatus) && record.PArrivalSample is not null)
            throw new InvalidDataException(
                Refused($"p_status is '{record.PStatus}' but p_arrival_sample is {record.PArrivalSample}")
            );
        if (p is < 0)
            throw new InvalidDataException(Refused($"p_arrival_sample {p} lies before the window"));
        if (s is < 0)
            throw new InvalidDataException(Refused($"s_arrival_sample {s} lies before the window"));
        if (p is { } pSample && s is { } sSample && sSample <= pSample)
            throw new InvalidDataException(
                Refused($"s_arrival_sample {sSample} is not after p_arrival_sample {pSample}")
            );
        return new TraceTruth(true, p, s, Finite(record.CodaEndSample));
    }

    private static double? Finite(double? value) => value is { } v && double.IsFinite(v) ? v : null;

    /// <summary>The pick of a phase, or null.</summary>
    public double? Pick(Phase phase) => phase == Phase.P ? PSample : SSample;

    /// <summary>
    /// The catalogue pick that the metrics score: present and inside the window (0 &lt;= sample &lt; 6000). A pick
    /// outside the window cannot be found in it, so such a trace is not scored for that phase (like one without the
    /// pick).
    /// </summary>
    public double? ScoredPick(Phase phase) =>
        IsEarthquake && Pick(phase) is { } sample && sample >= 0 && sample < WaveformPreprocessing.Samples
            ? sample
            : null;
}

/// <summary>The two phases the network picks.</summary>
public enum Phase
{
    P,
    S,
}

/// <summary>
/// The shape of the label curves. The defaults are EQTransformer's own (smousavi05/EQTransformer, core/EqT_utils.py,
/// DataGenerator with the trainer's default label_type "gaussian"): each pick is a Gaussian of standard deviation 10
/// samples (0.1 s) cut off 20 samples either side of the pick (its phase_window of 40).
/// </summary>
public sealed record LabelSettings
{
    /// <summary>Standard deviation of a pick's Gaussian, in samples.</summary>
    public double PickSigma { get; init; } = 10;

    /// <summary>Samples either side of the pick where its Gaussian is written (zero beyond).</summary>
    public int PickHalfWidth { get; init; } = 20;

    /// <summary>
    /// A Gaussian of standard deviation <paramref name="sigma"/> cut at two sigmas either side, as EQTransformer's (10
    /// and 20).
    /// </summary>
    public static LabelSettings WithSigma(double sigma) =>
        new() { PickSigma = sigma, PickHalfWidth = (int)Math.Round(2 * sigma) };

    public void Validate()
    {
        if (!(PickSigma > 0) || !double.IsFinite(PickSigma))
            throw new ArgumentException(
                $"labels: the pick sigma must be a positive number of samples, got {PickSigma}"
            );
        if (PickHalfWidth is < 0 or > WaveformPreprocessing.Samples)
            throw new ArgumentException($"labels: the pick half-width must be 0..6000 samples, got {PickHalfWidth}");
    }
}

/// <summary>
/// The three target curves of one trace (6000 samples each), as EQTransformer trains on them:
/// <list type="bullet">
/// <item>detection: 1 for every sample t with start &lt;= t &lt; coda_end_sample, where start is the P arrival (the S
/// arrival when P is missing), 0 elsewhere;</item>
/// <item>P and S: exp(-(t - pick)^2 / (2 sigma^2)) for |t - round(pick)| &lt;= half-width, 0 elsewhere; no curve (all
/// zero) where the catalogue has no pick, as EQTransformer's generator leaves it;</item>
/// <item>noise: all three curves zero.</item>
/// </list>
/// Everything is clipped to the window: a pick near an end keeps the part of its peak inside. An earthquake must have
/// a P or an S pick and a coda end after it; <see cref="Check"/> names the trace that does not.
/// </summary>
public static class PhaseLabels
{
    private const int Samples = WaveformPreprocessing.Samples;

    /// <summary>Refuses an earthquake that cannot be labelled: no P and no S, or no coda end after the start.</summary>
    public static void Check(TraceTruth truth, string traceName)
    {
        if (!truth.IsEarthquake)
            return;
        var start = truth.PSample
            ?? truth.SSample
            ?? throw new InvalidDataException(
                $"earthquake trace '{traceName}' has neither a p_arrival_sample nor an s_arrival_sample: its detection label has no start"
            );
        if (truth.CodaEndSample is not { } end)
            throw new InvalidDataException(
                $"earthquake trace '{traceName}' has no coda_end_sample: its detection label has no end"
            );
        if (end <= start)
            throw new InvalidDataException(
                $"earthquake trace '{traceName}' has coda_end_sample {end} not after its first arrival {start}"
            );
    }

    /// <summary>Writes the detection, P and S curves of one trace (each 6000 floats; every value is written).</summary>
    public static void Write(
        TraceTruth truth,
        LabelSettings settings,
        Span<float> detection,
        Span<float> p,
        Span<float> s,
        string traceName
    )
    {
        if (detection.Length != Samples || p.Length != Samples || s.Length != Samples)
            throw new ArgumentException(
                $"labels of '{traceName}': each curve has {Samples} samples, got {detection.Length}, {p.Length}, {s.Length}"
            );
        detection.Clear();
        p.Clear();
        s.Clear();
        if (!truth.IsEarthquake)
            return;
        Check(truth, traceName);
        // Clamped as doubles before the cast, so samples far outside the window cannot overflow an int.
        var first = (int)Math.Clamp(Math.Ceiling((truth.PSample ?? truth.SSample)!.Value), 0, Samples);
        var end = (int)Math.Clamp(Math.Ceiling(truth.CodaEndSample!.Value), 0, Samples);
        if (first < end)
            detection[first..end].Fill(1);
        if (truth.PSample is { } pick)
            Peak(p, pick, settings);
        if (truth.SSample is { } sPick)
            Peak(s, sPick, settings);
    }

    private static void Peak(Span<float> curve, double pick, LabelSettings settings)
    {
        var centre = Math.Round(pick);
        if (centre < -settings.PickHalfWidth || centre > Samples - 1 + settings.PickHalfWidth)
            return;
        var from = (int)Math.Max(0, centre - settings.PickHalfWidth);
        var to = (int)Math.Min(Samples - 1, centre + settings.PickHalfWidth);
        var twoVariance = 2 * settings.PickSigma * settings.PickSigma;
        for (var t = from; t <= to; t++)
            curve[t] = (float)Math.Exp(-(t - pick) * (t - pick) / twoVariance);
    }
}
