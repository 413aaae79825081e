using System.Text.Json.Nodes;
using QuakePrune.Models;
using QuakePrune.Pruning;
using QuakePrune.Tests.Models;
using static QuakePrune.Torch.torch;

namespace QuakePrune.Tests.Pruning;

public class ImportanceKnobTests
{
    /// <summary>
    /// A seeded network whose norms' scales are drawn too (fresh ones are all 1, which would leave the batch-norm criterion
    /// nothing but ties): the models Fixtures/plans_3ffb886.json was planned on.
    /// </summary>
    private static Network Seeded(Architecture architecture)
    {
        manual_seed(21);
        var model = new Network(architecture);
        using var scope = NewDisposeScope();
        using (no_grad())
            foreach (var (_, parameter) in model.named_parameters().Where(p => (p.name.Contains("bn") || p.name.Contains("norm")) && p.name.EndsWith(".weight")))
                parameter.copy_(rand(parameter.shape));
        return model;
    }

    public static TheoryData<string, string> Models() => new()
    {
        { "tiny-resnet", "l2" }, { "tiny-resnet", "l1" }, { "tiny-resnet", "bn" }, { "tiny-resnet", "random" },
        { "eqt-lite", "l2" }, { "eqt-lite", "l1" }, { "eqt-lite", "bn" }, { "eqt-lite", "random" },
    };

    /// <summary>The plans commit 3ffb886 made, by "model/importance/ranking": the kept channels of each group, comma-separated.</summary>
    private static JsonObject Recorded() =>
        JsonNode.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Pruning", "Fixtures", "plans_3ffb886.json")))!.AsObject();

    [Theory]
    [MemberData(nameof(Models))]
    public void Default_criteria_keep_the_channels_they_kept_before(string model, string importance)
    {
        var architecture = model == "tiny-resnet" ? ResNetTests.Tiny() : NetworkBuilders.Create(model, new NetworkOptions());
        using var network = Seeded(architecture);
        var groups = DependencyGroups.Of(architecture);
        var criterion = Importances.Named(importance, 9);
        var scores = Pruner.Scores(network, groups, criterion);
        var recorded = Recorded();
        foreach (var ranking in new[] { Ranking.Local, Ranking.Global })
        {
            var plan = PruningPlan.Create(groups, scores, new PruningOptions(0.5, Ranking: ranking) { Importance = criterion });
            var expected = recorded[$"{model}/{importance}/{ranking.ToString().ToLowerInvariant()}"]!.AsObject();
            Assert.Equal(expected.Select(kv => (kv.Key, kv.Value!.GetValue<string>())), plan.Kept.Select(kv => (kv.Key, string.Join(",", kv.Value))));
        }
    }
}
