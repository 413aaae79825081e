using System.Text.Json.Nodes;

namespace QuakePrune.Models;

/// <summary>The options `model init` and the trainer give every builder: input channels, and for classifiers the classes and the hidden head.</summary>
public sealed record NetworkOptions(int InChannels = 3, int Classes = 2, int Hidden = 0);

/// <summary>
/// A family of networks (the torchvision ResNets, EQTransformer and its variants...): it describes a network from its
/// arguments and widths, names its members, recognises its checkpoints, and initialises fresh weights its way. A new
/// architecture is a new builder, listed in <see cref="NetworkBuilders.All"/>; pruning, costing and inference need nothing else.
/// </summary>
public interface INetworkBuilder
{
    /// <summary>The name recorded in checkpoints ("resnet").</summary>
    string Name { get; }

    /// <summary>The members `model init --arch` accepts ("resnet18", "resnet34", "resnet50").</summary>
    IReadOnlyList<string> Members { get; }

    /// <summary>A member at its published widths.</summary>
    Architecture Create(string member, NetworkOptions options);

    /// <summary>The description for these arguments, with each opening layer's width given by <paramref name="widthOf"/> (by layer name).</summary>
    NetworkGraph Describe(JsonObject arguments, Func<string, int> widthOf);

    /// <summary>The arguments of a bare state dict of this family (by its tensor names and shapes), or null when it is not one.</summary>
    JsonObject? Recognise(IReadOnlyDictionary<string, long[]> shapes);

    /// <summary>An architecture from a metadata form this family wrote before <see cref="Architecture.ToJson"/>, or null.</summary>
    Architecture? FromLegacyJson(JsonObject json);

    /// <summary>Sets fresh weights as the family's reference implementation does (the modules start with PyTorch's defaults).</summary>
    void Initialise(Network network);
}

/// <summary>Every known builder: the one list a new architecture is added to.</summary>
public static class NetworkBuilders
{
    public static IReadOnlyList<INetworkBuilder> All { get; } = [ResNetBuilder.Instance, EqTransformerBuilder.Instance];

    public static INetworkBuilder Named(string name) =>
        All.FirstOrDefault(b => b.Name == name)
        ?? throw new InvalidDataException($"architecture: unknown builder '{name}' (known: {string.Join(", ", All.Select(b => b.Name))})");

    /// <summary>Every member name `model init --arch` accepts.</summary>
    public static IReadOnlyList<string> Members => All.SelectMany(b => b.Members).ToArray();

    /// <summary>The member named <paramref name="member"/> (resnet18, resnet50...) at its published widths.</summary>
    public static Architecture Create(string member, NetworkOptions options)
    {
        var name = member.Trim().ToLowerInvariant();
        var builder = All.FirstOrDefault(b => b.Members.Contains(name))
                      ?? throw new ArgumentException($"'{member}' is not a known architecture (known: {string.Join(", ", Members)})");
        return builder.Create(name, options);
    }
}
