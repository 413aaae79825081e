using QuakePrune.Retraining;
using QuakePrune.Training;

namespace QuakePrune.Pipeline;

/// <summary>Stage 05: each pruned model fine-tuned at a tenth of the training rate, scored before and after; the table of every variant.</summary>
public static class RetrainStage
{
    public static RetrainOptions Options(Preset preset, StudyPaths paths, double ratio, string scope) => new()
    {
        Model = paths.Pruned(ratio, scope),
        Data = paths.Spectrograms,
        OutputDirectory = paths.Retrained(ratio, scope),
        Epochs = preset.RetrainEpochs,
        LearningRate = preset.LearningRate * preset.RetrainRateFactor,
        BatchSize = preset.BatchSize,
        Seed = (long)preset.Seed,
        Device = preset.Device,
    };

    /// <summary>Retrains every pruned variant from its pruned checkpoint; earlier retraining of this run is replaced.</summary>
    public static IReadOnlyList<(string Variant, RetrainResult Result)> Run(Preset preset, StudyPaths paths, Action<string, EpochRecord>? onEpoch = null)
    {
        var results = new List<(string, RetrainResult)>();
        foreach (var scope in preset.Scopes)
            foreach (var ratio in preset.Ratios)
            {
                var variant = StudyPaths.Variant(ratio, scope);
                var options = Options(preset, paths, ratio, scope);
                if (Directory.Exists(options.OutputDirectory)) Directory.Delete(options.OutputDirectory, recursive: true);
                results.Add((variant, Retrainer.Retrain(options with { OnEpoch = onEpoch is null ? null : e => onEpoch(variant, e) })));
            }
        return results;
    }

    /// <summary>The baseline and every variant on the test split (before and after retraining), written as report.csv and report.json.</summary>
    public static VariantReport Report(Preset preset, StudyPaths paths)
    {
        var variants = new List<VariantSpec> { new("baseline", paths.BaselineModel) };
        foreach (var scope in preset.Scopes)
            foreach (var ratio in preset.Ratios)
            {
                var retrained = paths.Retrained(ratio, scope);
                variants.Add(new VariantSpec(StudyPaths.Variant(ratio, scope), paths.Pruned(ratio, scope), Directory.Exists(retrained) ? retrained : null));
            }
        using var data = ImageDataSets.Open(paths.Spectrograms);
        var report = VariantReport.Build(variants, data);
        report.Write(paths.Report);
        return report;
    }
}
