namespace QuakePrune.Picking;

/// <summary>
/// The probabilities a trace must reach to be detected and to get a P or S pick (a value passes when it is &gt;= its
/// threshold).
/// </summary>
public sealed record PickThresholds(double Detection, double P, double S)
{
    /// <summary>0.5 for all three: what a model is scored at before thresholds have been chosen on dev.</summary>
    public static PickThresholds Half { get; } = new(0.5, 0.5, 0.5);

    public void Validate()
    {
        foreach (var (name, value) in new[] { ("detection", Detection), ("P", P), ("S", S) })
            if (!(value >= 0 && value <= 1))
                throw new ArgumentException($"picking: the {name} threshold must be in [0, 1], got {value}");
    }
}

/// <summary>The highest value of a curve and the first sample where it occurs.</summary>
public readonly record struct CurvePeak(int Sample, float Probability);

/// <summary>
/// All that picking and scoring need from one trace's three output curves: the detection curve's maximum (the trace's
/// detection probability) and the peak of the P and S curves. The peaks do not depend on the thresholds, so a threshold
/// grid is scored from these summaries without keeping the curves.
/// </summary>
public sealed record CurveSummary(float DetectionProbability, CurvePeak P, CurvePeak S)
{
    /// <summary>
    /// Summarises three curves of one trace (6000 samples each). Values must be probabilities: NaN, infinities and
    /// values outside [0, 1] are refused, naming the trace, the curve and the sample.
    /// </summary>
    public static CurveSummary FromCurves(
        ReadOnlySpan<float> detection,
        ReadOnlySpan<float> p,
        ReadOnlySpan<float> s,
        string traceName
    ) => new(Peak(detection, traceName, "detection").Probability, Peak(p, traceName, "P"), Peak(s, traceName, "S"));

    private static CurvePeak Peak(ReadOnlySpan<float> curve, string traceName, string name)
    {
        if (curve.Length != WaveformPreprocessing.Samples)
            throw new ArgumentException(
                $"picking: the {name} curve of '{traceName}' has {curve.Length} samples, expected {WaveformPreprocessing.Samples}"
            );
        var best = 0;
        for (var i = 0; i < curve.Length; i++)
        {
            var v = curve[i];
            if (!(v >= 0 && v <= 1))
                throw new InvalidDataException(
                    $"picking: the {name} curve of '{traceName}' holds {v} at sample {i}; curves must be probabilities in [0, 1] (after the sigmoid)"
                );
            if (v > curve[best])
                best = i;
        }
        return new CurvePeak(best, curve[best]);
    }

    /// <summary>
    /// The picks at given thresholds. One pick per phase per window (the sample of the curve's maximum), as the pick
    /// CSV has one p_sample and one s_sample per trace. Detection gates picks: a trace whose detection probability is
    /// below its threshold gets no P and no S pick, whatever its P and S curves say (EQTransformer reports picks only
    /// inside detections).
    /// </summary>
    public TracePicks Picks(PickThresholds thresholds)
    {
        var detected = DetectionProbability >= thresholds.Detection;
        var p = detected && P.Probability >= thresholds.P ? P : (CurvePeak?)null;
        var s = detected && S.Probability >= thresholds.S ? S : (CurvePeak?)null;
        return new TracePicks(DetectionProbability, detected, p, s);
    }
}

/// <summary>
/// One trace's result: its detection probability, whether it is detected, and its P and S picks (null: none).
/// </summary>
public sealed record TracePicks(float DetectionProbability, bool Detected, CurvePeak? P, CurvePeak? S)
{
    public CurvePeak? Pick(Phase phase) => phase == Phase.P ? P : S;
}
