using QuakePrune.Torch;
using static QuakePrune.Torch.torch;

namespace QuakePrune.Models;

/// <summary>How a layer touches the channel spaces of its values: what pruning may remove together.</summary>
public enum ChannelEffect
{
    /// <summary>
    /// It writes a new channel space (a filter or neuron per channel) from its first input's, which it reads: a
    /// convolution, a linear layer.
    /// </summary>
    Opens,

    /// <summary>
    /// Its output has its first input's channels, one for one: a normalisation, an activation, pooling, dropout.
    /// </summary>
    PassesThrough,

    /// <summary>
    /// Its output joins every input's channels one for one (an elementwise sum): they become one space, pruned as one.
    /// </summary>
    Merges,

    /// <summary>
    /// It reads its first input's channels (through <see cref="Layer.InputChannelTensors"/>) into an output whose width
    /// is its own and never pruned (a recurrent layer's hidden size).
    /// </summary>
    Consumes,

    /// <summary>
    /// It mixes channels in a way pruning cannot follow: every space it touches keeps all its channels.
    /// </summary>
    Opaque,
}

/// <summary>What a per-channel tensor holds, so that an importance knows which to read.</summary>
public enum TensorRole
{
    /// <summary>A filter or neuron's weights (a convolution's or linear layer's weight).</summary>
    Weight,

    /// <summary>An additive term per channel (a bias).</summary>
    Bias,

    /// <summary>A normalisation's learned scale (BatchNorm's gamma): network slimming ranks channels by it.</summary>
    Scale,

    /// <summary>A normalisation's learned shift (BatchNorm's beta).</summary>
    Shift,

    /// <summary>A statistic kept per channel (running mean, running variance).</summary>
    Statistic,
}

/// <summary>
/// A tensor of a layer (named as in its module: "weight", "running_var") that has one slice per channel along
/// <see cref="Axis"/>.
/// </summary>
public sealed record ChannelTensor(string Name, int Axis, TensorRole Role);

/// <summary>
/// A parameter or buffer a layer's module holds, with its shape; <see cref="IsParameter"/> counts towards the parameter
/// count.
/// </summary>
public sealed record StateTensor(string Name, long[] Shape, bool IsParameter = true)
{
    public long Elements => Shape.Aggregate(1L, (a, b) => a * b);
}

/// <summary>
/// One kind of layer with its hyper-parameters: the unit a network description is made of. A kind knows everything the
/// library derives from a description: the module that holds its state, its output shape, its cost, how it touches
/// channel spaces (and so what pruning may remove with what) and which of its tensors are sliced when it does, and what
/// it computes at inference in the terms of the fast path (<see cref="Inference"/>). Shapes are full tensor shapes at
/// batch 1 (<c>[1, C, H, W]</c> for images). A new kind is a new subclass; the pruning and inference code read only
/// this contract.
/// </summary>
public abstract record Layer
{
    /// <summary>
    /// The kind's name in tables and messages (PyTorch's class name where there is one: Conv2d, BatchNorm2d).
    /// </summary>
    public abstract string Kind { get; }

    /// <summary>How many inputs it takes; null: two or more.</summary>
    public virtual int? Arity => 1;

    /// <summary>
    /// The output shape for these input shapes; throws <see cref="InvalidDataException"/> when they do not fit.
    /// </summary>
    public abstract long[] OutputShape(IReadOnlyList<long[]> inputs);

    /// <summary>
    /// The parameters and buffers its module holds, in registration order (its state-dict entries, relative to the
    /// layer's name).
    /// </summary>
    public virtual IReadOnlyList<StateTensor> State(IReadOnlyList<long[]> inputs) => [];

    /// <summary>Multiply-accumulates of one forward at these shapes.</summary>
    public virtual long Macs(IReadOnlyList<long[]> inputs, long[] output) => 0;

    /// <summary>
    /// False for a free reshape that launches no work (counted out of the per-layer overheads of the GPU projection).
    /// </summary>
    public virtual bool LaunchesWork => true;

    /// <summary>How it touches channel spaces at these input shapes.</summary>
    public virtual ChannelEffect Channels(IReadOnlyList<long[]> inputs) => ChannelEffect.PassesThrough;

    /// <summary>Tensors sliced by the kept channels of its first input (a convolution's weight along axis 1).</summary>
    public virtual IReadOnlyList<ChannelTensor> InputChannelTensors => [];

    /// <summary>
    /// Tensors sliced by the kept channels of its output (a convolution's filters; a norm's scale, shift and
    /// statistics).
    /// </summary>
    public virtual IReadOnlyList<ChannelTensor> OutputChannelTensors => [];

    /// <summary>
    /// The module holding <see cref="State"/>, initialised as PyTorch does; null for a layer without state (it runs
    /// functionally).
    /// </summary>
    public virtual nn.Module? CreateModule(IReadOnlyList<long[]> inputs) => null;

    /// <summary>
    /// The layer's forward. <paramref name="module"/> is the one <see cref="CreateModule"/> made (null when it makes
    /// none); <paramref name="mayOverwrite"/>: the first input is not needed after this layer, so it may be changed in
    /// place.
    /// </summary>
    public abstract Tensor Forward(nn.Module? module, IReadOnlyList<Tensor> inputs, bool training, bool mayOverwrite);

    /// <summary>
    /// What it computes in eval mode, in the terms the fast inference path fuses and runs (<see cref="ModuleOp"/>: it
    /// cannot).
    /// </summary>
    public virtual InferenceOp Inference => new ModuleOp();

    /// <summary>Shape as "1x64x56x56", for messages.</summary>
    public static string Text(IReadOnlyList<long> shape) => string.Join("x", shape);

    /// <summary>Checks that the input has <paramref name="rank"/> dimensions, naming the kind.</summary>
    protected long[] Require(IReadOnlyList<long[]> inputs, int rank, string what)
    {
        var x = inputs[0];
        if (x.Length != rank)
            throw new InvalidDataException($"{Kind} expects {what} (rank {rank}), got {Text(x)}");
        return x;
    }
}

/// <summary>
/// What a layer computes in eval mode, in the vocabulary of the fast inference path: it folds batch norms into the
/// convolutions before them, fuses ReLUs and residual sums into the convolutions, and runs everything else as given.
/// Tensor names are the layer's own (relative to its name).
/// </summary>
public abstract record InferenceOp;

/// <summary>
/// A dense or grouped convolution over <c>Stride.Length</c> spatial axes; weight <c>[out, in / groups, k...]</c>.
/// </summary>
public sealed record ConvolutionOp(
    long[] Stride,
    long[] Padding,
    long[] Dilation,
    long Groups,
    string Weight,
    string? Bias
) : InferenceOp;

/// <summary>
/// Batch normalisation with running statistics: at inference an affine map per channel, foldable into a convolution
/// before it.
/// </summary>
public sealed record BatchNormOp(string? Weight, string? Bias, string RunningMean, string RunningVar, double Eps)
    : InferenceOp;

/// <summary>max(x, 0).</summary>
public sealed record ReluOp : InferenceOp;

/// <summary>The elementwise sum of every input.</summary>
public sealed record SumOp : InferenceOp;

/// <summary>
/// Max or average pooling over windows (no dilation; average pooling counts the padding). <see cref="CeilMode"/>: a
/// last, shorter window at the end of each axis is pooled too (PyTorch's ceil_mode).
/// </summary>
public sealed record PoolOp(bool Max, long[] Kernel, long[] Stride, long[] Padding, bool CeilMode = false)
    : InferenceOp;

/// <summary>The mean over every spatial axis, which are kept with size 1.</summary>
public sealed record GlobalAveragePoolOp : InferenceOp;

/// <summary>Axes from <see cref="StartDim"/> on merged into one.</summary>
public sealed record FlattenOp(int StartDim) : InferenceOp;

/// <summary>The input itself (dropout at inference).</summary>
public sealed record IdentityOp : InferenceOp;

/// <summary>y = x W^T + b over the last axis.</summary>
public sealed record LinearOp(string Weight, string? Bias) : InferenceOp;

/// <summary>1 / (1 + exp(-x)), elementwise.</summary>
public sealed record SigmoidOp : InferenceOp;

/// <summary>Axis <see cref="Dim"/>, of size 1, removed: a reshape.</summary>
public sealed record SqueezeOp(int Dim) : InferenceOp;

/// <summary>
/// <see cref="Left"/> and <see cref="Right"/> samples of <see cref="Value"/> added at the ends of the last axis.
/// </summary>
public sealed record PadOp(long Left, long Right, double Value) : InferenceOp;

/// <summary>Each sample of the last axis repeated <see cref="Scale"/> times (nearest-neighbour upsampling).</summary>
public sealed record UpsampleOp(int Scale) : InferenceOp;

/// <summary>x[..., Start : T - End]: samples dropped at the ends of the last axis.</summary>
public sealed record CropOp(long Start, long End) : InferenceOp;

/// <summary>
/// A one-layer LSTM or GRU over [N, C, T] giving [N, directions x Hidden, T], with PyTorch's tensors per direction
/// (<c>weight_ih_l0</c>, <c>weight_hh_l0</c>, <c>bias_ih_l0</c>, <c>bias_hh_l0</c>, and <c>_reverse</c> for the
/// backward one), gates in PyTorch's order (LSTM: input, forget, cell, output; GRU: reset, update, new, with the new
/// gate's hidden product taken before the reset gate multiplies it) and zero initial states.
/// </summary>
public sealed record RecurrentOp(RecurrentCell Cell, int Hidden, bool Bidirectional) : InferenceOp;

/// <summary>
/// EQTransformer's additive self-attention over [N, C, T] (tensors Wx, Wt [C, Units], bh [Units], Wa [Units, 1], ba
/// [1]): h_ts = tanh(x_t Wt + x_s Wx + bh), e_ts = h_ts Wa + ba, a_ts = exp(e_ts - max_s e_ts) / (sum_s exp(e_ts -
/// max_s e_ts) + Eps), with the exponentials of times outside the window zeroed where <see cref="Width"/> is given
/// (time t sees s with s - Width/2 &lt;= t &lt; s - Width/2 + Width); output_t = sum_s a_ts x_s.
/// </summary>
public sealed record AdditiveAttentionOp(int Units, int? Width, double Eps) : InferenceOp;

/// <summary>
/// Each time step's channels of [N, C, T] normalised (biased variance, Eps inside the root), times gamma plus beta
/// (both [C, 1]).
/// </summary>
public sealed record ChannelLayerNormOp(double Eps) : InferenceOp;

/// <summary>
/// At each time step of [N, C, T]: lin2(relu(lin1(x))) with lin1 [Hidden, C] and lin2 [C, Hidden], each with a bias.
/// </summary>
public sealed record FeedForwardOp(int Hidden) : InferenceOp;

/// <summary>None of the above: the fast path runs the layer's own <see cref="Layer.Forward"/> in eval mode.</summary>
public sealed record ModuleOp : InferenceOp;
