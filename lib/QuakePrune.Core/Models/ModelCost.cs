namespace QuakePrune.Models;

/// <summary>
/// What one layer costs at a given input shape: parameters, multiply-accumulates and float32 bytes moved.
/// </summary>
public sealed record LayerCost(
    string Name,
    Layer Layer,
    IReadOnlyList<long[]> InputShapes,
    long[] OutputShape,
    long Params,
    long Macs,
    long ActivationBytes,
    long WeightBytes
)
{
    public string Kind => Layer.Kind;

    /// <summary>Channels (axis 1) of the first input and of the output.</summary>
    public long InChannels => InputShapes[0][1];
    public long OutChannels => OutputShape[1];
    public long Bytes => ActivationBytes + WeightBytes;
}

/// <summary>
/// Per-layer and total cost of a network from its description alone (no weights needed), at one input shape.
/// </summary>
public sealed record ModelCost(IReadOnlyList<LayerCost> Layers, long[] InputShape)
{
    public long Params => Layers.Sum(l => l.Params);
    public long Macs => Layers.Sum(l => l.Macs);
    public long Bytes => Layers.Sum(l => l.Bytes);

    /// <summary>Layers that launch work on a device (everything but free reshapes).</summary>
    public int Operations => Layers.Count(l => l.Layer.LaunchesWork);

    /// <summary>The cost of an image network at height x width (batch 1).</summary>
    public static ModelCost Of(Architecture architecture, int height, int width)
    {
        if (height < 1 || width < 1)
            throw new ArgumentException($"input size must be positive, got {height}x{width}");
        return Of(architecture, architecture.Graph.InputShapeAt(1, height, width));
    }

    /// <summary>The cost of a checkpoint's network at its input (<see cref="ModelInfo.InputShape"/>).</summary>
    public static ModelCost Of(ModelInfo info) => Of(info.Architecture, info.InputShape);

    /// <summary>The cost at an input of shape <paramref name="inputShape"/> (batch 1: costs are per input).</summary>
    public static ModelCost Of(Architecture architecture, long[] inputShape)
    {
        var graph = architecture.Graph;
        var shapes = graph.Shapes(inputShape);
        var costs = new List<LayerCost>();
        foreach (var node in graph.Order)
        {
            var inputs = NetworkGraph.InputShapes(node, shapes);
            var output = shapes[node.Name];
            var parameters = node.Layer.State(inputs).Where(t => t.IsParameter).Sum(t => t.Elements);
            var activations = inputs.Sum(Elements) + Elements(output);
            costs.Add(
                new LayerCost(
                    node.Name,
                    node.Layer,
                    inputs,
                    output,
                    parameters,
                    node.Layer.Macs(inputs, output),
                    4 * activations,
                    4 * parameters
                )
            );
        }
        return new ModelCost(costs, inputShape);
    }

    private static long Elements(long[] shape) => shape.Aggregate(1L, (a, b) => a * b);
}
