using QuakePrune.Inference;
using QuakePrune.Latency;
using QuakePrune.Models;
using QuakePrune.Pipeline;

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
        var p = PaperProjection.Gtx1050();
        var baseline = ModelCost.Of(ResNetArchitecture.ResNet50(), 224, 224);
        Assert.Equal(22.45, p.ProjectMs(baseline), 6);
        Assert.InRange(p.Efficiency, 0.01, 1.0);
        Assert.True(p.OverheadMsPerLayer >= 0);
    }

    [Fact]
    public void Projection_grows_with_input_area()
    {
        var p = PaperProjection.Gtx1050();
        var a = ResNetArchitecture.ResNet50();
        var at224 = p.ProjectMs(ModelCost.Of(a, 224, 224));
        Assert.True(p.ProjectMs(ModelCost.Of(a, 448, 448)) > at224);
        Assert.True(p.ProjectMs(ModelCost.Of(a, 64, 64)) < at224);
    }

    private static (List<(int Subject, bool Timed)> Calls, IReadOnlyList<double>[] Times) Schedule(
        int subjects,
        int warmup,
        int runs,
        double? seconds,
        bool interleave,
        Func<int, double>? ms = null
    )
    {
        var calls = new List<(int, bool)>();
        var counts = new int[subjects];
        var times = LatencyBench.Measure(
            subjects,
            k =>
            {
                counts[k]++;
                calls.Add((k, counts[k] > warmup));
                return ms?.Invoke(k) ?? 1.0;
            },
            warmup,
            runs,
            seconds,
            interleave
        );
        return (calls, times);
    }

    [Fact]
    public void Interleaved_measurement_goes_round_by_round_after_warm_up_rounds()
    {
        var (calls, times) = Schedule(3, warmup: 2, runs: 2, seconds: null, interleave: true);
        Assert.Equal([0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2], calls.Select(c => c.Subject));
        Assert.Equal(
            [false, false, false, false, false, false, true, true, true, true, true, true],
            calls.Select(c => c.Timed)
        );
        Assert.All(times, t => Assert.Equal(2, t.Count));
    }

    [Fact]
    public void Sequential_measurement_finishes_one_subject_before_the_next()
    {
        var (calls, _) = Schedule(2, warmup: 1, runs: 2, seconds: null, interleave: false);
        Assert.Equal([0, 0, 0, 1, 1, 1], calls.Select(c => c.Subject));
        Assert.Equal([false, true, true, false, true, true], calls.Select(c => c.Timed));
    }

    [Fact]
    public void Timed_by_seconds_a_slow_subject_drops_out_of_the_rounds_first()
    {
        // Subject 0 takes 10 ms a call, subject 1 takes 1 ms: 20 ms of timing each means 2 and 20 calls.
        var (calls, times) = Schedule(2, warmup: 0, runs: 1, seconds: 0.02, interleave: true, ms: k => k == 0 ? 10 : 1);
        Assert.Equal(2, times[0].Count);
        Assert.Equal(20, times[1].Count);
        Assert.Equal([0, 1, 0, 1, 1], calls.Take(5).Select(c => c.Subject));
    }

    [Fact]
    public void A_batch_multiplies_arithmetic_and_activations_but_reads_the_weights_once()
    {
        var one = ModelCost.Of(ResNetArchitecture.ResNet50(), 64, 64);
        var four = LatencyBench.ForBatch(one, 4);
        Assert.Equal(4 * one.Macs, four.Macs);
        Assert.Equal(one.Params, four.Params);
        Assert.Equal(one.Layers.Sum(l => l.WeightBytes) + 4 * one.Layers.Sum(l => l.ActivationBytes), four.Bytes);
        var projection = PaperProjection.Gtx1050();
        Assert.True(projection.ProjectMs(four) > projection.ProjectMs(one));
    }

    [Fact]
    public void Path_names_round_trip()
    {
        foreach (var path in Enum.GetValues<InferencePath>())
            Assert.Equal(path, LatencyBench.ParsePath(LatencyBench.PathName(path)));
        Assert.Null(LatencyBench.ParsePath("auto"));
        Assert.Throws<ArgumentException>(() => LatencyBench.ParsePath("fast"));
    }

    [Fact]
    public void Table_names_are_the_shortest_endings_that_tell_the_models_apart()
    {
        var names = LatencyBench.ShortNames([
            "/runs/quick/baseline/model.safetensors",
            "/runs/quick/retrained/prune90/model.safetensors",
            "/tmp/p50.safetensors",
        ]);
        Assert.Equal("baseline/model.safetensors", names["/runs/quick/baseline/model.safetensors"]);
        Assert.Equal("prune90/model.safetensors", names["/runs/quick/retrained/prune90/model.safetensors"]);
        Assert.Equal("p50.safetensors", names["/tmp/p50.safetensors"]);
    }

    [Fact]
    public void Gpu_clocks_are_read_from_nvidia_smis_four_numbers_or_not_at_all()
    {
        Assert.Equal(
            "SM 1392 MHz (max 1911), memory 3504 MHz (max 3504)",
            LatencyBench.ParseGpuClocks("1392, 1911, 3504, 3504\n")
        );
        Assert.Null(LatencyBench.ParseGpuClocks("[N/A], 1911, 3504, 3504"));
        Assert.Null(LatencyBench.ParseGpuClocks("1392, 1911"));
        Assert.Null(LatencyBench.ParseGpuClocks(""));
    }
}
