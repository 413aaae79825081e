using QuakePrune.Models;
using QuakePrune.Pruning;
using QuakePrune.Retraining;
using QuakePrune.Training;

namespace QuakePrune.Pipeline;

/// <summary>
/// Stage 05: each pruned model fine-tuned alike at a tenth of the training rate, scored before and after; the table of
/// every variant.
/// </summary>
public static class RetrainStage
{
    /// <summary>
    /// How a variant is retrained: <paramref name="replicate"/> k uses seed <see cref="Preset.Seed"/> + k (shuffling
    /// and dropout).
    /// </summary>
    public static RetrainOptions Options(Preset preset, StudyPaths paths, StudyVariant variant, int replicate = 0) =>
        new()
        {
            Model = paths.Pruned(variant),
            Data = SpectrogramStage.Images(preset, paths),
            OutputDirectory = paths.Retrained(variant, preset, replicate),
            Epochs = preset.RetrainEpochs,
            LearningRate = preset.LearningRate * preset.RetrainRateFactor,
            BatchSize = preset.BatchSize,
            Seed = (long)(preset.Seed + (ulong)replicate),
            Device = preset.Device,
        };

    /// <summary>
    /// Retrains every pruned variant from its pruned checkpoint, <see cref="Preset.RetrainSeeds"/> times with
    /// successive seeds; earlier retraining of this run is replaced. The results are the first seed's (the study's
    /// own); the variant's name carries "-seed&lt;seed&gt;" for the others.
    /// </summary>
    public static IReadOnlyList<(string Variant, RetrainResult Result)> Run(
        Preset preset,
        StudyPaths paths,
        Action<string, EpochRecord>? onEpoch = null
    )
    {
        if (preset.RetrainSeeds < 1)
            throw new ArgumentException($"preset '{preset.Name}': {preset.RetrainSeeds} retraining seeds (at least 1)");
        // Only what this stage writes is replaced: each variant's folder and its other seeds' (of any earlier seed
        // count).
        foreach (var variant in preset.Variants)
        {
            var folder = paths.Retrained(variant);
            if (Directory.Exists(folder))
                Directory.Delete(folder, recursive: true);
            var parent = Path.GetDirectoryName(folder)!;
            if (!Directory.Exists(parent))
                continue;
            foreach (var seeded in Directory.EnumerateDirectories(parent, $"{variant.Name}-seed*"))
                if (ulong.TryParse(Path.GetFileName(seeded)[(variant.Name.Length + "-seed".Length)..], out _))
                    Directory.Delete(seeded, recursive: true);
        }
        var results = new List<(string, RetrainResult)>();
        for (var replicate = 0; replicate < preset.RetrainSeeds; replicate++)
            foreach (var variant in preset.Variants)
            {
                var options = Options(preset, paths, variant, replicate);
                var name = replicate == 0 ? variant.Name : Path.GetFileName(options.OutputDirectory);
                results.Add(
                    (name, Retrainer.Retrain(options with { OnEpoch = onEpoch is null ? null : e => onEpoch(name, e) }))
                );
            }
        return results;
    }

    /// <summary>
    /// The baseline and every variant on the test split (straight after pruning, after batch-norm recalibration, after
    /// retraining), each compared with the baseline and each control criterion with L2 at the same ratio and scope,
    /// written as report.csv and report.json.
    /// </summary>
    public static VariantReport Report(Preset preset, StudyPaths paths, Action<VariantRow>? onRow = null)
    {
        var variants = new List<VariantSpec> { new("baseline", paths.BaselineModel) };
        foreach (var variant in preset.Variants)
        {
            var retrained = paths.Retrained(variant);
            var l2 = variant with { Importance = StudyVariant.Paper };
            var replicates = Enumerable
                .Range(1, Math.Max(0, preset.RetrainSeeds - 1))
                .Select(k => paths.Retrained(variant, preset, k))
                .Where(Directory.Exists)
                .ToArray();
            variants.Add(
                new VariantSpec(
                    variant.Name,
                    paths.Pruned(variant),
                    Directory.Exists(retrained) ? retrained : null,
                    variant.Importance != StudyVariant.Paper && preset.Variants.Contains(l2) ? l2.Name : null,
                    replicates
                )
            );
        }
        using var data = ImageDataSets.OpenFor(
            SpectrogramStage.Images(preset, paths),
            Checkpoint.ReadInfo(paths.BaselineModel)
        );
        var report = VariantReport.Build(
            variants,
            data,
            new VariantReportOptions
            {
                Recalibration =
                    preset.RecalibrationBatches > 0
                        ? new RecalibrationOptions(preset.RecalibrationBatches, preset.BatchSize, preset.Seed)
                        : null,
                OnRow = onRow,
            }
        );
        report.Write(paths.Report);
        return report;
    }
}
