using System.CommandLine;
using QuakePrune.Models;
using QuakePrune.Outputs;
using QuakePrune.Pruning;
using QuakePrune.Retraining;
using QuakePrune.Training;
using static QuakePrune.Torch.torch;

namespace QuakePrune.Cli.Commands;

/// <summary>
/// `quakeprune report`: the per-variant table (params, MACs, size, scores before and after retraining, widths) as CSV
/// and JSON.
/// </summary>
public static class ReportCommand
{
    public static Command Create()
    {
        var baseline = new Option<string>("--baseline")
        {
            Description = "Baseline checkpoint, or its training directory (model.safetensors)",
            Required = true,
        };
        var variants = new Option<string[]>("--variant")
        {
            Description = "NAME=PRUNED[,RETRAINED] (a checkpoint or a retrain directory); repeat per variant",
            AllowMultipleArgumentsPerToken = false,
        };
        var data = new Option<string>("--data")
        {
            Description =
                "Spectrogram file, or subset folder (images computed on the fly with the baseline's spectrogram settings)",
            Required = true,
        };
        var split = new Option<string>("--split")
        {
            Description = "Split to score",
            DefaultValueFactory = _ => ModelMetrics.TestSplit,
        };
        var output = new Option<string>("--out")
        {
            Description = "CSV to write; the JSON goes beside it (.json)",
            Required = true,
        };
        var batch = new Option<int>("--batch") { Description = "Batch size", DefaultValueFactory = _ => 64 };
        var threads = new Option<int?>("--threads") { Description = "libtorch threads (default: all cores)" };
        var recalibrate = new Option<int>("--recalibrate-bn")
        {
            Description =
                "Also score each variant as given after re-estimating its batch-norm statistics on N train batches (0: not)",
            DefaultValueFactory = _ => 0,
        };
        var seed = new Option<long>("--seed")
        {
            Description = "Seed of the recalibration batches' order",
            DefaultValueFactory = _ => 1,
        };
        var overwrite = new Option<bool>("--overwrite")
        {
            Description = "Replace an existing output (never one of the inputs)",
        };
        var command = new Command(
            "report",
            "One row per variant: params, MACs, file size, scores with 95 % bootstrap intervals before and after retraining, McNemar's test against the baseline, widths."
        )
        {
            baseline,
            variants,
            data,
            split,
            output,
            batch,
            threads,
            recalibrate,
            seed,
            overwrite,
        };
        command.SetAction(parse =>
            CommandErrors.Run(() =>
            {
                var batches = parse.GetValue(recalibrate);
                if (batches < 0)
                    throw new ArgumentException(
                        $"--recalibrate-bn must be 0 (off) or a number of batches, got {batches}"
                    );
                var baselinePath = parse.GetValue(baseline)!;
                if (Directory.Exists(baselinePath))
                    baselinePath = Path.Combine(baselinePath, Trainer.ModelFileName);
                var specs = new List<VariantSpec> { new("baseline", baselinePath) };
                specs.AddRange((parse.GetValue(variants) ?? []).Select(VariantSpec.Parse));
                var target = parse.GetValue(output)!;
                using var outputs = new OutputSet(
                    "report",
                    parse.GetValue(overwrite),
                    [parse.GetValue(data), .. specs.SelectMany(s => new[] { s.Model, s.Retrained })]
                );
                var (csvPartial, jsonPartial) = (
                    outputs.File(target),
                    outputs.File(Path.ChangeExtension(target, ".json"))
                );
                set_num_threads(parse.GetValue(threads) ?? Environment.ProcessorCount);
                using var images = ImageDataSets.OpenFor(parse.GetValue(data)!, Checkpoint.ReadInfo(baselinePath));
                var report = VariantReport.Build(
                    specs,
                    images,
                    new VariantReportOptions
                    {
                        Split = parse.GetValue(split)!,
                        BatchSize = parse.GetValue(batch),
                        Recalibration =
                            batches == 0
                                ? null
                                : new RecalibrationOptions(
                                    batches,
                                    parse.GetValue(batch),
                                    unchecked((ulong)parse.GetValue(seed))
                                ),
                        OnRow = row =>
                            Console.WriteLine(
                                FormattableString.Invariant(
                                    $"{row.Variant, -18} {row.Params, 12:N0} params {row.Macs / 1e6, 10:F1} MMACs {row.FileBytes / 1e6, 8:F2} MB  {RetrainCommand.Describe(row.Before)} -> {RetrainCommand.Describe(row.After)}"
                                )
                            ),
                    }
                );
                report.Write(csvPartial, jsonPartial);
                outputs.Publish();
                Console.WriteLine(
                    $"report: {report.Rows.Count} variants -> {target} and {Path.ChangeExtension(target, ".json")}"
                );
                return 0;
            })
        );
        return command;
    }
}
