namespace QuakePrune.Picking;

/// <summary>
/// Precision, recall and F1 from counts. A ratio with a zero denominator is undefined and given as null, not 0:
/// precision when nothing was predicted, recall when there was nothing to find, F1 (2 TP / (2 TP + FP + FN)) when
/// both.
/// </summary>
public abstract record RatesFromCounts(long TruePositives, long FalsePositives, long FalseNegatives)
{
    public double? Precision => Ratio(TruePositives, TruePositives + FalsePositives);
    public double? Recall => Ratio(TruePositives, TruePositives + FalseNegatives);
    public double? F1 => Ratio(2 * TruePositives, 2 * TruePositives + FalsePositives + FalseNegatives);

    private static double? Ratio(long numerator, long denominator) => denominator == 0 ? null : (double)numerator / denominator;
}

/// <summary>Detection per trace, earthquake (positive) against noise.</summary>
public sealed record DetectionScores(long TruePositives, long FalsePositives, long TrueNegatives, long FalseNegatives)
    : RatesFromCounts(TruePositives, FalsePositives, FalseNegatives);

/// <summary>
/// One phase's picks: counts, rates, and the residuals (pick minus catalogue, in samples) of the true positives: their
/// mean, standard deviation (population, as numpy's default) and mean absolute value; null when there is no true
/// positive. <see cref="Unscored"/> counts earthquakes without a catalogue pick of this phase inside the window.
/// </summary>
public sealed record PhaseScores(Phase Phase, long TruePositives, long FalsePositives, long FalseNegatives, long Unscored,
    double? ResidualMean, double? ResidualStd, double? ResidualMae)
    : RatesFromCounts(TruePositives, FalsePositives, FalseNegatives);

/// <summary>EQTransformer's table for one split at given thresholds.</summary>
public sealed record PickingScores(PickThresholds Thresholds, int Traces, DetectionScores Detection, PhaseScores P, PhaseScores S);

/// <summary>
/// EQTransformer's metrics (Mousavi et al. 2020, its table of detection and picking scores), computed per trace:
/// <list type="bullet">
/// <item>Detection: a trace is detected when its detection probability (the curve's maximum) is at least the detection
/// threshold; earthquakes are the positives, noise the negatives.</item>
/// <item>P and S: a trace with a catalogue pick inside the window is a positive. Its predicted pick (see
/// <see cref="CurveSummary.Picks"/>, gated by detection) is a true positive when |pick - catalogue| &lt;=
/// <see cref="ToleranceSamples"/>; a pick farther away counts once as a false positive and once as a false negative (a
/// wrong pick, and the arrival still missed); no pick is a false negative. A pick on a noise trace is a false positive.
/// An earthquake without that catalogue pick (missing, NaN, or outside the window) is not scored for the phase: its
/// arrival may well be there, unpicked, so a pick there is neither right nor wrong.</item>
/// <item>Residuals: pick minus catalogue, in samples, over the true positives.</item>
/// </list>
/// </summary>
public static class PickingMetrics
{
    /// <summary>0.5 s at 100 Hz: how far a pick may lie from the catalogue's and still count.</summary>
    public const int ToleranceSamples = 50;

    public static PickingScores Score(IReadOnlyList<TraceTruth> truths, IReadOnlyList<CurveSummary> curves, PickThresholds thresholds)
    {
        ArgumentNullException.ThrowIfNull(truths);
        ArgumentNullException.ThrowIfNull(curves);
        if (truths.Count != curves.Count)
            throw new ArgumentException($"picking metrics: {truths.Count} catalogue rows but {curves.Count} curve summaries");
        thresholds.Validate();
        var picks = curves.Select(c => c.Picks(thresholds)).ToList();
        return new PickingScores(thresholds, truths.Count, ScoreDetection(truths, picks), ScorePhase(Phase.P, truths, picks), ScorePhase(Phase.S, truths, picks));
    }

    private static DetectionScores ScoreDetection(IReadOnlyList<TraceTruth> truths, IReadOnlyList<TracePicks> picks)
    {
        long tp = 0, fp = 0, tn = 0, fn = 0;
        for (var i = 0; i < truths.Count; i++)
        {
            var detected = picks[i].Detected;
            if (truths[i].IsEarthquake)
            {
                if (detected) tp++;
                else fn++;
            }
            else if (detected) fp++;
            else tn++;
        }
        return new DetectionScores(tp, fp, tn, fn);
    }

    private static PhaseScores ScorePhase(Phase phase, IReadOnlyList<TraceTruth> truths, IReadOnlyList<TracePicks> picks)
    {
        long tp = 0, fp = 0, fn = 0, unscored = 0;
        var residuals = new List<double>();
        for (var i = 0; i < truths.Count; i++)
        {
            var pick = picks[i].Pick(phase);
            if (truths[i].ScoredPick(phase) is { } catalogue)
            {
                if (pick is not { } predicted) fn++;
                else if (Math.Abs(predicted.Sample - catalogue) <= ToleranceSamples)
                {
                    tp++;
                    residuals.Add(predicted.Sample - catalogue);
                }
                else
                {
                    fp++;
                    fn++;
                }
            }
            else if (truths[i].IsEarthquake) unscored++;
            else if (pick is not null) fp++;
        }
        if (residuals.Count == 0) return new PhaseScores(phase, tp, fp, fn, unscored, null, null, null);
        var mean = residuals.Average();
        var std = Math.Sqrt(residuals.Sum(r => (r - mean) * (r - mean)) / residuals.Count);
        return new PhaseScores(phase, tp, fp, fn, unscored, mean, std, residuals.Average(Math.Abs));
    }
}
