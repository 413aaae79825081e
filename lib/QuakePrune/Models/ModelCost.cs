namespace QuakePrune.Models;

/// <summary>What one layer costs at a given input size: parameters, multiply-accumulates and float32 bytes moved.</summary>
public sealed record LayerCost(
    string Name, LayerKind Kind, int InChannels, int OutChannels, int Kernel, int Stride,
    int OutHeight, int OutWidth, long Params, long Macs, long ActivationBytes, long WeightBytes)
{
    public long Bytes => ActivationBytes + WeightBytes;
}

/// <summary>Per-layer and total cost of a model from its architecture alone (no weights needed).</summary>
public sealed record ModelCost(IReadOnlyList<LayerCost> Layers, int Height, int Width)
{
    public long Params => Layers.Sum(l => l.Params);
    public long Macs => Layers.Sum(l => l.Macs);
    public long Bytes => Layers.Sum(l => l.Bytes);
    /// <summary>Layers that launch work on a device (everything but the free reshape).</summary>
    public int Operations => Layers.Count(l => l.Kind != LayerKind.Flatten);

    public static ModelCost Of(ResNetArchitecture architecture, int height, int width)
    {
        if (height < 1 || width < 1) throw new ArgumentException($"input size must be positive, got {height}x{width}");
        var shapes = new Dictionary<string, (int C, int H, int W)> { [LayerGraph.Input] = (architecture.InChannels, height, width) };
        var costs = new List<LayerCost>();
        foreach (var layer in LayerGraph.Of(architecture))
        {
            var (c, h, w) = shapes[layer.Inputs[0]];
            (int H, int W) output = layer.Kind switch
            {
                LayerKind.Conv2d or LayerKind.MaxPool2d => (Spatial(h, layer), Spatial(w, layer)),
                LayerKind.AdaptiveAvgPool2d or LayerKind.Flatten or LayerKind.Linear => (1, 1),
                _ => (h, w),
            };
            long outElements = (long)layer.OutChannels * output.H * output.W;
            long inElements = (long)c * h * w * layer.Inputs.Count;
            long kernelArea = (long)layer.Kernel * layer.Kernel;
            var (parameters, macs) = layer.Kind switch
            {
                LayerKind.Conv2d => ((long)layer.InChannels * layer.OutChannels * kernelArea, outElements * layer.InChannels * kernelArea),
                LayerKind.Linear => ((long)layer.InChannels * layer.OutChannels + layer.OutChannels, (long)layer.InChannels * layer.OutChannels),
                LayerKind.BatchNorm2d => (2L * layer.OutChannels, 0L),
                _ => (0L, 0L),
            };
            costs.Add(new LayerCost(layer.Name, layer.Kind, layer.InChannels, layer.OutChannels, layer.Kernel, layer.Stride,
                output.H, output.W, parameters, macs, 4 * (inElements + outElements), 4 * parameters));
            shapes[layer.Output] = (layer.OutChannels, output.H, output.W);
        }
        return new ModelCost(costs, height, width);
    }

    private static int Spatial(int size, Layer layer) => (size + 2 * layer.Padding - layer.Kernel) / layer.Stride + 1;
}
