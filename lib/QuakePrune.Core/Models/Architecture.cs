using System.Text.Json;
using System.Text.Json.Nodes;

namespace QuakePrune.Models;

/// <summary>
/// What a checkpoint records of its network, in its metadata: the builder that describes it, the builder's arguments
/// (the structure: depth, block kind, head), and the width of every layer that opens a channel space (every
/// convolution's filters, every linear layer's outputs), by layer name. Pruning changes only <see cref="Widths"/>, so
/// it never needs to know the builder; <see cref="Graph"/> is the network's description.
/// </summary>
public sealed class Architecture : IEquatable<Architecture>
{
    private readonly string argumentsJson;
    private readonly Lazy<NetworkGraph> graph;

    /// <summary>
    /// Checks <paramref name="arguments"/> are <paramref name="builder"/>'s and in range
    /// (<see cref="INetworkBuilder.WriteArguments"/>).
    /// </summary>
    public Architecture(INetworkBuilder builder, BuilderArguments arguments, IReadOnlyDictionary<string, int> widths)
    {
        Builder = builder;
        Arguments = arguments;
        argumentsJson = builder.WriteArguments(arguments).ToJsonString();
        Widths = new Dictionary<string, int>(widths);
        graph = new Lazy<NetworkGraph>(() => Builder.Describe(Arguments, Width));
    }

    /// <summary>
    /// The builder that describes the network; checkpoints record its <see cref="INetworkBuilder.Name"/> (found again
    /// in <see cref="NetworkBuilders"/>).
    /// </summary>
    public INetworkBuilder Builder { get; }

    /// <summary>
    /// The builder's arguments, its own record (<see cref="ResNetArguments"/>...): a value, so changing a copy
    /// (<c>with</c>) changes nothing here.
    /// </summary>
    public BuilderArguments Arguments { get; }

    /// <summary>Output width of each layer that opens a channel space, by layer name.</summary>
    public IReadOnlyDictionary<string, int> Widths { get; }

    /// <summary>The network's description (built once per architecture).</summary>
    public NetworkGraph Graph => graph.Value;

    /// <summary>The same structure with some widths replaced (a pruned network).</summary>
    public Architecture WithWidths(IReadOnlyDictionary<string, int> changes)
    {
        var widths = new Dictionary<string, int>(Widths);
        foreach (var (layer, width) in changes)
        {
            if (!widths.ContainsKey(layer))
                throw new ArgumentException($"architecture: no layer '{layer}' opens a channel space");
            widths[layer] = width;
        }
        return new Architecture(Builder, Arguments, widths);
    }

    private int Width(string layer)
    {
        if (!Widths.TryGetValue(layer, out var width))
            throw new InvalidDataException($"architecture: no width for layer '{layer}'");
        if (width < 1)
            throw new InvalidDataException($"architecture: layer '{layer}' has width {width}; it must be at least 1");
        return width;
    }

    /// <summary>
    /// Checks the description can be built and every width is used; throws <see cref="InvalidDataException"/> naming
    /// what is wrong.
    /// </summary>
    public void Validate()
    {
        var described = Graph;
        var opening = described
            .Nodes.Where(n =>
                n.Layer.Channels(NetworkGraph.InputShapes(n, described.DefaultShapes)) == ChannelEffect.Opens
            )
            .Select(n => n.Name)
            .ToHashSet();
        var unused = Widths.Keys.Where(k => !opening.Contains(k)).ToArray();
        if (unused.Length > 0)
            throw new InvalidDataException(
                $"architecture: widths for layers that open no channel space: {string.Join(", ", unused)}"
            );
    }

    private static readonly JsonSerializerOptions Indentless = new() { WriteIndented = false };

    /// <summary>
    /// {"builder": ..., "arguments": {...}, "widths": {layer: width, ...}}, widths in the description's layer order.
    /// </summary>
    public string ToJson()
    {
        var order = Graph.Nodes.Select((n, i) => (n.Name, i)).ToDictionary(x => x.Name, x => x.i);
        var widths = new JsonObject();
        foreach (
            var (layer, width) in Widths
                .OrderBy(w => order.GetValueOrDefault(w.Key, int.MaxValue))
                .ThenBy(w => w.Key, StringComparer.Ordinal)
        )
            widths[layer] = width;
        return new JsonObject
        {
            ["builder"] = Builder.Name,
            ["arguments"] = JsonNode.Parse(argumentsJson),
            ["widths"] = widths,
        }.ToJsonString(Indentless);
    }

    /// <summary>
    /// Reads <see cref="ToJson"/>'s form, or an older form a builder still reads
    /// (<see cref="INetworkBuilder.FromLegacyJson"/>). Whatever is wrong is an <see cref="InvalidDataException"/>
    /// naming it: the builder reads its arguments field by field.
    /// </summary>
    public static Architecture FromJson(string json)
    {
        JsonObject parsed;
        try
        {
            parsed =
                JsonNode.Parse(json) as JsonObject
                ?? throw new InvalidDataException("architecture: JSON is not an object");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"architecture: not valid JSON ({e.Message})", e);
        }
        Architecture architecture;
        if (parsed.ContainsKey("builder"))
        {
            var name =
                parsed["builder"] is JsonValue value && value.TryGetValue<string>(out var text)
                    ? text
                    : throw new InvalidDataException(
                        $"architecture: builder must be a name, got {parsed["builder"]?.ToJsonString() ?? "null"}"
                    );
            var builder = NetworkBuilders.Named(name);
            var arguments =
                parsed["arguments"] as JsonObject
                ?? throw new InvalidDataException("architecture: no arguments object");
            var widths =
                parsed["widths"] as JsonObject ?? throw new InvalidDataException("architecture: no widths object");
            architecture = new Architecture(
                builder,
                builder.ReadArguments(arguments),
                widths.ToDictionary(
                    w => w.Key,
                    w =>
                        w.Value is JsonValue width && width.TryGetValue<int>(out var count)
                            ? count
                            : throw new InvalidDataException(
                                $"architecture: the width of '{w.Key}' must be a whole number, got {w.Value?.ToJsonString() ?? "null"}"
                            )
                )
            );
        }
        else
        {
            architecture = NetworkBuilders.All.Select(b => b.FromLegacyJson(parsed)).FirstOrDefault(a => a is not null)
                ?? throw new InvalidDataException($"architecture: no builder reads {Shorten(json)}");
        }
        architecture.Validate();
        return architecture;
    }

    /// <summary>
    /// The architecture of a bare state dict (a torchvision export, say): the first builder that recognises the tensor
    /// names gives the structure; each opening layer's width is read from the tensor that holds its output channels.
    /// </summary>
    public static Architecture FromShapes(IReadOnlyDictionary<string, long[]> shapes)
    {
        foreach (var builder in NetworkBuilders.All)
        {
            if (builder.Recognise(shapes) is not { } arguments)
                continue;
            // The structure does not depend on the widths: describe it at width 1 to find the opening layers and their
            // tensors.
            var skeleton = builder.Describe(arguments, _ => 1);
            var widths = new Dictionary<string, int>();
            foreach (
                var node in skeleton.Nodes.Where(n =>
                    n.Layer.Channels(NetworkGraph.InputShapes(n, skeleton.DefaultShapes)) == ChannelEffect.Opens
                )
            )
            {
                var tensor = node.Layer.OutputChannelTensors[0];
                var name = $"{node.Name}.{tensor.Name}";
                if (!shapes.TryGetValue(name, out var shape) || shape.Length <= tensor.Axis)
                    throw new InvalidDataException(
                        $"no architecture in the metadata, and tensor {name} (which gives {node.Name}'s width) is missing or too small"
                    );
                widths[node.Name] = (int)shape[tensor.Axis];
            }
            var architecture = new Architecture(builder, arguments, widths);
            architecture.Validate();
            return architecture;
        }
        throw new InvalidDataException(
            $"no architecture in the metadata, and no builder ({string.Join(", ", NetworkBuilders.All.Select(b => b.Name))}) recognises the tensor names"
        );
    }

    private static string Shorten(string text) => text.Length <= 80 ? text : text[..77] + "...";

    public bool Equals(Architecture? other) =>
        other is not null
        && Builder.Name == other.Builder.Name
        && argumentsJson == other.argumentsJson
        && Widths.Count == other.Widths.Count
        && Widths.All(w => other.Widths.TryGetValue(w.Key, out var v) && v == w.Value);

    public override bool Equals(object? obj) => Equals(obj as Architecture);

    public override int GetHashCode() =>
        HashCode.Combine(Builder.Name, argumentsJson, Widths.Count, Widths.Sum(w => w.Value));

    public override string ToString() => ToJson();
}
