using QuakePrune.Pruning;

namespace QuakePrune.Pipeline;

/// <summary>Stage 04: the baseline pruned by L2 norm at each of the preset's ratios and scopes, each a new, smaller checkpoint.</summary>
public static class PruneStage
{
    public static PruningOptions Options(double ratio, string scope) =>
        new(ratio, Enum.Parse<PruningScope>(scope, ignoreCase: true));

    /// <summary>One pruned checkpoint per ratio and scope, in the preset's order (full scope first).</summary>
    public static IReadOnlyList<PruneSummary> Run(Preset preset, StudyPaths paths) =>
        preset.Scopes.SelectMany(scope => preset.Ratios.Select(ratio =>
            CheckpointPruning.Prune(paths.BaselineModel, Options(ratio, scope), paths.Pruned(ratio, scope)))).ToArray();
}
