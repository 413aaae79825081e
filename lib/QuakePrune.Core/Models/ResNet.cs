using System.Text.Json.Nodes;
using QuakePrune.Torch;
using QuakePrune.Torch.Modules;
using static QuakePrune.Torch.torch;

namespace QuakePrune.Models;

/// <summary>
/// torchvision's two residual blocks: BasicBlock (two 3x3 convolutions; ResNet18/34) and Bottleneck (1x1, 3x3, 1x1;
/// ResNet50).
/// </summary>
public enum ResNetBlock
{
    Basic,
    Bottleneck,
}

/// <summary>
/// One stage's widths (torchvision's layerN): its residual stream and each block's inner convolutions (conv1 for a
/// basic block; conv1, conv2 for a bottleneck).
/// </summary>
public sealed record ResNetStage(int Width, IReadOnlyList<int[]> Blocks);

/// <summary>
/// The arguments of <see cref="ResNetBuilder"/>: the structure of a torchvision ResNet apart from its widths.
/// </summary>
/// <param name="Block">The residual block of every stage.</param>
/// <param name="Blocks">Blocks per stage (torchvision's layer1, layer2...): 2, 2, 2, 2 for ResNet18.</param>
/// <param name="InChannels">Channels of the input image.</param>
/// <param name="HiddenLayer">Whether the head is fc.0, ReLU, Dropout, fc.3 rather than one fc; the JSON may leave it
/// out, as the first description's reader allowed, for a head without one.</param>
public sealed record ResNetArguments(
    ResNetBlock Block,
    IReadOnlyList<int> Blocks,
    int InChannels,
    bool HiddenLayer = false
) : BuilderArguments
{
    public override IEnumerable<(string Field, string Problem)> Problems()
    {
        if (!Enum.IsDefined(Block))
            yield return ("block", $"must be basic or bottleneck, got {(int)Block}");
        if (Blocks.Count == 0 || Blocks.Any(b => b < 1))
            yield return (
                "blocks",
                $"needs at least one stage and a block in every stage, got [{string.Join(", ", Blocks)}]"
            );
        if (InChannels < 1)
            yield return ("in_channels", $"must be at least 1, got {InChannels}");
    }
}

/// <summary>
/// The torchvision ResNets as architectures: ResNet18, ResNet34 and ResNet50 at their published widths (loading
/// strictly into <c>torchvision.models.resnetNN(num_classes=...)</c>, with the optional hidden head
/// <c>fc.0</c>/<c>fc.3</c>), or any widths.
/// </summary>
public static class ResNetArchitecture
{
    /// <summary>
    /// torchvision's resnet18: basic blocks 2-2-2-2, widths 64..512; 11,177,538 parameters with two classes.
    /// </summary>
    public static Architecture ResNet18(int classes = 2, int hidden = 0, int inChannels = 3) =>
        Published(ResNetBlock.Basic, [2, 2, 2, 2], classes, hidden, inChannels);

    /// <summary>torchvision's resnet34: basic blocks 3-4-6-3.</summary>
    public static Architecture ResNet34(int classes = 2, int hidden = 0, int inChannels = 3) =>
        Published(ResNetBlock.Basic, [3, 4, 6, 3], classes, hidden, inChannels);

    /// <summary>
    /// torchvision's resnet50: bottlenecks 3-4-6-3, inner widths 64..512, residual widths 256..2048; 23,512,130
    /// parameters with two classes.
    /// </summary>
    public static Architecture ResNet50(int classes = 2, int hidden = 0, int inChannels = 3) =>
        Published(ResNetBlock.Bottleneck, [3, 4, 6, 3], classes, hidden, inChannels);

    private static Architecture Published(ResNetBlock block, int[] blocks, int classes, int hidden, int inChannels)
    {
        var expansion = block == ResNetBlock.Bottleneck ? 4 : 1;
        var stages = blocks
            .Select(
                (count, s) =>
                {
                    var planes = 64 << s;
                    return new ResNetStage(
                        planes * expansion,
                        Enumerable
                            .Range(0, count)
                            .Select(_ => block == ResNetBlock.Bottleneck ? new[] { planes, planes } : [planes])
                            .ToArray()
                    );
                }
            )
            .ToArray();
        return Custom(block, 64, stages, hidden, classes, inChannels);
    }

    /// <summary>
    /// Any widths: the stem's, and each stage's (<see cref="ResNetStage"/>); hidden 0 means the head is one Linear.
    /// </summary>
    public static Architecture Custom(
        ResNetBlock block,
        int stem,
        IReadOnlyList<ResNetStage> stages,
        int hidden = 0,
        int classes = 2,
        int inChannels = 3
    )
    {
        var inner = block == ResNetBlock.Bottleneck ? 2 : 1;
        var widths = new Dictionary<string, int> { ["conv1"] = stem };
        for (var s = 0; s < stages.Count; s++)
        for (var b = 0; b < stages[s].Blocks.Count; b++)
        {
            var p = $"layer{s + 1}.{b}";
            var w = stages[s].Blocks[b];
            if (w.Length != inner)
                throw new ArgumentException(
                    $"{p}: a {block.ToString().ToLowerInvariant()} block has {inner} inner width(s), got {w.Length}"
                );
            widths[$"{p}.conv1"] = w[0];
            widths[$"{p}.conv2"] = inner == 2 ? w[1] : stages[s].Width;
            if (block == ResNetBlock.Bottleneck)
                widths[$"{p}.conv3"] = stages[s].Width;
            if (b == 0 && ResNetBuilder.HasDownsample(block, s))
                widths[$"{p}.downsample.0"] = stages[s].Width;
        }
        if (hidden > 0)
        {
            widths["fc.0"] = hidden;
            widths["fc.3"] = classes;
        }
        else
            widths["fc"] = classes;
        var arguments = new ResNetArguments(
            block,
            stages.Select(s => s.Blocks.Count).ToArray(),
            inChannels,
            hidden > 0
        );
        var architecture = new Architecture(ResNetBuilder.Instance, arguments, widths);
        architecture.Validate();
        return architecture;
    }
}

/// <summary>
/// Describes torchvision's ResNet (v1.5: a bottleneck's stride sits on its 3x3 convolution) with torchvision's module
/// names: conv1, bn1, maxpool, layerN.B.{conv1, bn1, conv2, bn2[, conv3, bn3], downsample.0, downsample.1}, avgpool,
/// and the head fc (or fc.0, fc.1 ReLU, fc.2 Dropout(0.5), fc.3 with a hidden layer). Layers without state carry names
/// of their own (layerN.B.relu1, layerN.B.add).
/// </summary>
public sealed class ResNetBuilder : NetworkBuilder<ResNetArguments>
{
    public static readonly ResNetBuilder Instance = new();

    private ResNetBuilder() { }

    public override string Name => "resnet";

    public override IReadOnlyList<string> Members { get; } = ["resnet18", "resnet34", "resnet50"];

    public override Architecture Create(string member, NetworkOptions options) =>
        member switch
        {
            "resnet18" => ResNetArchitecture.ResNet18(options.Classes, options.Hidden, options.InChannels),
            "resnet34" => ResNetArchitecture.ResNet34(options.Classes, options.Hidden, options.InChannels),
            "resnet50" => ResNetArchitecture.ResNet50(options.Classes, options.Hidden, options.InChannels),
            _ => throw new ArgumentException(
                $"'{member}' is not a ResNet of this builder ({string.Join(", ", Members)})"
            ),
        };

    /// <summary>
    /// Whether stage <paramref name="stage"/>'s first block has a downsample path: torchvision adds one where the
    /// stride or the width changes.
    /// </summary>
    public static bool HasDownsample(ResNetBlock block, int stage) => block == ResNetBlock.Bottleneck || stage > 0;

    /// <summary>Stride of a stage's first block (on its 3x3 conv and its downsample).</summary>
    public static int StageStride(int stage) => stage == 0 ? 1 : 2;

    public override NetworkGraph Describe(ResNetArguments a, Func<string, int> widthOf)
    {
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
        for (var s = 0; s < a.Blocks.Count; s++)
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
        else
            output = Add("fc", new LinearLayer(widthOf("fc")), x);
        return new NetworkGraph(nodes, [1, a.InChannels, 224, 224], [output]);
    }

    public override ResNetArguments? Recognise(IReadOnlyDictionary<string, long[]> shapes)
    {
        if (
            !shapes.TryGetValue("conv1.weight", out var stem)
            || stem.Length != 4
            || !shapes.ContainsKey("layer1.0.conv1.weight")
        )
            return null;
        var bottleneck = shapes.ContainsKey("layer1.0.conv3.weight");
        var blocks = new List<int>();
        for (var s = 1; shapes.ContainsKey($"layer{s}.0.conv1.weight"); s++)
        {
            var count = 0;
            while (shapes.ContainsKey($"layer{s}.{count}.conv1.weight"))
                count++;
            blocks.Add(count);
        }
        var hidden = shapes.ContainsKey("fc.0.weight");
        if (!shapes.ContainsKey(hidden ? "fc.3.weight" : "fc.weight"))
            return null;
        return new ResNetArguments(
            bottleneck ? ResNetBlock.Bottleneck : ResNetBlock.Basic,
            blocks,
            (int)stem[1],
            hidden
        );
    }

    /// <summary>
    /// The first metadata form, every width of a bottleneck ResNet: {"family": "resnet-bottleneck", "in_channels",
    /// "stem", "hidden", "classes", "stages": [{"width", "blocks": [[conv1, conv2], ...]}]}, read as strictly as the
    /// arguments.
    /// </summary>
    private sealed record FirstForm(
        string Family,
        int InChannels,
        int Stem,
        int Hidden,
        int Classes,
        IReadOnlyList<FirstFormStage> Stages
    ) : BuilderArguments
    {
        public override IEnumerable<(string Field, string Problem)> Problems()
        {
            if (Stem < 1)
                yield return ("stem", $"(the stem width) must be at least 1, got {Stem}");
            if (Classes < 1)
                yield return ("classes", $"must be at least 1, got {Classes}");
            if (Hidden < 0)
                yield return ("hidden", $"must be 0 or more, got {Hidden}");
            if (Stages.Count == 0)
                yield return ("stages", "is empty; a ResNet has at least one stage");
            for (var s = 0; s < Stages.Count; s++)
            {
                if (Stages[s].Width < 1)
                    yield return ("stages", $"gives layer{s + 1} width {Stages[s].Width}; widths must be at least 1");
                if (Stages[s].Blocks.Count == 0)
                    yield return ("stages", $"gives layer{s + 1} no blocks");
                for (var b = 0; b < Stages[s].Blocks.Count; b++)
                {
                    var widths = Stages[s].Blocks[b];
                    if (widths.Count != 2)
                        yield return (
                            "stages",
                            $"gives layer{s + 1}.{b} {widths.Count} widths; a bottleneck has two (conv1, conv2)"
                        );
                    else if (widths.Any(w => w < 1))
                        yield return (
                            "stages",
                            $"gives layer{s + 1}.{b} widths [{string.Join(", ", widths)}]; widths must be at least 1"
                        );
                }
            }
        }
    }

    /// <param name="Blocks">Each block's inner widths: conv1, conv2.</param>
    private sealed record FirstFormStage(int Width, IReadOnlyList<IReadOnlyList<int>> Blocks);

    /// <summary>Reads <see cref="FirstForm"/> (a JSON with a "family"); null for any other JSON.</summary>
    public override Architecture? FromLegacyJson(JsonObject json)
    {
        if (!json.ContainsKey("family"))
            return null;
        if (
            json["family"] is not JsonValue family
            || !family.TryGetValue<string>(out var name)
            || name != "resnet-bottleneck"
        )
            throw new InvalidDataException(
                $"architecture: unknown family {json["family"]?.ToJsonString() ?? "null"} (expected resnet-bottleneck)"
            );
        var form = BuilderJson.Read<FirstForm>("resnet (first metadata form)", json);
        return ResNetArchitecture.Custom(
            ResNetBlock.Bottleneck,
            form.Stem,
            form.Stages.Select(s => new ResNetStage(s.Width, s.Blocks.Select(b => b.ToArray()).ToArray())).ToArray(),
            form.Hidden,
            form.Classes,
            form.InChannels
        );
    }

    /// <summary>
    /// torchvision's initialisation: He-normal (fan_out) convolutions, unit-scale zero-shift norms; Linear keeps
    /// PyTorch's default.
    /// </summary>
    public override void Initialise(Network network)
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
