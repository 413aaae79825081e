namespace QuakePrune.Models;

/// <summary>
/// One layer of a network description. <see cref="Name"/> is its module's dotted name (the prefix of its state-dict
/// entries, e.g. <c>layer2.0.downsample.0</c>) and also names the value it produces; <see cref="Inputs"/> name the
/// values it reads: other layers, or the network input <see cref="NetworkGraph.Input"/>.
/// </summary>
public sealed record LayerNode(string Name, Layer Layer, IReadOnlyList<string> Inputs);

/// <summary>
/// A network described once: its layers, how they connect, and the shape of its input. Everything else is derived from
/// it: the modules (<see cref="Network"/>), parameters and MACs (<see cref="ModelCost"/>), the pruning groups,
/// batch-norm folding and the fast inference path. Layers are listed in the order their modules register (so a state
/// dict lists its tensors in that order); they run in dependency order (<see cref="Order"/>), which for most networks
/// is the same.
/// </summary>
public sealed class NetworkGraph
{
    public const string Input = "input";

    /// <param name="inputShape">A typical input at batch 1 ([1, C, H, W] for images): the shape modules are sized at;
    /// others may be given to <see cref="Shapes"/>.</param>
    public NetworkGraph(IReadOnlyList<LayerNode> nodes, long[] inputShape, IReadOnlyList<string> outputs)
    {
        if (inputShape.Length < 2 || inputShape[0] != 1 || inputShape.Any(d => d < 1))
            throw new InvalidDataException(
                $"network input: expected a shape [1, C, ...] of positive sizes, got [{string.Join(", ", inputShape)}]"
            );
        Nodes = nodes;
        InputShape = inputShape;
        Outputs = outputs;
        var names = new HashSet<string> { Input };
        foreach (var node in nodes)
        {
            if (!names.Add(node.Name))
                throw new InvalidDataException($"network description: two layers named '{node.Name}'");
            if (
                node.Inputs.Count == 0
                || (node.Layer.Arity is { } arity ? node.Inputs.Count != arity : node.Inputs.Count < 2)
            )
                throw new InvalidDataException(
                    $"{node.Name}: {node.Layer.Kind} cannot take {node.Inputs.Count} input(s)"
                );
        }
        foreach (var missing in nodes.SelectMany(n => n.Inputs).Concat(outputs).Where(v => !names.Contains(v)))
            throw new InvalidDataException($"network description: no layer named '{missing}'");
        if (outputs.Count == 0)
            throw new InvalidDataException("network description: no outputs");
        Order = DependencyOrder(nodes);
        DefaultShapes = Shapes(inputShape);
    }

    public IReadOnlyList<LayerNode> Nodes { get; }
    public long[] InputShape { get; }
    public IReadOnlyList<string> Outputs { get; }

    /// <summary>
    /// The layers in an order that computes every input before its reader (registration order where it allows).
    /// </summary>
    public IReadOnlyList<LayerNode> Order { get; }

    /// <summary>Every value's shape at <see cref="InputShape"/>.</summary>
    public IReadOnlyDictionary<string, long[]> DefaultShapes { get; }

    public int InChannels => (int)InputShape[1];

    /// <summary>The width (axis 1) of the only output: a classifier's number of classes.</summary>
    public int OutputChannels =>
        Outputs.Count == 1
            ? (int)DefaultShapes[Outputs[0]][1]
            : throw new InvalidOperationException($"the network has {Outputs.Count} outputs, not one");

    /// <summary>
    /// The input shape at batch <paramref name="batch"/> with these spatial sizes (the default input's rank must
    /// match).
    /// </summary>
    public long[] InputShapeAt(int batch, params long[] spatial)
    {
        if (spatial.Length != InputShape.Length - 2)
            throw new ArgumentException(
                $"the network takes {InputShape.Length - 2} spatial axes, got {spatial.Length} ({string.Join("x", spatial)})"
            );
        if (batch < 1 || spatial.Any(s => s < 1))
            throw new ArgumentException($"input size must be positive, got {string.Join("x", spatial)}");
        return [batch, InputShape[1], .. spatial];
    }

    /// <summary>
    /// Every value's shape for an input of shape <paramref name="inputShape"/>; a layer the shapes do not fit is named.
    /// </summary>
    public Dictionary<string, long[]> Shapes(long[] inputShape)
    {
        if (inputShape.Length != InputShape.Length || inputShape[1] != InputShape[1])
            throw new ArgumentException(
                $"the network takes input [N, {InputShape[1]}, ...] of rank {InputShape.Length}, got [{string.Join(", ", inputShape)}]"
            );
        var shapes = new Dictionary<string, long[]> { [Input] = inputShape };
        foreach (var node in Order)
        {
            try
            {
                shapes[node.Name] = node.Layer.OutputShape(InputShapes(node, shapes));
            }
            catch (InvalidDataException e)
            {
                throw new InvalidDataException($"{node.Name}: {e.Message}", e);
            }
        }
        return shapes;
    }

    /// <summary>The shapes a layer reads, from a map of value shapes.</summary>
    public static long[][] InputShapes(LayerNode node, IReadOnlyDictionary<string, long[]> shapes) =>
        node.Inputs.Select(i => shapes[i]).ToArray();

    /// <summary>
    /// Stable topological order: a layer runs as soon as its inputs exist, earlier-listed layers first.
    /// </summary>
    private static LayerNode[] DependencyOrder(IReadOnlyList<LayerNode> nodes)
    {
        var index = nodes.Select((n, i) => (n.Name, i)).ToDictionary(x => x.Name, x => x.i);
        var waiting = nodes.Select(n => n.Inputs.Distinct().Count(i => i != Input)).ToArray();
        var readers = nodes.Select(_ => new List<int>()).ToArray();
        for (var i = 0; i < nodes.Count; i++)
            foreach (var input in nodes[i].Inputs.Distinct().Where(v => v != Input))
                readers[index[input]].Add(i);
        var ready = new SortedSet<int>(Enumerable.Range(0, nodes.Count).Where(i => waiting[i] == 0));
        var order = new List<LayerNode>(nodes.Count);
        while (ready.Count > 0)
        {
            var next = ready.Min;
            ready.Remove(next);
            order.Add(nodes[next]);
            foreach (var reader in readers[next])
                if (--waiting[reader] == 0)
                    ready.Add(reader);
        }
        if (order.Count != nodes.Count)
            throw new InvalidDataException(
                $"network description: a cycle through {string.Join(", ", nodes.Where(n => !order.Contains(n)).Select(n => n.Name))}"
            );
        return order.ToArray();
    }
}
