using QuakePrune.Models;
using QuakePrune.Pruning;
using QuakePrune.Retraining;
using static QuakePrune.Torch.torch;

namespace QuakePrune.Tests.Retraining;

public class SensitivityTests
{
    [Fact]
    public void Units_are_each_stages_inner_convs_and_the_head_and_in_full_scope_also_stem_and_residual_streams()
    {
        var internalUnits = Sensitivity.Units(ResNetArchitecture.ResNet50(hidden: 512), fullScope: false);
        Assert.Equal(["layer1", "layer2", "layer3", "layer4", "head"], internalUnits.Select(u => u.Name));
        Assert.Equal(12, internalUnits.Single(u => u.Name == "layer3").Groups.Count);
        Assert.Contains("layer3.5.conv2", internalUnits.Single(u => u.Name == "layer3").Groups);
        Assert.Equal(["fc.0"], internalUnits.Single(u => u.Name == "head").Groups);

        var full = Sensitivity.Units(ResNetArchitecture.ResNet50(), fullScope: true);
        Assert.Equal(
            [
                "stem",
                "layer1",
                "layer1.residual",
                "layer2",
                "layer2.residual",
                "layer3",
                "layer3.residual",
                "layer4",
                "layer4.residual",
            ],
            full.Select(u => u.Name)
        );
    }

    [Fact]
    public void Table_has_the_reference_row_and_a_row_per_unit_and_ratio_and_prunes_only_that_unit()
    {
        using var dir = new TempDir();
        using var data = RetrainFixtures.Data(7);
        using var scope = NewDisposeScope();
        using var threads = new ThreadCount(1);
        manual_seed(11);
        using var model = new Network(RetrainFixtures.Architecture());
        var options = new SensitivityOptions { Ratios = [0, 0.5, 0.9], FullScope = true };

        var rows = Sensitivity.Run(model, data, options);

        var units = Sensitivity.Units(model.Architecture, fullScope: true);
        Assert.Equal(1 + units.Count * 3, rows.Count);
        var reference = rows[0];
        var unpruned = ModelMetrics.Score(model, data, "dev")!;
        Assert.Equal(
            (Sensitivity.ReferenceUnit, 0.0, unpruned.Accuracy, unpruned.F1),
            (reference.Unit, reference.Ratio, reference.Accuracy, reference.F1)
        );
        var fullParams = ModelCost.Of(model.Architecture, 16, 16).Params;
        Assert.Equal(fullParams, reference.Params);
        foreach (var unit in units)
        {
            var ofUnit = rows.Where(r => r.Unit == unit.Name).ToArray();
            Assert.Equal([0, 0.5, 0.9], ofUnit.Select(r => r.Ratio));
            // Ratio 0 removes nothing: the unpruned scores.
            Assert.Equal(
                (fullParams, reference.Accuracy, reference.F1),
                (ofUnit[0].Params, ofUnit[0].Accuracy, ofUnit[0].F1)
            );
            Assert.True(ofUnit[1].Params < fullParams && ofUnit[2].Params < ofUnit[1].Params, unit.Name);
        }
        // Only layer2's inner convs shrink when layer2 is pruned at 0.5: 12 -> 6 channels.
        var layer2 = RetrainFixtures
            .Architecture()
            .WithWidths(new Dictionary<string, int> { ["layer2.0.conv1"] = 6, ["layer2.0.conv2"] = 6 });
        Assert.Equal(ModelCost.Of(layer2, 16, 16).Params, rows.Single(r => r is { Unit: "layer2", Ratio: 0.5 }).Params);

        var csv = dir.File("sensitivity.csv");
        Sensitivity.Write(csv, rows);
        var lines = File.ReadAllLines(csv);
        Assert.Equal(Sensitivity.Header, lines[0]);
        Assert.Equal(rows.Count + 1, lines.Length);
        Assert.StartsWith("layer2,0.5,", lines.Single(l => l.StartsWith("layer2,0.5,", StringComparison.Ordinal)));
    }

    [Fact]
    public void Pruning_restricted_to_named_groups_leaves_every_other_group_whole()
    {
        var architecture = ResNetArchitecture.ResNet50(hidden: 512);
        var groups = DependencyGroups.Of(architecture);
        var scores = groups.ToDictionary(g => g.Name, g => new double[g.Channels]);
        var options = new PruningOptions(0.5, Groups: new HashSet<string> { "layer2.1.conv1", "fc.0" });
        var plan = PruningPlan.Create(groups, scores, options);
        Assert.All(groups, g =>
            Assert.Equal(g.Name is "layer2.1.conv1" or "fc.0" ? g.Channels / 2 : g.Channels, plan.Kept[g.Name].Length)
        );

        // A named group outside the scope stays whole; an unknown name is refused.
        var residualOnly = PruningPlan.Create(
            groups,
            scores,
            new PruningOptions(0.5, PruningScope.Internal, Groups: new HashSet<string> { "layer1.residual" })
        );
        Assert.All(groups, g => Assert.Equal(g.Channels, residualOnly.Kept[g.Name].Length));
        var e = Assert.Throws<ArgumentException>(() =>
            PruningPlan.Create(groups, scores, new PruningOptions(0.5, Groups: new HashSet<string> { "layer9" }))
        );
        Assert.Contains("layer9", e.Message);
    }

    [Fact]
    public void Plan_from_keep_counts_keeps_the_largest_norms_of_the_named_groups()
    {
        ChannelGroup G(string name) =>
            new(
                name,
                GroupKind.Internal,
                4,
                [
                    new GroupMember(
                        name,
                        "Conv2d",
                        MemberRole.Producer,
                        [new ChannelTensor("weight", 0, TensorRole.Weight)]
                    ),
                ]
            );
        var groups = new[] { G("a"), G("b") };
        var scores = new Dictionary<string, double[]> { ["a"] = [1, 4, 2, 4], ["b"] = [1, 2, 3, 4] };
        var plan = PruningPlan.Create(groups, scores, new Dictionary<string, int> { ["a"] = 2 });
        Assert.Equal([1, 3], plan.Kept["a"]);
        Assert.Equal([0, 1, 2, 3], plan.Kept["b"]);
        Assert.Throws<ArgumentException>(() =>
            PruningPlan.Create(groups, scores, new Dictionary<string, int> { ["a"] = 5 })
        );
        Assert.Throws<ArgumentException>(() =>
            PruningPlan.Create(groups, scores, new Dictionary<string, int> { ["a"] = 0 })
        );
    }
}
