using QuakePrune.Models;
using QuakePrune.Torch;
using static QuakePrune.Torch.torch;

namespace QuakePrune.Pruning;

/// <summary>Builds the physically smaller model a plan describes: no masks, fewer channels.</summary>
public static class Surgery
{
    /// <summary>
    /// Copies the kept slices into a new model: each producer's kept output filters (and bias), the matching
    /// norm entries (weight, bias, running mean and variance), and the matching input channels of every reader.
    /// </summary>
    public static ResNet Apply(ResNet model, PruningPlan plan)
    {
        var outputs = new Dictionary<string, int[]>();
        var inputs = new Dictionary<string, int[]>();
        foreach (var group in plan.Groups)
        foreach (var member in group.Members)
            (member.Role == MemberRole.Consumer ? inputs : outputs)[member.Layer] = plan.Kept[group.Name];

        var pruned = new ResNet(plan.Apply(model.Architecture));
        try
        {
            using var scope = NewDisposeScope();
            var sliced = new Dictionary<string, Tensor>();
            foreach (var (name, tensor) in model.state_dict())
            {
                var dot = name.LastIndexOf('.');
                var (layer, leaf) = (name[..dot], name[(dot + 1)..]);
                var value = tensor;
                if (leaf != "num_batches_tracked" && outputs.TryGetValue(layer, out var kept))
                    value = value.index_select(0, Indices(kept));
                if (leaf == "weight" && value.dim() >= 2 && inputs.TryGetValue(layer, out var read))
                    value = value.index_select(1, Indices(read));
                sliced[name] = value;
            }
            pruned.load_state_dict(sliced, strict: true);
            pruned.train(model.training);
            return pruned;
        }
        catch
        {
            pruned.Dispose();
            throw;
        }
    }

    private static Tensor Indices(int[] kept) => tensor(kept.Select(i => (long)i).ToArray());
}

/// <summary>L2-norm pruning of a model end to end: groups from its structure, scores from its weights, a plan, the surgery.</summary>
public static class L2Pruner
{
    public static (ResNet Model, PruningPlan Plan) Prune(ResNet model, PruningOptions options)
    {
        var groups = DependencyGroups.Of(model.Architecture);
        var plan = PruningPlan.Create(groups, Scores(model, groups), options);
        return (Surgery.Apply(model, plan), plan);
    }

    /// <summary>Prunes each named group to the given number of channels, keeping its largest-norm ones; other groups stay whole.</summary>
    public static (ResNet Model, PruningPlan Plan) PruneTo(ResNet model, IReadOnlyDictionary<string, int> keepCounts)
    {
        var groups = DependencyGroups.Of(model.Architecture);
        var plan = PruningPlan.Create(groups, Scores(model, groups), keepCounts);
        return (Surgery.Apply(model, plan), plan);
    }

    public static Dictionary<string, double[]> Scores(ResNet model, IReadOnlyList<ChannelGroup> groups)
    {
        using var scope = NewDisposeScope();
        var weights = new Dictionary<string, float[]>();
        return Importance.Of(groups, layer =>
        {
            if (!weights.TryGetValue(layer, out var values))
                weights[layer] = values = model.get_parameter(layer + ".weight").to(CPU).contiguous().ToArray<float>();
            return values;
        });
    }
}
