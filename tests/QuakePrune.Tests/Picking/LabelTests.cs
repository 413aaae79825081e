using QuakePrune.Picking;
using QuakePrune.Stead;

namespace QuakePrune.Tests.Picking;

public class LabelTests
{
    private const int Samples = WaveformPreprocessing.Samples;

    private static (float[] Detection, float[] P, float[] S) Labels(TraceTruth truth, LabelSettings? settings = null)
    {
        var curves = (new float[Samples], new float[Samples], new float[Samples]);
        PhaseLabels.Write(
            truth,
            settings ?? new LabelSettings(),
            curves.Item1,
            curves.Item2,
            curves.Item3,
            "test-trace"
        );
        return curves;
    }

    [Fact]
    public void Detection_runs_from_P_to_the_coda_end_and_picks_are_gaussians_of_sigma_10_cut_at_20_samples()
    {
        var (detection, p, s) = Labels(new TraceTruth(true, 700, 1100, 2500));
        for (var t = 0; t < Samples; t++)
            Assert.Equal(t is >= 700 and < 2500 ? 1f : 0f, detection[t]);
        for (var t = 0; t < Samples; t++)
        {
            Assert.Equal(Math.Abs(t - 700) <= 20 ? (float)Math.Exp(-(t - 700) * (t - 700) / 200.0) : 0f, p[t]);
            Assert.Equal(Math.Abs(t - 1100) <= 20 ? (float)Math.Exp(-(t - 1100) * (t - 1100) / 200.0) : 0f, s[t]);
        }
        Assert.Equal(1f, p[700]);
        Assert.Equal((float)Math.Exp(-0.5), p[710]);
        Assert.Equal((float)Math.Exp(-2), s[1080]);
        Assert.Equal(0f, s[1121]);
    }

    [Fact]
    public void A_fractional_pick_centres_the_peak_between_samples()
    {
        var (_, p, _) = Labels(new TraceTruth(true, 700.5, null, 900));
        Assert.Equal(p[700], p[701]);
        Assert.Equal((float)Math.Exp(-0.25 / 200), p[700]);
    }

    [Fact]
    public void Everything_is_clipped_to_the_window()
    {
        var (detection, p, s) = Labels(new TraceTruth(true, -5, 5990, 7000));
        Assert.Equal(Samples, detection.Count(v => v == 1));
        Assert.Equal((float)Math.Exp(-25 / 200.0), p[0]);
        Assert.Equal(0f, p[16]);
        Assert.Equal(16, p.Count(v => v > 0));
        Assert.Equal(1f, s[5990]);
        Assert.Equal(20 + 1 + 9, s.Count(v => v > 0));
        var (_, far, _) = Labels(new TraceTruth(true, 1e12, null, 2e12));
        Assert.All(far, v => Assert.Equal(0f, v));
    }

    [Fact]
    public void A_missing_S_gives_no_S_curve_and_a_missing_P_starts_detection_at_S()
    {
        var (detection, p, s) = Labels(new TraceTruth(true, 800, null, 3000));
        Assert.All(s, v => Assert.Equal(0f, v));
        Assert.Equal(1f, p[800]);
        Assert.Equal(2200, detection.Count(v => v == 1));
        (detection, p, s) = Labels(new TraceTruth(true, null, 1200, 3000));
        Assert.All(p, v => Assert.Equal(0f, v));
        Assert.Equal(1f, s[1200]);
        Assert.Equal(0f, detection[1199]);
        Assert.Equal(1f, detection[1200]);
    }

    [Fact]
    public void Noise_is_all_zero_whatever_its_row_says()
    {
        var record = new SteadRecord
        {
            TraceCategory = TraceCategory.Noise,
            PArrivalSample = 700,
            SArrivalSample = 900,
            CodaEndSample = 2000,
        };
        var truth = TraceTruth.FromRecord(record);
        Assert.Equal(TraceTruth.Noise, truth);
        var (detection, p, s) = Labels(truth);
        Assert.All(detection.Concat(p).Concat(s), v => Assert.Equal(0f, v));
    }

    [Fact]
    public void NaN_picks_read_as_missing()
    {
        var record = new SteadRecord
        {
            TraceCategory = TraceCategory.EarthquakeLocal,
            PArrivalSample = 700,
            SArrivalSample = double.NaN,
            CodaEndSample = 2000,
        };
        Assert.Equal(new TraceTruth(true, 700, null, 2000), TraceTruth.FromRecord(record));
    }

    [Theory]
    [InlineData(-40.0, 900.0, "manual", "p_arrival_sample -40 lies before the window")]
    [InlineData(700.0, -5.0, "manual", "s_arrival_sample -5 lies before the window")]
    [InlineData(900.0, 700.0, "manual", "s_arrival_sample 700 is not after p_arrival_sample 900")]
    [InlineData(700.0, 700.0, "manual", "s_arrival_sample 700 is not after p_arrival_sample 700")]
    [InlineData(double.NaN, 900.0, "manual", "p_status is 'manual' but p_arrival_sample is NaN")]
    public void Impossible_picks_are_refused_naming_the_trace(double p, double s, string status, string expected)
    {
        var record = new SteadRecord
        {
            TraceCategory = TraceCategory.EarthquakeLocal,
            TraceName = "X.Y_1_EV",
            PArrivalSample = p,
            PStatus = status,
            SArrivalSample = s,
            CodaEndSample = 2000,
        };
        var e = Assert.Throws<InvalidDataException>(() => TraceTruth.FromRecord(record));
        Assert.Contains("trace 'X.Y_1_EV'", e.Message);
        Assert.Contains(expected, e.Message);
        // A pick the catalogue does not give (None) is no pick, not an impossible one.
        Assert.Equal(
            new TraceTruth(true, null, 900, 2000),
            TraceTruth.FromRecord(record with { PArrivalSample = null, SArrivalSample = 900 })
        );
    }

    [Fact]
    public void An_earthquake_that_cannot_be_labelled_is_refused_by_name()
    {
        var e = Assert.Throws<InvalidDataException>(() =>
            PhaseLabels.Check(new TraceTruth(true, null, null, 2000), "X.Y_1_EV")
        );
        Assert.Contains("'X.Y_1_EV'", e.Message);
        Assert.Contains("neither", e.Message);
        e = Assert.Throws<InvalidDataException>(() =>
            PhaseLabels.Check(new TraceTruth(true, 700, 900, null), "X.Y_2_EV")
        );
        Assert.Contains("coda_end_sample", e.Message);
        e = Assert.Throws<InvalidDataException>(() =>
            PhaseLabels.Check(new TraceTruth(true, 700, 900, 650), "X.Y_3_EV")
        );
        Assert.Contains("not after", e.Message);
        PhaseLabels.Check(TraceTruth.Noise, "noise");
    }

    [Fact]
    public void Other_widths_follow_the_settings_and_bad_ones_are_refused()
    {
        var (_, p, _) = Labels(
            new TraceTruth(true, 1000, null, 2000),
            new LabelSettings { PickSigma = 20, PickHalfWidth = 40 }
        );
        Assert.Equal(81, p.Count(v => v > 0));
        Assert.Equal((float)Math.Exp(-0.5), p[1020]);
        Assert.Throws<ArgumentException>(() => new LabelSettings { PickSigma = 0 }.Validate());
        Assert.Throws<ArgumentException>(() => new LabelSettings { PickSigma = double.NaN }.Validate());
        Assert.Throws<ArgumentException>(() => new LabelSettings { PickHalfWidth = -1 }.Validate());
    }
}
