using System.CommandLine;
using System.Globalization;
using QuakePrune.Models;
using QuakePrune.Notebooks.Formatting;
using QuakePrune.Outputs;
using QuakePrune.Spectrograms;
using static QuakePrune.Torch.torch;

namespace QuakePrune.Cli.Commands;

/// <summary>`quakeprune model init|show`: a freshly initialised checkpoint, and what a checkpoint holds and costs.</summary>
public static class ModelCommand
{
    /// <summary>One line of `model show`: a layer's weight shape, output shape, parameters and MACs at the model's input size.</summary>
    public sealed record LayerRow(string Name, string Kind, string Weight, string Output, string Params, string Macs, string KBMoved);

    public static Command Create() => new("model", "Create or inspect model checkpoints.") { Init(), Show() };

    private static Command Init()
    {
        var arch = new Option<string>("--arch") { Description = $"Architecture ({string.Join(", ", NetworkBuilders.Members)})", DefaultValueFactory = _ => "resnet50" };
        var classes = new Option<int>("--classes") { Description = "Output classes", DefaultValueFactory = _ => 2 };
        var hidden = new Option<int>("--hidden") { Description = "Hidden head width (0: a single Linear)", DefaultValueFactory = _ => 512 };
        var channels = new Option<int>("--channels") { Description = "Input channels", DefaultValueFactory = _ => 3 };
        var size = new Option<string>("--size") { Description = "Input size HEIGHTxWIDTH recorded in the checkpoint", DefaultValueFactory = _ => "224x224" };
        var seed = new Option<long>("--seed") { Description = "Seed of the initial weights", DefaultValueFactory = _ => 1 };
        var output = new Option<string>("--out") { Description = "Checkpoint to write (.safetensors)", Required = true };
        var overwrite = new Option<bool>("--overwrite") { Description = "Replace an existing output (never one of the inputs)" };
        var command = new Command("init", "Write a freshly initialised model (PyTorch's default initialisation) to a checkpoint.")
        {
            arch, classes, hidden, channels, size, seed, output, overwrite,
        };
        command.SetAction(parse => CommandErrors.Run(() =>
        {
            var name = parse.GetValue(arch)!.Trim().ToLowerInvariant();
            var architecture = NetworkBuilders.Create(name, new NetworkOptions(parse.GetValue(channels), parse.GetValue(classes), parse.GetValue(hidden)));
            var inputSize = ParseSize(parse.GetValue(size)!);
            var path = parse.GetValue(output)!;
            using var outputs = new OutputSet("model init", parse.GetValue(overwrite), []);
            var partial = outputs.File(path);
            manual_seed(parse.GetValue(seed));
            using var model = new Network(architecture);
            var info = new ModelInfo(architecture, inputSize, null,
                new Dictionary<string, string> { ["init.seed"] = parse.GetValue(seed).ToString(CultureInfo.InvariantCulture) });
            Checkpoint.Save(model, info, partial);
            outputs.Publish();
            var cost = ModelCost.Of(architecture, inputSize.Height, inputSize.Width);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"model init: {name}, {parse.GetValue(classes)} classes, hidden {parse.GetValue(hidden)}: {cost.Params:N0} parameters, " +
                $"{cost.Macs / 1e6:F1} MMACs at {inputSize} -> {path}"));
            return 0;
        }));
        return command;
    }

    private static Command Show()
    {
        var path = new Argument<string>("checkpoint") { Description = "Checkpoint (.safetensors)" };
        var size = new Option<string?>("--size") { Description = "Input size HEIGHTxWIDTH for the MACs (default: the checkpoint's)" };
        var command = new Command("show", "Print a checkpoint's layers (weight and output shapes, parameters, MACs, bytes moved) and totals.") { path, size };
        command.SetAction(parse => CommandErrors.Run(() =>
        {
            var file = parse.GetValue(path)!;
            var info = Checkpoint.ReadInfo(file);
            var inputSize = parse.GetValue(size) is { } text ? ParseSize(text) : info.InputSize;
            var cost = ModelCost.Of(info.Architecture, inputSize.Height, inputSize.Width);
            var rows = cost.Layers.Select(Row).ToList();
            var c = CultureInfo.InvariantCulture;
            var graph = info.Architecture.Graph;
            Console.WriteLine(string.Create(c, $"{file}: {info.Architecture.Builder.Name} network, input {graph.InChannels}x{inputSize}, " +
                                                  $"output {string.Join(", ", graph.Outputs.Select(o => string.Join("x", graph.DefaultShapes[o].Skip(1))))}"));
            if (info.Spectrogram is { } s)
                Console.WriteLine(string.Create(c, $"spectrogram: nperseg {s.Nperseg}, noverlap {s.Noverlap}, {s.Normalization.ToString().ToLowerInvariant()}"));
            foreach (var (key, value) in info.Notes.OrderBy(kv => kv.Key, StringComparer.Ordinal)) Console.WriteLine($"{key}: {value}");
            Console.WriteLine(TableFormatter.Format(rows, int.MaxValue).PlainText);
            Console.WriteLine(string.Create(c, $"total: {cost.Params:N0} parameters, {cost.Macs:N0} MACs ({cost.Macs / 1e9:F3} GMACs) at {inputSize}, {cost.Bytes / 1e6:F1} MB moved (float32 weights and activations)"));
            return 0;
        }));
        return command;
    }

    private static LayerRow Row(LayerCost l)
    {
        // The layer's first parameter (a convolution's or linear layer's weight, a norm's scale): what its width reads off.
        var weight = l.Layer.State(l.InputShapes).FirstOrDefault(t => t.IsParameter) is { } first ? string.Join("x", first.Shape) : "";
        return new LayerRow(l.Name, l.Kind, weight, string.Join("x", l.OutputShape.Skip(1)), l.Params.ToString("N0", CultureInfo.InvariantCulture),
            l.Macs.ToString("N0", CultureInfo.InvariantCulture), (l.Bytes / 1024.0).ToString("N1", CultureInfo.InvariantCulture));
    }

    /// <summary>HEIGHTxWIDTH, for options that need a concrete size.</summary>
    public static ImageSize ParseSize(string text)
    {
        try
        {
            return ImageSize.Parse(text) ?? throw new ArgumentException("--size: a model needs a concrete input size HEIGHTxWIDTH, not native");
        }
        catch (FormatException e)
        {
            throw new ArgumentException($"--size: {e.Message}");
        }
    }
}
