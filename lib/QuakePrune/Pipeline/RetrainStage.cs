using QuakePrune.Retraining;
using QuakePrune.Training;

namespace QuakePrune.Pipeline;

/// <summary>Stage 05: each pruned model fine-tuned alike at a tenth of the training rate, scored before and after; the table of every variant.</summary>
public static class RetrainStage
{
    public static RetrainOptions Options(Preset preset, StudyPaths paths, StudyVariant variant) => new()
    {
        Model = paths.Pruned(variant),
        Data = paths.Spectrograms,
        OutputDirectory = paths.Retrained(variant),
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
        foreach (var variant in preset.Variants)
        {
            var options = Options(preset, paths, variant);
            if (Directory.Exists(options.OutputDirectory)) Directory.Delete(options.OutputDirectory, recursive: true);
            results.Add((variant.Name, Retrainer.Retrain(options with { OnEpoch = onEpoch is null ? null : e => onEpoch(variant.Name, e) })));
        }
        return results;
    }

    /// <summary>The baseline and every variant on the test split (before and after retraining), written as report.csv and report.json.</summary>
    public static VariantReport Report(Preset preset, StudyPaths paths)
    {
        var variants = new List<VariantSpec> { new("baseline", paths.BaselineModel) };
        foreach (var variant in preset.Variants)
        {
            var retrained = paths.Retrained(variant);
            variants.Add(new VariantSpec(variant.Name, paths.Pruned(variant), Directory.Exists(retrained) ? retrained : null));
        }
        using var data = ImageDataSets.Open(paths.Spectrograms);
        var report = VariantReport.Build(variants, data);
        report.Write(paths.Report);
        return report;
    }
}
