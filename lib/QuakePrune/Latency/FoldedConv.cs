using QuakePrune.Models;
using QuakePrune.Torch;
using QuakePrune.Torch.Modules;
using static QuakePrune.Torch.torch;
using F = QuakePrune.Torch.torch.nn.functional;

namespace QuakePrune.Latency;

/// <summary>One bottleneck of the folded network: three convolutions and, in a stage's first block, the downsample.</summary>
internal sealed record FoldedBlock(FoldedConv Conv1, FoldedConv Conv2, FoldedConv Conv3, FoldedConv? Downsample)
{
    public IEnumerable<FoldedConv> Convolutions => Downsample is null ? [Conv1, Conv2, Conv3] : [Conv1, Conv2, Conv3, Downsample];
}

/// <summary>A convolution with its BatchNorm folded in (and the ReLU that follows, if any), in the layout of the current path.</summary>
internal sealed class FoldedConv : IDisposable
{
    private readonly Tensor weight;
    private readonly Tensor bias;
    private Tensor? prepared;
    private readonly (long, long) stride, padding, dilation;
    private readonly long groups;
    private readonly bool relu;

    private FoldedConv(string name, Tensor weight, Tensor bias, Conv2d conv, bool relu)
    {
        Name = name;
        this.weight = weight;
        this.bias = bias;
        (stride, padding, dilation, groups) = (conv.stride, conv.padding, conv.dilation, conv.groups);
        this.relu = relu;
    }

    /// <summary>The convolution's module name (conv1, layer1.0.conv2, layer1.0.downsample.0).</summary>
    public string Name { get; }
    public Tensor Weight => weight;
    public Tensor Bias => bias;
    public (long Height, long Width) Stride => stride;
    public (long Height, long Width) Padding => padding;
    public bool Relu => relu;
    /// <summary>One group, no dilation: the convolutions ResNet has, and all the direct oneDNN path builds.</summary>
    public bool IsDense => groups == 1 && dilation == (1, 1);

    /// <summary>W' = W * g / sqrt(v + eps) per output channel, b' = (b - m) * g / sqrt(v + eps) + beta; computed in float64.</summary>
    public static FoldedConv Of(ResNet model, string convName, string normName, bool relu)
    {
        var conv = (Conv2d)model.get_submodule(convName);
        var norm = (BatchNorm2d)model.get_submodule(normName);
        using var scope = NewDisposeScope();
        var w = conv.weight.detach().to(ScalarType.Float64);
        var mean = norm.running_mean!.to(ScalarType.Float64);
        var invStd = norm.running_var!.to(ScalarType.Float64).add(norm.eps).rsqrt();
        var scale = norm.weight is { } gamma ? gamma.detach().to(ScalarType.Float64).mul(invStd) : invStd;
        var shift = norm.bias is { } beta ? beta.detach().to(ScalarType.Float64) : zeros_like(mean);
        var convBias = conv.bias is { } cb ? cb.detach().to(ScalarType.Float64) : zeros_like(mean);
        var foldedWeight = w.mul(scale.reshape([-1, 1, 1, 1])).to(ScalarType.Float32).contiguous();
        var foldedBias = convBias.sub(mean).mul(scale).add(shift).to(ScalarType.Float32).contiguous();
        return new FoldedConv(convName, Keep(foldedWeight), Keep(foldedBias), conv, relu);
    }

    public void Prepare(InferencePath path)
    {
        prepared?.Dispose();
        using var scope = NewDisposeScope();
        prepared = Keep(path switch
        {
            InferencePath.Mkldnn => mkldnn_reorder_conv2d_weight(weight.to_mkldnn(), padding, stride, dilation, groups),
            InferencePath.ChannelsLast => weight.contiguous(MemoryFormat.ChannelsLast),
            _ => weight.alias(),
        });
    }

    public Tensor Mkldnn(Tensor x)
    {
        var y = mkldnn_convolution(x, prepared!, bias, padding, stride, dilation, groups);
        return relu ? y.relu_() : y;
    }

    public Tensor Strided(Tensor x)
    {
        var y = F.conv2d(x, prepared!, bias, stride, padding, dilation, groups);
        return relu ? y.relu_() : y;
    }

    public void Dispose()
    {
        weight.Dispose();
        bias.Dispose();
        prepared?.Dispose();
    }

    private static Tensor Keep(Tensor t) => t.DetachFromDisposeScope();
}
