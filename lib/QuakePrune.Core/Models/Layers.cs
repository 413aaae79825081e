using QuakePrune.Torch;
using QuakePrune.Torch.Modules;
using static QuakePrune.Torch.torch;
using F = QuakePrune.Torch.torch.nn.functional;

namespace QuakePrune.Models;

/// <summary>
/// A convolution over <c>Kernel.Length</c> spatial axes, input <c>[1, C, spatial...]</c>, weight <c>[out, C / groups,
/// k...]</c>. Dense (one group) it opens a channel space: its filters are pruned as rows of the weight, its input
/// channels as columns.
/// </summary>
public abstract record ConvolutionLayer(
    int OutChannels,
    long[] Kernel,
    long[] Stride,
    long[] Padding,
    long[] Dilation,
    int Groups,
    bool Bias
) : Layer
{
    private int Rank => Kernel.Length;

    public override long[] OutputShape(IReadOnlyList<long[]> inputs)
    {
        var x = Require(inputs, Rank + 2, $"[N, C, {Rank} spatial axes]");
        if (OutChannels < 1 || Groups < 1 || x[1] % Groups != 0 || OutChannels % Groups != 0)
            throw new InvalidDataException(
                $"{Kind}: {x[1]} input and {OutChannels} output channels do not fit {Groups} group(s)"
            );
        var output = new long[x.Length];
        (output[0], output[1]) = (x[0], OutChannels);
        for (var k = 0; k < Rank; k++)
        {
            output[k + 2] = (x[k + 2] + 2 * Padding[k] - Dilation[k] * (Kernel[k] - 1) - 1) / Stride[k] + 1;
            if (output[k + 2] < 1)
                throw new InvalidDataException($"{Kind}: input {Text(x)} is smaller than its kernel {Text(Kernel)}");
        }
        return output;
    }

    public override IReadOnlyList<StateTensor> State(IReadOnlyList<long[]> inputs)
    {
        StateTensor weight = new("weight", [OutChannels, inputs[0][1] / Groups, .. Kernel]);
        return Bias ? [weight, new StateTensor("bias", [OutChannels])] : [weight];
    }

    public override long Macs(IReadOnlyList<long[]> inputs, long[] output) =>
        output.Aggregate(1L, (a, b) => a * b) * (inputs[0][1] / Groups) * Kernel.Aggregate(1L, (a, b) => a * b);

    public override ChannelEffect Channels(IReadOnlyList<long[]> inputs) =>
        Groups == 1 ? ChannelEffect.Opens : ChannelEffect.Opaque;

    public override IReadOnlyList<ChannelTensor> InputChannelTensors => [new("weight", 1, TensorRole.Weight)];

    public override IReadOnlyList<ChannelTensor> OutputChannelTensors =>
        Bias
            ? [new("weight", 0, TensorRole.Weight), new("bias", 0, TensorRole.Bias)]
            : [new("weight", 0, TensorRole.Weight)];

    public override InferenceOp Inference =>
        new ConvolutionOp(Stride, Padding, Dilation, Groups, "weight", Bias ? "bias" : null);
}

/// <summary>torch.nn.Conv2d.</summary>
public sealed record Conv2dLayer(
    int OutChannels,
    (long, long) KernelSize,
    (long, long) StrideSize,
    (long, long) PaddingSize,
    bool Bias = false,
    int Groups = 1
)
    : ConvolutionLayer(
        OutChannels,
        [KernelSize.Item1, KernelSize.Item2],
        [StrideSize.Item1, StrideSize.Item2],
        [PaddingSize.Item1, PaddingSize.Item2],
        [1, 1],
        Groups,
        Bias
    )
{
    /// <summary>A square kernel, stride and padding.</summary>
    public Conv2dLayer(int outChannels, long kernel, long stride = 1, long padding = 0, bool bias = false)
        : this(outChannels, (kernel, kernel), (stride, stride), (padding, padding), bias) { }

    public override string Kind => "Conv2d";

    public override nn.Module CreateModule(IReadOnlyList<long[]> inputs) =>
        nn.Conv2d(inputs[0][1], OutChannels, KernelSize, StrideSize, PaddingSize, Groups, Bias);

    public override Tensor Forward(nn.Module? module, IReadOnlyList<Tensor> inputs, bool training, bool mayOverwrite) =>
        ((Conv2d)module!).forward(inputs[0]);
}

/// <summary>
/// Batch normalisation over the channel axis (axis 1): per channel a scale, a shift and running statistics, passed
/// through by pruning.
/// </summary>
public abstract record BatchNormLayer(double Eps, double Momentum) : Layer
{
    protected abstract int Rank { get; }

    public override long[] OutputShape(IReadOnlyList<long[]> inputs) =>
        Require(inputs, Rank, $"[N, C, {Rank - 2} spatial axes]").ToArray();

    public override IReadOnlyList<StateTensor> State(IReadOnlyList<long[]> inputs)
    {
        var c = inputs[0][1];
        return
        [
            new("weight", [c]),
            new("bias", [c]),
            new("running_mean", [c], false),
            new("running_var", [c], false),
            new("num_batches_tracked", [], false),
        ];
    }

    public override IReadOnlyList<ChannelTensor> OutputChannelTensors =>
        [
            new("weight", 0, TensorRole.Scale),
            new("bias", 0, TensorRole.Shift),
            new("running_mean", 0, TensorRole.Statistic),
            new("running_var", 0, TensorRole.Statistic),
        ];

    public override InferenceOp Inference => new BatchNormOp("weight", "bias", "running_mean", "running_var", Eps);
}

/// <summary>torch.nn.BatchNorm2d.</summary>
public sealed record BatchNorm2dLayer(double Eps = 1e-5, double Momentum = 0.1) : BatchNormLayer(Eps, Momentum)
{
    public override string Kind => "BatchNorm2d";
    protected override int Rank => 4;

    public override nn.Module CreateModule(IReadOnlyList<long[]> inputs) => nn.BatchNorm2d(inputs[0][1], Eps, Momentum);

    public override Tensor Forward(nn.Module? module, IReadOnlyList<Tensor> inputs, bool training, bool mayOverwrite) =>
        ((BatchNorm2d)module!).forward(inputs[0]);
}

/// <summary>
/// max(x, 0), in place when its input is not needed afterwards (as torchvision's ReLU(inplace=True)).
/// </summary>
public sealed record ReluLayer : Layer
{
    public override string Kind => "ReLU";

    public override long[] OutputShape(IReadOnlyList<long[]> inputs) => inputs[0].ToArray();

    public override Tensor Forward(nn.Module? module, IReadOnlyList<Tensor> inputs, bool training, bool mayOverwrite) =>
        mayOverwrite ? inputs[0].relu_() : inputs[0].relu();

    public override InferenceOp Inference => new ReluOp();
}

/// <summary>torch.nn.MaxPool2d (floor mode, no dilation).</summary>
public sealed record MaxPool2dLayer(long Kernel, long Stride, long Padding) : Layer
{
    public override string Kind => "MaxPool2d";

    public override long[] OutputShape(IReadOnlyList<long[]> inputs)
    {
        var x = Require(inputs, 4, "[N, C, H, W]");
        var (h, w) = ((x[2] + 2 * Padding - Kernel) / Stride + 1, (x[3] + 2 * Padding - Kernel) / Stride + 1);
        if (h < 1 || w < 1)
            throw new InvalidDataException($"{Kind}: input {Text(x)} is smaller than its window {Kernel}");
        return [x[0], x[1], h, w];
    }

    public override Tensor Forward(nn.Module? module, IReadOnlyList<Tensor> inputs, bool training, bool mayOverwrite) =>
        F.max_pool2d(inputs[0], (Kernel, Kernel), (Stride, Stride), (Padding, Padding), (1, 1));

    public override InferenceOp Inference => new PoolOp(true, [Kernel, Kernel], [Stride, Stride], [Padding, Padding]);
}

/// <summary>torch.nn.AdaptiveAvgPool2d(1): the mean of each channel over the image.</summary>
public sealed record GlobalAvgPool2dLayer : Layer
{
    public override string Kind => "AdaptiveAvgPool2d";

    public override long[] OutputShape(IReadOnlyList<long[]> inputs)
    {
        var x = Require(inputs, 4, "[N, C, H, W]");
        return [x[0], x[1], 1, 1];
    }

    public override Tensor Forward(nn.Module? module, IReadOnlyList<Tensor> inputs, bool training, bool mayOverwrite) =>
        F.adaptive_avg_pool2d(inputs[0], 1);

    public override InferenceOp Inference => new GlobalAveragePoolOp();
}

/// <summary>
/// The elementwise sum of its inputs (a residual connection), into the first when it is not needed afterwards.
/// </summary>
public sealed record AddLayer : Layer
{
    public override string Kind => "Add";
    public override int? Arity => null;

    public override long[] OutputShape(IReadOnlyList<long[]> inputs)
    {
        if (inputs.Skip(1).Any(s => !s.SequenceEqual(inputs[0])))
            throw new InvalidDataException(
                $"{Kind}: inputs of different shapes ({string.Join(", ", inputs.Select(Text))})"
            );
        return inputs[0].ToArray();
    }

    public override ChannelEffect Channels(IReadOnlyList<long[]> inputs) => ChannelEffect.Merges;

    public override Tensor Forward(nn.Module? module, IReadOnlyList<Tensor> inputs, bool training, bool mayOverwrite)
    {
        var sum = mayOverwrite ? inputs[0].add_(inputs[1]) : inputs[0].add(inputs[1]);
        for (var k = 2; k < inputs.Count; k++)
            sum.add_(inputs[k]);
        return sum;
    }

    public override InferenceOp Inference => new SumOp();
}

/// <summary>
/// Axes from <see cref="StartDim"/> on merged into one (a free reshape). It passes channels through when every merged
/// axis after the first has size 1 ([N, C, 1, 1] to [N, C]); otherwise each channel becomes several features, which
/// pruning does not follow.
/// </summary>
public sealed record FlattenLayer(int StartDim = 1) : Layer
{
    public override string Kind => "Flatten";
    public override bool LaunchesWork => false;

    public override long[] OutputShape(IReadOnlyList<long[]> inputs)
    {
        var x = inputs[0];
        if (StartDim < 1 || StartDim >= x.Length)
            throw new InvalidDataException($"{Kind}: cannot flatten {Text(x)} from axis {StartDim}");
        return [.. x[..StartDim], x[StartDim..].Aggregate(1L, (a, b) => a * b)];
    }

    public override ChannelEffect Channels(IReadOnlyList<long[]> inputs) =>
        inputs[0][(StartDim + 1)..].All(d => d == 1) ? ChannelEffect.PassesThrough : ChannelEffect.Opaque;

    public override Tensor Forward(nn.Module? module, IReadOnlyList<Tensor> inputs, bool training, bool mayOverwrite) =>
        inputs[0].flatten(StartDim);

    public override InferenceOp Inference => new FlattenOp(StartDim);
}

/// <summary>torch.nn.Dropout: zeroes elements with probability P in training; the identity at inference.</summary>
public sealed record DropoutLayer(double P = 0.5) : Layer
{
    public override string Kind => "Dropout";

    public override long[] OutputShape(IReadOnlyList<long[]> inputs) => inputs[0].ToArray();

    public override Tensor Forward(nn.Module? module, IReadOnlyList<Tensor> inputs, bool training, bool mayOverwrite) =>
        F.dropout(inputs[0], P, training);

    public override InferenceOp Inference => new IdentityOp();
}

/// <summary>
/// torch.nn.Linear over the last axis; weight [out, in]. It opens a channel space: neurons are pruned as rows, inputs
/// as columns.
/// </summary>
public sealed record LinearLayer(int OutFeatures, bool Bias = true) : Layer
{
    public override string Kind => "Linear";

    public override long[] OutputShape(IReadOnlyList<long[]> inputs)
    {
        if (OutFeatures < 1)
            throw new InvalidDataException($"{Kind}: {OutFeatures} output features");
        return [.. inputs[0][..^1], OutFeatures];
    }

    public override IReadOnlyList<StateTensor> State(IReadOnlyList<long[]> inputs) =>
        Bias
            ? [new("weight", [OutFeatures, inputs[0][^1]]), new("bias", [OutFeatures])]
            : [new("weight", [OutFeatures, inputs[0][^1]])];

    public override long Macs(IReadOnlyList<long[]> inputs, long[] output) =>
        inputs[0].Aggregate(1L, (a, b) => a * b) * OutFeatures;

    public override ChannelEffect Channels(IReadOnlyList<long[]> inputs) => ChannelEffect.Opens;

    public override IReadOnlyList<ChannelTensor> InputChannelTensors => [new("weight", 1, TensorRole.Weight)];

    public override IReadOnlyList<ChannelTensor> OutputChannelTensors =>
        Bias
            ? [new("weight", 0, TensorRole.Weight), new("bias", 0, TensorRole.Bias)]
            : [new("weight", 0, TensorRole.Weight)];

    public override nn.Module CreateModule(IReadOnlyList<long[]> inputs) => nn.Linear(inputs[0][^1], OutFeatures, Bias);

    public override Tensor Forward(nn.Module? module, IReadOnlyList<Tensor> inputs, bool training, bool mayOverwrite) =>
        ((Linear)module!).forward(inputs[0]);

    public override InferenceOp Inference => new LinearOp("weight", Bias ? "bias" : null);
}
