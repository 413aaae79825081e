using System.Diagnostics;
using QuakePrune.Inference;
using QuakePrune.Models;
using QuakePrune.Torch;
using static QuakePrune.Torch.torch;

namespace QuakePrune.Latency;

/// <summary>The median time of one forward of a checkpoint's network at one batch size (every output computed).</summary>
public sealed record ForwardTiming(string Model, int Batch, int Threads, int Runs, double MedianMs)
{
    public double PerInputMs => MedianMs / Batch;
}

/// <summary>
/// Latency of the plain module forward (<see cref="Network.ForwardAll"/>, eval mode, inference mode) of any checkpoint at its own
/// input shape: what a network of several outputs (a waveform picker's curves) runs, where the image fast path does not apply.
/// Models and batches are timed interleaved (round after round), so drift on a shared machine hits each alike.
/// </summary>
public static class ForwardLatency
{
    public static IReadOnlyList<ForwardTiming> Measure(IReadOnlyList<string> models, IReadOnlyList<int> batches, int threads, int warmup, int runs)
    {
        if (models.Count == 0) throw new ArgumentException("no models given");
        if (batches.Count == 0 || batches.Any(b => b < 1)) throw new ArgumentException($"batch sizes must be positive, got [{string.Join(", ", batches)}]");
        if (threads < 1 || warmup < 0 || runs < 1) throw new ArgumentException($"threads {threads} and runs {runs} must be positive, warm-up {warmup} not negative");
        foreach (var path in models) Checkpoint.ReadInfo(path);
        set_num_threads(threads);
        keep_freed_cpu_memory();
        var owned = new List<IDisposable>();
        try
        {
            var subjects = new List<(string Model, int Batch, Network Network, Tensor Input)>();
            foreach (var path in models)
            {
                var loaded = Checkpoint.Load(path);
                owned.Add(loaded);
                loaded.Model.eval();
                foreach (var batch in batches)
                {
                    var shape = loaded.Info.InputShape;
                    shape[0] = batch;
                    var input = randn(shape);
                    owned.Add(input);
                    subjects.Add((path, batch, loaded.Model, input));
                }
            }
            var times = LatencyBench.Measure(subjects.Count, k =>
            {
                var clock = Stopwatch.StartNew();
                using (NewDisposeScope())
                using (inference_mode())
                    subjects[k].Network.ForwardAll(subjects[k].Input);
                return clock.Elapsed.TotalMilliseconds;
            }, warmup, runs, null, interleave: true);
            return subjects.Select((s, k) => new ForwardTiming(s.Model, s.Batch, threads, times[k].Count, LatencyStatistics.Of(times[k]).MedianMs)).ToArray();
        }
        finally
        {
            for (var k = owned.Count - 1; k >= 0; k--) owned[k].Dispose();
        }
    }
}
