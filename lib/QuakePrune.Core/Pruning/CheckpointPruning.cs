using System.Globalization;
using QuakePrune.Models;

namespace QuakePrune.Pruning;

/// <summary>Width of one group before and after pruning.</summary>
public sealed record GroupWidth(string Group, GroupKind Kind, int Before, int After);

/// <summary>What pruning one checkpoint did.</summary>
/// <param name="RatioAchieved">The fraction of the channels in scope that was removed; below the asked ratio where
/// --min-keep or --round-to keep more.</param>
/// <param name="CumulativeRatio">The fraction removed since the unpruned network, when the source was itself pruned;
/// null otherwise.</param>
/// <param name="RecalibratedImages">The images that re-estimated the batch norms' statistics; null when they were not
/// recalibrated.</param>
public sealed record PruneSummary(
    string Source,
    string Output,
    PruningOptions Options,
    long ParamsBefore,
    long ParamsAfter,
    long MacsBefore,
    long MacsAfter,
    IReadOnlyList<GroupWidth> Widths,
    double RatioAchieved,
    double? CumulativeRatio,
    int? RecalibratedImages = null
)
{
    /// <summary>Whether fewer channels were removed than asked (by more than one channel in a hundred).</summary>
    public bool ShortOfRatio => RatioAchieved < Options.Ratio - 0.01;
}

/// <summary>
/// Prunes a checkpoint file into a new checkpoint file: the verb `quakeprune prune` and the fourth notebook.
/// </summary>
public static class CheckpointPruning
{
    public const string ImportanceNote = "pruning.importance";
    public const string RatioNote = "pruning.ratio";
    public const string RatioAchievedNote = "pruning.ratio_achieved";
    public const string CumulativeRatioNote = "pruning.cumulative_ratio";

    /// <summary>
    /// The fraction of the in-scope channels a plan removes (the groups <paramref name="options"/> covers).
    /// </summary>
    public static double RatioAchieved(PruningPlan plan, PruningOptions options)
    {
        var inScope = plan.Groups.Where(options.Covers).ToArray();
        var channels = inScope.Sum(g => (long)g.Channels);
        return channels == 0 ? 0 : 1 - (double)inScope.Sum(g => (long)plan.Kept[g.Name].Length) / channels;
    }

    /// <summary>
    /// <paramref name="info"/> with the total removed since the unpruned network recorded
    /// (<see cref="CumulativeRatio"/>) when <paramref name="source"/> was pruned already, and without such a note
    /// otherwise (it would be the source's, not this model's).
    /// </summary>
    public static ModelInfo RecordCumulative(ModelInfo info, ModelInfo source, double ratio) =>
        CumulativeRatio(source, ratio) is { } total
            ? info.With(CumulativeRatioNote, total.ToString("R", CultureInfo.InvariantCulture))
            : info with
            {
                Notes = info.Notes.Where(n => n.Key != CumulativeRatioNote).ToDictionary(),
            };

    /// <summary>
    /// The fraction removed since the unpruned network when <paramref name="source"/> was pruned already (its notes
    /// record what it achieved): each pruning keeps a fraction of what the previous one kept. Null for an unpruned
    /// source.
    /// </summary>
    public static double? CumulativeRatio(ModelInfo source, double achieved)
    {
        var notes = source.Notes;
        var earlier = notes.GetValueOrDefault(CumulativeRatioNote)
            ?? notes.GetValueOrDefault(RatioAchievedNote)
            ?? notes.GetValueOrDefault(RatioNote);
        return
            earlier is not null
            && double.TryParse(earlier, NumberStyles.Float, CultureInfo.InvariantCulture, out var before)
            ? 1 - (1 - before) * (1 - achieved)
            : null;
    }

    /// <summary>
    /// The provenance a pruned checkpoint records: source, ratio, scope, ranking, rounding and the criterion with its
    /// settings.
    /// </summary>
    public static ModelInfo Record(ModelInfo info, string source, PruningOptions options)
    {
        var recorded = info.With("pruning.source", Path.GetFileName(source))
            .With(RatioNote, options.Ratio.ToString("R", CultureInfo.InvariantCulture))
            .With("pruning.scope", options.Scope.ToString().ToLowerInvariant())
            .With("pruning.ranking", options.Ranking.ToString().ToLowerInvariant())
            .With("pruning.min_keep", options.MinKeep.ToString(CultureInfo.InvariantCulture))
            .With("pruning.round_to", options.RoundTo.ToString(CultureInfo.InvariantCulture))
            .With(ImportanceNote, options.Importance.Name);
        foreach (var (key, value) in options.Importance.Settings)
            recorded = recorded.With($"{ImportanceNote}.{key}", value);
        return recorded;
    }

    /// <summary>
    /// Prunes <paramref name="source"/> into <paramref name="output"/>; with <paramref name="recalibration"/>, the
    /// pruned network's batch-norm statistics are re-estimated on that data before it is saved
    /// (<see cref="BatchNormRecalibration"/>) and recorded.
    /// </summary>
    public static PruneSummary Prune(
        string source,
        PruningOptions options,
        string output,
        (IImageBatches Data, RecalibrationOptions Options)? recalibration = null
    )
    {
        options.Validate();
        recalibration?.Options.Validate();
        using var loaded = Checkpoint.Load(source);
        loaded.Model.eval();
        var (pruned, plan) = Pruner.Prune(loaded.Model, options);
        int? recalibrated = null;
        double achieved;
        double? cumulative;
        using (pruned)
        {
            achieved = RatioAchieved(plan, options);
            cumulative = CumulativeRatio(loaded.Info, achieved);
            var info = RecordCumulative(
                Record(loaded.Info with { Architecture = pruned.Architecture }, source, options)
                    .With(RatioAchievedNote, achieved.ToString("R", CultureInfo.InvariantCulture)),
                loaded.Info,
                achieved
            );
            if (recalibration is (var data, var recalibrationOptions))
            {
                recalibrated = BatchNormRecalibration.Recalibrate(pruned, data, recalibrationOptions);
                info = BatchNormRecalibration.Record(info, data, recalibrationOptions, recalibrated.Value);
            }
            Checkpoint.Save(pruned, info, output);
        }
        var before = ModelCost.Of(loaded.Info);
        var after = ModelCost.Of(plan.Apply(loaded.Info.Architecture), loaded.Info.InputShape);
        return new PruneSummary(
            source,
            output,
            options,
            before.Params,
            after.Params,
            before.Macs,
            after.Macs,
            plan.Groups.Select(g => new GroupWidth(g.Name, g.Kind, g.Channels, plan.Kept[g.Name].Length)).ToArray(),
            achieved,
            cumulative,
            recalibrated
        );
    }
}
