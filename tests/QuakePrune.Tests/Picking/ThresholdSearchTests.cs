using QuakePrune.Picking;

namespace QuakePrune.Tests.Picking;

public class ThresholdSearchTests
{
    private static CurveSummary Summary(float detection, float p, float s) =>
        new(detection, new CurvePeak(700, p), new CurvePeak(1000, s));

    [Fact]
    public void The_grid_is_0_05_to_0_95_in_steps_of_0_05()
    {
        Assert.Equal(19, ThresholdSearch.DefaultGrid.Count);
        Assert.Equal(0.05, ThresholdSearch.DefaultGrid[0]);
        Assert.Equal(0.5, ThresholdSearch.DefaultGrid[9]);
        Assert.Equal(0.95, ThresholdSearch.DefaultGrid[^1]);
    }

    [Fact]
    public void Ties_take_the_middle_of_the_best_values_and_undefined_ranks_last()
    {
        ThresholdPoint Point(double t, double? f1) => new(t, f1, null, null);
        Assert.Equal(
            0.3,
            ThresholdSearch.Best([Point(0.1, 0.5), Point(0.2, 0.9), Point(0.3, 0.9), Point(0.4, 0.9), Point(0.5, 0.2)])
        );
        Assert.Equal(0.2, ThresholdSearch.Best([Point(0.1, 0.5), Point(0.2, 0.9), Point(0.3, 0.9), Point(0.4, 0.1)]));
        Assert.Equal(0.2, ThresholdSearch.Best([Point(0.1, null), Point(0.2, 0.0), Point(0.3, null)]));
        Assert.Equal(0.2, ThresholdSearch.Best([Point(0.1, null), Point(0.2, null), Point(0.3, null)]));
    }

    [Fact]
    public void Detection_is_chosen_first_then_P_and_S_with_detection_gating_the_picks()
    {
        TraceTruth quake = new(true, 700, 1000, 3000);
        // Earthquakes detected at 0.6-0.8, noise below 0.3: detection F1 is 1 for thresholds 0.30..0.60 (middle 0.45).
        var truths = new[] { quake, quake, quake, TraceTruth.Noise, TraceTruth.Noise };
        var curves = new[]
        {
            Summary(0.6f, 0.9f, 0.35f),
            Summary(0.7f, 0.9f, 0.4f),
            Summary(0.8f, 0.9f, 0.2f),
            Summary(0.25f, 0.95f, 0.9f),
            Summary(0.1f, 0.1f, 0.1f),
        };
        var choice = ThresholdSearch.Choose(truths, curves);
        Assert.Equal(0.45, choice.Thresholds.Detection, 12);
        Assert.Equal(1.0, choice.Detection.Single(p => Math.Abs(p.Threshold - 0.45) < 1e-9).F1);
        // P: every earthquake's P peak is 0.9 and the noise trace's 0.95 is gated by detection, so P F1 is 1 for
        // 0.05..0.85 (0.9f is just below 0.9).
        Assert.Equal(0.45, choice.Thresholds.P, 12);
        // S: best F1 (1.0) needs all three S peaks (0.2, 0.35, 0.4): thresholds 0.05..0.20, middle 0.10.
        Assert.Equal(0.1, choice.Thresholds.S, 12);
        Assert.Equal(19, choice.S.Count);
        Assert.Contains("best", choice.Rule);
        Assert.Equal(ThresholdSearch.Rule, choice.Rule);
    }
}
