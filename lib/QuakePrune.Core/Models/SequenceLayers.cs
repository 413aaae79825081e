using QuakePrune.Torch;
using QuakePrune.Torch.Modules;
using static QuakePrune.Torch.torch;
using F = QuakePrune.Torch.torch.nn.functional;

namespace QuakePrune.Models;

// Layers of waveform networks: values are sequences [N, C, T] (channels first, as Conv1d reads them) everywhere, also
// around recurrent and attention layers, which turn them to [T, N, C] or [N, T, C] inside their forward.

/// <summary>
/// torch.nn.Conv1d with symmetric zero padding (an uneven "same" padding is a <see cref="ConstantPad1dLayer"/> before
/// it).
/// </summary>
public sealed record Conv1dLayer(
    int OutChannels,
    long KernelSize,
    long StrideSize = 1,
    long PaddingSize = 0,
    bool Bias = true
) : ConvolutionLayer(OutChannels, [KernelSize], [StrideSize], [PaddingSize], [1], 1, Bias)
{
    public override string Kind => "Conv1d";

    public override nn.Module CreateModule(IReadOnlyList<long[]> inputs) =>
        nn.Conv1d(inputs[0][1], OutChannels, KernelSize, StrideSize, PaddingSize, bias: Bias);

    public override Tensor Forward(nn.Module? module, IReadOnlyList<Tensor> inputs, bool training, bool mayOverwrite) =>
        ((Conv1d)module!).forward(inputs[0]);
}

/// <summary>torch.nn.BatchNorm1d over [N, C, T].</summary>
public sealed record BatchNorm1dLayer(double Eps = 1e-5, double Momentum = 0.1) : BatchNormLayer(Eps, Momentum)
{
    public override string Kind => "BatchNorm1d";
    protected override int Rank => 3;

    public override nn.Module CreateModule(IReadOnlyList<long[]> inputs) => nn.BatchNorm1d(inputs[0][1], Eps, Momentum);

    public override Tensor Forward(nn.Module? module, IReadOnlyList<Tensor> inputs, bool training, bool mayOverwrite) =>
        ((BatchNorm1d)module!).forward(inputs[0]);
}

/// <summary>
/// torch.nn.MaxPool1d without padding. <see cref="CeilMode"/>: a last, shorter window is pooled too, which is what
/// SeisBench's EQTransformer encoder does by padding an odd-length input on the right with -1e10 before pooling by 2
/// (TensorFlow's "same"): the padded sample never wins a maximum, so both give max(x[T-1]) for the last window.
/// </summary>
public sealed record MaxPool1dLayer(long Kernel, long Stride, bool CeilMode) : Layer
{
    public override string Kind => "MaxPool1d";

    public override long[] OutputShape(IReadOnlyList<long[]> inputs)
    {
        var x = Require(inputs, 3, "[N, C, T]");
        if (x[2] < Kernel)
            throw new InvalidDataException($"{Kind}: input {Text(x)} is shorter than its window {Kernel}");
        var length = CeilMode ? (x[2] - Kernel + Stride - 1) / Stride + 1 : (x[2] - Kernel) / Stride + 1;
        return [x[0], x[1], length];
    }

    public override Tensor Forward(nn.Module? module, IReadOnlyList<Tensor> inputs, bool training, bool mayOverwrite) =>
        F.max_pool1d(inputs[0], Kernel, Stride, 0, 1, CeilMode);

    public override InferenceOp Inference => new PoolOp(true, [Kernel], [Stride], [0], CeilMode);
}

/// <summary>
/// torch.nn.ConstantPad1d: <see cref="Left"/> and <see cref="Right"/> samples of <see cref="Value"/> at the ends of the
/// time axis.
/// </summary>
public sealed record ConstantPad1dLayer(long Left, long Right, double Value = 0) : Layer
{
    public override string Kind => "ConstantPad1d";

    public override long[] OutputShape(IReadOnlyList<long[]> inputs)
    {
        var x = Require(inputs, 3, "[N, C, T]");
        if (Left < 0 || Right < 0)
            throw new InvalidDataException($"{Kind}: padding ({Left}, {Right}) must not be negative");
        return [x[0], x[1], x[2] + Left + Right];
    }

    public override Tensor Forward(nn.Module? module, IReadOnlyList<Tensor> inputs, bool training, bool mayOverwrite) =>
        F.pad(inputs[0], [Left, Right], "constant", Value);

    public override InferenceOp Inference => new PadOp(Left, Right, Value);
}

/// <summary>
/// torch.nn.Upsample(scale_factor, mode="nearest") over the time axis: each sample repeated <see cref="Scale"/> times.
/// </summary>
public sealed record Upsample1dLayer(int Scale) : Layer
{
    public override string Kind => "Upsample";

    public override long[] OutputShape(IReadOnlyList<long[]> inputs)
    {
        var x = Require(inputs, 3, "[N, C, T]");
        if (Scale < 1)
            throw new InvalidDataException($"{Kind}: scale {Scale} must be at least 1");
        return [x[0], x[1], x[2] * Scale];
    }

    public override Tensor Forward(nn.Module? module, IReadOnlyList<Tensor> inputs, bool training, bool mayOverwrite) =>
        F.interpolate(inputs[0], scale_factor: Scale);

    public override InferenceOp Inference => new UpsampleOp(Scale);
}

/// <summary>
/// x[:, :, Start : T - End]: samples dropped at the ends of the time axis (a view; the next layer reads it as it is).
/// </summary>
public sealed record Crop1dLayer(long Start, long End) : Layer
{
    public override string Kind => "Crop1d";
    public override bool LaunchesWork => false;

    public override long[] OutputShape(IReadOnlyList<long[]> inputs)
    {
        var x = Require(inputs, 3, "[N, C, T]");
        if (Start < 0 || End < 0 || Start + End >= x[2])
            throw new InvalidDataException($"{Kind}: cannot drop {Start} + {End} of {x[2]} samples");
        return [x[0], x[1], x[2] - Start - End];
    }

    public override Tensor Forward(nn.Module? module, IReadOnlyList<Tensor> inputs, bool training, bool mayOverwrite) =>
        inputs[0].narrow(2, Start, inputs[0].size(2) - Start - End);

    public override InferenceOp Inference => new CropOp(Start, End);
}

/// <summary>
/// Keras' SpatialDropout1D (SeisBench's SpatialDropout1d): whole channels of [N, C, T] zeroed with probability P in
/// training.
/// </summary>
public sealed record SpatialDropoutLayer(double P) : Layer
{
    public override string Kind => "SpatialDropout1d";

    public override long[] OutputShape(IReadOnlyList<long[]> inputs) => Require(inputs, 3, "[N, C, T]").ToArray();

    public override Tensor Forward(nn.Module? module, IReadOnlyList<Tensor> inputs, bool training, bool mayOverwrite) =>
        F.dropout1d(inputs[0], P, training);

    public override InferenceOp Inference => new IdentityOp();
}

/// <summary>The logistic function 1 / (1 + exp(-x)), elementwise.</summary>
public sealed record SigmoidLayer : Layer
{
    public override string Kind => "Sigmoid";

    public override long[] OutputShape(IReadOnlyList<long[]> inputs) => inputs[0].ToArray();

    public override Tensor Forward(nn.Module? module, IReadOnlyList<Tensor> inputs, bool training, bool mayOverwrite) =>
        inputs[0].sigmoid();

    public override InferenceOp Inference => new SigmoidOp();
}

/// <summary>
/// Removes axis <see cref="Dim"/> of size 1 (a one-channel curve [N, 1, T] becomes [N, T]): a free reshape.
/// </summary>
public sealed record SqueezeLayer(int Dim) : Layer
{
    public override string Kind => "Squeeze";
    public override bool LaunchesWork => false;

    public override long[] OutputShape(IReadOnlyList<long[]> inputs)
    {
        var x = inputs[0];
        if (Dim < 1 || Dim >= x.Length || x[Dim] != 1)
            throw new InvalidDataException($"{Kind}: axis {Dim} of {Text(x)} is not of size 1");
        return [.. x[..Dim], .. x[(Dim + 1)..]];
    }

    /// <summary>
    /// The channel axis disappears: pruning cannot follow it (and the curve's one channel is an output anyway).
    /// </summary>
    public override ChannelEffect Channels(IReadOnlyList<long[]> inputs) => ChannelEffect.Opaque;

    public override Tensor Forward(nn.Module? module, IReadOnlyList<Tensor> inputs, bool training, bool mayOverwrite) =>
        inputs[0].squeeze(Dim);

    public override InferenceOp Inference => new SqueezeOp(Dim);
}

/// <summary>Which recurrent cell a <see cref="RecurrentLayer"/> runs.</summary>
public enum RecurrentCell
{
    Lstm,
    Gru,
}

/// <summary>
/// torch.nn.LSTM or torch.nn.GRU (one layer, optionally bidirectional, PyTorch's parameter names) over [N, C, T],
/// giving [N, directions x Hidden, T]. It consumes its input's channels (weight_ih reads them along axis 1, which
/// pruning slices) into a hidden state whose width is its own. MACs per time step and direction: the gate products
/// gates x Hidden x (C + Hidden), plus the cell's elementwise products (LSTM: f*c, i*g, o*tanh(c); GRU: r*(W_hn h), (1
/// - z)*n, z*h: 3 x Hidden).
/// </summary>
public sealed record RecurrentLayer(RecurrentCell Cell, int Hidden, bool Bidirectional) : Layer
{
    public override string Kind => Cell == RecurrentCell.Lstm ? "LSTM" : "GRU";
    private int Gates => Cell == RecurrentCell.Lstm ? 4 : 3;
    private int Directions => Bidirectional ? 2 : 1;
    private IEnumerable<string> Suffixes => Bidirectional ? ["_l0", "_l0_reverse"] : ["_l0"];

    public override long[] OutputShape(IReadOnlyList<long[]> inputs)
    {
        var x = Require(inputs, 3, "[N, C, T]");
        if (Hidden < 1)
            throw new InvalidDataException($"{Kind}: hidden size {Hidden} must be at least 1");
        return [x[0], Directions * Hidden, x[2]];
    }

    public override IReadOnlyList<StateTensor> State(IReadOnlyList<long[]> inputs) =>
        Suffixes
            .SelectMany(s =>
                new StateTensor[]
                {
                    new($"weight_ih{s}", [Gates * Hidden, inputs[0][1]]),
                    new($"weight_hh{s}", [Gates * Hidden, Hidden]),
                    new($"bias_ih{s}", [Gates * Hidden]),
                    new($"bias_hh{s}", [Gates * Hidden]),
                }
            )
            .ToArray();

    public override long Macs(IReadOnlyList<long[]> inputs, long[] output)
    {
        var (batch, channels, steps) = (inputs[0][0], inputs[0][1], inputs[0][2]);
        return batch * steps * Directions * ((long)Gates * Hidden * (channels + Hidden) + 3L * Hidden);
    }

    public override ChannelEffect Channels(IReadOnlyList<long[]> inputs) => ChannelEffect.Consumes;

    public override IReadOnlyList<ChannelTensor> InputChannelTensors =>
        Suffixes.Select(s => new ChannelTensor($"weight_ih{s}", 1, TensorRole.Weight)).ToArray();

    public override nn.Module CreateModule(IReadOnlyList<long[]> inputs) =>
        Cell == RecurrentCell.Lstm
            ? nn.LSTM(inputs[0][1], Hidden, bidirectional: Bidirectional)
            : nn.GRU(inputs[0][1], Hidden, bidirectional: Bidirectional);

    public override Tensor Forward(nn.Module? module, IReadOnlyList<Tensor> inputs, bool training, bool mayOverwrite)
    {
        using var scope = NewDisposeScope();
        var sequence = inputs[0].permute(2, 0, 1);
        var output = module switch
        {
            LSTM lstm => lstm.forward(sequence).output,
            GRU gru => gru.forward(sequence).output,
            _ => throw new InvalidOperationException(
                $"{Kind} layer given a {module?.GetType().Name ?? "missing"} module"
            ),
        };
        return output.permute(1, 2, 0).MoveToOuterScope();
    }

    public override InferenceOp Inference => new RecurrentOp(Cell, Hidden, Bidirectional);
}

/// <summary>
/// EQTransformer's additive self-attention over [N, C, T] (<see cref="AdditiveSelfAttention"/>, SeisBench's
/// SeqSelfAttention and names), every time attending to all times or, with <see cref="Width"/>, to a local window.
/// Output [N, C, T]; the attention weights are not kept. MACs: the two projections 2 T C Units, the emissions T^2
/// Units, the weighted sum T^2 C. It mixes channels, so pruning leaves what it touches whole.
/// </summary>
public sealed record AdditiveSelfAttentionLayer(int Units = 32, int? Width = null, double Eps = 1e-5) : Layer
{
    public override string Kind => "SeqSelfAttention";

    public override long[] OutputShape(IReadOnlyList<long[]> inputs) => Require(inputs, 3, "[N, C, T]").ToArray();

    public override IReadOnlyList<StateTensor> State(IReadOnlyList<long[]> inputs)
    {
        var c = inputs[0][1];
        return
        [
            new("Wx", [c, Units]),
            new("Wt", [c, Units]),
            new("bh", [Units]),
            new("Wa", [Units, 1]),
            new("ba", [1]),
        ];
    }

    public override long Macs(IReadOnlyList<long[]> inputs, long[] output)
    {
        var (batch, channels, steps) = (inputs[0][0], inputs[0][1], inputs[0][2]);
        return batch * (2 * steps * channels * Units + steps * steps * Units + steps * steps * channels);
    }

    public override ChannelEffect Channels(IReadOnlyList<long[]> inputs) => ChannelEffect.Opaque;

    public override nn.Module CreateModule(IReadOnlyList<long[]> inputs) =>
        new AdditiveSelfAttention(inputs[0][1], Units, Width, Eps);

    public override Tensor Forward(nn.Module? module, IReadOnlyList<Tensor> inputs, bool training, bool mayOverwrite)
    {
        var (output, weights) = ((AdditiveSelfAttention)module!).forward(inputs[0]);
        weights.Dispose();
        return output;
    }

    public override InferenceOp Inference => new AdditiveAttentionOp(Units, Width, Eps);
}

/// <summary>
/// EQTransformer's layer normalisation over the channels of each time step ([N, C, T]; <see cref="ChannelLayerNorm"/>:
/// gamma, beta [C, 1]).
/// </summary>
public sealed record ChannelLayerNormLayer(double Eps = 1e-14) : Layer
{
    public override string Kind => "LayerNormalization";

    public override long[] OutputShape(IReadOnlyList<long[]> inputs) => Require(inputs, 3, "[N, C, T]").ToArray();

    public override IReadOnlyList<StateTensor> State(IReadOnlyList<long[]> inputs) =>
        [new("gamma", [inputs[0][1], 1]), new("beta", [inputs[0][1], 1])];

    /// <summary>
    /// Each channel's value depends on every channel's (through the mean and deviation): pruning leaves it whole.
    /// </summary>
    public override ChannelEffect Channels(IReadOnlyList<long[]> inputs) => ChannelEffect.Opaque;

    public override nn.Module CreateModule(IReadOnlyList<long[]> inputs) => new ChannelLayerNorm(inputs[0][1], Eps);

    public override Tensor Forward(nn.Module? module, IReadOnlyList<Tensor> inputs, bool training, bool mayOverwrite) =>
        ((ChannelLayerNorm)module!).forward(inputs[0]);

    public override InferenceOp Inference => new ChannelLayerNormOp(Eps);
}

/// <summary>
/// EQTransformer's position-wise feed-forward over [N, C, T] (<see cref="PositionwiseFeedForward"/>: lin1 [Hidden, C],
/// ReLU, dropout, lin2 [C, Hidden] at every time step). MACs 2 T C Hidden. Treated as opaque: it sits inside the
/// transformer, whose attention and layer norms keep its channels whole anyway.
/// </summary>
public sealed record FeedForwardLayer(int Hidden = 128, double DropRate = 0.1) : Layer
{
    public override string Kind => "FeedForward";

    public override long[] OutputShape(IReadOnlyList<long[]> inputs) => Require(inputs, 3, "[N, C, T]").ToArray();

    public override IReadOnlyList<StateTensor> State(IReadOnlyList<long[]> inputs)
    {
        var c = inputs[0][1];
        return
        [
            new("lin1.weight", [Hidden, c]),
            new("lin1.bias", [Hidden]),
            new("lin2.weight", [c, Hidden]),
            new("lin2.bias", [c]),
        ];
    }

    public override long Macs(IReadOnlyList<long[]> inputs, long[] output) =>
        2 * inputs[0][0] * inputs[0][1] * inputs[0][2] * Hidden;

    public override ChannelEffect Channels(IReadOnlyList<long[]> inputs) => ChannelEffect.Opaque;

    public override nn.Module CreateModule(IReadOnlyList<long[]> inputs) =>
        new PositionwiseFeedForward(inputs[0][1], DropRate, Hidden);

    public override Tensor Forward(nn.Module? module, IReadOnlyList<Tensor> inputs, bool training, bool mayOverwrite) =>
        ((PositionwiseFeedForward)module!).forward(inputs[0]);

    public override InferenceOp Inference => new FeedForwardOp(Hidden);
}
