using QuakePrune.Models;
using QuakePrune.Pruning;
using QuakePrune.Retraining;
using QuakePrune.Training;

namespace QuakePrune.Pipeline;

/// <summary>Stage 04: the baseline pruned by L2 norm at each of the preset's ratios and scopes, each a new, smaller checkpoint.</summary>
public static class PruneStage
{
    public static PruningOptions Options(double ratio, string scope) =>
        new(ratio, Enum.Parse<PruningScope>(scope, ignoreCase: true));

    public static string ScopeName(PruningScope scope) => scope.ToString().ToLowerInvariant();

    /// <summary>One pruned checkpoint per ratio and scope, in the preset's order (full scope first).</summary>
    public static IReadOnlyList<PruneSummary> Run(Preset preset, StudyPaths paths) =>
        preset.Scopes.SelectMany(scope => preset.Ratios.Select(ratio =>
            CheckpointPruning.Prune(paths.BaselineModel, Options(ratio, scope), paths.Pruned(ratio, scope)))).ToArray();

    /// <summary>
    /// Dev accuracy when one unit alone (the stem, a stage's inner convolutions, a stage's residual stream, the head) is pruned
    /// at each ratio, without retraining; written to sensitivity.csv.
    /// </summary>
    public static IReadOnlyList<SensitivityRow> Sensitivity(Preset preset, StudyPaths paths, Action<SensitivityRow>? onRow = null)
    {
        using var loaded = Checkpoint.Load(paths.BaselineModel);
        loaded.Model.eval();
        using var data = ImageDataSets.Open(paths.Spectrograms);
        var rows = Retraining.Sensitivity.Run(loaded.Model, data, new SensitivityOptions { Ratios = preset.Ratios, FullScope = true }, onRow);
        Retraining.Sensitivity.Write(paths.Sensitivity, rows);
        return rows;
    }
}
