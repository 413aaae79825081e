using System.Text.Json.Nodes;
using QuakePrune.Models;

namespace QuakePrune.Tests.Models;

/// <summary>
/// Checkpoints record their architecture as JSON; Fixtures/architectures_3ffb886.json holds what commit 3ffb886 wrote for
/// every member (two option sets each), a custom ResNet of each block kind and a pruned one. Every checkpoint written since
/// must keep loading, and a network made today must write exactly the same text.
/// </summary>
public class ArchitectureJsonTests
{
    private static string[] Recorded() =>
        JsonNode.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Models", "Fixtures", "architectures_3ffb886.json")))!
            .AsArray().Select(n => n!.GetValue<string>()).ToArray();

    /// <summary>The architectures the fixture was made from, in its order.</summary>
    private static IEnumerable<Architecture> Made()
    {
        foreach (var member in NetworkBuilders.Members)
        {
            yield return NetworkBuilders.Create(member, new NetworkOptions());
            yield return NetworkBuilders.Create(member, member.StartsWith("resnet", StringComparison.Ordinal) ? new NetworkOptions(1, 3, 512) : new NetworkOptions(InChannels: 1));
        }
        yield return ResNetTests.Tiny();
        yield return ResNetTests.TinyBasic(0);
        yield return ResNetTests.Tiny().WithWidths(new Dictionary<string, int> { ["layer1.1.conv1"] = 3, ["conv1"] = 5 });
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
}
