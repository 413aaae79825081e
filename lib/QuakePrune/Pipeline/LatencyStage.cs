using QuakePrune.Latency;
using QuakePrune.Torch;

namespace QuakePrune.Pipeline;

/// <summary>Stage 06: every variant timed at batch 1, interleaved, with the GTX 1050 projection beside the measurement.</summary>
public static class LatencyStage
{
    /// <summary>The baseline, then each pruned variant (its retrained checkpoint when there is one: same widths, so same latency).</summary>
    public static IReadOnlyList<(string Variant, string Model)> Models(Preset preset, StudyPaths paths)
    {
        var models = new List<(string, string)> { ("baseline", paths.BaselineModel) };
        foreach (var scope in preset.Scopes)
            foreach (var ratio in preset.Ratios)
            {
                var retrained = Path.Combine(paths.Retrained(ratio, scope), "model.safetensors");
                models.Add((StudyPaths.Variant(ratio, scope), File.Exists(retrained) ? retrained : paths.Pruned(ratio, scope)));
            }
        return models;
    }

    public static BenchOptions Options(Preset preset, StudyPaths paths) => new()
    {
        Models = Models(preset, paths).Select(m => m.Model).ToArray(),
        Size = preset.BenchSize,
        Threads = preset.BenchThreads,
        Device = Device.Parse(preset.Device),
        Warmup = preset.BenchWarmup,
        Runs = preset.BenchRuns,
        Interleave = true,
        Project = "gtx1050",
    };

    /// <summary>Times the variants and writes latency.json (and latency.csv) in the run folder.</summary>
    public static BenchReport Run(Preset preset, StudyPaths paths, Action<string>? log = null)
    {
        var report = LatencyBench.Run(Options(preset, paths) with { Log = log });
        LatencyBench.Write(report, paths.Latency);
        return report;
    }
}
