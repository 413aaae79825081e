using System.CommandLine;
using QuakePrune.Outputs;
using QuakePrune.Pruning;
using QuakePrune.Retraining;
using QuakePrune.Statistics;
using QuakePrune.Torch;
using QuakePrune.Training;

namespace QuakePrune.Cli.Commands;

/// <summary>
/// `quakeprune retrain`: fine-tune a pruned model (or prune one step by step), scoring it before and after.
/// </summary>
public static class RetrainCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model")
        {
            Description = "Checkpoint to fine-tune: pruned, or whole with --ratio",
            Required = true,
        };
        var data = new Option<string>("--data")
        {
            Description =
                "Spectrogram file (train, dev, test splits), or subset folder (images computed on the fly with the model's spectrogram settings)",
            Required = true,
        };
        var output = new Option<string>("--out")
        {
            Description = "Output directory: model.safetensors, history.csv, retrain.json",
            Required = true,
        };
        var epochs = new Option<int>("--epochs")
        {
            Description = "Fine-tuning epochs (per step)",
            DefaultValueFactory = _ => 3,
        };
        var lr = new Option<double?>("--lr")
        {
            Description = "Constant learning rate (default: 0.1 x the rate recorded in the checkpoint, else 0.001)",
        };
        var ratio = new Option<double?>("--ratio")
        {
            Description = "Prune to this fraction removed first (the model must then be whole)",
        };
        var steps = new Option<int>("--steps")
        {
            Description = "Reach --ratio in K prune/fine-tune steps: step k keeps (1-ratio)^(k/K) of each width",
            DefaultValueFactory = _ => 1,
        };
        var scope = new Option<string>("--scope")
        {
            Description = "internal or full (with --ratio)",
            DefaultValueFactory = _ => "full",
        };
        var minKeep = new Option<int>("--min-keep")
        {
            Description = "Channels every group keeps at least (with --ratio)",
            DefaultValueFactory = _ => 1,
        };
        var roundTo = new Option<int>("--round-to")
        {
            Description = "Keep widths multiples of N (with --ratio)",
            DefaultValueFactory = _ => 1,
        };
        var importance = new Option<string>("--importance")
        {
            Description = $"What ranks the channels (with --ratio): {Importances.Described}",
            DefaultValueFactory = _ => Importances.L2.Name,
        };
        var groupReduction = PruneCommand.GroupReductionOption();
        var optimizer = new Option<string?>("--optimizer")
        {
            Description = "sgd or adamw (default: the one the checkpoint was trained with, else sgd)",
        };
        var batch = new Option<int>("--batch") { Description = "Batch size", DefaultValueFactory = _ => 32 };
        var seed = new Option<long>("--seed")
        {
            Description = "Seed of shuffling and dropout",
            DefaultValueFactory = _ => 1,
        };
        var threads = new Option<int?>("--threads") { Description = "libtorch threads (default: all cores)" };
        var device = new Option<string>("--device")
        {
            Description = "cpu or cuda[:N]",
            DefaultValueFactory = _ => "cpu",
        };
        var overwrite = new Option<bool>("--overwrite")
        {
            Description = "Replace an earlier retraining in --out (only the files retrain writes)",
        };
        var command = new Command(
            "retrain",
            "Fine-tune a pruned model at a small constant rate; record scores right after pruning and after retraining."
        )
        {
            model,
            data,
            output,
            epochs,
            lr,
            ratio,
            steps,
            scope,
            minKeep,
            roundTo,
            importance,
            groupReduction,
            optimizer,
            batch,
            seed,
            threads,
            device,
            overwrite,
        };
        var parallel = new DataParallel();
        foreach (var option in parallel.Options)
            command.Options.Add(option);
        command.SetAction(parse =>
            CommandErrors.Run(() =>
            {
                if (
                    parallel.Launch(parse, "retrain", threads, parse.GetValue(output)!, CancellationToken.None) is
                    { } launched
                )
                    return launched;
                var requested = Device.Parse(parse.GetValue(device)!);
                using var distributed = parallel.Join(parse, requested);
                var optimizerText = parse.GetValue(optimizer);
                var options = new RetrainOptions
                {
                    Model = parse.GetValue(model)!,
                    Data = parse.GetValue(data),
                    OutputDirectory = parse.GetValue(output)!,
                    Epochs = parse.GetValue(epochs),
                    LearningRate = parse.GetValue(lr),
                    Ratio = parse.GetValue(ratio),
                    Steps = parse.GetValue(steps),
                    Scope = PruneCommand.ParseEnum<PruningScope>(parse.GetValue(scope)!, "--scope"),
                    MinKeep = parse.GetValue(minKeep),
                    RoundTo = parse.GetValue(roundTo),
                    Importance = PruneCommand.ParseImportance(
                        parse.GetValue(importance)!,
                        parse.GetValue(seed),
                        parse.GetValue(groupReduction)
                    ),
                    Optimizer = optimizerText is null
                        ? null
                        : PruneCommand.ParseEnum<OptimizerKind>(optimizerText, "--optimizer"),
                    BatchSize = parse.GetValue(batch),
                    Seed = parse.GetValue(seed),
                    Threads = parse.GetValue(threads),
                    Device = DataParallel.DeviceOf(requested, distributed),
                    Distributed = distributed,
                    OnEpoch = e =>
                        Console.WriteLine(
                            FormattableString.Invariant(
                                $"  epoch {e.Epoch}: train loss {e.TrainLoss:0.0000} acc {e.TrainAccuracy:0.0000}; dev acc {e.DevAccuracy:0.0000} F1 {e.DevF1:0.0000}{(e.Best ? " (best)" : "")}"
                            )
                        ),
                };
                // Options that shape pruning do nothing without --ratio: given alone, they would be ignored in silence.
                if (parse.GetValue(ratio) is null)
                    foreach (var pruningOption in new Option[] { scope, minKeep, roundTo, importance, groupReduction })
                        if (parse.GetResult(pruningOption) is { Implicit: false })
                            throw new ArgumentException(
                                $"retrain: {pruningOption.Name} shapes pruning and needs --ratio; without it the model is only fine-tuned"
                            );
                options.Validate();
                // Rank 0 claims the folder (and clears it for --overwrite) before any rank looks in it.
                using var outputs = distributed is { IsMain: false }
                    ? null
                    : new OutputSet("retrain", parse.GetValue(overwrite), [options.Model, options.Data]);
                outputs?.WorkFolder(options.OutputDirectory, Retrainer.OutputEntries(options.Steps));
                distributed?.Barrier();
                var result = Retrainer.Retrain(options);
                Console.WriteLine(
                    FormattableString.Invariant(
                        $"learning rate {result.LearningRate:R} ({result.LearningRateSource}), {result.Optimizer}"
                    )
                );
                foreach (var step in result.Steps)
                    Console.WriteLine(
                        FormattableString.Invariant(
                            $"step {step.Step}/{result.Steps.Count}: {(result.Ratio is null ? "" : $"keep {step.KeepFraction:0.###}, ")}{step.Params:N0} params; dev {Describe(step.Before.Dev)} -> {Describe(step.After.Dev)}; test {Describe(step.Before.Test)} -> {Describe(step.After.Test)}"
                        )
                    );
                Console.WriteLine(
                    FormattableString.Invariant(
                        $"retrain: {result.Seconds:0.0} s -> {DataParallel.Written(result.ModelPath, distributed)}"
                    )
                );
                return 0;
            })
        );
        return command;
    }

    /// <summary>Accuracy and F1, each with its 95 % bootstrap interval when it has one.</summary>
    internal static string Describe(SplitMetrics? m)
    {
        static string Bounds(Interval? i) =>
            i is { Lo: { } lo, Hi: { } hi } ? FormattableString.Invariant($" [{lo:0.0000}, {hi:0.0000}]") : "";
        return m is null
            ? "-"
            : FormattableString.Invariant(
                $"acc {m.Accuracy:0.0000}{Bounds(m.AccuracyInterval)} F1 {m.F1:0.0000}{Bounds(m.F1Interval)}"
            );
    }
}
