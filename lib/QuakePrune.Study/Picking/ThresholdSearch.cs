namespace QuakePrune.Picking;

/// <summary>One grid point of a threshold search: the F1 (and precision, recall) the threshold gives on dev.</summary>
public sealed record ThresholdPoint(double Threshold, double? F1, double? Precision, double? Recall);

/// <summary>The thresholds chosen on dev, the rule that chose them, and the F1 along each grid.</summary>
public sealed record ThresholdChoice(
    PickThresholds Thresholds,
    string Rule,
    IReadOnlyList<ThresholdPoint> Detection,
    IReadOnlyList<ThresholdPoint> P,
    IReadOnlyList<ThresholdPoint> S
);

/// <summary>
/// Chooses the detection, P and S thresholds on dev, in that order, each by the best F1 over <see cref="DefaultGrid"/>:
/// the detection threshold by detection F1; then, with it fixed (detection gates picks), the P threshold by P F1 and
/// the S threshold by S F1. Among grid values that tie for the best F1 (an undefined F1 ranks below every number) the
/// middle one is taken (the lower of the two middles for an even count), so a wide plateau does not push the threshold
/// to its edge.
/// </summary>
public static class ThresholdSearch
{
    /// <summary>0.05, 0.10, ..., 0.95.</summary>
    public static IReadOnlyList<double> DefaultGrid { get; } = Enumerable.Range(1, 19).Select(k => k / 20.0).ToArray();

    public const string Rule =
        "chosen on dev over the grid 0.05, 0.10, ..., 0.95: detection by best detection F1, then P and S (with that detection threshold) by best P and S F1; ties take the middle tied value";

    public static ThresholdChoice Choose(IReadOnlyList<TraceTruth> devTruths, IReadOnlyList<CurveSummary> devCurves)
    {
        if (devTruths.Count == 0)
            throw new ArgumentException("threshold search: the dev split has no traces");
        var grid = DefaultGrid;
        var detection = grid.Select(t =>
                Point(t, PickingMetrics.Score(devTruths, devCurves, new PickThresholds(t, 0.5, 0.5)).Detection)
            )
            .ToList();
        var detectionThreshold = Best(detection);
        var p = grid.Select(t =>
                Point(t, PickingMetrics.Score(devTruths, devCurves, new PickThresholds(detectionThreshold, t, 0.5)).P)
            )
            .ToList();
        var s = grid.Select(t =>
                Point(t, PickingMetrics.Score(devTruths, devCurves, new PickThresholds(detectionThreshold, 0.5, t)).S)
            )
            .ToList();
        return new ThresholdChoice(new PickThresholds(detectionThreshold, Best(p), Best(s)), Rule, detection, p, s);
    }

    private static ThresholdPoint Point(double threshold, RatesFromCounts rates) =>
        new(threshold, rates.F1, rates.Precision, rates.Recall);

    /// <summary>The middle of the thresholds with the best F1 (points are in increasing threshold order).</summary>
    public static double Best(IReadOnlyList<ThresholdPoint> points)
    {
        var best = points.Max(p => p.F1 ?? double.NegativeInfinity);
        var tied = points.Where(p => (p.F1 ?? double.NegativeInfinity) == best).ToList();
        return tied[(tied.Count - 1) / 2].Threshold;
    }
}
