using QuakePrune.Models;
using QuakePrune.Pruning;
using QuakePrune.Spectrograms;
using QuakePrune.Tests.Models;
using QuakePrune.Torch;
using static QuakePrune.Torch.torch;

namespace QuakePrune.Tests.Pruning;

public class SurgeryTests
{
    /// <summary>
    /// Makes the channels each group loses at <paramref name="ratio"/> (its last ones) contribute nothing: zero
    /// filters, zero norm scale and shift.
    /// </summary>
    internal static void KillTrailingChannels(Network model, double ratio)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        foreach (var group in DependencyGroups.Of(model.Architecture))
        {
            var keep = PruningPlan.KeepCount(group.Channels, ratio);
            foreach (var member in group.Members.Where(m => m.Role != MemberRole.Consumer))
            foreach (var tensor in member.Tensors.Where(t => t.Role != TensorRole.Statistic))
                model
                    .get_parameter($"{member.Layer}.{tensor.Name}")
                    .narrow(tensor.Axis, keep, group.Channels - keep)
                    .zero_();
        }
    }

    [Theory]
    [InlineData(PruningScope.Full)]
    [InlineData(PruningScope.Internal)]
    public void Removing_channels_that_contribute_nothing_leaves_outputs_unchanged(PruningScope scope)
    {
        using var dispose = NewDisposeScope();
        manual_seed(3);
        using var model = new Network(ResNetTests.Tiny());
        // Random running statistics, so the test also covers their slicing.
        using (no_grad())
        {
            foreach (
                var (name, buffer) in model
                    .named_buffers()
                    .Where(b => b.name.EndsWith("running_mean") || b.name.EndsWith("running_var"))
            )
                buffer.copy_(rand(buffer.shape).add(name.EndsWith("var") ? 0.5 : -0.5));
        }
        KillTrailingChannels(model, 0.25);
        model.eval();
        var x = randn(2, 3, 32, 32);
        var before = model.forward(x).ToArray<float>();

        var groups = DependencyGroups.Of(model.Architecture);
        var scores = Pruner.Scores(model, groups, Importances.L2);
        var plan = PruningPlan.Create(groups, scores, new PruningOptions(0.25, scope));
        foreach (var group in groups.Where(g => new PruningOptions(0.25, scope).Covers(g.Kind)))
            Assert.Equal(Enumerable.Range(0, PruningPlan.KeepCount(group.Channels, 0.25)), plan.Kept[group.Name]);
        using var pruned = Surgery.Apply(model, plan);
        Assert.True(pruned.parameter_count() < model.parameter_count());
        var after = pruned.forward(x).ToArray<float>();
        for (var i = 0; i < before.Length; i++)
            Assert.Equal(before[i], after[i], 1e-5f);
    }

    [Fact]
    public void Pruned_model_keeps_exactly_the_planned_slices()
    {
        using var dispose = NewDisposeScope();
        manual_seed(5);
        using var model = new Network(ResNetTests.Tiny(hidden: 6));
        var (pruned, plan) = Pruner.Prune(model, new PruningOptions(0.5));
        using var _ = pruned;
        long[] Index(string group) => plan.Kept[group].Select(i => (long)i).ToArray();

        // An internal group: conv2 output filters, bn2 entries, conv3 input channels.
        var inner = Index("layer1.1.conv2");
        Assert.Equal(
            model
                .get_parameter("layer1.1.conv2.weight")
                .index_select(0, tensor(inner))
                .index_select(1, tensor(Index("layer1.1.conv1")))
                .ToArray<float>(),
            pruned.get_parameter("layer1.1.conv2.weight").ToArray<float>()
        );
        Assert.Equal(
            model.get_buffer("layer1.1.bn2.running_var").index_select(0, tensor(inner)).ToArray<float>(),
            pruned.get_buffer("layer1.1.bn2.running_var").ToArray<float>()
        );

        // The head: hidden neurons go with the classifier's input columns; the classifier keeps both outputs.
        var hidden = Index("fc.0");
        Assert.Equal(3, hidden.Length);
        Assert.Equal(
            model.get_parameter("fc.3.weight").index_select(1, tensor(hidden)).ToArray<float>(),
            pruned.get_parameter("fc.3.weight").ToArray<float>()
        );
        Assert.Equal([2, 3], pruned.get_parameter("fc.3.weight").shape);
        Assert.Equal(
            model.get_parameter("fc.0.bias").index_select(0, tensor(hidden)).ToArray<float>(),
            pruned.get_parameter("fc.0.bias").ToArray<float>()
        );

        // The residual stream of the last stage feeds the head's inputs.
        var residual = Index("layer2.residual");
        Assert.Equal(
            model
                .get_parameter("fc.0.weight")
                .index_select(0, tensor(hidden))
                .index_select(1, tensor(residual))
                .ToArray<float>(),
            pruned.get_parameter("fc.0.weight").ToArray<float>()
        );
    }

    [Fact]
    public void Pruned_checkpoint_loads_into_a_ResNet_built_from_its_shapes()
    {
        using var dir = new TempDir();
        using var dispose = NewDisposeScope();
        using var model = new Network(ResNetTests.Tiny());
        var (pruned, _) = Pruner.Prune(model, new PruningOptions(0.7));
        using var __ = pruned;
        var path = dir.File("pruned.safetensors");
        pruned.save(path);
        using var loaded = Checkpoint.Load(path);
        Assert.Equal(pruned.Architecture, loaded.Info.Architecture);
        Assert.Equal(ModelCost.Of(pruned.Architecture, 32, 32).Params, loaded.Model.parameter_count());
        var info = new ModelInfo(pruned.Architecture, new ImageSize(32, 32), new Dictionary<string, string>());
        Checkpoint.Save(pruned, info, path);
        Assert.Equal(pruned.Architecture, Checkpoint.ReadInfo(path).Architecture);
    }

    [Fact]
    public void ResNet50_full_prune90_has_about_a_quarter_million_parameters()
    {
        using var dispose = NewDisposeScope();
        using var model = new Network(ResNetArchitecture.ResNet50());
        var (pruned, _) = Pruner.Prune(model, new PruningOptions(0.9));
        using var __ = pruned;
        Assert.InRange(pruned.parameter_count(), 0.22e6, 0.26e6);
        model.eval();
        pruned.eval();
        Assert.Equal([1, 2], pruned.forward(randn(1, 3, 64, 64)).shape);
    }
}
