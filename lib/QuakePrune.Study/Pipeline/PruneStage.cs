using QuakePrune.Models;
using QuakePrune.Pruning;
using QuakePrune.Retraining;
using QuakePrune.Training;

namespace QuakePrune.Pipeline;

/// <summary>
/// Stage 04: the baseline pruned into each of the preset's variants (L2 at each ratio and scope, and the control's
/// criteria), each a new, smaller checkpoint.
/// </summary>
public static class PruneStage
{
    /// <summary>One pruned checkpoint per variant, in the preset's order.</summary>
    public static IReadOnlyList<PruneSummary> Run(Preset preset, StudyPaths paths) =>
        preset
            .Variants.Select(variant =>
                CheckpointPruning.Prune(paths.BaselineModel, variant.Pruning((long)preset.Seed), paths.Pruned(variant))
            )
            .ToArray();

    /// <summary>
    /// Dev accuracy when one unit alone (the stem, a stage's inner convolutions, a stage's residual stream, the head)
    /// is pruned at each ratio, without retraining; written to sensitivity.csv.
    /// </summary>
    public static IReadOnlyList<SensitivityRow> Sensitivity(
        Preset preset,
        StudyPaths paths,
        Action<SensitivityRow>? onRow = null
    )
    {
        using var loaded = Checkpoint.Load(paths.BaselineModel);
        loaded.Model.eval();
        using var data = ImageDataSets.OpenFor(SpectrogramStage.Images(preset, paths), loaded.Info);
        var rows = Retraining.Sensitivity.Run(
            loaded.Model,
            data,
            new SensitivityOptions { Ratios = preset.Ratios, FullScope = true },
            onRow
        );
        Retraining.Sensitivity.Write(paths.Sensitivity, rows);
        return rows;
    }
}
