using QuakePrune.Latency;
using QuakePrune.Retraining;

namespace QuakePrune.Pipeline;

/// <summary>
/// The six stages in order, as the notebooks run them, without the notebooks: `quakeprune pipeline`. Each stage reads the
/// previous stage's files from the run folder and writes its own there.
/// </summary>
public static class StudyPipeline
{
    public static IReadOnlyList<SummaryRow> Run(Preset preset, StudyPaths paths, string steadPrefixes = "", Action<string>? log = null)
    {
        log ??= _ => { };
        Directory.CreateDirectory(paths.Root);
        var subset = SubsetStage.Run(preset, paths, steadPrefixes);
        log($"01 subset: {subset.Total} traces ({subset.Earthquakes} earthquakes, {subset.Noise} noise) -> {paths.Subset}");
        var images = SpectrogramStage.Run(preset, paths);
        log($"02 spectrograms: {images.Count} images of {string.Join("x", images.ImageShape)} -> {paths.Spectrograms}");
        var baseline = BaselineStage.Train(preset, paths, e => log($"03 baseline epoch {e.Epoch}: train accuracy {e.TrainAccuracy:0.000}, dev F1 {e.DevF1:0.000}"));
        var metrics = BaselineStage.Evaluate(paths);
        log($"03 baseline: best epoch {baseline.BestEpoch}, test accuracy {metrics.AtChosenThreshold.Accuracy:0.0000} -> {paths.BaselineModel}");
        foreach (var pruned in PruneStage.Run(preset, paths))
            log($"04 pruned {StudyVariant.Of(pruned.Options).Name}: {pruned.ParamsAfter:N0} parameters -> {pruned.Output}");
        PruneStage.Sensitivity(preset, paths);
        log($"04 sensitivity -> {paths.Sensitivity}");
        foreach (var (variant, result) in RetrainStage.Run(preset, paths))
            log($"05 retrained {variant}: test accuracy {result.Before.Test?.Accuracy:0.0000} -> {result.After.Test?.Accuracy:0.0000}");
        var report = RetrainStage.Report(preset, paths);
        log($"05 report -> {paths.Report}");
        var variants = LatencyStage.Models(preset, paths);
        var latency = LatencyStage.Run(preset, paths);
        log(LatencyBench.ToTable(latency));
        var summary = StudySummary.Write(paths, report, latency, variants);
        log($"06 summary -> {paths.Summary}");
        return summary;
    }
}
