using System.CommandLine;
using QuakePrune.Inference;
using QuakePrune.Outputs;
using QuakePrune.Stead;
using QuakePrune.Torch;
using QuakePrune.Training;

namespace QuakePrune.Cli.Commands;

/// <summary>
/// `quakeprune predict`: p(earthquake) and the decision per trace, from a spectrogram file or from raw STEAD-format
/// traces.
/// </summary>
public static class PredictCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "Checkpoint (.safetensors)", Required = true };
        var data = new Option<string?>("--data")
        {
            Description =
                "Spectrogram file, or subset folder (images computed on the fly with the model's spectrogram settings)",
        };
        var input = new Option<string[]>("--input")
        {
            Description = "STEAD-format PREFIX (PREFIX.hdf5 + PREFIX.csv); repeatable",
            AllowMultipleArgumentsPerToken = true,
        };
        var split = new Option<string?>("--split")
        {
            Description = "With --data: only this split (default: every image)",
        };
        var output = new Option<string>("--out") { Description = "predictions.csv to write", Required = true };
        var threshold = new Option<double?>("--threshold")
        {
            Description = "Decision threshold on p(earthquake) (default: the model's, chosen on dev, else 0.5)",
        };
        var batch = new Option<int>("--batch")
        {
            Description = "Images per forward pass",
            DefaultValueFactory = _ => 64,
        };
        var threads = new Option<int>("--threads")
        {
            Description = "libtorch threads",
            DefaultValueFactory = _ => Environment.ProcessorCount,
        };
        var device = new Option<string>("--device") { Description = "cpu or cuda", DefaultValueFactory = _ => "cpu" };
        var overwrite = new Option<bool>("--overwrite")
        {
            Description = "Replace an existing output (never one of the inputs)",
        };
        var command = new Command("predict", "Write trace_name, label, p_earthquake, split for every trace.")
        {
            model,
            data,
            input,
            split,
            output,
            threshold,
            batch,
            threads,
            device,
            overwrite,
        };
        command.SetAction(parse =>
            CommandErrors.Run(() =>
            {
                var (spectrograms, prefixes) = (parse.GetValue(data), parse.GetValue(input) ?? []);
                if ((spectrograms is null) == (prefixes.Length == 0))
                    throw new ArgumentException("give either --data (a spectrogram file) or --input (STEAD prefixes)");
                if (spectrograms is null && parse.GetValue(split) is not null)
                    throw new ArgumentException("--split applies to --data only");
                var path = parse.GetValue(output)!;
                using var outputs = new OutputSet(
                    "predict",
                    parse.GetValue(overwrite),
                    [
                        parse.GetValue(model),
                        spectrograms,
                        .. prefixes.SelectMany(p => SteadPair.Paths(p) is var (h, c) ? new[] { h, c } : []),
                    ]
                );
                var partial = outputs.File(path);
                using var loaded = EvaluateCommand.Load(
                    parse.GetValue(model)!,
                    parse.GetValue(device)!,
                    parse.GetValue(threads)
                );
                using var classifier = new FastClassifier(loaded.Model, loaded.Info.InputSize);
                var decision = parse.GetValue(threshold) ?? Evaluation.StoredThreshold(loaded.Info.Notes) ?? 0.5;
                var batchSize = EvaluateCommand.Positive(parse.GetValue(batch), "--batch");
                List<PredictionRow> rows;
                if (spectrograms is not null)
                {
                    using var images = ImageDataSets.OpenFor(spectrograms, loaded.Info);
                    ModelEvaluation.RequireInput(loaded, images);
                    rows = Prediction.FromDataSet(classifier, images, parse.GetValue(split), decision, batchSize);
                }
                else
                {
                    var settings = loaded.Info.Spectrogram()
                        ?? throw new InvalidDataException(
                            $"{parse.GetValue(model)}: no spectrogram settings in the checkpoint, so raw traces cannot be turned into its input; use --data"
                        );
                    rows = Prediction.FromTraces(
                        classifier,
                        prefixes,
                        settings,
                        loaded.Info.InputSize,
                        decision,
                        batchSize
                    );
                }
                Prediction.WriteCsv(partial, rows);
                outputs.Publish();
                Console.WriteLine(
                    $"predict: {rows.Count} traces, {rows.Count(r => r.Label == 1)} called earthquakes (threshold {decision:0.####}) -> {path}"
                );
                return 0;
            })
        );
        return command;
    }
}
