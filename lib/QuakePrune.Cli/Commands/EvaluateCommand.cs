using System.CommandLine;
using QuakePrune.Models;
using QuakePrune.Outputs;
using QuakePrune.Picking;
using QuakePrune.Torch;
using QuakePrune.Training;
using static QuakePrune.Torch.torch;

namespace QuakePrune.Cli.Commands;

/// <summary>
/// `quakeprune evaluate`: a checkpoint's metrics on one split, with the decision threshold chosen on dev.
/// </summary>
public static class EvaluateCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "Checkpoint (.safetensors)", Required = true };
        var data = new Option<string>("--data")
        {
            Description =
                "Spectrogram file or subset folder from `quakeprune extract` (a classifier: a folder's images are computed on the fly with the model's spectrogram settings), or subset folder (a waveform picker)",
            Required = true,
        };
        var split = new Option<string>("--split")
        {
            Description = "Split to score (train, dev or test)",
            DefaultValueFactory = _ => "test",
        };
        var output = new Option<string?>("--out") { Description = "Metrics to write (JSON)" };
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
        var command = new Command(
            "evaluate",
            "A classifier: accuracy, precision, recall, F1, ROC AUC, confusion matrix and accuracy per SNR bin. A waveform picker: detection "
                + "P/R/F1, P and S pick P/R/F1 within 0.5 s and residuals. Thresholds chosen on dev."
        )
        {
            model,
            data,
            split,
            output,
            batch,
            threads,
            device,
            overwrite,
        };
        command.SetAction(parse =>
            CommandErrors.Run(() =>
            {
                var path = parse.GetValue(model)!;
                using var outputs = new OutputSet(
                    "evaluate",
                    parse.GetValue(overwrite),
                    [path, parse.GetValue(data), .. WaveformDataSet.InputFiles(parse.GetValue(data)!)]
                );
                var target = parse.GetValue(output) is { } file ? outputs.File(file) : null;
                if (PickingCheckpoint.IsPicker(path))
                {
                    var picking = EvaluatePicker(
                        path,
                        parse.GetValue(data)!,
                        parse.GetValue(split)!,
                        parse.GetValue(batch),
                        parse.GetValue(device)!,
                        parse.GetValue(threads)
                    );
                    if (target is not null)
                    {
                        picking.WriteTo(target);
                        outputs.Publish();
                    }
                    Console.WriteLine(picking);
                    return 0;
                }
                using var loaded = Load(path, parse.GetValue(device)!, parse.GetValue(threads));
                using var images = ImageDataSets.OpenFor(parse.GetValue(data)!, loaded.Info);
                var report = ModelEvaluation.Evaluate(
                    loaded,
                    images,
                    parse.GetValue(split)!,
                    Path.GetFileName(path),
                    Positive(parse.GetValue(batch), "--batch")
                );
                if (target is not null)
                {
                    report.Write(target);
                    outputs.Publish();
                }
                Console.WriteLine(report);
                return 0;
            })
        );
        return command;
    }

    private static PickingEvaluationReport EvaluatePicker(
        string path,
        string subset,
        string split,
        int batch,
        string device,
        int threads
    )
    {
        if (Array.IndexOf(Extract.SplitFractions.Names, split) < 0)
            throw new ArgumentException(
                $"--split must be one of {string.Join(", ", Extract.SplitFractions.Names)}, got '{split}'"
            );
        var batchSize = Positive(batch, "--batch");
        using var data = WaveformDataSet.Open(subset);
        using var loaded = Load(path, device, threads);
        return PickingEvaluation.Evaluate(
            loaded,
            data,
            split,
            Path.GetFileName(path),
            Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(subset))),
            batchSize,
            Device.Parse(device)
        );
    }

    /// <summary>
    /// The checkpoint on its device with libtorch's threads set; --device cuda without CUDA is refused here.
    /// </summary>
    public static LoadedModel Load(string path, string deviceName, int threads)
    {
        var device = Device.Parse(deviceName);
        if (device.type == DeviceType.CUDA && !cuda.is_available())
            throw new InvalidOperationException(
                $"--device {deviceName}, but libtorch sees no CUDA device (a CPU-only libtorch or no GPU)"
            );
        set_num_threads(Positive(threads, "--threads"));
        return Checkpoint.Load(path, device);
    }

    public static int Positive(int value, string option) =>
        value >= 1 ? value : throw new ArgumentException($"{option} must be at least 1, got {value}");
}
