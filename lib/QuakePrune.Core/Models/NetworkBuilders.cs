using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace QuakePrune.Models;

/// <summary>
/// The options `model init` and the trainer give every builder: input channels, and for classifiers the classes and the
/// hidden head.
/// </summary>
public sealed record NetworkOptions(int InChannels = 3, int Classes = 2, int Hidden = 0);

/// <summary>
/// A builder's arguments: a network's structure apart from its widths (depth, block kind, head), as a record of the
/// builder's own (<see cref="ResNetArguments"/>, <see cref="EqTransformerArguments"/>). A checkpoint holds them as a
/// JSON object read and written by <see cref="BuilderJson"/>: one field per property, in declaration order, named in
/// snake_case (InChannels is "in_channels"), enums by their lower-case names. A property whose parameter has a default
/// may be absent from the JSON.
/// </summary>
public abstract record BuilderArguments
{
    /// <summary>
    /// What is out of range, by JSON field name: the serialiser checks the types, this the values (a depth of 0, a rate
    /// of 2). Empty when the arguments describe a network.
    /// </summary>
    public virtual IEnumerable<(string Field, string Problem)> Problems() => [];
}

/// <summary>
/// Reads and writes <see cref="BuilderArguments"/> as checkpoints hold them. Every failure is an
/// <see cref="InvalidDataException"/> that names the builder and the field ("resnet: argument 'in_channels' must be at
/// least 1, got 0"), so that a damaged or hand-edited checkpoint says what to fix.
/// </summary>
public static class BuilderJson
{
    /// <summary>
    /// snake_case fields and enum names, numbers only as numbers, and strict about what is there: an absent required
    /// field, a null or an unknown field is refused rather than read as a default, since it would describe another
    /// network.
    /// </summary>
    private static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower, allowIntegerValues: false) },
        RespectNullableAnnotations = true,
        RespectRequiredConstructorParameters = true,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        TypeInfoResolver = new DefaultJsonTypeInfoResolver(),
    };

    /// <summary>
    /// The arguments of builder <paramref name="builder"/> in <paramref name="json"/>, checked field by field.
    /// </summary>
    public static T Read<T>(string builder, JsonObject json)
        where T : BuilderArguments
    {
        var info = Options.GetTypeInfo(typeof(T));
        var fields = info.Properties.ToDictionary(p => p.Name);
        foreach (var (name, value) in json)
        {
            if (!fields.TryGetValue(name, out var field))
                throw Invalid(builder, name, $"is not one of {typeof(T).Name}'s ({string.Join(", ", fields.Keys)})");
            if (value is null && !(field.AssociatedParameter?.IsNullable ?? field.IsSetNullable))
                throw Invalid(builder, name, $"is null; it must be {Describe(field.PropertyType)}");
        }
        foreach (
            var field in info.Properties.Where(p => p.AssociatedParameter is { HasDefaultValue: false } || p.IsRequired)
        )
            if (!json.ContainsKey(field.Name))
                throw Invalid(builder, field.Name, $"is missing ({Describe(field.PropertyType)})");
        T arguments;
        try
        {
            // An object never reads as null.
            arguments = JsonSerializer.Deserialize<T>(json, Options)!;
        }
        catch (JsonException e)
        {
            throw FieldOf(e.Path) is { } name && fields.TryGetValue(name, out var field)
                ? new InvalidDataException(
                    $"{builder}: argument '{name}' must be {Describe(field.PropertyType)}, got {json[name]?.ToJsonString() ?? "null"}",
                    e
                )
                : new InvalidDataException($"{builder}: arguments malformed ({e.Message})", e);
        }
        Check(builder, arguments);
        return arguments;
    }

    /// <summary>The JSON object a checkpoint records for <paramref name="arguments"/>, after checking them.</summary>
    public static JsonObject Write(string builder, BuilderArguments arguments)
    {
        Check(builder, arguments);
        return JsonSerializer.SerializeToNode(arguments, arguments.GetType(), Options)!.AsObject();
    }

    private static void Check(string builder, BuilderArguments arguments)
    {
        foreach (var (field, problem) in arguments.Problems())
            throw Invalid(builder, field, problem);
    }

    private static InvalidDataException Invalid(string builder, string field, string problem) =>
        new($"{builder}: argument '{field}' {problem}");

    /// <summary>
    /// The top-level field of a serialiser's path ("$.blocks[2]" is blocks); null for the object itself.
    /// </summary>
    private static string? FieldOf(string? path) =>
        path is not null && path.StartsWith("$.", StringComparison.Ordinal) ? path[2..].Split('.', '[')[0] : null;

    private static string Describe(Type type)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        if (type.IsEnum)
            return $"one of {string.Join(", ", Enum.GetNames(type).Select(JsonNamingPolicy.SnakeCaseLower.ConvertName))}";
        if (type == typeof(int) || type == typeof(long))
            return "a whole number";
        if (type == typeof(double) || type == typeof(float))
            return "a number";
        if (type == typeof(bool))
            return "true or false";
        if (type == typeof(string))
            return "a string";
        var element =
            type.IsArray ? type.GetElementType()
            : type.IsGenericType ? type.GetGenericArguments()[0]
            : null;
        return element is null ? $"an object ({type.Name})" : $"a list, each {Describe(element)}";
    }
}

/// <summary>
/// A family of networks (the torchvision ResNets, EQTransformer and its variants...): it describes a network from its
/// arguments and widths, names its members, recognises its checkpoints, and initialises fresh weights its way. A new
/// architecture is a <see cref="NetworkBuilder{TArguments}"/> with a record of arguments, registered by one line in
/// <see cref="NetworkBuilders.All"/>; pruning, costing, inference and export need nothing else.
/// </summary>
public interface INetworkBuilder
{
    /// <summary>The name recorded in checkpoints ("resnet").</summary>
    string Name { get; }

    /// <summary>The members `model init --arch` accepts ("resnet18", "resnet34", "resnet50").</summary>
    IReadOnlyList<string> Members { get; }

    /// <summary>A member at its published widths.</summary>
    Architecture Create(string member, NetworkOptions options);

    /// <summary>
    /// The arguments a checkpoint records, read and checked; an <see cref="InvalidDataException"/> names a bad field.
    /// </summary>
    BuilderArguments ReadArguments(JsonObject json);

    /// <summary>The JSON a checkpoint records for this builder's <paramref name="arguments"/>, checked first.</summary>
    JsonObject WriteArguments(BuilderArguments arguments);

    /// <summary>
    /// The description for these arguments, with each opening layer's width given by <paramref name="widthOf"/> (by
    /// layer name).
    /// </summary>
    NetworkGraph Describe(BuilderArguments arguments, Func<string, int> widthOf);

    /// <summary>
    /// The arguments of a bare state dict of this family (by its tensor names and shapes), or null when it is not one.
    /// </summary>
    BuilderArguments? Recognise(IReadOnlyDictionary<string, long[]> shapes);

    /// <summary>
    /// An architecture from a metadata form this family wrote before <see cref="Architecture.ToJson"/>, or null.
    /// </summary>
    Architecture? FromLegacyJson(JsonObject json);

    /// <summary>
    /// Sets fresh weights as the family's reference implementation does (the modules start with PyTorch's defaults).
    /// </summary>
    void Initialise(Network network);
}

/// <summary>
/// The way to write a builder: it works on its own record of arguments, and this base does the JSON and the checks that
/// the arguments given are that record, so a builder never parses JSON nor casts.
/// </summary>
public abstract class NetworkBuilder<TArguments> : INetworkBuilder
    where TArguments : BuilderArguments
{
    public abstract string Name { get; }

    public abstract IReadOnlyList<string> Members { get; }

    public abstract Architecture Create(string member, NetworkOptions options);

    /// <inheritdoc cref="INetworkBuilder.Describe"/>
    public abstract NetworkGraph Describe(TArguments arguments, Func<string, int> widthOf);

    /// <inheritdoc cref="INetworkBuilder.Recognise"/>
    public virtual TArguments? Recognise(IReadOnlyDictionary<string, long[]> shapes) => null;

    public virtual Architecture? FromLegacyJson(JsonObject json) => null;

    /// <summary>Nothing to add to PyTorch's module defaults, unless a builder says otherwise.</summary>
    public virtual void Initialise(Network network) { }

    /// <inheritdoc cref="INetworkBuilder.ReadArguments"/>
    public TArguments ReadArguments(JsonObject json) => BuilderJson.Read<TArguments>(Name, json);

    BuilderArguments INetworkBuilder.ReadArguments(JsonObject json) => ReadArguments(json);

    public JsonObject WriteArguments(BuilderArguments arguments) => BuilderJson.Write(Name, Typed(arguments));

    NetworkGraph INetworkBuilder.Describe(BuilderArguments arguments, Func<string, int> widthOf) =>
        Describe(Typed(arguments), widthOf);

    BuilderArguments? INetworkBuilder.Recognise(IReadOnlyDictionary<string, long[]> shapes) => Recognise(shapes);

    private TArguments Typed(BuilderArguments arguments) =>
        arguments as TArguments
        ?? throw new ArgumentException(
            $"{Name}: arguments must be {typeof(TArguments).Name}, got {arguments.GetType().Name}"
        );
}

/// <summary>Every known builder: the one list a new architecture is added to, one line each.</summary>
public static class NetworkBuilders
{
    public static IReadOnlyList<INetworkBuilder> All { get; } = [ResNetBuilder.Instance, EqTransformerBuilder.Instance];

    public static INetworkBuilder Named(string name) =>
        All.FirstOrDefault(b => b.Name == name)
        ?? throw new InvalidDataException(
            $"architecture: unknown builder '{name}' (known: {string.Join(", ", All.Select(b => b.Name))})"
        );

    /// <summary>Every member name `model init --arch` accepts.</summary>
    public static IReadOnlyList<string> Members => All.SelectMany(b => b.Members).ToArray();

    /// <summary>The member named <paramref name="member"/> (resnet18, resnet50...) at its published widths.</summary>
    public static Architecture Create(string member, NetworkOptions options)
    {
        var name = member.Trim().ToLowerInvariant();
        var builder = All.FirstOrDefault(b => b.Members.Contains(name))
            ?? throw new ArgumentException(
                $"'{member}' is not a known architecture (known: {string.Join(", ", Members)})"
            );
        return builder.Create(name, options);
    }
}
