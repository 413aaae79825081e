using System.Text.Json;
using System.Text.Json.Serialization;

namespace QuakePrune.Models;

/// <summary>Widths of the two inner convolutions of one bottleneck block (conv3's width is the stage's).</summary>
public sealed record BottleneckWidths(int Conv1, int Conv2);

/// <summary>One stage (torchvision's layerN): its residual-stream width and its blocks.</summary>
public sealed record ResNetStage(int Width, IReadOnlyList<BottleneckWidths> Blocks);

/// <summary>
/// Every width of a torchvision-style bottleneck ResNet. The same code builds the full ResNet50 and any
/// pruned variant from this spec, and it travels in each checkpoint's metadata.
/// </summary>
public sealed record ResNetArchitecture
{
    public int InChannels { get; init; } = 3;
    public int Stem { get; init; } = 64;
    public required IReadOnlyList<ResNetStage> Stages { get; init; }
    /// <summary>0: the head is fc = Linear(width, classes); H: fc.0 Linear(width, H), ReLU, Dropout(0.5), fc.3 Linear(H, classes).</summary>
    public int Hidden { get; init; }
    public int Classes { get; init; } = 2;

    /// <summary>torchvision's resnet50: blocks 3-4-6-3, inner widths 64..512, residual widths 256..2048.</summary>
    public static ResNetArchitecture ResNet50(int classes = 2, int hidden = 0, int inChannels = 3)
    {
        int[] blocks = [3, 4, 6, 3];
        int[] planes = [64, 128, 256, 512];
        var stages = planes.Select((p, i) =>
            new ResNetStage(p * 4, Enumerable.Repeat(new BottleneckWidths(p, p), blocks[i]).ToArray())).ToArray();
        return new ResNetArchitecture { InChannels = inChannels, Stages = stages, Hidden = hidden, Classes = classes };
    }

    /// <summary>Stride of a stage's first block (on its 3x3 conv and its downsample), as in torchvision v1.5.</summary>
    public static int StageStride(int stage) => stage == 0 ? 1 : 2;

    /// <summary>Width of the features entering the head (the last stage's residual width).</summary>
    public int Features => Stages[^1].Width;

    public void Validate()
    {
        static void Positive(int value, string what)
        {
            if (value < 1) throw new InvalidDataException($"architecture: {what} must be at least 1, got {value}");
        }
        Positive(InChannels, "in_channels");
        Positive(Stem, "stem width");
        Positive(Classes, "classes");
        if (Hidden < 0) throw new InvalidDataException($"architecture: hidden must be 0 or more, got {Hidden}");
        if (Stages.Count == 0) throw new InvalidDataException("architecture: no stages");
        for (var s = 0; s < Stages.Count; s++)
        {
            Positive(Stages[s].Width, $"layer{s + 1} width");
            if (Stages[s].Blocks.Count == 0) throw new InvalidDataException($"architecture: layer{s + 1} has no blocks");
            for (var b = 0; b < Stages[s].Blocks.Count; b++)
            {
                Positive(Stages[s].Blocks[b].Conv1, $"layer{s + 1}.{b}.conv1 width");
                Positive(Stages[s].Blocks[b].Conv2, $"layer{s + 1}.{b}.conv2 width");
            }
        }
    }

    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    public string ToJson() => JsonSerializer.Serialize(new ArchitectureJson(
        "resnet-bottleneck", InChannels, Stem, Hidden, Classes,
        Stages.Select(s => new StageJson(s.Width, s.Blocks.Select(b => new[] { b.Conv1, b.Conv2 }).ToArray())).ToArray()), Json);

    public static ResNetArchitecture FromJson(string json)
    {
        ArchitectureJson? parsed;
        try
        {
            parsed = JsonSerializer.Deserialize<ArchitectureJson>(json, Json);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"architecture: not valid JSON ({e.Message})", e);
        }
        if (parsed is null || parsed.Stages is null)
            throw new InvalidDataException("architecture: JSON has no stages");
        if (parsed.Family != "resnet-bottleneck")
            throw new InvalidDataException($"architecture: unknown family '{parsed.Family}' (expected resnet-bottleneck)");
        var architecture = new ResNetArchitecture
        {
            InChannels = parsed.InChannels,
            Stem = parsed.Stem,
            Hidden = parsed.Hidden,
            Classes = parsed.Classes,
            Stages = parsed.Stages.Select((s, i) => new ResNetStage(s.Width, s.Blocks.Select((b, j) => b.Length == 2
                ? new BottleneckWidths(b[0], b[1])
                : throw new InvalidDataException($"architecture: layer{i + 1}.{j} needs two widths, got {b.Length}")).ToArray())).ToArray(),
        };
        architecture.Validate();
        return architecture;
    }

    private sealed record StageJson(int Width, int[][] Blocks);

    private sealed record ArchitectureJson(string Family, int InChannels, int Stem, int Hidden, int Classes, StageJson[] Stages);

    public bool Equals(ResNetArchitecture? other) => other is not null && ToJson() == other.ToJson();

    public override int GetHashCode() => ToJson().GetHashCode(StringComparison.Ordinal);
}
