using QuakePrune.Models;
using QuakePrune.Pruning;
using QuakePrune.Retraining;

namespace QuakePrune.Pipeline;

/// <summary>
/// Of the channels L2 keeps at <see cref="Ratio"/> (full scope), the fraction <see cref="Importance"/> keeps too.
/// </summary>
public sealed record Agreement(string Importance, double Ratio, double Shared);

/// <summary>
/// One cell of the control experiment: a criterion at a ratio (full scope), its test scores straight after pruning (at
/// p &gt;= 0.5, at its dev-chosen threshold, and after batch-norm recalibration) and after retraining, and McNemar's
/// test of the retrained model against L2's at the same ratio (null for L2 itself).
/// </summary>
public sealed record ControlRow(
    string Importance,
    double Ratio,
    string Variant,
    long Params,
    SplitMetrics Pruned,
    SplitMetrics? PrunedAtDevThreshold,
    SplitMetrics? Recalibrated,
    SplitMetrics? Retrained,
    PairedTest? VersusL2
);

/// <summary>
/// The question of Liu et al. ("Rethinking the value of network pruning", ICLR 2019) asked of the paper: does ranking
/// filters by L2 norm beat ranking them by L1 norm, by batch-norm scale, or at random, once each pruned network is
/// retrained alike? Every criterion prunes the same baseline to the same widths (full scope, local ranking), so only
/// which channels survive differs.
/// </summary>
public static class ControlExperiment
{
    /// <summary>The criteria compared: L2 (the paper's) first, then the preset's controls.</summary>
    public static IReadOnlyList<string> Criteria(Preset preset) => [StudyVariant.Paper, .. preset.ControlImportances];

    /// <summary>
    /// The full-scope rows of the report, by criterion then ratio; a variant missing from the report is left out.
    /// </summary>
    public static IReadOnlyList<ControlRow> Rows(Preset preset, VariantReport report) =>
        Criteria(preset)
            .SelectMany(importance =>
                preset.Ratios.Select(ratio => new StudyVariant(ratio, PruningScope.Full, importance))
            )
            .Select(variant => (variant, row: report.Rows.FirstOrDefault(r => r.Variant == variant.Name)))
            .Where(x => x.row is not null)
            .Select(x => new ControlRow(
                x.variant.Importance,
                x.variant.Ratio,
                x.variant.Name,
                x.row!.Params,
                x.row.Before,
                x.row.BeforeAtDevThreshold,
                x.row.Recalibrated,
                x.row.After,
                x.row.VersusReference
            ))
            .ToArray();

    /// <summary>
    /// How far each control criterion chooses the channels L2 chooses, at each ratio, before any retraining: 1 means
    /// the same channels; random ranking shares about (1 - ratio) of them by chance.
    /// </summary>
    public static IReadOnlyList<Agreement> Agreements(Preset preset, string model)
    {
        using var loaded = Checkpoint.Load(model);
        var groups = DependencyGroups.Of(loaded.Info.Architecture);
        var kept = Criteria(preset)
            .ToDictionary(
                c => c,
                c =>
                {
                    var scores = Pruner.Scores(loaded.Model, groups, Importances.Named(c, (long)preset.Seed));
                    return preset.Ratios.ToDictionary(
                        r => r,
                        r => PruningPlan.Create(groups, scores, new PruningOptions(r)).Kept
                    );
                }
            );
        return preset
            .ControlImportances.SelectMany(c =>
                preset.Ratios.Select(r =>
                {
                    var l2 = kept[StudyVariant.Paper][r];
                    var shared = groups.Sum(g => kept[c][r][g.Name].Intersect(l2[g.Name]).Count());
                    return new Agreement(c, r, (double)shared / groups.Sum(g => l2[g.Name].Length));
                })
            )
            .ToArray();
    }
}
