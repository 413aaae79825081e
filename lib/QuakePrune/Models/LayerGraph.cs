namespace QuakePrune.Models;

public enum LayerKind { Conv2d, BatchNorm2d, ReLU, MaxPool2d, Add, AdaptiveAvgPool2d, Flatten, Dropout, Linear }

/// <summary>
/// One operation of the network as a dataflow node. <see cref="Name"/> is the torchvision module name
/// (the parameter prefix, e.g. <c>layer2.0.downsample.0</c>); values are named by the layer that
/// produces them, the network input is <see cref="LayerGraph.Input"/>.
/// </summary>
public sealed record Layer(
    string Name, LayerKind Kind, IReadOnlyList<string> Inputs, int InChannels, int OutChannels,
    int Kernel = 0, int Stride = 1, int Padding = 0)
{
    public string Output => Name;
    public bool HasWeights => Kind is LayerKind.Conv2d or LayerKind.Linear or LayerKind.BatchNorm2d;
}

/// <summary>The dataflow of a bottleneck ResNet built from its architecture: the structure pruning and costing read.</summary>
public static class LayerGraph
{
    public const string Input = "input";

    public static IReadOnlyList<Layer> Of(ResNetArchitecture a)
    {
        a.Validate();
        var layers = new List<Layer>();
        string Add(Layer layer)
        {
            layers.Add(layer);
            return layer.Output;
        }

        var x = Add(new Layer("conv1", LayerKind.Conv2d, [Input], a.InChannels, a.Stem, Kernel: 7, Stride: 2, Padding: 3));
        x = Add(new Layer("bn1", LayerKind.BatchNorm2d, [x], a.Stem, a.Stem));
        x = Add(new Layer("relu", LayerKind.ReLU, [x], a.Stem, a.Stem));
        x = Add(new Layer("maxpool", LayerKind.MaxPool2d, [x], a.Stem, a.Stem, Kernel: 3, Stride: 2, Padding: 1));
        var channels = a.Stem;
        for (var s = 0; s < a.Stages.Count; s++)
        {
            var stage = a.Stages[s];
            for (var b = 0; b < stage.Blocks.Count; b++)
            {
                var p = $"layer{s + 1}.{b}";
                var w = stage.Blocks[b];
                var stride = b == 0 ? ResNetArchitecture.StageStride(s) : 1;
                var y = Add(new Layer($"{p}.conv1", LayerKind.Conv2d, [x], channels, w.Conv1, Kernel: 1));
                y = Add(new Layer($"{p}.bn1", LayerKind.BatchNorm2d, [y], w.Conv1, w.Conv1));
                y = Add(new Layer($"{p}.relu1", LayerKind.ReLU, [y], w.Conv1, w.Conv1));
                y = Add(new Layer($"{p}.conv2", LayerKind.Conv2d, [y], w.Conv1, w.Conv2, Kernel: 3, Stride: stride, Padding: 1));
                y = Add(new Layer($"{p}.bn2", LayerKind.BatchNorm2d, [y], w.Conv2, w.Conv2));
                y = Add(new Layer($"{p}.relu2", LayerKind.ReLU, [y], w.Conv2, w.Conv2));
                y = Add(new Layer($"{p}.conv3", LayerKind.Conv2d, [y], w.Conv2, stage.Width, Kernel: 1));
                y = Add(new Layer($"{p}.bn3", LayerKind.BatchNorm2d, [y], stage.Width, stage.Width));
                var identity = x;
                if (b == 0)
                {
                    identity = Add(new Layer($"{p}.downsample.0", LayerKind.Conv2d, [x], channels, stage.Width, Kernel: 1, Stride: stride));
                    identity = Add(new Layer($"{p}.downsample.1", LayerKind.BatchNorm2d, [identity], stage.Width, stage.Width));
                }
                y = Add(new Layer($"{p}.add", LayerKind.Add, [y, identity], stage.Width, stage.Width));
                x = Add(new Layer($"{p}.relu", LayerKind.ReLU, [y], stage.Width, stage.Width));
                channels = stage.Width;
            }
        }
        x = Add(new Layer("avgpool", LayerKind.AdaptiveAvgPool2d, [x], channels, channels));
        x = Add(new Layer("flatten", LayerKind.Flatten, [x], channels, channels));
        if (a.Hidden == 0)
        {
            Add(new Layer("fc", LayerKind.Linear, [x], channels, a.Classes));
        }
        else
        {
            x = Add(new Layer("fc.0", LayerKind.Linear, [x], channels, a.Hidden));
            x = Add(new Layer("fc.1", LayerKind.ReLU, [x], a.Hidden, a.Hidden));
            x = Add(new Layer("fc.2", LayerKind.Dropout, [x], a.Hidden, a.Hidden));
            Add(new Layer("fc.3", LayerKind.Linear, [x], a.Hidden, a.Classes));
        }
        return layers;
    }
}
