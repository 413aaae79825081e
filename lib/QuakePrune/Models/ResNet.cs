using QuakePrune.Torch;
using QuakePrune.Torch.Modules;
using static QuakePrune.Torch.torch;
using F = QuakePrune.Torch.torch.nn.functional;

namespace QuakePrune.Models;

/// <summary>torchvision's Bottleneck (v1.5: the stride sits on the 3x3 conv), with any widths.</summary>
public sealed class Bottleneck : nn.Module<Tensor, Tensor>
{
    private readonly Conv2d conv1, conv2, conv3;
    private readonly BatchNorm2d bn1, bn2, bn3;
    private readonly Sequential? downsample;

    public Bottleneck(int inChannels, BottleneckWidths widths, int outChannels, int stride, bool withDownsample)
    {
        // Registration order is torchvision's, so state dicts list tensors in the same order.
        conv1 = register_module("conv1", nn.Conv2d(inChannels, widths.Conv1, 1, bias: false));
        bn1 = register_module("bn1", nn.BatchNorm2d(widths.Conv1));
        conv2 = register_module("conv2", nn.Conv2d(widths.Conv1, widths.Conv2, 3, stride: stride, padding: 1, bias: false));
        bn2 = register_module("bn2", nn.BatchNorm2d(widths.Conv2));
        conv3 = register_module("conv3", nn.Conv2d(widths.Conv2, outChannels, 1, bias: false));
        bn3 = register_module("bn3", nn.BatchNorm2d(outChannels));
        register_module("relu", nn.ReLU(inplace: true));
        if (withDownsample)
            downsample = register_module("downsample", nn.Sequential(
                nn.Conv2d(inChannels, outChannels, 1, stride: stride, bias: false), nn.BatchNorm2d(outChannels)));
    }

    public override Tensor forward(Tensor x)
    {
        var identity = downsample is null ? x : downsample.forward(x);
        var y = bn1.forward(conv1.forward(x)).relu_();
        y = bn2.forward(conv2.forward(y)).relu_();
        y = bn3.forward(conv3.forward(y));
        return y.add_(identity).relu_();
    }
}

/// <summary>
/// A bottleneck ResNet built from a <see cref="ResNetArchitecture"/>: ResNet50 as torchvision builds it,
/// or any pruned variant. Parameter and buffer names are torchvision's, so a state dict loads into
/// <c>torchvision.models.resnet50(num_classes=2)</c> with strict=True (hidden head: <c>fc.0</c>/<c>fc.3</c>).
/// </summary>
public sealed class ResNet : nn.Module<Tensor, Tensor>
{
    private readonly Conv2d conv1;
    private readonly BatchNorm2d bn1;
    private readonly MaxPool2d maxpool;
    private readonly Sequential[] stages;
    private readonly nn.Module<Tensor, Tensor> fc;

    public ResNetArchitecture Architecture { get; }

    public ResNet(ResNetArchitecture architecture)
    {
        architecture.Validate();
        Architecture = architecture;
        conv1 = register_module("conv1", nn.Conv2d(architecture.InChannels, architecture.Stem, 7, stride: 2, padding: 3, bias: false));
        bn1 = register_module("bn1", nn.BatchNorm2d(architecture.Stem));
        register_module("relu", nn.ReLU(inplace: true));
        maxpool = register_module("maxpool", nn.MaxPool2d(3, stride: 2, padding: 1));
        var channels = architecture.Stem;
        stages = new Sequential[architecture.Stages.Count];
        for (var s = 0; s < stages.Length; s++)
        {
            var stage = architecture.Stages[s];
            var blocks = new nn.Module<Tensor, Tensor>[stage.Blocks.Count];
            for (var b = 0; b < blocks.Length; b++)
            {
                var stride = b == 0 ? ResNetArchitecture.StageStride(s) : 1;
                blocks[b] = new Bottleneck(channels, stage.Blocks[b], stage.Width, stride, withDownsample: b == 0);
                channels = stage.Width;
            }
            stages[s] = register_module($"layer{s + 1}", nn.Sequential(blocks));
        }
        register_module("avgpool", nn.AdaptiveAvgPool2d(1));
        fc = register_module<nn.Module<Tensor, Tensor>>("fc", architecture.Hidden == 0
            ? nn.Linear(channels, architecture.Classes)
            : nn.Sequential(nn.Linear(channels, architecture.Hidden), nn.ReLU(inplace: true), nn.Dropout(0.5),
                nn.Linear(architecture.Hidden, architecture.Classes)));
        InitialiseLikeTorchvision();
    }

    /// <summary>torchvision's ResNet initialisation: He-normal (fan_out) convolutions, unit-scale zero-shift norms; Linear keeps PyTorch's default.</summary>
    private void InitialiseLikeTorchvision()
    {
        foreach (var (_, module) in named_modules())
        {
            switch (module)
            {
                case Conv2d conv:
                    nn.init.kaiming_normal_(conv.weight, mode: "fan_out", nonlinearity: "relu");
                    break;
                case BatchNorm2d bn:
                    nn.init.ones_(bn.weight!);
                    nn.init.zeros_(bn.bias!);
                    break;
            }
        }
    }

    public override Tensor forward(Tensor x)
    {
        if (x.dim() != 4 || x.shape[1] != Architecture.InChannels)
            throw new ArgumentException($"ResNet expects input [N, {Architecture.InChannels}, H, W], got [{string.Join(", ", x.shape)}]");
        x = maxpool.forward(bn1.forward(conv1.forward(x)).relu_());
        foreach (var stage in stages) x = stage.forward(x);
        return fc.forward(F.adaptive_avg_pool2d(x, 1).flatten(1));
    }
}
