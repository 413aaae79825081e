using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using QuakePrune.Latency;
using QuakePrune.Models;
using QuakePrune.Notebooks.Formatting;
using QuakePrune.Outputs;
using QuakePrune.Spectrograms;
using QuakePrune.Training;
using static QuakePrune.Torch.torch;

namespace QuakePrune.Cli.Commands;

/// <summary>
/// `quakeprune model init|show|cost|latency`: a freshly initialised checkpoint, what a checkpoint holds and costs, what
/// each architecture costs, and how long a plain forward takes.
/// </summary>
public static class ModelCommand
{
    /// <summary>
    /// One line of `model show`: a layer's weight shape, output shape, parameters and MACs at the model's input size.
    /// </summary>
    public sealed record LayerRow(
        string Name,
        string Kind,
        string Weight,
        string Output,
        string Params,
        string Macs,
        string KBMoved
    );

    /// <summary>
    /// One line of `model cost`: an architecture's parameters and MACs per input, and what its recurrent and attention
    /// layers take of them.
    /// </summary>
    public sealed record CostRow(
        string Arch,
        string Input,
        string Params,
        string MMacs,
        string RecurrentMMacs,
        string AttentionMMacs,
        string Layers
    );

    public static Command Create() => new("model", "Create or inspect model checkpoints.") { Init(), Show(), Cost() };

    /// <summary>
    /// Image networks take their input size from --size; a waveform network's description fixes its window.
    /// </summary>
    private static bool TakesImages(Architecture architecture) => architecture.Graph.InputShape.Length == 4;

    private static Command Init()
    {
        var arch = new Option<string>("--arch")
        {
            Description = $"Architecture ({string.Join(", ", NetworkBuilders.Members)})",
            DefaultValueFactory = _ => "resnet50",
        };
        var classes = new Option<int>("--classes") { Description = "Output classes", DefaultValueFactory = _ => 2 };
        var hidden = new Option<int>("--hidden")
        {
            Description = "Hidden head width (0: a single Linear; classifiers only)",
            DefaultValueFactory = _ => 512,
        };
        var channels = new Option<int>("--channels") { Description = "Input channels", DefaultValueFactory = _ => 3 };
        var size = new Option<string?>("--size")
        {
            Description = "Input size HEIGHTxWIDTH recorded in the checkpoint (image networks; default 224x224)",
        };
        var seed = new Option<long>("--seed")
        {
            Description = "Seed of the initial weights",
            DefaultValueFactory = _ => 1,
        };
        var output = new Option<string>("--out")
        {
            Description = "Checkpoint to write (.safetensors)",
            Required = true,
        };
        var overwrite = new Option<bool>("--overwrite")
        {
            Description = "Replace an existing output (never one of the inputs)",
        };
        var command = new Command(
            "init",
            "Write a freshly initialised model (PyTorch's default initialisation) to a checkpoint."
        )
        {
            arch,
            classes,
            hidden,
            channels,
            size,
            seed,
            output,
            overwrite,
        };
        command.SetAction(parse =>
            CommandErrors.Run(() =>
            {
                var name = parse.GetValue(arch)!.Trim().ToLowerInvariant();
                var architecture = NetworkBuilders.Create(
                    name,
                    new NetworkOptions(parse.GetValue(channels), parse.GetValue(classes), parse.GetValue(hidden))
                );
                var waveform = !TakesImages(architecture);
                if (waveform && parse.GetValue(size) is not null)
                    throw new ArgumentException(
                        $"--size: {name} reads waveform windows of {Layer.Text(architecture.Graph.InputShape[1..])} samples, fixed by its architecture"
                    );
                // A waveform network records no image size of its own: 1x1, so that no image path mistakes it for a
                // spectrogram size.
                var inputSize = waveform ? new ImageSize(1, 1) : ParseSize(parse.GetValue(size) ?? "224x224");
                var path = parse.GetValue(output)!;
                using var outputs = new OutputSet("model init", parse.GetValue(overwrite), []);
                var partial = outputs.File(path);
                manual_seed(parse.GetValue(seed));
                using var model = new Network(architecture);
                var info = new ModelInfo(
                    architecture,
                    inputSize,
                    new Dictionary<string, string>
                    {
                        ["init.seed"] = parse.GetValue(seed).ToString(CultureInfo.InvariantCulture),
                    }
                );
                Checkpoint.Save(model, info, partial);
                outputs.Publish();
                var cost = ModelCost.Of(info);
                var what = waveform
                    ? $"{name}, outputs {string.Join(", ", architecture.Graph.Outputs)}"
                    : $"{name}, {parse.GetValue(classes)} classes, hidden {parse.GetValue(hidden)}";
                Console.WriteLine(
                    string.Create(
                        CultureInfo.InvariantCulture,
                        $"model init: {what}: {cost.Params:N0} parameters, {cost.Macs / 1e6:F1} MMACs at {InputText(info.InputShape)} -> {path}"
                    )
                );
                return 0;
            })
        );
        return command;
    }

    private static Command Show()
    {
        var path = new Argument<string>("checkpoint") { Description = "Checkpoint (.safetensors)" };
        var size = new Option<string?>("--size")
        {
            Description = "Input size HEIGHTxWIDTH for the MACs (image networks; default: the checkpoint's)",
        };
        var command = new Command(
            "show",
            "Print a checkpoint's layers (weight and output shapes, parameters, MACs, bytes moved) and totals."
        )
        {
            path,
            size,
        };
        command.SetAction(parse =>
            CommandErrors.Run(() =>
            {
                var file = parse.GetValue(path)!;
                var info = Checkpoint.ReadInfo(file);
                if (parse.GetValue(size) is { } text)
                {
                    if (!TakesImages(info.Architecture))
                        throw new ArgumentException(
                            $"--size: {file} holds a waveform network; its window ({InputText(info.InputShape)}) is fixed by its architecture"
                        );
                    info = info with { InputSize = ParseSize(text) };
                }
                var input = InputText(info.InputShape);
                var cost = ModelCost.Of(info);
                var rows = cost.Layers.Select(Row).ToList();
                var c = CultureInfo.InvariantCulture;
                var graph = info.Architecture.Graph;
                Console.WriteLine(
                    string.Create(
                        c,
                        $"{file}: {info.Architecture.Builder.Name} network, input {input}, "
                            + $"output {string.Join(", ", graph.Outputs.Select(o => $"{(graph.Outputs.Count > 1 ? o + " " : "")}{string.Join("x", graph.DefaultShapes[o].Skip(1))}"))}"
                    )
                );
                if (info.Spectrogram() is { } s)
                    Console.WriteLine(
                        string.Create(
                            c,
                            $"spectrogram: nperseg {s.Nperseg}, noverlap {s.Noverlap}, {s.Normalization.ToString().ToLowerInvariant()}"
                        )
                    );
                foreach (var (key, value) in info.Provenance.OrderBy(kv => kv.Key, StringComparer.Ordinal))
                    Console.WriteLine($"{key}: {value}");
                Console.WriteLine(TableFormatter.Format(rows, int.MaxValue).PlainText);
                Console.WriteLine(
                    string.Create(
                        c,
                        $"total: {cost.Params:N0} parameters, {cost.Macs:N0} MACs ({cost.Macs / 1e9:F3} GMACs) at {(TakesImages(info.Architecture) ? info.InputSize.ToString() : input)}, {cost.Bytes / 1e6:F1} MB moved (float32 weights and activations)"
                    )
                );
                return 0;
            })
        );
        return command;
    }

    private static Command Cost()
    {
        var archs = new Option<string[]>("--arch")
        {
            Description =
                $"Architectures to compare (repeatable; default: every one, {string.Join(", ", NetworkBuilders.Members)})",
            AllowMultipleArgumentsPerToken = true,
        };
        var size = new Option<string>("--size")
        {
            Description = "Input size HEIGHTxWIDTH of image networks",
            DefaultValueFactory = _ => "224x224",
        };
        var command = new Command(
            "cost",
            "Print each architecture's parameters and MACs per input (batch 1), at its published widths, without writing anything."
        )
        {
            archs,
            size,
        };
        command.SetAction(parse =>
            CommandErrors.Run(() =>
            {
                var imageSize = ParseSize(parse.GetValue(size)!);
                var names = parse.GetValue(archs) is { Length: > 0 } given ? given : NetworkBuilders.Members.ToArray();
                var c = CultureInfo.InvariantCulture;
                var rows = names
                    .Select(name =>
                    {
                        var architecture = NetworkBuilders.Create(name, new NetworkOptions(Hidden: 0));
                        var shape = TakesImages(architecture)
                            ? architecture.Graph.InputShapeAt(1, imageSize.Height, imageSize.Width)
                            : architecture.Graph.InputShape;
                        var cost = ModelCost.Of(architecture, shape);
                        string Mmacs(Func<Layer, bool> which) =>
                            (cost.Layers.Where(l => which(l.Layer)).Sum(l => l.Macs) / 1e6).ToString("F2", c);
                        return new CostRow(
                            name.Trim().ToLowerInvariant(),
                            InputText(shape),
                            cost.Params.ToString("N0", c),
                            Mmacs(_ => true),
                            Mmacs(l => l is RecurrentLayer),
                            Mmacs(l => l is AdditiveSelfAttentionLayer),
                            cost.Layers.Count.ToString(c)
                        );
                    })
                    .ToList();
                Console.WriteLine(TableFormatter.Format(rows, int.MaxValue).PlainText);
                Console.WriteLine(
                    "MACs per input at batch 1 (classifiers: two classes, one Linear head); RecurrentMMacs and AttentionMMacs are the shares of LSTM/GRU and attention layers."
                );
                return 0;
            })
        );
        return command;
    }

    /// <summary>An input shape without its batch axis: "3x224x224", "3x6000".</summary>
    private static string InputText(long[] shape) => Layer.Text(shape[1..]);

    private static LayerRow Row(LayerCost l)
    {
        // The layer's first parameter (a convolution's or linear layer's weight, a norm's scale): what its width reads
        // off.
        var weight = l.Layer.State(l.InputShapes).FirstOrDefault(t => t.IsParameter) is { } first
            ? string.Join("x", first.Shape)
            : "";
        return new LayerRow(
            l.Name,
            l.Kind,
            weight,
            string.Join("x", l.OutputShape.Skip(1)),
            l.Params.ToString("N0", CultureInfo.InvariantCulture),
            l.Macs.ToString("N0", CultureInfo.InvariantCulture),
            (l.Bytes / 1024.0).ToString("N1", CultureInfo.InvariantCulture)
        );
    }

    /// <summary>HEIGHTxWIDTH, for options that need a concrete size.</summary>
    public static ImageSize ParseSize(string text)
    {
        try
        {
            return ImageSize.Parse(text)
                ?? throw new ArgumentException("--size: a model needs a concrete input size HEIGHTxWIDTH, not native");
        }
        catch (FormatException e)
        {
            throw new ArgumentException($"--size: {e.Message}");
        }
    }
}
