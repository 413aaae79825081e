using QuakePrune.Models;
using QuakePrune.Torch;
using static QuakePrune.Torch.torch;

namespace QuakePrune.Pruning;

/// <summary>Builds the physically smaller model a plan describes: no masks, fewer channels.</summary>
public static class Surgery
{
    /// <summary>
    /// Copies the kept slices into a new model: every group member's tensors along their channel axes (a producer's
    /// filters and bias, a norm's entries, a reader's input channels), as each layer names them; every other tensor
    /// whole.
    /// </summary>
    public static Network Apply(Network model, PruningPlan plan)
    {
        // (layer, tensor) -> (axis, kept indices); a layer may read one group and write another.
        var slices = new Dictionary<(string Layer, string Tensor), List<(int Axis, int[] Kept)>>();
        foreach (var group in plan.Groups)
        {
            var kept = plan.Kept[group.Name];
            if (kept.Length == group.Channels)
                continue;
            foreach (var member in group.Members)
            foreach (var tensor in member.Tensors)
            {
                if (!slices.TryGetValue((member.Layer, tensor.Name), out var list))
                    slices[(member.Layer, tensor.Name)] = list = [];
                list.Add((tensor.Axis, kept));
            }
        }

        var pruned = new Network(plan.Apply(model.Architecture), initialise: false);
        try
        {
            using var scope = NewDisposeScope();
            var sliced = new Dictionary<string, Tensor>();
            foreach (var (name, tensor) in model.state_dict())
            {
                var dot = name.LastIndexOf('.');
                var value = tensor;
                if (slices.TryGetValue((name[..dot], name[(dot + 1)..]), out var cuts))
                    foreach (var (axis, kept) in cuts)
                        value = value.index_select(axis, Indices(kept));
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

/// <summary>
/// Structured pruning of a model end to end: groups from its description, scores from its weights by a criterion, a
/// plan, the surgery.
/// </summary>
public static class Pruner
{
    public static (Network Model, PruningPlan Plan) Prune(Network model, PruningOptions options)
    {
        var groups = DependencyGroups.Of(model.Architecture);
        var plan = PruningPlan.Create(groups, Scores(model, groups.Where(options.Covers), options.Importance), options);
        return (Surgery.Apply(model, plan), plan);
    }

    /// <summary>
    /// Prunes each named group to the given number of channels, keeping its highest-scoring ones; other groups stay
    /// whole.
    /// </summary>
    public static (Network Model, PruningPlan Plan) PruneTo(
        Network model,
        IReadOnlyDictionary<string, int> keepCounts,
        IImportance importance
    )
    {
        var groups = DependencyGroups.Of(model.Architecture);
        var plan = PruningPlan.Create(
            groups,
            Scores(model, groups.Where(g => keepCounts.ContainsKey(g.Name)), importance),
            keepCounts
        );
        return (Surgery.Apply(model, plan), plan);
    }

    /// <summary>
    /// The channel scores of <paramref name="groups"/> by <paramref name="importance"/>, reading the model's tensors on
    /// the host once each.
    /// </summary>
    public static Dictionary<string, double[]> Scores(
        Network model,
        IEnumerable<ChannelGroup> groups,
        IImportance importance
    )
    {
        using var scope = NewDisposeScope();
        var state = model.state_dict();
        var read = new Dictionary<string, TensorValues>();
        return Importances.Score(importance, groups, name =>
        {
            if (read.TryGetValue(name, out var values))
                return values;
            if (!state.TryGetValue(name, out var tensor))
                throw new KeyNotFoundException($"the model has no tensor {name}");
            return read[name] = new TensorValues(
                tensor.detach().to(CPU).to(ScalarType.Float32).contiguous().ToArray<float>(),
                tensor.shape
            );
        });
    }
}
