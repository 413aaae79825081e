using System.CommandLine;
using System.Globalization;
using QuakePrune.Models;
using QuakePrune.Outputs;
using QuakePrune.Retraining;
using QuakePrune.Training;
using static QuakePrune.Torch.torch;

namespace QuakePrune.Cli.Commands;

/// <summary>
/// `quakeprune sensitivity`: each stage (and the head) pruned alone at several ratios, scored without retraining.
/// </summary>
public static class SensitivityCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "Trained checkpoint", Required = true };
        var data = new Option<string>("--data")
        {
            Description =
                "Spectrogram file, or subset folder (images computed on the fly with the model's spectrogram settings)",
            Required = true,
        };
        var output = new Option<string>("--out")
        {
            Description = "CSV to write: unit,ratio,params,accuracy,f1",
            Required = true,
        };
        var ratios = new Option<string>("--ratios")
        {
            Description = "Comma-separated fractions removed",
            DefaultValueFactory = _ => "0.3,0.5,0.7,0.9",
        };
        var split = new Option<string>("--split")
        {
            Description = "Split to score",
            DefaultValueFactory = _ => Trainer.DevSplit,
        };
        var scope = new Option<string>("--scope")
        {
            Description = "internal (stages' inner convs, head) or full (also stem and residual streams)",
            DefaultValueFactory = _ => "internal",
        };
        var batch = new Option<int>("--batch") { Description = "Batch size", DefaultValueFactory = _ => 64 };
        var threads = new Option<int?>("--threads") { Description = "libtorch threads (default: all cores)" };
        var overwrite = new Option<bool>("--overwrite")
        {
            Description = "Replace an existing output (never one of the inputs)",
        };
        var command = new Command(
            "sensitivity",
            "Accuracy and F1 when each stage or the head alone is pruned, without retraining."
        )
        {
            model,
            data,
            output,
            ratios,
            split,
            scope,
            batch,
            threads,
            overwrite,
        };
        command.SetAction(parse =>
            CommandErrors.Run(() =>
            {
                var options = new SensitivityOptions
                {
                    Ratios = ParseRatios(parse.GetValue(ratios)!),
                    Split = parse.GetValue(split)!,
                    FullScope =
                        PruneCommand.ParseEnum<Pruning.PruningScope>(parse.GetValue(scope)!, "--scope")
                        == Pruning.PruningScope.Full,
                    BatchSize = parse.GetValue(batch),
                };
                options.Validate();
                var target = parse.GetValue(output)!;
                using var outputs = new OutputSet(
                    "sensitivity",
                    parse.GetValue(overwrite),
                    [parse.GetValue(model), parse.GetValue(data)]
                );
                var partial = outputs.File(target);
                set_num_threads(parse.GetValue(threads) ?? Environment.ProcessorCount);
                using var loaded = Checkpoint.Load(parse.GetValue(model)!);
                using var images = ImageDataSets.OpenFor(parse.GetValue(data)!, loaded.Info);
                var rows = Sensitivity.Run(loaded.Model, images, options, row =>
                    Console.WriteLine(
                        FormattableString.Invariant(
                            $"{row.Unit, -16} ratio {row.Ratio:0.##}: {row.Params, 12:N0} params, accuracy {row.Accuracy:0.0000}, F1 {row.F1:0.0000}"
                        )
                    )
                );
                Sensitivity.Write(partial, rows);
                outputs.Publish();
                Console.WriteLine($"sensitivity: {rows.Count} rows -> {target}");
                return 0;
            })
        );
        return command;
    }

    private static double[] ParseRatios(string text) =>
        text.Split(',', StringSplitOptions.TrimEntries)
            .Select(part =>
                double.TryParse(part, NumberStyles.Float, CultureInfo.InvariantCulture, out var r)
                    ? r
                    : throw new ArgumentException($"--ratios: '{part}' is not a number")
            )
            .ToArray();
}
