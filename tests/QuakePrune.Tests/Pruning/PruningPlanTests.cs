using QuakePrune.Models;
using QuakePrune.Pruning;

namespace QuakePrune.Tests.Pruning;

public class PruningPlanTests
{
    private static readonly Architecture ResNet50 = ResNetArchitecture.ResNet50(hidden: 512);

    private static GroupMember Producer(string layer) =>
        new(layer, "Conv2d", MemberRole.Producer, [new ChannelTensor("weight", 0, TensorRole.Weight)]);

    private static Func<string, TensorValues> Rows(IReadOnlyDictionary<string, float[]> weights, int channels) =>
        name => new TensorValues(
            weights[name.Split('.')[0]],
            [channels, weights[name.Split('.')[0]].Length / channels]
        );

    [Fact]
    public void ResNet50_has_32_internal_one_stem_four_residual_and_one_hidden_group()
    {
        var groups = DependencyGroups.Of(ResNet50);
        Assert.Equal(32, groups.Count(g => g.Kind == GroupKind.Internal));
        Assert.Equal("stem", Assert.Single(groups, g => g.Kind == GroupKind.Stem).Name);
        Assert.Equal(
            ["layer1.residual", "layer2.residual", "layer3.residual", "layer4.residual"],
            groups.Where(g => g.Kind == GroupKind.Residual).Select(g => g.Name)
        );
        Assert.Equal("fc.0", Assert.Single(groups, g => g.Kind == GroupKind.Hidden).Name);
    }

    [Fact]
    public void Residual_group_of_a_stage_couples_downsample_every_conv3_and_every_reader()
    {
        var layer2 = DependencyGroups.Of(ResNet50).Single(g => g.Name == "layer2.residual");
        Assert.Equal(512, layer2.Channels);
        Assert.Equal(
            ["layer2.0.conv3", "layer2.0.downsample.0", "layer2.1.conv3", "layer2.2.conv3", "layer2.3.conv3"],
            layer2.Producers.Select(p => p.Layer).Order()
        );
        var readers = layer2.Members.Where(m => m.Role == MemberRole.Consumer).Select(m => m.Layer).Order();
        Assert.Equal(
            ["layer2.1.conv1", "layer2.2.conv1", "layer2.3.conv1", "layer3.0.conv1", "layer3.0.downsample.0"],
            readers
        );
        Assert.Equal(5, layer2.Members.Count(m => m.Role == MemberRole.ChannelWise));
    }

    [Fact]
    public void Internal_group_is_one_conv_its_norm_and_the_next_conv()
    {
        var g = DependencyGroups.Of(ResNet50).Single(g => g.Name == "layer3.2.conv2");
        Assert.Equal(
            [
                ("layer3.2.conv2", MemberRole.Producer),
                ("layer3.2.bn2", MemberRole.ChannelWise),
                ("layer3.2.conv3", MemberRole.Consumer),
            ],
            g.Members.Select(m => (m.Layer, m.Role)).OrderBy(m => m.Role)
        );
    }

    [Fact]
    public void Hidden_head_neurons_are_pruned_with_the_classifiers_inputs_and_the_classifier_output_never()
    {
        var groups = DependencyGroups.Of(ResNet50);
        var hidden = groups.Single(g => g.Kind == GroupKind.Hidden);
        Assert.Contains(hidden.Members, m => m is { Layer: "fc.3", Role: MemberRole.Consumer });
        Assert.DoesNotContain(groups, g => g.Producers.Any(p => p.Layer == "fc.3"));
        Assert.Contains(groups.Single(g => g.Name == "layer4.residual").Members, m =>
            m is { Layer: "fc.0", Role: MemberRole.Consumer }
        );
    }

    [Theory]
    [InlineData(64, 0.5, 1, 1, 32)]
    [InlineData(64, 0.9, 1, 1, 6)] // 6.4 rounds to 6
    [InlineData(10, 0.75, 1, 1, 3)] // 2.5 rounds half up
    [InlineData(64, 0.9, 8, 1, 8)] // min-keep wins
    [InlineData(64, 0.9, 1, 4, 8)] // 6 rounded up to a multiple of 4
    [InlineData(3, 0.0, 1, 8, 3)] // never more than the group has
    [InlineData(2, 0.9, 1, 1, 1)] // at least one
    public void Keep_count_rule(int channels, double ratio, int minKeep, int roundTo, int expected) =>
        Assert.Equal(expected, PruningPlan.KeepCount(channels, ratio, minKeep, roundTo));

    [Fact]
    public void Local_ranking_keeps_the_filters_with_the_largest_L2_norms_and_breaks_ties_by_lower_index()
    {
        var group = new ChannelGroup("g", GroupKind.Internal, 6, [Producer("c")]);
        // Two values per filter; norms: 5, 1, 5, 0, 3, 5.
        float[] weight = [3, 4, 1, 0, 0, 5, 0, 0, 3, 0, 4, 3];
        var scores = Importances.Score(
            Importances.L2,
            [group],
            Rows(new Dictionary<string, float[]> { ["c"] = weight }, 6)
        );
        Assert.Equal([5, 1, 5, 0, 3, 5], scores["g"]);
        var plan = PruningPlan.Create([group], scores, new PruningOptions(0.5));
        Assert.Equal([0, 2, 5], plan.Kept["g"]);
    }

    [Fact]
    public void Coupled_group_is_scored_by_the_root_of_summed_squared_norms()
    {
        var group = new ChannelGroup("r", GroupKind.Residual, 2, [Producer("a"), Producer("b")]);
        var weights = new Dictionary<string, float[]> { ["a"] = [3, 0, 1, 1], ["b"] = [0, 4, 1, 1] };
        var scores = Importances.Score(Importances.L2, [group], Rows(weights, 2));
        Assert.Equal(5, scores["r"][0], 12);
        Assert.Equal(2, scores["r"][1], 12);
    }

    [Fact]
    public void Internal_scope_leaves_stem_and_residual_streams_whole()
    {
        var groups = DependencyGroups.Of(ResNet50);
        var scores = groups.ToDictionary(
            g => g.Name,
            g => Enumerable.Range(0, g.Channels).Select(i => (double)i).ToArray()
        );
        var plan = PruningPlan.Create(groups, scores, new PruningOptions(0.5, PruningScope.Internal));
        var pruned = plan.Apply(ResNet50).Widths;
        Assert.Equal(64, pruned["conv1"]);
        Assert.Equal([256, 512, 1024, 2048], Enumerable.Range(1, 4).Select(s => pruned[$"layer{s}.0.conv3"]));
        Assert.Equal(256, pruned["fc.0"]);
        Assert.All(pruned.Where(w => w.Key.EndsWith(".conv1")), w =>
            Assert.Equal(w.Value, pruned[w.Key.Replace(".conv1", ".conv2")])
        );
        Assert.Equal([32, 64, 128, 256], Enumerable.Range(1, 4).Select(s => pruned[$"layer{s}.0.conv1"]));
    }

    [Theory]
    [InlineData(0.5, 5.9e6)]
    [InlineData(0.7, 2.1e6)]
    [InlineData(0.9, 0.24e6)]
    public void Full_scope_parameter_counts_fall_near_the_square_law(double ratio, double expected)
    {
        var plain = ResNetArchitecture.ResNet50();
        var groups = DependencyGroups.Of(plain);
        var scores = groups.ToDictionary(g => g.Name, g => new double[g.Channels]);
        var pruned = PruningPlan.Create(groups, scores, new PruningOptions(ratio)).Apply(plain);
        var parameters = ModelCost.Of(pruned, 224, 224).Params;
        Assert.InRange(parameters, expected * 0.93, expected * 1.07);
    }

    [Fact]
    public void Global_ranking_takes_more_from_groups_of_weak_channels_and_respects_min_keep()
    {
        ChannelGroup G(string name) => new(name, GroupKind.Internal, 4, [Producer(name)]);
        var groups = new[] { G("even"), G("skewed") };
        var scores = new Dictionary<string, double[]> { ["even"] = [1, 1, 1, 1], ["skewed"] = [0.01, 0.01, 0.01, 4] };
        var plan = PruningPlan.Create(groups, scores, new PruningOptions(0.5, Ranking: Ranking.Global, MinKeep: 1));
        Assert.Equal([3], plan.Kept["skewed"]);
        Assert.Equal(3, plan.Kept["even"].Length);
        var floored = PruningPlan.Create(groups, scores, new PruningOptions(0.5, Ranking: Ranking.Global, MinKeep: 2));
        Assert.Equal(2, floored.Kept["skewed"].Length);
        Assert.Equal(2, floored.Kept["even"].Length);
    }

    [Theory]
    [InlineData(1.0)]
    [InlineData(-0.1)]
    [InlineData(double.NaN)]
    public void Ratio_outside_0_to_1_is_refused(double ratio)
    {
        var groups = DependencyGroups.Of(ResNet50);
        var e = Assert.Throws<ArgumentException>(() =>
            PruningPlan.Create(groups, new Dictionary<string, double[]>(), new PruningOptions(ratio))
        );
        Assert.Contains("ratio", e.Message);
    }
}
