using System.Text.Json.Nodes;
using QuakePrune.Models;
using QuakePrune.Pruning;
using QuakePrune.Tests.Models;
using static QuakePrune.Torch.torch;

namespace QuakePrune.Tests.Pruning;

public class ImportanceKnobTests
{
    /// <summary>
    /// A seeded network whose norms' scales are drawn too (fresh ones are all 1, which would leave the batch-norm
    /// criterion nothing but ties): the models Fixtures/plans_3ffb886.json was planned on.
    /// </summary>
    private static Network Seeded(Architecture architecture)
    {
        manual_seed(21);
        var model = new Network(architecture);
        using var scope = NewDisposeScope();
        using (no_grad())
            foreach (
                var (_, parameter) in model
                    .named_parameters()
                    .Where(p => (p.name.Contains("bn") || p.name.Contains("norm")) && p.name.EndsWith(".weight"))
            )
                parameter.copy_(rand(parameter.shape));
        return model;
    }

    public static TheoryData<string, string> Models() =>
        new()
        {
            { "tiny-resnet", "l2" },
            { "tiny-resnet", "l1" },
            { "tiny-resnet", "bn" },
            { "tiny-resnet", "random" },
            { "eqt-lite", "l2" },
            { "eqt-lite", "l1" },
            { "eqt-lite", "bn" },
            { "eqt-lite", "random" },
        };

    /// <summary>
    /// The plans commit 3ffb886 made, by "model/importance/ranking": the kept channels of each group, comma-separated.
    /// </summary>
    private static JsonObject Recorded() =>
        JsonNode
            .Parse(
                File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Pruning", "Fixtures", "plans_3ffb886.json"))
            )!
            .AsObject();

    [Theory]
    [MemberData(nameof(Models))]
    public void Default_criteria_keep_the_channels_they_kept_before(string model, string importance)
    {
        var architecture =
            model == "tiny-resnet" ? ResNetTests.Tiny() : NetworkBuilders.Create(model, new NetworkOptions());
        using var network = Seeded(architecture);
        var groups = DependencyGroups.Of(architecture);
        var criterion = Importances.Named(importance, 9);
        var scores = Pruner.Scores(network, groups, criterion);
        var recorded = Recorded();
        foreach (var ranking in new[] { Ranking.Local, Ranking.Global })
        {
            var plan = PruningPlan.Create(
                groups,
                scores,
                new PruningOptions(0.5, Ranking: ranking) { Importance = criterion }
            );
            var expected = recorded[$"{model}/{importance}/{ranking.ToString().ToLowerInvariant()}"]!.AsObject();
            Assert.Equal(
                expected.Select(kv => (kv.Key, kv.Value!.GetValue<string>())),
                plan.Kept.Select(kv => (kv.Key, string.Join(",", kv.Value)))
            );
            if (criterion is not IGroupImportance)
                continue;
            // The defaults named: the same scores to the last bit, so the same plan.
            var named = Importances.Named(importance, 9, GroupReduction.Sum, ScoreNormalisation.Mean);
            var namedScores = Pruner.Scores(network, groups, named);
            Assert.All(groups, g => Assert.Equal(scores[g.Name], namedScores[g.Name]));
            Assert.Equal(
                plan.Kept,
                PruningPlan
                    .Create(groups, namedScores, new PruningOptions(0.5, Ranking: ranking) { Importance = named })
                    .Kept
            );
        }
    }

    [Fact]
    public void The_defaults_are_the_sum_and_the_mean_and_are_recorded()
    {
        foreach (var importance in new[] { Importances.L2, Importances.L1, Importances.BatchNormScale })
        {
            Assert.Equal(
                (GroupReduction.Sum, ScoreNormalisation.Mean),
                (((IGroupImportance)importance).Reduction, importance.Normalisation)
            );
            Assert.Equal(
                new Dictionary<string, string> { ["group_reduction"] = "sum", ["normalisation"] = "mean" },
                importance.Settings
            );
        }
        Assert.Equal(ScoreNormalisation.Mean, ((IImportance)new RandomImportance(3)).Normalisation);
        var options = new PruningOptions(0.5, Ranking: Ranking.Global)
        {
            Importance = Importances.Named("l1", reduction: GroupReduction.Max, normalisation: ScoreNormalisation.None),
        };
        var notes = CheckpointPruning
            .Record(
                new ModelInfo(ResNetTests.Tiny(), new ImageSize(32, 32), new Dictionary<string, string>()),
                "m.safetensors",
                options
            )
            .Notes;
        Assert.Equal(
            ("l1", "max", "none"),
            (
                notes[CheckpointPruning.ImportanceNote],
                notes["pruning.importance.group_reduction"],
                notes["pruning.importance.normalisation"]
            )
        );
    }

    /// <summary>A group of <paramref name="channels"/> made by the layers <paramref name="producers"/>.</summary>
    private static ChannelGroup Group(string name, int channels, params string[] producers) =>
        new(
            name,
            GroupKind.Internal,
            channels,
            producers
                .Select(p => new GroupMember(
                    p,
                    "Conv2d",
                    MemberRole.Producer,
                    [new ChannelTensor("weight", 0, TensorRole.Weight)]
                ))
                .ToArray()
        );

    /// <summary>Each layer's weight, one row (filter) per channel.</summary>
    private static Func<string, TensorValues> Weights(Dictionary<string, float[][]> filters) =>
        name =>
        {
            var rows = filters[name.Split('.')[0]];
            return new TensorValues(rows.SelectMany(r => r).ToArray(), [rows.Length, rows[0].Length]);
        };

    [Fact]
    public void Sum_mean_and_max_reduce_a_channels_scores_over_the_groups_layers()
    {
        // Two producers, two channels. Squares by layer: channel 0: a 25, b 0; channel 1: a 16, b 16. Summed, channel 1
        // is the stronger (the norm of all its filters, 32 > 25); by the largest layer, channel 0 is (25 > 16).
        var group = Group("g", 2, "a", "b");
        var tensors = Weights(
            new()
            {
                ["a"] =
                [
                    [3, 4],
                    [0, 4],
                ],
                ["b"] =
                [
                    [0, 0],
                    [4, 0],
                ],
            }
        );
        Assert.Equal([5, Math.Sqrt(32)], new MagnitudeImportance(2, GroupReduction.Sum).Score(group, tensors));
        Assert.Equal([Math.Sqrt(12.5), 4], new MagnitudeImportance(2, GroupReduction.Mean).Score(group, tensors));
        Assert.Equal([5, 4], new MagnitudeImportance(2, GroupReduction.Max).Score(group, tensors));
        Assert.Equal([7, 8], new MagnitudeImportance(1, GroupReduction.Sum).Score(group, tensors));
        Assert.Equal([7, 4], new MagnitudeImportance(1, GroupReduction.Max).Score(group, tensors));

        int[] Kept(IImportance importance) =>
            PruningPlan
                .Create(
                    [group],
                    new Dictionary<string, double[]> { ["g"] = importance.Score(group, tensors) },
                    new PruningOptions(0.5) { Importance = importance }
                )
                .Kept["g"];
        Assert.Equal([1], Kept(Importances.Named("l2")));
        Assert.Equal([1], Kept(Importances.Named("l2", reduction: GroupReduction.Mean)));
        Assert.Equal([0], Kept(Importances.Named("l2", reduction: GroupReduction.Max)));
    }

    [Fact]
    public void Batch_norm_scales_are_reduced_over_the_groups_norms_alike()
    {
        var group = new ChannelGroup(
            "g",
            GroupKind.Internal,
            2,
            [
                new GroupMember(
                    "a",
                    "Conv2d",
                    MemberRole.Producer,
                    [new ChannelTensor("weight", 0, TensorRole.Weight)]
                ),
                new GroupMember(
                    "n1",
                    "BatchNorm2d",
                    MemberRole.ChannelWise,
                    [new ChannelTensor("weight", 0, TensorRole.Scale)]
                ),
                new GroupMember(
                    "n2",
                    "BatchNorm2d",
                    MemberRole.ChannelWise,
                    [new ChannelTensor("weight", 0, TensorRole.Scale)]
                ),
            ]
        );
        var tensors = new Dictionary<string, TensorValues>
        {
            ["n1.weight"] = new([3, 2], [2]),
            ["n2.weight"] = new([0, -2], [2]),
        };
        Assert.Equal([3, 4], new BatchNormScaleImportance().Score(group, n => tensors[n]));
        Assert.Equal([1.5, 2], new BatchNormScaleImportance(GroupReduction.Mean).Score(group, n => tensors[n]));
        Assert.Equal([3, 2], new BatchNormScaleImportance(GroupReduction.Max).Score(group, n => tensors[n]));
    }

    [Fact]
    public void The_mean_keeps_a_group_of_many_layers_from_outscoring_one_of_few_in_a_global_ranking()
    {
        // Unnormalised, so that the scale of the scores is what is compared: g's two layers double its sums.
        var two = Group("g", 3, "a", "b");
        var one = Group("h", 3, "c");
        var tensors = Weights(
            new()
            {
                ["a"] =
                [
                    [1],
                    [2],
                    [3],
                ],
                ["b"] =
                [
                    [1],
                    [2],
                    [3],
                ],
                ["c"] =
                [
                    [1.5f],
                    [2.5f],
                    [3.5f],
                ],
            }
        );
        IReadOnlyDictionary<string, int[]> Kept(GroupReduction reduction)
        {
            var importance = Importances.Named("l1", reduction: reduction, normalisation: ScoreNormalisation.None);
            var scores = Importances.Score(importance, [two, one], tensors);
            return PruningPlan
                .Create(
                    [two, one],
                    scores,
                    new PruningOptions(0.5, Ranking: Ranking.Global) { Importance = importance }
                )
                .Kept;
        }
        // Sums g [2, 4, 6], h [1.5, 2.5, 3.5]: h loses two. Means g [1, 2, 3]: g loses two.
        Assert.Equal(new Dictionary<string, int[]> { ["g"] = [1, 2], ["h"] = [2] }, Kept(GroupReduction.Sum));
        Assert.Equal(new Dictionary<string, int[]> { ["g"] = [2], ["h"] = [1, 2] }, Kept(GroupReduction.Mean));
    }

    [Fact]
    public void Normalisation_scales_each_groups_scores_before_the_global_threshold_and_a_local_ranking_ignores_it()
    {
        // g has one strong channel among weak ones, h none: raw, h's two weakest go; by the mean, one of each; by the
        // largest, g's two weakest (g's 20 makes the rest of g small).
        var g = Group("g", 4, "a");
        var h = Group("h", 4, "b");
        var tensors = Weights(
            new()
            {
                ["a"] =
                [
                    [3],
                    [3.5f],
                    [4],
                    [20],
                ],
                ["b"] =
                [
                    [1],
                    [1.5f],
                    [5],
                    [5.5f],
                ],
            }
        );
        IReadOnlyDictionary<string, int[]> Kept(ScoreNormalisation normalisation, Ranking ranking)
        {
            var importance = Importances.Named("l1", normalisation: normalisation);
            var scores = Importances.Score(importance, [g, h], tensors);
            return PruningPlan
                .Create([g, h], scores, new PruningOptions(0.25, Ranking: ranking) { Importance = importance })
                .Kept;
        }
        Assert.Equal(
            new Dictionary<string, int[]> { ["g"] = [0, 1, 2, 3], ["h"] = [2, 3] },
            Kept(ScoreNormalisation.None, Ranking.Global)
        );
        Assert.Equal(
            new Dictionary<string, int[]> { ["g"] = [1, 2, 3], ["h"] = [1, 2, 3] },
            Kept(ScoreNormalisation.Mean, Ranking.Global)
        );
        Assert.Equal(
            new Dictionary<string, int[]> { ["g"] = [2, 3], ["h"] = [0, 1, 2, 3] },
            Kept(ScoreNormalisation.Max, Ranking.Global)
        );
        Assert.All(Enum.GetValues<ScoreNormalisation>(), n =>
            Assert.Equal(Kept(ScoreNormalisation.Mean, Ranking.Local), Kept(n, Ranking.Local))
        );
    }

    [Fact]
    public void A_criterion_without_knobs_refuses_them_naming_those_that_have_them()
    {
        Assert.Equal(
            "importance random has no group reduction or normalisation to choose (only l2, l1, bn have)",
            Assert.Throws<ArgumentException>(() => Importances.Named("random", 3, GroupReduction.Max)).Message
        );
        Assert.Throws<ArgumentException>(() => Importances.Named("random", 3, normalisation: ScoreNormalisation.None));
        Assert.Equal(new RandomImportance(3), Importances.Named("random", 3));
    }
}
