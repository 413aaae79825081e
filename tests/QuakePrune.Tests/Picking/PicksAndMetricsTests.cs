using QuakePrune.Picking;

namespace QuakePrune.Tests.Picking;

public class PicksAndMetricsTests
{
    private const int Samples = WaveformPreprocessing.Samples;

    private static float[] Curve(params (int Sample, float Value)[] points)
    {
        var curve = new float[Samples];
        foreach (var (sample, value) in points)
            curve[sample] = value;
        return curve;
    }

    /// <summary>A summary with a detection probability and P, S peaks, as the network's curves would give.</summary>
    private static CurveSummary Summary(float detection, int pSample, float p, int sSample, float s) =>
        new(detection, new CurvePeak(pSample, p), new CurvePeak(sSample, s));

    [Fact]
    public void A_summary_keeps_each_curve_s_maximum_and_its_first_sample()
    {
        var summary = CurveSummary.FromCurves(
            Curve((10, 0.3f), (4000, 0.9f)),
            Curve((700, 0.8f), (900, 0.8f)),
            Curve(),
            "t"
        );
        Assert.Equal(0.9f, summary.DetectionProbability);
        Assert.Equal(new CurvePeak(700, 0.8f), summary.P);
        Assert.Equal(new CurvePeak(0, 0f), summary.S);
    }

    [Fact]
    public void Curves_must_be_probabilities()
    {
        var e = Assert.Throws<InvalidDataException>(() =>
            CurveSummary.FromCurves(Curve(), Curve((123, float.NaN)), Curve(), "AB.C_9_EV")
        );
        Assert.Contains("P curve of 'AB.C_9_EV'", e.Message);
        Assert.Contains("sample 123", e.Message);
        e = Assert.Throws<InvalidDataException>(() => CurveSummary.FromCurves(Curve((5, 3.5f)), Curve(), Curve(), "t"));
        Assert.Contains("[0, 1]", e.Message);
        Assert.Throws<InvalidDataException>(() =>
            CurveSummary.FromCurves(Curve(), Curve(), Curve((1, float.NegativeInfinity)), "t")
        );
        Assert.Throws<ArgumentException>(() => CurveSummary.FromCurves(new float[10], Curve(), Curve(), "t"));
    }

    [Fact]
    public void Picks_pass_at_their_threshold_and_only_inside_a_detection()
    {
        var summary = Summary(0.6f, 700, 0.5f, 1100, 0.49f);
        var picks = summary.Picks(new PickThresholds(0.6, 0.5, 0.5));
        Assert.True(picks.Detected);
        Assert.Equal(new CurvePeak(700, 0.5f), picks.P);
        Assert.Null(picks.S);
        var undetected = summary.Picks(new PickThresholds(0.61, 0.1, 0.1));
        Assert.False(undetected.Detected);
        Assert.Null(undetected.P);
        Assert.Null(undetected.S);
        Assert.Equal(0.6f, undetected.DetectionProbability);
    }

    [Fact]
    public void Thresholds_outside_zero_to_one_are_refused()
    {
        Assert.Throws<ArgumentException>(() => new PickThresholds(double.NaN, 0.5, 0.5).Validate());
        Assert.Throws<ArgumentException>(() => new PickThresholds(0.5, 1.5, 0.5).Validate());
        Assert.Throws<ArgumentException>(() => new PickThresholds(0.5, 0.5, -0.1).Validate());
    }

    [Fact]
    public void Detection_counts_earthquakes_as_positives()
    {
        TraceTruth quake = new(true, 700, 900, 2000),
            noise = TraceTruth.Noise;
        var scores = PickingMetrics
            .Score(
                [quake, quake, quake, noise, noise],
                [
                    Summary(0.9f, 0, 0, 0, 0),
                    Summary(0.5f, 0, 0, 0, 0),
                    Summary(0.2f, 0, 0, 0, 0),
                    Summary(0.7f, 0, 0, 0, 0),
                    Summary(0.1f, 0, 0, 0, 0),
                ],
                new PickThresholds(0.5, 0.5, 0.5)
            )
            .Detection;
        Assert.Equal(new DetectionScores(2, 1, 1, 1), scores);
        Assert.Equal(2.0 / 3, scores.Precision);
        Assert.Equal(2.0 / 3, scores.Recall);
        Assert.Equal(2.0 / 3, scores.F1);
    }

    [Fact]
    public void A_pick_counts_within_50_samples_and_a_farther_one_is_both_a_false_positive_and_a_miss()
    {
        TraceTruth Quake(double p) => new(true, p, null, 5000);
        var truths = new[]
        {
            Quake(1000),
            Quake(1000),
            Quake(1000),
            Quake(1000),
            Quake(1000),
            TraceTruth.Noise,
            TraceTruth.Noise,
        };
        var curves = new[]
        {
            Summary(1, 1050, 0.9f, 0, 0), // +50: true positive
            Summary(1, 950, 0.9f, 0, 0), // -50: true positive
            Summary(1, 1010, 0.9f, 0, 0), // +10: true positive
            Summary(1, 1051, 0.9f, 0, 0), // +51: false positive and false negative
            Summary(1, 1000, 0.2f, 0, 0), // below the P threshold: false negative
            Summary(1, 3000, 0.9f, 0, 0), // a pick on noise: false positive
            Summary(1, 3000, 0.1f, 0, 0), // no pick on noise: nothing
        };
        var p = PickingMetrics.Score(truths, curves, new PickThresholds(0.5, 0.5, 0.5)).P;
        Assert.Equal((3L, 2L, 2L, 0L), (p.TruePositives, p.FalsePositives, p.FalseNegatives, p.Unscored));
        Assert.Equal(3.0 / 5, p.Precision);
        Assert.Equal(3.0 / 5, p.Recall);
        Assert.Equal(6.0 / 10, p.F1);
        Assert.Equal(10.0 / 3, p.ResidualMean!.Value, 12);
        var mean = 10.0 / 3;
        Assert.Equal(
            Math.Sqrt(((50 - mean) * (50 - mean) + (-50 - mean) * (-50 - mean) + (10 - mean) * (10 - mean)) / 3),
            p.ResidualStd!.Value,
            12
        );
        Assert.Equal(110.0 / 3, p.ResidualMae!.Value, 12);
    }

    /// <summary>
    /// The bootstrap resamples traces: each trace's outcome holds exactly what it adds to the table, and the intervals
    /// hold the table's values.
    /// </summary>
    [Fact]
    public void Each_traces_outcome_sums_to_the_table_and_the_intervals_hold_its_scores()
    {
        TraceTruth Quake(double p, double s) => new(true, p, s, 5000);
        var truths = new[]
        {
            Quake(1000, 2000),
            Quake(1000, 2000),
            Quake(1000, 2000),
            Quake(1000, 2000),
            TraceTruth.Noise,
            TraceTruth.Noise,
        };
        var curves = new[]
        {
            Summary(1, 1010, 0.9f, 2020, 0.9f),
            Summary(1, 1200, 0.9f, 1990, 0.9f),
            Summary(0.2f, 1000, 0.9f, 2000, 0.9f),
            Summary(1, 990, 0.9f, 2500, 0.9f),
            Summary(0.9f, 3000, 0.9f, 3000, 0.1f),
            Summary(0.1f, 3000, 0.9f, 3000, 0.9f),
        };
        var thresholds = new PickThresholds(0.5, 0.5, 0.5);
        var outcomes = PickingMetrics.Outcomes(truths, curves, thresholds);
        Assert.Equal(PickingMetrics.Score(truths, curves, thresholds), PickingMetrics.Score(outcomes, thresholds));
        Assert.Equal(new QuakePrune.Statistics.Tally(0, 1, 1), outcomes[1].P.Counts);
        Assert.Equal(20.0, outcomes[0].S.Residual);
        Assert.True(outcomes[5].IsTrueNegative);
        var table = PickingMetrics.Score(outcomes, thresholds);
        var intervals = PickingMetrics.Intervals(outcomes);
        Assert.Equal(table.Detection.F1, intervals.DetectionF1.Estimate);
        Assert.Equal(table.P.F1, intervals.PF1.Estimate);
        Assert.Equal(table.S.F1, intervals.SF1.Estimate);
        Assert.Equal(table.P.ResidualMae, intervals.PResidualMae.Estimate);
        foreach (var interval in new[] { intervals.DetectionF1, intervals.PF1, intervals.SF1, intervals.PResidualMae })
            Assert.True(interval.Lo <= interval.Estimate && interval.Estimate <= interval.Hi, interval.ToString());
        Assert.Equal(intervals, PickingMetrics.Intervals(outcomes));
    }

    [Fact]
    public void Residuals_are_pick_minus_catalogue_against_a_fractional_catalogue_pick()
    {
        var s = PickingMetrics
            .Score(
                [new TraceTruth(true, 700, 1200.5, 3000)],
                [Summary(1, 700, 1, 1190, 1)],
                new PickThresholds(0.5, 0.5, 0.5)
            )
            .S;
        Assert.Equal(1, s.TruePositives);
        Assert.Equal(-10.5, s.ResidualMean);
        Assert.Equal(0.0, s.ResidualStd);
        Assert.Equal(10.5, s.ResidualMae);
    }

    [Fact]
    public void Earthquakes_without_the_catalogue_pick_are_not_scored_for_that_phase()
    {
        var truths = new[]
        {
            new TraceTruth(true, 700, null, 3000),
            new TraceTruth(true, 700, 6500, 3000),
            new TraceTruth(true, 700, 1000, 3000),
        };
        var curves = new[] { Summary(1, 700, 1, 1000, 1), Summary(1, 700, 1, 1000, 1), Summary(1, 700, 1, 1000, 1) };
        var s = PickingMetrics.Score(truths, curves, new PickThresholds(0.5, 0.5, 0.5)).S;
        Assert.Equal((1L, 0L, 0L, 2L), (s.TruePositives, s.FalsePositives, s.FalseNegatives, s.Unscored));
    }

    [Fact]
    public void Undefined_rates_are_null_not_zero()
    {
        TraceTruth quake = new(true, 700, 900, 2000);
        var thresholds = new PickThresholds(0.5, 0.5, 0.5);
        // No predictions: precision undefined, recall and F1 zero.
        var none = PickingMetrics.Score([quake], [Summary(0.1f, 700, 1, 900, 1)], thresholds);
        Assert.Null(none.Detection.Precision);
        Assert.Equal(0.0, none.Detection.Recall);
        Assert.Equal(0.0, none.Detection.F1);
        Assert.Null(none.P.Precision);
        Assert.Equal(0.0, none.P.F1);
        Assert.Null(none.P.ResidualMean);
        Assert.Null(none.P.ResidualStd);
        Assert.Null(none.P.ResidualMae);
        // No positives (noise only): recall undefined; with a false alarm, precision and F1 zero.
        var alarm = PickingMetrics.Score([TraceTruth.Noise], [Summary(0.9f, 700, 1, 900, 0)], thresholds);
        Assert.Null(alarm.Detection.Recall);
        Assert.Equal(0.0, alarm.Detection.Precision);
        Assert.Equal(0.0, alarm.Detection.F1);
        Assert.Equal(1, alarm.P.FalsePositives);
        Assert.Equal(0, alarm.S.FalsePositives);
        // Neither positives nor predictions: all three undefined.
        var quiet = PickingMetrics.Score([TraceTruth.Noise], [Summary(0.1f, 0, 0, 0, 0)], thresholds);
        Assert.Equal((null, null, null), (quiet.Detection.Precision, quiet.Detection.Recall, quiet.Detection.F1));
        Assert.Equal((null, null, null), (quiet.S.Precision, quiet.S.Recall, quiet.S.F1));
    }

    [Fact]
    public void Mismatched_inputs_are_refused()
    {
        Assert.Throws<ArgumentException>(() => PickingMetrics.Score([TraceTruth.Noise], [], PickThresholds.Half));
        Assert.Throws<ArgumentException>(() =>
            PickingMetrics.Score([TraceTruth.Noise], [Summary(0, 0, 0, 0, 0)], new PickThresholds(2, 0.5, 0.5))
        );
    }
}
