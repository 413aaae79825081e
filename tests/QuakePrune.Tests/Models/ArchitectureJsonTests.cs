using System.Text.Json.Nodes;
using QuakePrune.Models;

namespace QuakePrune.Tests.Models;

/// <summary>
/// Checkpoints record their architecture as JSON; Fixtures/architectures_3ffb886.json holds what commit 3ffb886 wrote
/// for every member (two option sets each), a custom ResNet of each block kind and a pruned one. Every checkpoint
/// written since must keep loading, and a network made today must write exactly the same text.
/// </summary>
public class ArchitectureJsonTests
{
    private static string[] Recorded() =>
        JsonNode
            .Parse(
                File.ReadAllText(
                    Path.Combine(AppContext.BaseDirectory, "Models", "Fixtures", "architectures_3ffb886.json")
                )
            )!
            .AsArray()
            .Select(n => n!.GetValue<string>())
            .ToArray();

    /// <summary>The architectures the fixture was made from, in its order.</summary>
    private static IEnumerable<Architecture> Made()
    {
        foreach (var member in NetworkBuilders.Members)
        {
            yield return NetworkBuilders.Create(member, new NetworkOptions());
            yield return NetworkBuilders.Create(
                member,
                member.StartsWith("resnet", StringComparison.Ordinal)
                    ? new NetworkOptions(1, 3, 512)
                    : new NetworkOptions(InChannels: 1)
            );
        }
        yield return ResNetTests.Tiny();
        yield return ResNetTests.TinyBasic(0);
        yield return ResNetTests
            .Tiny()
            .WithWidths(new Dictionary<string, int> { ["layer1.1.conv1"] = 3, ["conv1"] = 5 });
    }

    [Fact]
    public void Networks_made_today_write_the_same_json_as_before()
    {
        Assert.Equal(Recorded(), Made().Select(a => a.ToJson()));
    }

    [Fact]
    public void Json_written_before_reads_back_to_the_same_architecture_and_text()
    {
        foreach (var (json, made) in Recorded().Zip(Made()))
        {
            var read = Architecture.FromJson(json);
            Assert.Equal(made, read);
            Assert.Equal(json, read.ToJson());
        }
    }

    /// <summary>ResNetTests.TinyBasic(0)'s JSON with the arguments object replaced.</summary>
    private static string ResNetWith(string arguments) =>
        "{\"builder\":\"resnet\",\"arguments\":"
        + arguments
        + ",\"widths\":{\"conv1\":8,\"layer1.0.conv1\":6,\"layer1.0.conv2\":8,\"layer1.1.conv1\":6,"
        + "\"layer1.1.conv2\":8,\"layer2.0.conv1\":12,\"layer2.0.conv2\":16,\"layer2.0.downsample.0\":16,\"fc\":2}}";

    private static string EqtWith(string field, string value)
    {
        var json = JsonNode.Parse(NetworkBuilders.Create("eqt-lite", new NetworkOptions()).ToJson())!.AsObject();
        json["arguments"]![field] = JsonNode.Parse(value);
        return json.ToJsonString();
    }

    public static TheoryData<string, string> BadArguments() =>
        new()
        {
            {
                ResNetWith("{\"block\":\"basic\",\"blocks\":[2,1],\"hidden_layer\":false}"),
                "resnet: argument 'in_channels' is missing (a whole number)"
            },
            {
                ResNetWith("{\"block\":\"wide\",\"blocks\":[2,1],\"in_channels\":3}"),
                "resnet: argument 'block' must be one of basic, bottleneck, got \"wide\""
            },
            {
                ResNetWith("{\"block\":\"basic\",\"blocks\":[2,\"1\"],\"in_channels\":3}"),
                "resnet: argument 'blocks' must be a list, each a whole number, got [2,\"1\"]"
            },
            {
                ResNetWith("{\"block\":\"basic\",\"blocks\":[2,1],\"in_channels\":3,\"depth\":18}"),
                "resnet: argument 'depth' is not one of ResNetArguments's (block, blocks, in_channels, hidden_layer)"
            },
            {
                ResNetWith("{\"block\":\"basic\",\"blocks\":[2,0],\"in_channels\":3}"),
                "resnet: argument 'blocks' needs at least one stage and a block in every stage, got [2, 0]"
            },
            {
                ResNetWith("{\"block\":\"basic\",\"blocks\":null,\"in_channels\":3}"),
                "resnet: argument 'blocks' is null; it must be a list, each a whole number"
            },
            {
                EqtWith("lstm_blocks", "\"2\""),
                "eqtransformer: argument 'lstm_blocks' must be a whole number, got \"2\""
            },
            { EqtWith("drop_rate", "1.5"), "eqtransformer: argument 'drop_rate' must be in [0, 1), got 1.5" },
            {
                EqtWith("recurrent", "\"rnn\""),
                "eqtransformer: argument 'recurrent' must be one of lstm, gru, got \"rnn\""
            },
            { EqtWith("in_samples", "100"), "eqtransformer: argument 'in_samples' must be at least 128, got 100" },
            {
                ResNetWith("{\"block\":\"basic\",\"blocks\":[2,1],\"in_channels\":3}")
                    .Replace("\"conv1\":8", "\"conv1\":\"8\""),
                "architecture: the width of 'conv1' must be a whole number, got \"8\""
            },
            { "{\"builder\":7,\"arguments\":{},\"widths\":{}}", "architecture: builder must be a name, got 7" },
            {
                "{\"family\":\"resnet-bottleneck\",\"in_channels\":3,\"stem\":8,\"hidden\":0,\"classes\":2,\"stages\":[{\"blocks\":[[4,4]]}]}",
                "resnet (first metadata form): argument 'stages' must be a list, each an object (FirstFormStage), got [{\"blocks\":[[4,4]]}]"
            },
            {
                "{\"family\":\"resnet-bottleneck\",\"in_channels\":3,\"stem\":8,\"hidden\":0,\"classes\":2,\"stages\":[{\"width\":8,\"blocks\":[[4]]}]}",
                "resnet (first metadata form): argument 'stages' gives layer1.0 1 widths; a bottleneck has two (conv1, conv2)"
            },
        };

    [Theory]
    [MemberData(nameof(BadArguments))]
    public void A_bad_or_missing_field_is_refused_naming_the_builder_and_the_field(string json, string expected)
    {
        Assert.Equal(expected, Assert.Throws<InvalidDataException>(() => Architecture.FromJson(json)).Message);
    }

    [Fact]
    public void A_resnet_without_hidden_layer_has_none_as_the_first_reader_allowed()
    {
        var read = Architecture.FromJson(ResNetWith("{\"block\":\"basic\",\"blocks\":[2,1],\"in_channels\":3}"));
        var arguments = Assert.IsType<ResNetArguments>(read.Arguments);
        Assert.Equal((ResNetBlock.Basic, 3, false), (arguments.Block, arguments.InChannels, arguments.HiddenLayer));
        Assert.Equal([2, 1], arguments.Blocks);
        Assert.Equal(ResNetTests.TinyBasic(0), read);
    }

    [Fact]
    public void Arguments_made_in_code_are_checked_as_those_read_and_must_be_the_builders_own()
    {
        var tiny = ResNetTests.Tiny();
        var arguments = (ResNetArguments)tiny.Arguments;
        Assert.Equal(
            "resnet: argument 'in_channels' must be at least 1, got 0",
            Assert
                .Throws<InvalidDataException>(() =>
                    new Architecture(ResNetBuilder.Instance, arguments with { InChannels = 0 }, tiny.Widths)
                )
                .Message
        );
        var eqt = NetworkBuilders.Create("eqtransformer", new NetworkOptions()).Arguments;
        Assert.Equal(
            "resnet: arguments must be ResNetArguments, got EqTransformerArguments",
            Assert.Throws<ArgumentException>(() => new Architecture(ResNetBuilder.Instance, eqt, tiny.Widths)).Message
        );
    }
}
