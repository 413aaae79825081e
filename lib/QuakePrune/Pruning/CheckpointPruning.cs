using System.Globalization;
using QuakePrune.Models;
using QuakePrune.Training;

namespace QuakePrune.Pruning;

/// <summary>Width of one group before and after pruning.</summary>
public sealed record GroupWidth(string Group, GroupKind Kind, int Before, int After);

/// <summary>What pruning one checkpoint did.</summary>
/// <param name="RecalibratedImages">The images that re-estimated the batch norms' statistics; null when they were not recalibrated.</param>
public sealed record PruneSummary(
    string Source, string Output, PruningOptions Options, long ParamsBefore, long ParamsAfter, long MacsBefore, long MacsAfter,
    IReadOnlyList<GroupWidth> Widths, int? RecalibratedImages = null);

/// <summary>Prunes a checkpoint file into a new checkpoint file: the verb `quakeprune prune` and the fourth notebook.</summary>
public static class CheckpointPruning
{
    public const string ImportanceNote = "pruning.importance";

    /// <summary>The provenance a pruned checkpoint records: source, ratio, scope, ranking, rounding and the criterion with its settings.</summary>
    public static ModelInfo Record(ModelInfo info, string source, PruningOptions options)
    {
        var recorded = info
            .With("pruning.source", Path.GetFileName(source))
            .With("pruning.ratio", options.Ratio.ToString("R", CultureInfo.InvariantCulture))
            .With("pruning.scope", options.Scope.ToString().ToLowerInvariant())
            .With("pruning.ranking", options.Ranking.ToString().ToLowerInvariant())
            .With("pruning.min_keep", options.MinKeep.ToString(CultureInfo.InvariantCulture))
            .With("pruning.round_to", options.RoundTo.ToString(CultureInfo.InvariantCulture))
            .With(ImportanceNote, options.Importance.Name);
        foreach (var (key, value) in options.Importance.Settings) recorded = recorded.With($"{ImportanceNote}.{key}", value);
        return recorded;
    }

    /// <summary>
    /// Prunes <paramref name="source"/> into <paramref name="output"/>; with <paramref name="recalibration"/>, the pruned network's
    /// batch-norm statistics are re-estimated on that data before it is saved (<see cref="BatchNormRecalibration"/>) and recorded.
    /// </summary>
    public static PruneSummary Prune(string source, PruningOptions options, string output,
        (IImageDataSet Data, RecalibrationOptions Options)? recalibration = null)
    {
        options.Validate();
        recalibration?.Options.Validate();
        using var loaded = Checkpoint.Load(source);
        loaded.Model.eval();
        var (pruned, plan) = Pruner.Prune(loaded.Model, options);
        int? recalibrated = null;
        using (pruned)
        {
            var info = Record(loaded.Info with { Architecture = pruned.Architecture }, source, options);
            if (recalibration is (var data, var recalibrationOptions))
            {
                recalibrated = BatchNormRecalibration.Recalibrate(pruned, data, recalibrationOptions);
                info = BatchNormRecalibration.Record(info, data, recalibrationOptions, recalibrated.Value);
            }
            Checkpoint.Save(pruned, info, output);
        }
        var before = ModelCost.Of(loaded.Info);
        var after = ModelCost.Of(plan.Apply(loaded.Info.Architecture), loaded.Info.InputShape);
        return new PruneSummary(source, output, options, before.Params, after.Params, before.Macs, after.Macs,
            plan.Groups.Select(g => new GroupWidth(g.Name, g.Kind, g.Channels, plan.Kept[g.Name].Length)).ToArray(), recalibrated);
    }
}
