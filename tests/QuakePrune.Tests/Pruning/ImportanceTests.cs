using QuakePrune.Models;
using QuakePrune.Pruning;
using QuakePrune.Tests.Models;
using static QuakePrune.Torch.torch;

namespace QuakePrune.Tests.Pruning;

public class ImportanceTests
{
    private static readonly Dictionary<string, TensorValues> Tensors = new()
    {
        // Producers: two filters of two values each; norms by channel: a [5, 1], b [0, 4].
        ["a.weight"] = new([3, 4, 1, 0], [2, 2]),
        ["b.weight"] = new([0, 0, 0, -4], [2, 2]),
        // A norm's scale per channel, and a running statistic no criterion reads.
        ["n.weight"] = new([0.5f, -2], [2]),
        ["n.running_var"] = new([100, 100], [2]),
    };

    private static readonly ChannelGroup Group = new(
        "g",
        GroupKind.Residual,
        2,
        [
            new GroupMember("a", "Conv2d", MemberRole.Producer, [new ChannelTensor("weight", 0, TensorRole.Weight)]),
            new GroupMember("b", "Conv2d", MemberRole.Producer, [new ChannelTensor("weight", 0, TensorRole.Weight)]),
            new GroupMember(
                "n",
                "BatchNorm2d",
                MemberRole.ChannelWise,
                [
                    new ChannelTensor("weight", 0, TensorRole.Scale),
                    new ChannelTensor("running_var", 0, TensorRole.Statistic),
                ]
            ),
            new GroupMember("c", "Conv2d", MemberRole.Consumer, [new ChannelTensor("weight", 1, TensorRole.Weight)]),
        ]
    );

    private static double[] Score(IImportance importance, ChannelGroup? group = null) =>
        importance.Score(group ?? Group, name => Tensors[name]);

    [Fact]
    public void L2_is_the_root_of_the_summed_squares_of_every_producers_filter()
    {
        Assert.Equal([Math.Sqrt(25 + 0), Math.Sqrt(1 + 16)], Score(Importances.L2));
    }

    [Fact]
    public void L1_is_the_summed_absolute_values_of_every_producers_filter()
    {
        Assert.Equal([7, 5], Score(Importances.L1));
    }

    [Fact]
    public void Batch_norm_scale_sums_the_absolute_scales_and_falls_back_to_L2_without_a_norm()
    {
        Assert.Equal([0.5, 2], Score(Importances.BatchNormScale));
        var withoutNorm = Group with { Members = Group.Members.Where(m => m.Role != MemberRole.ChannelWise).ToArray() };
        Assert.Equal(Score(Importances.L2, withoutNorm), Score(Importances.BatchNormScale, withoutNorm));
    }

    [Fact]
    public void Random_scores_are_seeded_per_group_and_do_not_read_the_weights()
    {
        var big = Group with { Channels = 64 };
        var first = new RandomImportance(7).Score(big, _ =>
            throw new InvalidOperationException("random reads no tensor")
        );
        Assert.Equal(first, new RandomImportance(7).Score(big, _ => throw new InvalidOperationException()));
        Assert.NotEqual(first, new RandomImportance(8).Score(big, _ => throw new InvalidOperationException()));
        Assert.NotEqual(
            first,
            new RandomImportance(7).Score(big with { Name = "h" }, _ => throw new InvalidOperationException())
        );
        Assert.All(first, v => Assert.InRange(v, 0, 1));
        Assert.Equal("7", new RandomImportance(7).Settings["seed"]);
    }

    [Fact]
    public void Criteria_are_found_by_name_and_an_unknown_name_lists_the_known_ones()
    {
        Assert.Equal(["l2", "l1", "bn", "random"], Importances.Names.Select(n => Importances.Named(n).Name));
        Assert.Equal(new RandomImportance(5), Importances.Named("random", 5));
        Assert.Contains(
            "l2, l1, bn, random",
            Assert.Throws<ArgumentException>(() => Importances.Named("taylor")).Message
        );
        Assert.StartsWith(
            "l2 (filter L2 norm, the paper's), l1 (filter L1 norm), bn (batch-norm scale), random (",
            Importances.Described
        );
    }

    [Fact]
    public void Criteria_choose_different_channels_of_one_model_and_the_checkpoint_records_which()
    {
        using var dir = new TempDir();
        manual_seed(21);
        using (var model = new Network(ResNetTests.Tiny()))
        {
            using var scope = NewDisposeScope();
            using (no_grad())
                foreach (
                    var (name, parameter) in model
                        .named_parameters()
                        .Where(p => p.name.Contains(".bn") && p.name.EndsWith(".weight"))
                )
                    parameter.copy_(rand(parameter.shape));
            Checkpoint.Save(
                model,
                new ModelInfo(model.Architecture, new ImageSize(32, 32), new Dictionary<string, string>()),
                dir.File("base.safetensors")
            );
        }
        var kept = new Dictionary<string, IReadOnlyList<GroupWidth>>();
        foreach (var name in Importances.Names)
        {
            var output = dir.File($"{name}.safetensors");
            var summary = CheckpointPruning.Prune(
                dir.File("base.safetensors"),
                new PruningOptions(0.5) { Importance = Importances.Named(name, 9) },
                output
            );
            kept[name] = summary.Widths;
            var notes = Checkpoint.ReadInfo(output).Notes;
            Assert.Equal(name, notes[CheckpointPruning.ImportanceNote]);
            Assert.Equal(
                name == "random" ? "9" : null,
                notes.GetValueOrDefault($"{CheckpointPruning.ImportanceNote}.seed")
            );
        }
        // Local ranking: every criterion keeps the same number of channels per group, so the same architecture.
        Assert.All(kept.Values, widths => Assert.Equal(kept["l2"], widths));
        using var l2 = Checkpoint.Load(dir.File("l2.safetensors"));
        using var bn = Checkpoint.Load(dir.File("bn.safetensors"));
        using var random = Checkpoint.Load(dir.File("random.safetensors"));
        Assert.Equal(l2.Info.Architecture, random.Info.Architecture);
        Assert.NotEqual(
            l2.Model.get_parameter("layer1.0.conv2.weight").ToArray<float>(),
            bn.Model.get_parameter("layer1.0.conv2.weight").ToArray<float>()
        );
        Assert.NotEqual(
            l2.Model.get_parameter("layer1.0.conv2.weight").ToArray<float>(),
            random.Model.get_parameter("layer1.0.conv2.weight").ToArray<float>()
        );
    }
}
