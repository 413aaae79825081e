using QuakePrune.Models;
using QuakePrune.Torch;
using static QuakePrune.Torch.torch;
using F = QuakePrune.Torch.torch.nn.functional;

namespace QuakePrune.Inference;

/// <summary>
/// A 2-d or 1-d convolution with the batch norm after it folded in, and what followed it fused: a residual sum (another
/// value added to its output) and a ReLU. Weights are kept in the layout of the current path. A 1-d convolution is held
/// as the 2-d one it equals over [N, C, 1, T] (kernel 1 x k): one form for the direct oneDNN path and for libtorch.
/// </summary>
internal sealed class FoldedConv : IDisposable
{
    private readonly Tensor weight;
    private readonly Tensor bias;
    private Tensor? prepared;

    private FoldedConv(string name, Tensor weight, Tensor bias, ConvolutionOp op, bool sum, bool relu)
    {
        Name = name;
        this.weight = weight;
        this.bias = bias;
        SpatialAxes = op.Stride.Length;
        Stride = SpatialAxes == 1 ? (1, op.Stride[0]) : (op.Stride[0], op.Stride[1]);
        Padding = SpatialAxes == 1 ? (0, op.Padding[0]) : (op.Padding[0], op.Padding[1]);
        Dilation = SpatialAxes == 1 ? (1, op.Dilation[0]) : (op.Dilation[0], op.Dilation[1]);
        Groups = op.Groups;
        Sum = sum;
        Relu = relu;
    }

    /// <summary>The convolution's layer name in the description.</summary>
    public string Name { get; }

    /// <summary>2 for an image convolution, 1 for a waveform one (its values [N, C, T]).</summary>
    public int SpatialAxes { get; }

    /// <summary>The weights [out, in, kh, kw] (a 1-d convolution's with kh = 1).</summary>
    public Tensor Weight => weight;
    public Tensor Bias => bias;
    public (long Height, long Width) Stride { get; }
    public (long Height, long Width) Padding { get; }
    public (long Height, long Width) Dilation { get; }
    public long Groups { get; }

    /// <summary>Another value is added to the output (before the ReLU, if any).</summary>
    public bool Sum { get; }
    public bool Relu { get; }

    /// <summary>One group, no dilation: what the direct oneDNN path builds.</summary>
    public bool IsDense => Groups == 1 && Dilation == (1, 1);

    /// <summary>
    /// W' = W * g / sqrt(v + eps) per output channel, b' = (b - m) * g / sqrt(v + eps) + beta, computed in float64;
    /// without a norm the weights as they are. <paramref name="convTensor"/> and <paramref name="normTensor"/> give the
    /// layers' tensors by their own names.
    /// </summary>
    public static FoldedConv Of(
        string name,
        ConvolutionOp conv,
        Func<string, Tensor> convTensor,
        BatchNormOp? norm,
        Func<string, Tensor>? normTensor,
        bool sum,
        bool relu
    )
    {
        using var scope = NewDisposeScope();
        var w = convTensor(conv.Weight).detach().to(ScalarType.Float64);
        if (conv.Stride.Length == 1)
            w = w.unsqueeze(2);
        var outChannels = w.shape[0];
        var convBias = conv.Bias is { } b
            ? convTensor(b).detach().to(ScalarType.Float64)
            : zeros([outChannels], ScalarType.Float64, w.device);
        Tensor foldedWeight,
            foldedBias;
        if (norm is null)
        {
            (foldedWeight, foldedBias) = (w, convBias);
        }
        else
        {
            var mean = normTensor!(norm.RunningMean).to(ScalarType.Float64);
            var invStd = normTensor(norm.RunningVar).to(ScalarType.Float64).add(norm.Eps).rsqrt();
            var scale = norm.Weight is { } gamma
                ? normTensor(gamma).detach().to(ScalarType.Float64).mul(invStd)
                : invStd;
            var shift = norm.Bias is { } beta ? normTensor(beta).detach().to(ScalarType.Float64) : zeros_like(mean);
            foldedWeight = w.mul(scale.reshape([-1, 1, 1, 1]));
            foldedBias = convBias.sub(mean).mul(scale).add(shift);
        }
        return new FoldedConv(
            name,
            Keep(foldedWeight.to(ScalarType.Float32).contiguous()),
            Keep(foldedBias.to(ScalarType.Float32).contiguous()),
            conv,
            sum,
            relu
        );
    }

    public void Prepare(InferencePath path)
    {
        prepared?.Dispose();
        using var scope = NewDisposeScope();
        prepared = Keep(
            path switch
            {
                InferencePath.Mkldnn => mkldnn_reorder_conv2d_weight(
                    weight.to_mkldnn(),
                    Padding,
                    Stride,
                    Dilation,
                    Groups
                ),
                InferencePath.ChannelsLast => weight.contiguous(MemoryFormat.ChannelsLast),
                _ => weight.alias(),
            }
        );
    }

    /// <summary>On oneDNN tensors (weights prepared for <see cref="InferencePath.Mkldnn"/>).</summary>
    public Tensor Mkldnn(Tensor x, Tensor? sum) =>
        Finish(mkldnn_convolution(x, prepared!, bias, Padding, Stride, Dilation, Groups), sum);

    /// <summary>On strided tensors (NCHW or channels-last).</summary>
    public Tensor Strided(Tensor x, Tensor? sum)
    {
        if (SpatialAxes == 2)
            return Finish(F.conv2d(x, prepared!, bias, Stride, Padding, Dilation, Groups), sum);
        using var image = x.unsqueeze(2);
        using var y = F.conv2d(image, prepared!, bias, Stride, Padding, Dilation, Groups);
        return Finish(y.squeeze(2), sum);
    }

    private Tensor Finish(Tensor y, Tensor? sum)
    {
        if (sum is not null)
            y.add_(sum);
        return Relu ? y.relu_() : y;
    }

    public void Dispose()
    {
        weight.Dispose();
        bias.Dispose();
        prepared?.Dispose();
    }

    private static Tensor Keep(Tensor t) => t.DetachFromDisposeScope();
}
