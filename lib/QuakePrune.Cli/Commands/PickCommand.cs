using System.CommandLine;
using System.Globalization;
using QuakePrune.Outputs;
using QuakePrune.Picking;
using QuakePrune.Torch;

namespace QuakePrune.Cli.Commands;

/// <summary>
/// `quakeprune pick`: a waveform picker's detection, P and S picks for every trace of a subset; optionally its curves.
/// </summary>
public static class PickCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model")
        {
            Description = "Waveform picker checkpoint (.safetensors): eqtransformer or a variant",
            Required = true,
        };
        var subset = new Option<string>("--subset")
        {
            Description = "Subset folder from `quakeprune extract` (subset.hdf5 + subset.csv)",
            Required = true,
        };
        var output = new Option<string>("--out") { Description = "picks.csv to write", Required = true };
        var curves = new Option<string?>("--curves")
        {
            Description = "Also write curves.h5: each trace's network input and its detection, P and S curves",
        };
        var batch = new Option<int>("--batch")
        {
            Description = "Traces per forward pass",
            DefaultValueFactory = _ => 64,
        };
        var detection = new Option<double?>("--detection-threshold")
        {
            Description = "Detection threshold (default: the checkpoint's, chosen on dev, else 0.5)",
        };
        var p = new Option<double?>("--p-threshold")
        {
            Description = "P threshold (default: the checkpoint's, else 0.5)",
        };
        var s = new Option<double?>("--s-threshold")
        {
            Description = "S threshold (default: the checkpoint's, else 0.5)",
        };
        var threads = new Option<int>("--threads")
        {
            Description = "libtorch threads",
            DefaultValueFactory = _ => Environment.ProcessorCount,
        };
        var device = new Option<string>("--device") { Description = "cpu or cuda", DefaultValueFactory = _ => "cpu" };
        var overwrite = new Option<bool>("--overwrite")
        {
            Description = "Replace existing outputs (never one of the inputs)",
        };
        var command = new Command(
            "pick",
            "Write trace_name, split, detection_probability, p_sample, p_probability, s_sample, s_probability for every trace."
        )
        {
            model,
            subset,
            output,
            curves,
            batch,
            detection,
            p,
            s,
            threads,
            device,
            overwrite,
        };
        command.SetAction(parse => CommandErrors.RunInterruptible("pick", cancellation =>
            {
                var (modelPath, subsetPath, picksPath, curvesPath) = (
                    parse.GetValue(model)!,
                    parse.GetValue(subset)!,
                    parse.GetValue(output)!,
                    parse.GetValue(curves)
                );
                var batchSize = EvaluateCommand.Positive(parse.GetValue(batch), "--batch");
                using var outputs = new OutputSet(
                    "pick",
                    parse.GetValue(overwrite),
                    [modelPath, .. WaveformDataSet.InputFiles(subsetPath)]
                );
                var picksPartial = outputs.File(picksPath);
                var curvesPartial = curvesPath is null ? null : outputs.File(curvesPath);
                var info = Models.Checkpoint.ReadInfo(modelPath);
                PickingNetwork.Require(info.Architecture, modelPath);
                using var data = WaveformDataSet.Open(subsetPath);
                using var loaded = EvaluateCommand.Load(modelPath, parse.GetValue(device)!, parse.GetValue(threads));
                var setting = ThresholdSetting.For(loaded.Info, modelPath);
                var (given, t) = (
                    new[] { parse.GetValue(detection), parse.GetValue(p), parse.GetValue(s) },
                    setting.Thresholds
                );
                if (given.Any(v => v is not null))
                    setting = new ThresholdSetting(
                        new PickThresholds(given[0] ?? t.Detection, given[1] ?? t.P, given[2] ?? t.S),
                        $"given on the command line where set; the others {setting.Source}"
                    );
                var summary = WaveformPicker.Pick(
                    loaded,
                    data,
                    setting,
                    picksPartial,
                    curvesPartial,
                    batchSize,
                    Device.Parse(parse.GetValue(device)!),
                    cancellation
                );
                outputs.Publish();
                var th = summary.Thresholds.Thresholds;
                Console.WriteLine(
                    string.Create(
                        CultureInfo.InvariantCulture,
                        $"pick: {summary.Traces} traces, {summary.Detected} detected, {summary.WithP} with a P pick, {summary.WithS} with an S pick "
                            + $"({summary.TracesPerSecond:F1} traces/s) -> {picksPath}{(curvesPath is null ? "" : $" and {curvesPath}")}"
                    )
                );
                Console.WriteLine(
                    string.Create(
                        CultureInfo.InvariantCulture,
                        $"pick: thresholds detection {th.Detection:0.###}, P {th.P:0.###}, S {th.S:0.###}: {summary.Thresholds.Source}"
                    )
                );
                return 0;
            }));
        return command;
    }
}
