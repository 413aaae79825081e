using QuakePrune.Latency;
using QuakePrune.Retraining;

namespace QuakePrune.Pipeline;

/// <summary>
/// A stage of the study: its name on the command line (`pipeline --stages`) and the entries it writes in the run
/// folder.
/// </summary>
public sealed record StudyStage(string Name, IReadOnlyList<string> Entries)
{
    public static readonly StudyStage Subset = new("subset", ["data", "subset"]);
    public static readonly StudyStage Spectrograms = new("spectrograms", ["spectrograms.h5", "spectrograms.json"]);
    public static readonly StudyStage Baseline = new("baseline", ["baseline"]);
    public static readonly StudyStage Pruning = new("pruning", ["pruned", "sensitivity.csv"]);
    public static readonly StudyStage Retraining = new("retraining", ["retrained", "report.csv", "report.json"]);
    public static readonly StudyStage Latency = new("latency", ["latency.json", "latency.csv", "summary.csv"]);

    /// <summary>
    /// The EQTransformer study (notebook 07); it draws from the run's synthetic STEAD (data/), written first when
    /// absent.
    /// </summary>
    public static readonly StudyStage Picking = new("picking", ["eqtransformer"]);

    /// <summary>Every stage in order: the six of the ResNet study, then the EQTransformer study.</summary>
    public static IReadOnlyList<StudyStage> All { get; } =
    [Subset, Spectrograms, Baseline, Pruning, Retraining, Latency, Picking];

    /// <summary>
    /// The stages named in a comma-separated list ("all": every stage), in the study's order; unknown names are
    /// refused.
    /// </summary>
    public static IReadOnlyList<StudyStage> Parse(string names)
    {
        var wanted = names.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (wanted.Length == 0 || wanted.Contains("all", StringComparer.Ordinal))
            return All;
        foreach (var name in wanted)
            if (All.All(s => s.Name != name))
                throw new ArgumentException(
                    $"unknown stage '{name}' (stages: {string.Join(", ", All.Select(s => s.Name))}, or all)"
                );
        return All.Where(s => wanted.Contains(s.Name, StringComparer.Ordinal)).ToArray();
    }

    public override string ToString() => Name;
}

/// <summary>
/// The study's stages in order, as the notebooks run them, without the notebooks: `quakeprune pipeline`. Each stage
/// reads the previous stages' files from the run folder and writes its own there, so any of them can run alone on a
/// folder that holds the earlier ones (the picking stage needs none: it draws its own subset).
/// </summary>
public static class StudyPipeline
{
    public static StudyResults Run(
        Preset preset,
        StudyPaths paths,
        string steadPrefixes = "",
        Action<string>? log = null,
        IReadOnlyList<StudyStage>? stages = null
    )
    {
        log ??= _ => { };
        stages ??= StudyStage.All;
        bool Runs(StudyStage stage) => stages.Contains(stage);
        Directory.CreateDirectory(paths.Root);
        if (Runs(StudyStage.Subset))
        {
            var subset = SubsetStage.Run(preset, paths, steadPrefixes);
            log(
                $"01 subset: {subset.Total} traces ({subset.Earthquakes} earthquakes, {subset.Noise} noise) -> {paths.Subset}"
            );
        }
        if (Runs(StudyStage.Spectrograms))
        {
            var images = SpectrogramStage.Run(preset, paths);
            log(
                $"02 spectrograms: {images.Count} images of {string.Join("x", images.ImageShape)}{(images.OnTheFly ? ", computed on the fly," : "")} -> {images.OutputPath}"
            );
        }
        if (Runs(StudyStage.Baseline))
        {
            var baseline = BaselineStage.Train(preset, paths, e =>
                log($"03 baseline epoch {e.Epoch}: train accuracy {e.TrainAccuracy:0.000}, dev F1 {e.DevF1:0.000}")
            );
            var metrics = BaselineStage.Evaluate(preset, paths);
            log(
                $"03 baseline: best epoch {baseline.BestEpoch}, test accuracy {metrics.AtChosenThreshold.Accuracy:0.0000} -> {paths.BaselineModel}"
            );
        }
        if (Runs(StudyStage.Pruning))
        {
            foreach (var pruned in PruneStage.Run(preset, paths))
                log(
                    $"04 pruned {StudyVariant.Of(pruned.Options).Name}: {pruned.ParamsAfter:N0} parameters -> {pruned.Output}"
                );
            PruneStage.Sensitivity(preset, paths);
            log($"04 sensitivity -> {paths.Sensitivity}");
        }
        if (Runs(StudyStage.Retraining))
        {
            foreach (var (variant, result) in RetrainStage.Run(preset, paths))
                log(
                    $"05 retrained {variant}: test accuracy {result.Before.Test?.Accuracy:0.0000} -> {result.After.Test?.Accuracy:0.0000}"
                );
            RetrainStage.Report(preset, paths);
            log($"05 report -> {paths.Report}");
        }
        IReadOnlyList<SummaryRow>? summary = null;
        if (Runs(StudyStage.Latency))
        {
            var variants = LatencyStage.Models(preset, paths);
            var latency = LatencyStage.Run(preset, paths);
            log(LatencyBench.ToTable(latency));
            summary = StudySummary.Write(paths, VariantReport.Read(paths.Report), latency, variants);
            log($"06 summary -> {paths.Summary}");
        }
        var pickers = Runs(StudyStage.Picking) ? PickingStage.Run(preset, paths, steadPrefixes, log) : null;
        return new StudyResults(summary, pickers);
    }
}

/// <summary>
/// What a pipeline run ends with: the ResNet study's summary (when its latency stage ran) and the pickers' comparison
/// (when the picking stage ran).
/// </summary>
public sealed record StudyResults(IReadOnlyList<SummaryRow>? Summary, IReadOnlyList<PickerComparisonRow>? Pickers);
