using QuakePrune.Statistics;

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

    private static double? Ratio(long numerator, long denominator) =>
        denominator == 0 ? null : (double)numerator / denominator;
}

/// <summary>Detection per trace, earthquake (positive) against noise.</summary>
public sealed record DetectionScores(long TruePositives, long FalsePositives, long TrueNegatives, long FalseNegatives)
    : RatesFromCounts(TruePositives, FalsePositives, FalseNegatives);

/// <summary>
/// One phase's picks: counts, rates, and the residuals (pick minus catalogue, in samples) of the true positives: their
/// mean, standard deviation (population, as numpy's default) and mean absolute value; null when there is no true
/// positive. <see cref="Unscored"/> counts earthquakes without a catalogue pick of this phase inside the window.
/// </summary>
public sealed record PhaseScores(
    Phase Phase,
    long TruePositives,
    long FalsePositives,
    long FalseNegatives,
    long Unscored,
    double? ResidualMean,
    double? ResidualStd,
    double? ResidualMae
) : RatesFromCounts(TruePositives, FalsePositives, FalseNegatives);

/// <summary>EQTransformer's table for one split at given thresholds.</summary>
public sealed record PickingScores(
    PickThresholds Thresholds,
    int Traces,
    DetectionScores Detection,
    PhaseScores P,
    PhaseScores S
);

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

    public static PickingScores Score(
        IReadOnlyList<TraceTruth> truths,
        IReadOnlyList<CurveSummary> curves,
        PickThresholds thresholds
    ) => Score(Outcomes(truths, curves, thresholds), thresholds);

    /// <summary>
    /// The table from each trace's outcome (<see cref="Outcomes"/>): counts summed, residuals over the true positives.
    /// </summary>
    public static PickingScores Score(IReadOnlyList<TraceOutcome> outcomes, PickThresholds thresholds)
    {
        var detection = Sum(outcomes.Select(o => o.Detection));
        return new PickingScores(
            thresholds,
            outcomes.Count,
            new DetectionScores(
                detection.TruePositives,
                detection.FalsePositives,
                outcomes.Count(o => o.IsTrueNegative),
                detection.FalseNegatives
            ),
            ScorePhase(Phase.P, outcomes),
            ScorePhase(Phase.S, outcomes)
        );
    }

    /// <summary>
    /// What each trace adds to the scores at <paramref name="thresholds"/>, in the order given: the unit that a
    /// bootstrap over test traces resamples (<see cref="Intervals"/>).
    /// </summary>
    public static IReadOnlyList<TraceOutcome> Outcomes(
        IReadOnlyList<TraceTruth> truths,
        IReadOnlyList<CurveSummary> curves,
        PickThresholds thresholds
    )
    {
        ArgumentNullException.ThrowIfNull(truths);
        ArgumentNullException.ThrowIfNull(curves);
        if (truths.Count != curves.Count)
            throw new ArgumentException(
                $"picking metrics: {truths.Count} catalogue rows but {curves.Count} curve summaries"
            );
        thresholds.Validate();
        return truths
            .Select(
                (truth, i) =>
                {
                    var picks = curves[i].Picks(thresholds);
                    var detection = (truth.IsEarthquake, picks.Detected) switch
                    {
                        (true, true) => new Tally(1, 0, 0),
                        (true, false) => new Tally(0, 0, 1),
                        (false, true) => new Tally(0, 1, 0),
                        _ => new Tally(0, 0, 0),
                    };
                    return new TraceOutcome(
                        detection,
                        !truth.IsEarthquake && !picks.Detected,
                        PhaseOutcome(Phase.P, truth, picks),
                        PhaseOutcome(Phase.S, truth, picks)
                    );
                }
            )
            .ToArray();
    }

    /// <summary>
    /// 95 % percentile-bootstrap intervals of the detection, P and S F1 and of the P and S residual MAE (samples),
    /// resampling the traces (<see cref="Bootstrap"/>; its default seed and 1,000 resamples unless
    /// <paramref name="options"/> say otherwise).
    /// </summary>
    public static PickingIntervals Intervals(IReadOnlyList<TraceOutcome> outcomes, BootstrapOptions? options = null)
    {
        Interval Mae(Func<TraceOutcome, PhaseOutcome> phase) =>
            Bootstrap.Mean(
                outcomes.Select(o => phase(o).Residual is { } r ? Math.Abs(r) : (double?)null).ToArray(),
                options
            );
        return new PickingIntervals(
            Bootstrap.F1(outcomes.Select(o => o.Detection).ToArray(), options),
            Bootstrap.F1(outcomes.Select(o => o.P.Counts).ToArray(), options),
            Bootstrap.F1(outcomes.Select(o => o.S.Counts).ToArray(), options),
            Mae(o => o.P),
            Mae(o => o.S)
        );
    }

    private static PhaseOutcome PhaseOutcome(Phase phase, TraceTruth truth, TracePicks picks)
    {
        var pick = picks.Pick(phase);
        if (truth.ScoredPick(phase) is { } catalogue)
        {
            if (pick is not { } predicted)
                return new PhaseOutcome(new Tally(0, 0, 1), null, false);
            var residual = predicted.Sample - catalogue;
            // A pick too far is a wrong pick and the arrival still missed.
            return Math.Abs(residual) <= ToleranceSamples
                ? new PhaseOutcome(new Tally(1, 0, 0), residual, false)
                : new PhaseOutcome(new Tally(0, 1, 1), null, false);
        }
        if (truth.IsEarthquake)
            return new PhaseOutcome(new Tally(0, 0, 0), null, true);
        return new PhaseOutcome(pick is null ? new Tally(0, 0, 0) : new Tally(0, 1, 0), null, false);
    }

    private static PhaseScores ScorePhase(Phase phase, IReadOnlyList<TraceOutcome> outcomes)
    {
        var of = outcomes.Select(o => phase == Phase.P ? o.P : o.S).ToArray();
        var counts = Sum(of.Select(o => o.Counts));
        var unscored = of.Count(o => o.Unscored);
        var residuals = of.Where(o => o.Residual is not null).Select(o => o.Residual!.Value).ToArray();
        if (residuals.Length == 0)
            return new PhaseScores(
                phase,
                counts.TruePositives,
                counts.FalsePositives,
                counts.FalseNegatives,
                unscored,
                null,
                null,
                null
            );
        var mean = residuals.Average();
        var std = Math.Sqrt(residuals.Sum(r => (r - mean) * (r - mean)) / residuals.Length);
        return new PhaseScores(
            phase,
            counts.TruePositives,
            counts.FalsePositives,
            counts.FalseNegatives,
            unscored,
            mean,
            std,
            residuals.Average(Math.Abs)
        );
    }

    private static Tally Sum(IEnumerable<Tally> tallies) =>
        tallies.Aggregate(new Tally(0, 0, 0), (a, t) =>
            new Tally(
                a.TruePositives + t.TruePositives,
                a.FalsePositives + t.FalsePositives,
                a.FalseNegatives + t.FalseNegatives
            )
        );
}

/// <summary>
/// One phase of one trace: its counts, its residual (pick minus catalogue, samples) when the pick is a true positive,
/// and whether it is unscored.
/// </summary>
public sealed record PhaseOutcome(Tally Counts, double? Residual, bool Unscored);

/// <summary>
/// What one trace adds to the scores: its detection counts (and whether it is a true negative), and each phase's
/// outcome.
/// </summary>
public sealed record TraceOutcome(Tally Detection, bool IsTrueNegative, PhaseOutcome P, PhaseOutcome S);

/// <summary>
/// 95 % bootstrap intervals over test traces of a picker's scores (F1 ratios; residual MAE in samples).
/// </summary>
public sealed record PickingIntervals(
    Interval DetectionF1,
    Interval PF1,
    Interval SF1,
    Interval PResidualMae,
    Interval SResidualMae
);
