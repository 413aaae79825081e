using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using QuakePrune.Models;
using QuakePrune.Torch;
using static QuakePrune.Inference.VectorMath;
using static QuakePrune.Torch.torch;
using F = QuakePrune.Torch.torch.nn.functional;

namespace QuakePrune.Inference;

/// <summary>
/// A one-layer LSTM or GRU (<see cref="RecurrentOp"/>) over [N, C, T] on the CPU, prepared once: the input products of
/// every time step and direction are one matrix product through libtorch (both directions' weights stacked, the biases
/// that add to them folded in), and the recurrence itself runs here over each sequence's hidden state, vectorised over
/// the gates. A picker's recurrences are small (hidden size 16, 47 steps): libtorch spends most of their time
/// dispatching a handful of operations per step, this loop a few nanoseconds per gate. Sequences and directions run in
/// parallel on up to libtorch's thread count. Output [N, directions x Hidden, T], the layer's own layout.
/// </summary>
internal sealed class RecurrentStep : PlanStep, IDisposable
{
    private readonly RecurrentOp op;

    /// <summary>[directions x gates x Hidden, C]: every direction's input weights, in PyTorch's gate order.</summary>
    private readonly Tensor inputWeights;

    /// <summary>
    /// What adds to the input products: b_ih, plus b_hh except a GRU's new-gate part (which the reset gate scales).
    /// </summary>
    private readonly Tensor inputBias;

    /// <summary>
    /// Per direction, W_hh transposed ([Hidden, gates x Hidden], row k: what hidden unit k adds to each gate).
    /// </summary>
    private readonly float[][] hiddenWeights;

    /// <summary>
    /// Per direction, the bias of the hidden products ([gates x Hidden]: a GRU's b_hn in the new-gate part, else 0).
    /// </summary>
    private readonly float[][] hiddenBias;

    private int Directions => op.Bidirectional ? 2 : 1;
    private int Gates => op.Cell == RecurrentCell.Lstm ? 4 : 3;

    private RecurrentStep(
        string name,
        int source,
        RecurrentOp op,
        Tensor inputWeights,
        Tensor inputBias,
        float[][] hiddenWeights,
        float[][] hiddenBias
    )
        : base(name, [source])
    {
        this.op = op;
        this.inputWeights = inputWeights;
        this.inputBias = inputBias;
        this.hiddenWeights = hiddenWeights;
        this.hiddenBias = hiddenBias;
    }

    /// <summary>The step for a layer whose tensors <paramref name="tensors"/> gives by their PyTorch names.</summary>
    public static RecurrentStep Of(string name, int source, RecurrentOp op, Func<string, Tensor> tensors)
    {
        using var scope = NewDisposeScope();
        var hidden = op.Hidden;
        var gates = op.Cell == RecurrentCell.Lstm ? 4 : 3;
        string[] suffixes = op.Bidirectional ? ["_l0", "_l0_reverse"] : ["_l0"];
        var weights = new List<Tensor>();
        var biases = new List<Tensor>();
        var hiddenWeights = new float[suffixes.Length][];
        var hiddenBias = new float[suffixes.Length][];
        for (var d = 0; d < suffixes.Length; d++)
        {
            var s = suffixes[d];
            var bih = tensors($"bias_ih{s}").detach().to(ScalarType.Float32);
            var bhh = tensors($"bias_hh{s}").detach().to(ScalarType.Float32);
            weights.Add(tensors($"weight_ih{s}").detach().to(ScalarType.Float32));
            var hiddenPart = zeros([gates * hidden]);
            if (op.Cell == RecurrentCell.Gru)
            {
                // r and z add both biases; the new gate is tanh(x W_in + b_in + r * (h W_hn + b_hn)): b_hn stays with
                // h.
                biases.Add(
                    cat(
                        [
                            bih.narrow(0, 0, 2 * hidden).add(bhh.narrow(0, 0, 2 * hidden)),
                            bih.narrow(0, 2 * hidden, hidden),
                        ],
                        0
                    )
                );
                hiddenPart.narrow(0, 2 * hidden, hidden).copy_(bhh.narrow(0, 2 * hidden, hidden));
            }
            else
            {
                biases.Add(bih.add(bhh));
            }
            hiddenWeights[d] = tensors($"weight_hh{s}")
                .detach()
                .to(ScalarType.Float32)
                .t()
                .contiguous()
                .ToArray<float>();
            hiddenBias[d] = hiddenPart.ToArray<float>();
        }
        return new RecurrentStep(
            name,
            source,
            op,
            cat(weights, 0).contiguous().DetachFromDisposeScope(),
            cat(biases, 0).contiguous().DetachFromDisposeScope(),
            hiddenWeights,
            hiddenBias
        );
    }

    public override unsafe Tensor Run(Tensor[] inputs, bool mkldnn, bool mayOverwrite)
    {
        var x = inputs[0];
        var (batch, steps) = (x.shape[0], x.shape[2]);
        var width = Directions * Gates * op.Hidden;
        using var sequence = x.permute(0, 2, 1);
        using var products = F.linear(sequence, inputWeights, inputBias);
        using var dense = products.is_contiguous() ? products.alias() : products.contiguous();
        var output = empty([batch, Directions * op.Hidden, steps]);
        var (from, to) = (dense.data_ptr(), output.data_ptr());
        var work = (int)batch * Directions;
        void Sequence(int item) => Recur((float*)from, (float*)to, item / Directions, item % Directions, steps, width);
        if (batch == 1)
            for (var item = 0; item < work; item++)
                Sequence(item);
        else
            Parallel.For(
                0,
                work,
                new ParallelOptions { MaxDegreeOfParallelism = Math.Min(work, get_num_threads()) },
                Sequence
            );
        return output;
    }

    /// <summary>
    /// One sequence in one direction: reads its input products, writes its hidden states into the output's channels for
    /// this direction.
    /// </summary>
    // Optimised at its first call: the unoptimised first tier runs this loop (and its vector operations) several times
    // slower, for the first forwards of every process.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private unsafe void Recur(float* products, float* output, long n, int direction, long steps, int width)
    {
        var hidden = op.Hidden;
        var span = Gates * hidden;
        var weights = hiddenWeights[direction];
        var bias = hiddenBias[direction];
        Span<float> state = stackalloc float[hidden];
        Span<float> cell = stackalloc float[hidden];
        Span<float> recurrent = stackalloc float[span];
        state.Clear();
        cell.Clear();
        var channels = Directions * hidden;
        for (long k = 0; k < steps; k++)
        {
            var t = direction == 0 ? k : steps - 1 - k;
            var input = new ReadOnlySpan<float>(products + (n * steps + t) * width + direction * span, span);
            bias.CopyTo(recurrent);
            for (var unit = 0; unit < hidden; unit++)
                if (state[unit] != 0)
                    Accumulate(recurrent, weights.AsSpan(unit * span, span), state[unit]);
            var j = 0;
            if (op.Cell == RecurrentCell.Lstm)
            {
                for (; j + 8 <= hidden; j += 8)
                {
                    var i = Sigmoid(Vector256.Create(input[j..]) + Vector256.Create(recurrent[j..]));
                    var f = Sigmoid(
                        Vector256.Create(input[(hidden + j)..]) + Vector256.Create(recurrent[(hidden + j)..])
                    );
                    var g = Tanh(
                        Vector256.Create(input[(2 * hidden + j)..]) + Vector256.Create(recurrent[(2 * hidden + j)..])
                    );
                    var o = Sigmoid(
                        Vector256.Create(input[(3 * hidden + j)..]) + Vector256.Create(recurrent[(3 * hidden + j)..])
                    );
                    var c = f * Vector256.Create(cell[j..]) + i * g;
                    c.CopyTo(cell[j..]);
                    (o * Tanh(c)).CopyTo(state[j..]);
                }
                for (; j < hidden; j++)
                {
                    var i = Sigmoid(input[j] + recurrent[j]);
                    var f = Sigmoid(input[hidden + j] + recurrent[hidden + j]);
                    var g = MathF.Tanh(input[2 * hidden + j] + recurrent[2 * hidden + j]);
                    var o = Sigmoid(input[3 * hidden + j] + recurrent[3 * hidden + j]);
                    cell[j] = f * cell[j] + i * g;
                    state[j] = o * MathF.Tanh(cell[j]);
                }
            }
            else
            {
                for (; j + 8 <= hidden; j += 8)
                {
                    var r = Sigmoid(Vector256.Create(input[j..]) + Vector256.Create(recurrent[j..]));
                    var z = Sigmoid(
                        Vector256.Create(input[(hidden + j)..]) + Vector256.Create(recurrent[(hidden + j)..])
                    );
                    var candidate = Tanh(
                        Vector256.Create(input[(2 * hidden + j)..])
                            + r * Vector256.Create(recurrent[(2 * hidden + j)..])
                    );
                    ((Vector256<float>.One - z) * candidate + z * Vector256.Create(state[j..])).CopyTo(state[j..]);
                }
                for (; j < hidden; j++)
                {
                    var r = Sigmoid(input[j] + recurrent[j]);
                    var z = Sigmoid(input[hidden + j] + recurrent[hidden + j]);
                    var candidate = MathF.Tanh(input[2 * hidden + j] + r * recurrent[2 * hidden + j]);
                    state[j] = (1 - z) * candidate + z * state[j];
                }
            }
            var row = output + (n * channels + direction * hidden) * steps + t;
            for (var unit = 0; unit < hidden; unit++)
                row[unit * steps] = state[unit];
        }
    }

    /// <summary>sum += scale * values, eight at a time.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Accumulate(Span<float> sum, ReadOnlySpan<float> values, float scale)
    {
        var k = 0;
        var factor = Vector256.Create(scale);
        for (; k + 8 <= sum.Length; k += 8)
            Vector256
                .FusedMultiplyAdd(Vector256.Create(values[k..]), factor, Vector256.Create(sum[k..]))
                .CopyTo(sum[k..]);
        for (; k < sum.Length; k++)
            sum[k] += scale * values[k];
    }

    public void Dispose()
    {
        inputWeights.Dispose();
        inputBias.Dispose();
    }
}
