using System.CommandLine;
using System.Globalization;
using QuakePrune.Models;
using QuakePrune.Spectrograms;
using QuakePrune.Torch;

namespace QuakePrune.Cli.Commands;

/// <summary>`quakeprune model init` (a freshly initialised checkpoint) and `quakeprune model show` (per-layer parameters, MACs and bytes moved).</summary>
public static class ModelCommand
{
    public static Command Create() => new("model", "Create a freshly initialised checkpoint, or show a checkpoint's per-layer cost.")
    {
        InitCommand(),
        ShowCommand(),
    };

    private static Command InitCommand()
    {
        var output = new Option<string>("--out") { Description = "Checkpoint to write (.safetensors)", Required = true };
        var arch = new Option<string>("--arch") { Description = "Architecture: resnet50", DefaultValueFactory = _ => "resnet50" };
        var size = new Option<string>("--size") { Description = "Input size HxW recorded in the checkpoint", DefaultValueFactory = _ => "224x224" };
        var classes = new Option<int>("--classes") { Description = "Output classes", DefaultValueFactory = _ => 2 };
        var hidden = new Option<int>("--hidden") { Description = "Width of a hidden fully connected layer before the output (0: none)", DefaultValueFactory = _ => 0 };
        var seed = new Option<int>("--seed") { Description = "Seed of the weight initialisation", DefaultValueFactory = _ => 0 };
        var command = new Command("init", "Write a freshly initialised model (same seed, same weights) as a checkpoint.") { output, arch, size, classes, hidden, seed };
        command.SetAction(parse => CommandErrors.Run(() =>
        {
            var name = parse.GetValue(arch)!;
            if (!name.Equals("resnet50", StringComparison.OrdinalIgnoreCase))
                throw new ArgumentException($"--arch must be resnet50, got '{name}'");
            var imageSize = ImageSize.Parse(parse.GetValue(size)!) ?? throw new ArgumentException("--size must be HxW, not 'native'");
            var (classCount, hiddenWidth) = (parse.GetValue(classes), parse.GetValue(hidden));
            if (classCount < 1 || hiddenWidth < 0)
                throw new ArgumentException($"--classes must be positive and --hidden 0 or more, got {classCount} and {hiddenWidth}");
            var path = parse.GetValue(output)!;
            var architecture = ResNetArchitecture.ResNet50(classCount, hiddenWidth);
            var modelSeed = parse.GetValue(seed);
            torch.manual_seed(modelSeed);
            using var model = new ResNet(architecture);
            var notes = new Dictionary<string, string> { ["init.seed"] = modelSeed.ToString(CultureInfo.InvariantCulture) };
            Checkpoint.Save(model, new ModelInfo(architecture, imageSize, null, notes), path);
            Console.WriteLine($"model: wrote an initialised {name} ({model.parameter_count():N0} parameters, {imageSize}, seed {modelSeed}) to {path}");
            return 0;
        }));
        return command;
    }

    private static Command ShowCommand()
    {
        var model = new Option<string>("--model") { Description = "Checkpoint (.safetensors); only its header is read", Required = true };
        var size = new Option<string?>("--size") { Description = "Input size HxW (default: the checkpoint's)" };
        var command = new Command("show", "Print a checkpoint's per-layer and total parameters, MACs and float32 bytes moved.") { model, size };
        command.SetAction(parse => CommandErrors.Run(() =>
        {
            var path = parse.GetValue(model)!;
            var info = Checkpoint.ReadInfo(path);
            var imageSize = parse.GetValue(size) is { } text
                ? ImageSize.Parse(text) ?? throw new ArgumentException("--size must be HxW, not 'native'")
                : info.InputSize;
            var cost = ModelCost.Of(info.Architecture, imageSize.Height, imageSize.Width);
            Console.Write(CostTable(path, cost));
            return 0;
        }));
        return command;
    }

    /// <summary>One line per layer with its output shape, then the totals.</summary>
    public static string CostTable(string path, ModelCost cost)
    {
        var text = new System.Text.StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"{path} at {cost.Height}x{cost.Width}");
        text.AppendLine(CultureInfo.InvariantCulture,
            $"{"layer",-24} {"kind",-17} {"in",5} {"out",5} {"k",2} {"s",2} {"output",12} {"params",11} {"MMACs",10} {"MB moved",9}");
        foreach (var l in cost.Layers)
            text.AppendLine(CultureInfo.InvariantCulture,
                $"{l.Name,-24} {l.Kind,-17} {l.InChannels,5} {l.OutChannels,5} {l.Kernel,2} {l.Stride,2} {$"{l.OutChannels}x{l.OutHeight}x{l.OutWidth}",12} " +
                $"{l.Params,11} {l.Macs / 1e6,10:F2} {l.Bytes / 1e6,9:F3}");
        text.AppendLine(CultureInfo.InvariantCulture,
            $"total: {cost.Params:N0} parameters, {cost.Macs / 1e9:F3} GMACs, {cost.Bytes / 1e6:F1} MB moved (float32 weights + activations), " +
            $"{cost.Layers.Count} layers ({cost.Operations} launched)");
        return text.ToString();
    }
}
