using System.CommandLine;
using System.Globalization;
using QuakePrune.Models;
using QuakePrune.Notebooks.Formatting;
using QuakePrune.Outputs;
using QuakePrune.Pruning;
using QuakePrune.Training;

namespace QuakePrune.Cli.Commands;

/// <summary>
/// `quakeprune prune`: structured pruning (L2 norm by default) into a new, physically smaller checkpoint.
/// </summary>
public static class PruneCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model")
        {
            Description = "Checkpoint to prune (.safetensors)",
            Required = true,
        };
        var output = new Option<string?>("--out") { Description = "Pruned checkpoint to write (.safetensors)" };
        var ratio = new Option<double>("--ratio")
        {
            Description = "Fraction of channels removed from each prunable group, in [0, 1)",
            DefaultValueFactory = _ => 0.5,
        };
        var scope = new Option<string>("--scope")
        {
            Description = "internal (inner convs + head neurons) or full (also stem and residual streams)",
            DefaultValueFactory = _ => "full",
        };
        var ranking = new Option<string>("--ranking")
        {
            Description = "local (same fraction per group) or global (one threshold over normalised scores)",
            DefaultValueFactory = _ => "local",
        };
        var minKeep = new Option<int>("--min-keep")
        {
            Description = "Channels every group keeps at least",
            DefaultValueFactory = _ => 1,
        };
        var roundTo = new Option<int>("--round-to")
        {
            Description = "Keep widths multiples of N",
            DefaultValueFactory = _ => 1,
        };
        var importance = new Option<string>("--importance")
        {
            Description = $"What ranks the channels: {Importances.Described}",
            DefaultValueFactory = _ => Importances.L2.Name,
        };
        var groupReduction = GroupReductionOption();
        var normalisation = new Option<string?>("--normalisation")
        {
            Description =
                "With --ranking global, how each group's scores are scaled before one threshold is drawn over all: mean (the default), "
                + $"max, or none (raw scores compared across groups); {string.Join(", ", Importances.NamesWithKnobs)} take it",
        };
        var seed = new Option<long>("--seed")
        {
            Description =
                "Seed of --importance random and of the order of --recalibrate-bn's batches (recorded in the checkpoint)",
            DefaultValueFactory = _ => 1,
        };
        var recalibrateBn = new Option<int>("--recalibrate-bn")
        {
            Description =
                "Re-estimate the batch norms' statistics on N shuffled train batches of --data before saving (0: off)",
            DefaultValueFactory = _ => 0,
        };
        var data = new Option<string?>("--data")
        {
            Description =
                "Spectrogram file (.h5), or subset folder (computed on the fly with the model's spectrogram settings), whose train split --recalibrate-bn reads",
        };
        var batch = new Option<int>("--batch")
        {
            Description = "Images per --recalibrate-bn batch",
            DefaultValueFactory = _ => 32,
        };
        var explain = new Option<bool>("--explain") { Description = "Print the dependency groups and their members" };
        var overwrite = new Option<bool>("--overwrite")
        {
            Description = "Replace an existing output (never one of the inputs)",
        };
        var command = new Command(
            "prune",
            "Prune a checkpoint's filters and neurons (by L2 norm, or another criterion) into a smaller checkpoint."
        )
        {
            model,
            output,
            ratio,
            scope,
            ranking,
            minKeep,
            roundTo,
            importance,
            groupReduction,
            normalisation,
            seed,
            recalibrateBn,
            data,
            batch,
            explain,
            overwrite,
        };
        command.SetAction(parse =>
            CommandErrors.Run(() =>
            {
                var source = parse.GetValue(model)!;
                if (parse.GetValue(explain))
                    Explain(source);
                var target = parse.GetValue(output);
                if (target is null)
                {
                    if (parse.GetValue(explain))
                        return 0;
                    throw new ArgumentException("--out is required (unless only --explain is asked)");
                }
                var rankingValue = ParseEnum<Ranking>(parse.GetValue(ranking)!, "--ranking");
                var normalisationText = parse.GetValue(normalisation);
                if (normalisationText is not null && rankingValue == Ranking.Local)
                    throw new ArgumentException(
                        "--normalisation scales each group's scores for --ranking global; a local ranking removes the same fraction of every group whatever the scale"
                    );
                var options = new PruningOptions(
                    parse.GetValue(ratio),
                    ParseEnum<PruningScope>(parse.GetValue(scope)!, "--scope"),
                    rankingValue,
                    parse.GetValue(minKeep),
                    parse.GetValue(roundTo)
                )
                {
                    Importance = ParseImportance(
                        parse.GetValue(importance)!,
                        parse.GetValue(seed),
                        parse.GetValue(groupReduction),
                        normalisationText
                    ),
                };
                var (batches, dataPath) = (parse.GetValue(recalibrateBn), parse.GetValue(data));
                if (batches < 0)
                    throw new ArgumentException(
                        $"--recalibrate-bn must be 0 (off) or a number of batches, got {batches}"
                    );
                if (batches > 0 && dataPath is null)
                    throw new ArgumentException(
                        "--recalibrate-bn needs --data (the spectrogram file whose train split it reads)"
                    );
                if (batches == 0 && dataPath is not null)
                    throw new ArgumentException("--data is read only by --recalibrate-bn N (N > 0)");
                var batchSize = EvaluateCommand.Positive(parse.GetValue(batch), "--batch");
                using var outputs = new OutputSet("prune", parse.GetValue(overwrite), [source, dataPath]);
                using var images = dataPath is null
                    ? null
                    : ImageDataSets.OpenFor(dataPath, Checkpoint.ReadInfo(source));
                (IImageDataSet, RecalibrationOptions)? recalibration = images is null
                    ? null
                    : (images, new RecalibrationOptions(batches, batchSize, unchecked((ulong)parse.GetValue(seed))));
                var summary = CheckpointPruning.Prune(source, options, outputs.File(target), recalibration);
                outputs.Publish();
                Console.WriteLine(
                    TableFormatter.Format(summary.Widths.Where(w => w.Before != w.After), int.MaxValue).PlainText
                );
                if (summary.RecalibratedImages is { } recalibrated)
                    Console.WriteLine(
                        string.Create(
                            CultureInfo.InvariantCulture,
                            $"prune: batch norms recalibrated on {recalibrated} train images of {Path.GetFileName(dataPath)} ({batches} batches of at most {batchSize})"
                        )
                    );
                if (summary.ShortOfRatio)
                    Console.Error.WriteLine(
                        string.Create(
                            CultureInfo.InvariantCulture,
                            $"prune: warning: removed {summary.RatioAchieved:P1} of the channels in scope, not the {summary.Options.Ratio:P0} asked: "
                                + $"--min-keep {summary.Options.MinKeep} and --round-to {summary.Options.RoundTo} keep more (the checkpoint records {CheckpointPruning.RatioAchievedNote})"
                        )
                    );
                if (summary.CumulativeRatio is { } cumulative)
                    Console.WriteLine(
                        string.Create(
                            CultureInfo.InvariantCulture,
                            $"prune: {summary.Source} was pruned already: {cumulative:P1} of the original channels are now removed ({CheckpointPruning.CumulativeRatioNote})"
                        )
                    );
                Console.WriteLine(
                    string.Create(
                        CultureInfo.InvariantCulture,
                        $"prune: {summary.ParamsBefore:N0} -> {summary.ParamsAfter:N0} parameters ({(double)summary.ParamsAfter / summary.ParamsBefore:P1}), "
                            + $"{summary.MacsBefore / 1e6:F1} -> {summary.MacsAfter / 1e6:F1} MMACs -> {target}"
                    )
                );
                return 0;
            })
        );
        return command;
    }

    private static void Explain(string source)
    {
        var info = Checkpoint.ReadInfo(source);
        foreach (var group in DependencyGroups.Of(info.Architecture))
        {
            Console.WriteLine($"{group.Name} ({group.Kind.ToString().ToLowerInvariant()}, {group.Channels} channels)");
            foreach (var role in new[] { MemberRole.Producer, MemberRole.ChannelWise, MemberRole.Consumer })
            {
                var layers = group.Members.Where(m => m.Role == role).Select(m => m.Layer).ToArray();
                if (layers.Length > 0)
                    Console.WriteLine($"  {role.ToString().ToLowerInvariant()}s: {string.Join(", ", layers)}");
            }
        }
    }

    /// <summary>
    /// --group-reduction, as prune and retrain offer it: no default of its own, so that a criterion without one can
    /// refuse it.
    /// </summary>
    internal static Option<string?> GroupReductionOption() =>
        new("--group-reduction")
        {
            Description =
                "How a channel's score is made from its group's layers: sum (the default: one norm over all their filters), mean, "
                + $"or max (the strongest layer's); {string.Join(", ", Importances.NamesWithKnobs)} take it",
        };

    /// <summary>
    /// The criterion --importance names, with --group-reduction and --normalisation where they were given (null: the
    /// criterion's defaults); each is refused by its option's name.
    /// </summary>
    internal static IImportance ParseImportance(
        string name,
        long seed,
        string? reduction = null,
        string? normalisation = null
    )
    {
        var reductionValue = reduction is null
            ? (GroupReduction?)null
            : ParseEnum<GroupReduction>(reduction, "--group-reduction");
        var normalisationValue = normalisation is null
            ? (ScoreNormalisation?)null
            : ParseEnum<ScoreNormalisation>(normalisation, "--normalisation");
        try
        {
            return Importances.Named(name, seed, reductionValue, normalisationValue);
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException($"--{e.Message}");
        }
    }

    internal static T ParseEnum<T>(string text, string option)
        where T : struct, Enum =>
        Enum.TryParse<T>(text, ignoreCase: true, out var value) && Enum.IsDefined(value)
            ? value
            : throw new ArgumentException(
                $"{option} must be one of {string.Join(", ", Enum.GetNames<T>().Select(n => n.ToLowerInvariant()))}, got '{text}'"
            );
}
