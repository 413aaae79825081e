using System.Text.Json.Nodes;
using QuakePrune.Torch;
using QuakePrune.Torch.Modules;
using static QuakePrune.Torch.torch;

namespace QuakePrune.Models;

/// <summary>torchvision's two residual blocks: BasicBlock (two 3x3 convolutions; ResNet18/34) and Bottleneck (1x1, 3x3, 1x1; ResNet50).</summary>
public enum ResNetBlock { Basic, Bottleneck }

/// <summary>One stage's widths (torchvision's layerN): its residual stream and each block's inner convolutions (conv1 for a basic block; conv1, conv2 for a bottleneck).</summary>
public sealed record ResNetStage(int Width, IReadOnlyList<int[]> Blocks);

/// <summary>
/// The torchvision ResNets as architectures: ResNet18, ResNet34 and ResNet50 at their published widths (loading strictly
/// into <c>torchvision.models.resnetNN(num_classes=...)</c>, with the optional hidden head <c>fc.0</c>/<c>fc.3</c>), or any widths.
/// </summary>
public static class ResNetArchitecture
{
    /// <summary>torchvision's resnet18: basic blocks 2-2-2-2, widths 64..512; 11,177,538 parameters with two classes.</summary>
    public static Architecture ResNet18(int classes = 2, int hidden = 0, int inChannels = 3) => Published(ResNetBlock.Basic, [2, 2, 2, 2], classes, hidden, inChannels);

    /// <summary>torchvision's resnet34: basic blocks 3-4-6-3.</summary>
    public static Architecture ResNet34(int classes = 2, int hidden = 0, int inChannels = 3) => Published(ResNetBlock.Basic, [3, 4, 6, 3], classes, hidden, inChannels);

    /// <summary>torchvision's resnet50: bottlenecks 3-4-6-3, inner widths 64..512, residual widths 256..2048; 23,512,130 parameters with two classes.</summary>
    public static Architecture ResNet50(int classes = 2, int hidden = 0, int inChannels = 3) =>
        Published(ResNetBlock.Bottleneck, [3, 4, 6, 3], classes, hidden, inChannels);

    private static Architecture Published(ResNetBlock block, int[] blocks, int classes, int hidden, int inChannels)
    {
        var expansion = block == ResNetBlock.Bottleneck ? 4 : 1;
        var stages = blocks.Select((count, s) =>
        {
            var planes = 64 << s;
            return new ResNetStage(planes * expansion, Enumerable.Range(0, count).Select(_ => block == ResNetBlock.Bottleneck ? new[] { planes, planes } : [planes]).ToArray());
        }).ToArray();
        return Custom(block, 64, stages, hidden, classes, inChannels);
    }

    /// <summary>Any widths: the stem's, and each stage's (<see cref="ResNetStage"/>); hidden 0 means the head is one Linear.</summary>
    public static Architecture Custom(ResNetBlock block, int stem, IReadOnlyList<ResNetStage> stages, int hidden = 0, int classes = 2, int inChannels = 3)
    {
        var inner = block == ResNetBlock.Bottleneck ? 2 : 1;
        var widths = new Dictionary<string, int> { ["conv1"] = stem };
        for (var s = 0; s < stages.Count; s++)
        for (var b = 0; b < stages[s].Blocks.Count; b++)
        {
            var p = $"layer{s + 1}.{b}";
            var w = stages[s].Blocks[b];
            if (w.Length != inner) throw new ArgumentException($"{p}: a {block.ToString().ToLowerInvariant()} block has {inner} inner width(s), got {w.Length}");
            widths[$"{p}.conv1"] = w[0];
            widths[$"{p}.conv2"] = inner == 2 ? w[1] : stages[s].Width;
            if (block == ResNetBlock.Bottleneck) widths[$"{p}.conv3"] = stages[s].Width;
            if (b == 0 && ResNetBuilder.HasDownsample(block, s)) widths[$"{p}.downsample.0"] = stages[s].Width;
        }
        if (hidden > 0)
        {
            widths["fc.0"] = hidden;
            widths["fc.3"] = classes;
        }
        else widths["fc"] = classes;
        var arguments = new JsonObject
        {
            ["block"] = block.ToString().ToLowerInvariant(),
            ["blocks"] = new JsonArray(stages.Select(s => (JsonNode)s.Blocks.Count).ToArray()),
            ["in_channels"] = inChannels,
            ["hidden_layer"] = hidden > 0,
        };
        var architecture = new Architecture(ResNetBuilder.Instance, arguments, widths);
        architecture.Validate();
        return architecture;
    }
}

/// <summary>
/// Describes torchvision's ResNet (v1.5: a bottleneck's stride sits on its 3x3 convolution) with torchvision's module names:
/// conv1, bn1, maxpool, layerN.B.{conv1, bn1, conv2, bn2[, conv3, bn3], downsample.0, downsample.1}, avgpool, and the head
/// fc (or fc.0, fc.1 ReLU, fc.2 Dropout(0.5), fc.3 with a hidden layer). Layers without state carry names of their own
/// (layerN.B.relu1, layerN.B.add).
/// </summary>
public sealed class ResNetBuilder : INetworkBuilder
{
    public static readonly ResNetBuilder Instance = new();

    private ResNetBuilder()
    {
    }

    public string Name => "resnet";

    public IReadOnlyList<string> Members { get; } = ["resnet18", "resnet34", "resnet50"];

    public Architecture Create(string member, NetworkOptions options) => member switch
    {
        "resnet18" => ResNetArchitecture.ResNet18(options.Classes, options.Hidden, options.InChannels),
        "resnet34" => ResNetArchitecture.ResNet34(options.Classes, options.Hidden, options.InChannels),
        "resnet50" => ResNetArchitecture.ResNet50(options.Classes, options.Hidden, options.InChannels),
        _ => throw new ArgumentException($"'{member}' is not a ResNet of this builder ({string.Join(", ", Members)})"),
    };

    /// <summary>Whether stage <paramref name="stage"/>'s first block has a downsample path: torchvision adds one where the stride or the width changes.</summary>
    public static bool HasDownsample(ResNetBlock block, int stage) => block == ResNetBlock.Bottleneck || stage > 0;

    /// <summary>Stride of a stage's first block (on its 3x3 conv and its downsample).</summary>
    public static int StageStride(int stage) => stage == 0 ? 1 : 2;

    private sealed record Structure(ResNetBlock Block, int[] Blocks, int InChannels, bool HiddenLayer);

    private static Structure Read(JsonObject arguments)
    {
        var block = (string?)arguments["block"] switch
        {
            "basic" => ResNetBlock.Basic,
            "bottleneck" => ResNetBlock.Bottleneck,
            var other => throw new InvalidDataException($"resnet: block must be basic or bottleneck, got '{other}'"),
        };
        var blocks = (arguments["blocks"] as JsonArray)?.Select(n => n!.GetValue<int>()).ToArray()
                     ?? throw new InvalidDataException("resnet: no blocks per stage");
        if (blocks.Length == 0 || blocks.Any(b => b < 1)) throw new InvalidDataException($"resnet: every stage needs a block, got [{string.Join(", ", blocks)}]");
        var inChannels = arguments["in_channels"]?.GetValue<int>() ?? throw new InvalidDataException("resnet: no in_channels");
        if (inChannels < 1) throw new InvalidDataException($"resnet: in_channels must be at least 1, got {inChannels}");
        return new Structure(block, blocks, inChannels, arguments["hidden_layer"]?.GetValue<bool>() ?? false);
    }

    public NetworkGraph Describe(JsonObject arguments, Func<string, int> widthOf)
    {
        var a = Read(arguments);
        var nodes = new List<LayerNode>();
        string Add(string name, Layer layer, params string[] inputs)
        {
            nodes.Add(new LayerNode(name, layer, inputs));
            return name;
        }

        var x = Add("conv1", new Conv2dLayer(widthOf("conv1"), 7, 2, 3), NetworkGraph.Input);
        x = Add("bn1", new BatchNorm2dLayer(), x);
        x = Add("relu", new ReluLayer(), x);
        x = Add("maxpool", new MaxPool2dLayer(3, 2, 1), x);
        for (var s = 0; s < a.Blocks.Length; s++)
        for (var b = 0; b < a.Blocks[s]; b++)
        {
            var p = $"layer{s + 1}.{b}";
            var stride = b == 0 ? StageStride(s) : 1;
            string y;
            if (a.Block == ResNetBlock.Bottleneck)
            {
                y = Add($"{p}.conv1", new Conv2dLayer(widthOf($"{p}.conv1"), 1), x);
                y = Add($"{p}.bn1", new BatchNorm2dLayer(), y);
                y = Add($"{p}.relu1", new ReluLayer(), y);
                y = Add($"{p}.conv2", new Conv2dLayer(widthOf($"{p}.conv2"), 3, stride, 1), y);
                y = Add($"{p}.bn2", new BatchNorm2dLayer(), y);
                y = Add($"{p}.relu2", new ReluLayer(), y);
                y = Add($"{p}.conv3", new Conv2dLayer(widthOf($"{p}.conv3"), 1), y);
                y = Add($"{p}.bn3", new BatchNorm2dLayer(), y);
            }
            else
            {
                y = Add($"{p}.conv1", new Conv2dLayer(widthOf($"{p}.conv1"), 3, stride, 1), x);
                y = Add($"{p}.bn1", new BatchNorm2dLayer(), y);
                y = Add($"{p}.relu1", new ReluLayer(), y);
                y = Add($"{p}.conv2", new Conv2dLayer(widthOf($"{p}.conv2"), 3, 1, 1), y);
                y = Add($"{p}.bn2", new BatchNorm2dLayer(), y);
            }
            var identity = x;
            if (b == 0 && HasDownsample(a.Block, s))
            {
                identity = Add($"{p}.downsample.0", new Conv2dLayer(widthOf($"{p}.downsample.0"), 1, stride), x);
                identity = Add($"{p}.downsample.1", new BatchNorm2dLayer(), identity);
            }
            y = Add($"{p}.add", new AddLayer(), y, identity);
            x = Add($"{p}.relu", new ReluLayer(), y);
        }
        x = Add("avgpool", new GlobalAvgPool2dLayer(), x);
        x = Add("flatten", new FlattenLayer(), x);
        string output;
        if (a.HiddenLayer)
        {
            x = Add("fc.0", new LinearLayer(widthOf("fc.0")), x);
            x = Add("fc.1", new ReluLayer(), x);
            x = Add("fc.2", new DropoutLayer(0.5), x);
            output = Add("fc.3", new LinearLayer(widthOf("fc.3")), x);
        }
        else output = Add("fc", new LinearLayer(widthOf("fc")), x);
        return new NetworkGraph(nodes, [1, a.InChannels, 224, 224], [output]);
    }

    public JsonObject? Recognise(IReadOnlyDictionary<string, long[]> shapes)
    {
        if (!shapes.TryGetValue("conv1.weight", out var stem) || stem.Length != 4 || !shapes.ContainsKey("layer1.0.conv1.weight")) return null;
        var bottleneck = shapes.ContainsKey("layer1.0.conv3.weight");
        var blocks = new List<int>();
        for (var s = 1; shapes.ContainsKey($"layer{s}.0.conv1.weight"); s++)
        {
            var count = 0;
            while (shapes.ContainsKey($"layer{s}.{count}.conv1.weight")) count++;
            blocks.Add(count);
        }
        var hidden = shapes.ContainsKey("fc.0.weight");
        if (!shapes.ContainsKey(hidden ? "fc.3.weight" : "fc.weight")) return null;
        return new JsonObject
        {
            ["block"] = bottleneck ? "bottleneck" : "basic",
            ["blocks"] = new JsonArray(blocks.Select(b => (JsonNode)b).ToArray()),
            ["in_channels"] = (int)stem[1],
            ["hidden_layer"] = hidden,
        };
    }

    /// <summary>The first metadata form: {"family": "resnet-bottleneck", "in_channels", "stem", "hidden", "classes", "stages": [{"width", "blocks": [[conv1, conv2], ...]}]}.</summary>
    public Architecture? FromLegacyJson(JsonObject json)
    {
        if ((string?)json["family"] is not { } family) return null;
        if (family != "resnet-bottleneck") throw new InvalidDataException($"architecture: unknown family '{family}' (expected resnet-bottleneck)");
        int Int(JsonNode? node, string what) => node?.GetValue<int>() ?? throw new InvalidDataException($"architecture: no {what}");
        var stages = (json["stages"] as JsonArray ?? throw new InvalidDataException("architecture: JSON has no stages")).Select((stage, s) =>
            new ResNetStage(Int(stage?["width"], $"layer{s + 1} width"), (stage?["blocks"] as JsonArray ?? throw new InvalidDataException($"architecture: layer{s + 1} has no blocks"))
                .Select((block, b) => block is JsonArray pair && pair.Count == 2
                    ? new[] { Int(pair[0], "width"), Int(pair[1], "width") }
                    : throw new InvalidDataException($"architecture: layer{s + 1}.{b} needs two widths")).ToArray())).ToArray();
        if (stages.Length == 0 || stages.Any(s => s.Blocks.Count == 0)) throw new InvalidDataException("architecture: a stage without blocks");
        void Positive(int value, string what)
        {
            if (value < 1) throw new InvalidDataException($"architecture: {what} must be at least 1, got {value}");
        }
        Positive(Int(json["stem"], "stem width"), "stem width");
        Positive(Int(json["classes"], "classes"), "classes");
        for (var s = 0; s < stages.Length; s++)
        {
            Positive(stages[s].Width, $"layer{s + 1} width");
            for (var b = 0; b < stages[s].Blocks.Count; b++)
                foreach (var w in stages[s].Blocks[b]) Positive(w, $"layer{s + 1}.{b} width");
        }
        var hidden = Int(json["hidden"], "hidden");
        if (hidden < 0) throw new InvalidDataException($"architecture: hidden must be 0 or more, got {hidden}");
        return ResNetArchitecture.Custom(ResNetBlock.Bottleneck, Int(json["stem"], "stem width"), stages, hidden, Int(json["classes"], "classes"),
            Int(json["in_channels"], "in_channels"));
    }

    /// <summary>torchvision's initialisation: He-normal (fan_out) convolutions, unit-scale zero-shift norms; Linear keeps PyTorch's default.</summary>
    public void Initialise(Network network)
    {
        foreach (var (_, module) in network.named_modules())
        {
            switch (module)
            {
                case Conv2d conv:
                    nn.init.kaiming_normal_(conv.weight, mode: "fan_out", nonlinearity: "relu");
                    break;
                case BatchNorm2d bn:
                    nn.init.ones_(bn.weight!);
                    nn.init.zeros_(bn.bias!);
                    break;
            }
        }
    }
}
