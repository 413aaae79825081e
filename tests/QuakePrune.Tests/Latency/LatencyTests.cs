using QuakePrune.Latency;
using QuakePrune.Models;

namespace QuakePrune.Tests.Latency;

public class LatencyTests
{
    [Fact]
    public void Statistics_of_a_known_sample_match_numpy()
    {
        // numpy: median 5.5, percentile 90 -> 9.1, percentile 99 -> 9.91, mean 5.5, std (ddof=0) 2.8722813232690143
        var s = LatencyStatistics.Of([10, 1, 9, 2, 8, 3, 7, 4, 6, 5]);
        Assert.Equal(5.5, s.MedianMs, 12);
        Assert.Equal(9.1, s.P90Ms, 12);
        Assert.Equal(9.91, s.P99Ms, 12);
        Assert.Equal(5.5, s.MeanMs, 12);
        Assert.Equal(2.8722813232690143, s.StdMs, 12);
        Assert.Equal(1, s.MinMs);
        Assert.Equal(10, s.Runs);
    }

    [Fact]
    public void One_sample_is_its_own_summary()
    {
        var s = LatencyStatistics.Of([3.25]);
        Assert.Equal((3.25, 3.25, 3.25, 0.0), (s.MedianMs, s.P99Ms, s.MeanMs, s.StdMs));
    }

    [Fact]
    public void Empty_or_bad_samples_are_refused()
    {
        Assert.Throws<ArgumentException>(() => LatencyStatistics.Of([]));
        Assert.Throws<ArgumentException>(() => LatencyStatistics.Of([1, double.NaN]));
    }

    [Fact]
    public void Projection_reproduces_its_two_calibration_points_and_is_physical()
    {
        var p = GpuProjection.PaperGtx1050();
        var baseline = ModelCost.Of(ResNetArchitecture.ResNet50(), 224, 224);
        Assert.Equal(22.45, p.ProjectMs(baseline), 6);
        Assert.InRange(p.Efficiency, 0.01, 1.0);
        Assert.True(p.OverheadMsPerLayer >= 0);
    }

    [Fact]
    public void Projection_grows_with_input_area()
    {
        var p = GpuProjection.PaperGtx1050();
        var a = ResNetArchitecture.ResNet50();
        var at224 = p.ProjectMs(ModelCost.Of(a, 224, 224));
        Assert.True(p.ProjectMs(ModelCost.Of(a, 448, 448)) > at224);
        Assert.True(p.ProjectMs(ModelCost.Of(a, 64, 64)) < at224);
    }
}
