using QuakePrune.Latency;
using QuakePrune.Torch;
using QuakePrune.Training;

namespace QuakePrune.Pipeline;

/// <summary>
/// Stage 06: every variant timed at batch 1, interleaved, with the GTX 1050 projection beside the measurement.
/// </summary>
public static class LatencyStage
{
    /// <summary>
    /// The baseline, then each L2 variant (its retrained checkpoint when there is one: same widths, so same latency).
    /// The control's variants have the widths of the L2 variant at their ratio (every group keeps the same count,
    /// whatever ranks the channels), so they are not timed again; the summary gives them that variant's latency.
    /// </summary>
    public static IReadOnlyList<(string Variant, string Model)> Models(Preset preset, StudyPaths paths)
    {
        var models = new List<(string, string)> { ("baseline", paths.BaselineModel) };
        foreach (var variant in preset.Variants.Where(v => v.Importance == StudyVariant.Paper))
        {
            var retrained = Path.Combine(paths.Retrained(variant), Trainer.ModelFileName);
            models.Add((variant.Name, File.Exists(retrained) ? retrained : paths.Pruned(variant)));
        }
        return models;
    }

    /// <summary>
    /// The engine whose figures the study reports (summary, projection, speed-ups): our prepared fast path.
    /// </summary>
    public const string Ours = "fast";

    /// <summary>
    /// Every variant timed on our prepared path, our plain module and (on the CPU) ONNX Runtime on the exported model,
    /// interleaved; the study's figures are ours (<see cref="Ours"/>), the others stand beside them in notebook 06.
    /// </summary>
    public static BenchOptions Options(Preset preset, StudyPaths paths) =>
        new()
        {
            Engine =
                preset.Device.type == DeviceType.CPU
                    ? BenchEngine.Fast | BenchEngine.Eager | BenchEngine.OnnxRuntime
                    : BenchEngine.Fast | BenchEngine.Eager,
            Models = Models(preset, paths).Select(m => m.Model).ToArray(),
            Size = preset.BenchSize,
            Threads = preset.BenchThreads,
            Device = preset.Device,
            Warmup = preset.BenchWarmup,
            Runs = preset.BenchRuns,
            Interleave = true,
            Projection = PaperProjection.Gtx1050(),
        };

    /// <summary>Times the variants and writes latency.json (and latency.csv) in the run folder.</summary>
    public static BenchReport Run(Preset preset, StudyPaths paths, Action<string>? log = null)
    {
        var report = LatencyBench.Run(Options(preset, paths) with { Log = log });
        LatencyBench.Write(report, paths.Latency);
        return report;
    }
}
