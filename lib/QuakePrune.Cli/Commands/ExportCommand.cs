using System.CommandLine;
using System.Globalization;
using QuakePrune.Export;
using QuakePrune.Models;
using QuakePrune.Outputs;

namespace QuakePrune.Cli.Commands;

/// <summary>
/// `quakeprune export`: a checkpoint as an ONNX model, for ONNX Runtime and every other runtime that reads ONNX.
/// </summary>
public static class ExportCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model")
        {
            Description = "Checkpoint to export (.safetensors)",
            Required = true,
        };
        var output = new Option<string>("--out") { Description = "ONNX model to write (.onnx)", Required = true };
        var overwrite = new Option<bool>("--overwrite")
        {
            Description = "Replace an existing output (never the input)",
        };
        var command = new Command(
            "export",
            $"Write a checkpoint (a ResNet or a waveform picker, pruned or not) as an ONNX model (opset {OnnxExport.Opset}, dynamic batch axis, the checkpoint's notes as metadata)."
        )
        {
            model,
            output,
            overwrite,
        };
        command.SetAction(parse =>
            CommandErrors.Run(() =>
            {
                var source = parse.GetValue(model)!;
                var target = parse.GetValue(output)!;
                using var outputs = new OutputSet("export", parse.GetValue(overwrite), [source]);
                using var loaded = Checkpoint.Load(source);
                var summary = OnnxExport.Export(loaded, outputs.File(target));
                outputs.Publish();
                Console.WriteLine(
                    string.Create(
                        CultureInfo.InvariantCulture,
                        $"export: {summary.Nodes} nodes, {summary.Values:N0} values (weights and batch-norm statistics) in {summary.Initializers} initializers, opset {summary.Opset}; "
                            + $"input '{summary.Input}' {Axes(summary.InputShape)}, outputs {string.Join(", ", summary.Outputs.Select(o => $"'{o}'"))} -> {target}"
                    )
                );
                return 0;
            })
        );
        return command;
    }

    /// <summary>
    /// The input's axes as the file declares them: an image network's height and width are dynamic, its trained size
    /// said beside.
    /// </summary>
    private static string Axes(long[] shape) =>
        shape.Length == 4
            ? $"[{OnnxExport.BatchAxis}, {shape[1]}, height, width] (trained at {shape[2]}x{shape[3]})"
            : $"[{OnnxExport.BatchAxis}, {string.Join(", ", shape.Skip(1))}]";
}
