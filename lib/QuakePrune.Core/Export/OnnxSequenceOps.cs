using QuakePrune.Models;

namespace QuakePrune.Export;

/// <summary>
/// The ONNX forms (opset 13) of the waveform layers' operations over [N, C, T]: each writes the math its operation's
/// doc comment states (<see cref="Layer.Inference"/>), in as many nodes as it takes, the last one writing the layer's
/// name. Those that work over time at each step ([N, T, C]: attention, feed-forward) transpose in and back out, as the
/// modules do.
/// </summary>
internal static class OnnxSequenceOps
{
    /// <summary>
    /// Opset 13's Pad takes the pads (begin of every axis, then end of every axis) and the value as inputs.
    /// </summary>
    public static void Pad(OnnxGraph onnx, string name, string x, PadOp pad) =>
        onnx.Node(
            "Pad",
            name,
            [
                x,
                onnx.Int64s($"{name}.pads", 0, 0, pad.Left, 0, 0, pad.Right),
                onnx.Floats($"{name}.value", [], [(float)pad.Value]),
            ],
            OnnxGraph.Text("mode", "constant")
        );

    /// <summary>A Slice of the time axis, whose length the description fixes.</summary>
    public static void Crop(OnnxGraph onnx, string name, string x, CropOp crop) =>
        onnx.Node(
            "Slice",
            name,
            [
                x,
                onnx.Int64s($"{name}.starts", crop.Start),
                onnx.Int64s($"{name}.ends", onnx.Shape(x)[2] - crop.End),
                onnx.Int64s($"{name}.axes", 2),
            ]
        );

    /// <summary>
    /// Resize, nearest, by [1, 1, Scale]: output sample i reads input sample floor(i / Scale) (coordinates
    /// "asymmetric", i / Scale exact in floats), so each sample is repeated Scale times, as torch's nearest
    /// interpolation does. No region of interest ("").
    /// </summary>
    public static void Upsample(OnnxGraph onnx, string name, string x, UpsampleOp upsample) =>
        onnx.Node(
            "Resize",
            name,
            [x, "", onnx.Floats($"{name}.scales", [3], [1, 1, upsample.Scale])],
            OnnxGraph.Text("mode", "nearest"),
            OnnxGraph.Text("coordinate_transformation_mode", "asymmetric"),
            OnnxGraph.Text("nearest_mode", "floor")
        );

    /// <summary>
    /// ONNX's LSTM or GRU over [T, N, C] (zero initial states, its default activations: PyTorch's). Its Y [T,
    /// directions, N, Hidden] goes back to [N, directions x Hidden, T], forward direction first, as PyTorch
    /// concatenates them. The weights are rewritten in ONNX's layout (<see cref="RecurrentWeights"/>); PyTorch's GRU
    /// takes the new gate's hidden product before the reset gate multiplies it, which is ONNX's linear_before_reset=1.
    /// </summary>
    public static void Recurrent(OnnxGraph onnx, string name, string x, RecurrentOp recurrent)
    {
        var directions = recurrent.Bidirectional ? 2 : 1;
        var (w, r, b) = RecurrentWeights(onnx, name, recurrent);
        var sequence = onnx.Node("Transpose", $"{name}/sequence", [x], OnnxGraph.Ints("perm", [2, 0, 1]));
        ProtobufWriter[] attributes =
        [
            OnnxGraph.Int("hidden_size", recurrent.Hidden),
            OnnxGraph.Text("direction", recurrent.Bidirectional ? "bidirectional" : "forward"),
            .. recurrent.Cell == RecurrentCell.Gru
                ? [OnnxGraph.Int("linear_before_reset", 1)]
                : Array.Empty<ProtobufWriter>(),
        ];
        var y = onnx.Node(
            recurrent.Cell == RecurrentCell.Lstm ? "LSTM" : "GRU",
            $"{name}/y",
            [sequence, w, r, b],
            attributes
        );
        var channelsFirst = onnx.Node("Transpose", $"{name}/channels_first", [y], OnnxGraph.Ints("perm", [2, 1, 3, 0]));
        onnx.Node(
            "Reshape",
            name,
            [channelsFirst, onnx.Int64s($"{name}.shape", 0, directions * recurrent.Hidden, onnx.Shape(x)[2])]
        );
    }

    /// <summary>
    /// W [directions, gates x Hidden, C], R [directions, gates x Hidden, Hidden] and B [directions, 2 x gates x Hidden]
    /// (input biases, then hidden biases), the reverse direction from PyTorch's <c>_reverse</c> tensors. Gate blocks
    /// reordered: PyTorch's LSTM rows are (input, forget, cell, output), ONNX's (input, output, forget, cell);
    /// PyTorch's GRU rows (reset, update, new), ONNX's (update, reset, hidden).
    /// </summary>
    private static (string W, string R, string B) RecurrentWeights(OnnxGraph onnx, string name, RecurrentOp recurrent)
    {
        int[] order = recurrent.Cell == RecurrentCell.Lstm ? [0, 3, 1, 2] : [1, 0, 2];
        string[] suffixes = recurrent.Bidirectional ? ["_l0", "_l0_reverse"] : ["_l0"];
        var rows = order.Length * (long)recurrent.Hidden;
        float[] Gates(string tensor) => Reordered(onnx.Read(name, tensor).Data, order);
        var inputs = onnx.StateShape(name, $"weight_ih{suffixes[0]}")[1];
        return (
            onnx.Derived(
                $"{name}.W",
                [suffixes.Length, rows, inputs],
                [.. suffixes.SelectMany(s => Gates($"weight_ih{s}"))]
            ),
            onnx.Derived(
                $"{name}.R",
                [suffixes.Length, rows, recurrent.Hidden],
                [.. suffixes.SelectMany(s => Gates($"weight_hh{s}"))]
            ),
            onnx.Derived(
                $"{name}.B",
                [suffixes.Length, 2 * rows],
                [.. suffixes.SelectMany(s => Gates($"bias_ih{s}").Concat(Gates($"bias_hh{s}")))]
            )
        );
    }

    /// <summary>
    /// The equal blocks of <paramref name="data"/> (one per gate, rows in order) put in <paramref name="order"/>.
    /// </summary>
    private static float[] Reordered(float[] data, int[] order)
    {
        var block = data.Length / order.Length;
        var result = new float[data.Length];
        for (var k = 0; k < order.Length; k++)
            Array.Copy(data, order[k] * block, result, k * block, block);
        return result;
    }

    /// <summary>
    /// The attention decomposed over [N, T, C]: q = x Wt at [N, T, 1, U] and k = x Wx at [N, 1, T, U] broadcast into h
    /// = tanh(q + k + bh) [N, T, T, U]; e = h Wa + ba squeezed to [N, T, T]; exp(e - max over s), times a constant 0/1
    /// mask [T, T] of the window where there is one; divided by its sum over s plus Eps; times x; back to [N, C, T].
    /// </summary>
    public static void AdditiveAttention(OnnxGraph onnx, string name, string x, AdditiveAttentionOp attention)
    {
        var steps = onnx.Shape(x)[2];
        var times = onnx.Node("Transpose", $"{name}/x", [x], OnnxGraph.Ints("perm", [0, 2, 1]));
        var query = onnx.Node("MatMul", $"{name}/query", [times, onnx.State(name, "Wt")]);
        query = onnx.Node("Unsqueeze", $"{name}/query_rows", [query, onnx.Int64s($"{name}.query_axes", 2)]);
        var key = onnx.Node("MatMul", $"{name}/key", [times, onnx.State(name, "Wx")]);
        key = onnx.Node("Unsqueeze", $"{name}/key_columns", [key, onnx.Int64s($"{name}.key_axes", 1)]);
        var hidden = onnx.Node("Add", $"{name}/query_key", [query, key]);
        hidden = onnx.Node("Add", $"{name}/hidden_biased", [hidden, onnx.State(name, "bh")]);
        hidden = onnx.Node("Tanh", $"{name}/hidden", [hidden]);
        var emissions = onnx.Node("MatMul", $"{name}/emissions_unbiased", [hidden, onnx.State(name, "Wa")]);
        emissions = onnx.Node("Add", $"{name}/emissions_column", [emissions, onnx.State(name, "ba")]);
        emissions = onnx.Node("Squeeze", $"{name}/emissions", [emissions, onnx.Int64s($"{name}.emission_axes", 3)]);
        var largest = onnx.Node(
            "ReduceMax",
            $"{name}/largest",
            [emissions],
            OnnxGraph.Ints("axes", [2]),
            OnnxGraph.Int("keepdims", 1)
        );
        var scores = onnx.Node("Sub", $"{name}/shifted", [emissions, largest]);
        scores = onnx.Node("Exp", $"{name}/scores", [scores]);
        if (attention.Width is { } width)
            scores = onnx.Node("Mul", $"{name}/scores_in_window", [scores, Window(onnx, name, steps, width)]);
        var total = onnx.Node(
            "ReduceSum",
            $"{name}/total",
            [scores, onnx.Int64s($"{name}.sum_axes", 2)],
            OnnxGraph.Int("keepdims", 1)
        );
        total = onnx.Node("Add", $"{name}/total_eps", [total, onnx.Floats($"{name}.eps", [], [(float)attention.Eps])]);
        var weights = onnx.Node("Div", $"{name}/weights", [scores, total]);
        var output = onnx.Node("MatMul", $"{name}/output", [weights, times]);
        onnx.Node("Transpose", name, [output], OnnxGraph.Ints("perm", [0, 2, 1]));
    }

    /// <summary>
    /// [T, T], 1 where time t (row) sees time s (column): s - width/2 &lt;= t &lt; s - width/2 + width, the module's
    /// window.
    /// </summary>
    private static string Window(OnnxGraph onnx, string name, long steps, int width)
    {
        var mask = new float[steps * steps];
        for (long t = 0; t < steps; t++)
        for (long s = 0; s < steps; s++)
        {
            var lower = s - width / 2;
            mask[t * steps + s] = t >= lower && t < lower + width ? 1 : 0;
        }
        return onnx.Floats($"{name}.window", [steps, steps], mask);
    }

    /// <summary>
    /// Over the channel axis: centred, divided by sqrt(mean of squares + Eps), times gamma plus beta ([C, 1] broadcast
    /// over [N, C, T]).
    /// </summary>
    public static void ChannelLayerNorm(OnnxGraph onnx, string name, string x, ChannelLayerNormOp norm)
    {
        var mean = onnx.Node(
            "ReduceMean",
            $"{name}/mean",
            [x],
            OnnxGraph.Ints("axes", [1]),
            OnnxGraph.Int("keepdims", 1)
        );
        var centred = onnx.Node("Sub", $"{name}/centred", [x, mean]);
        var squares = onnx.Node("Mul", $"{name}/squares", [centred, centred]);
        var variance = onnx.Node(
            "ReduceMean",
            $"{name}/variance",
            [squares],
            OnnxGraph.Ints("axes", [1]),
            OnnxGraph.Int("keepdims", 1)
        );
        variance = onnx.Node(
            "Add",
            $"{name}/variance_eps",
            [variance, onnx.Floats($"{name}.eps", [], [(float)norm.Eps])]
        );
        var deviation = onnx.Node("Sqrt", $"{name}/deviation", [variance]);
        var normalised = onnx.Node("Div", $"{name}/normalised", [centred, deviation]);
        var scaled = onnx.Node("Mul", $"{name}/scaled", [normalised, onnx.State(name, "gamma")]);
        onnx.Node("Add", name, [scaled, onnx.State(name, "beta")]);
    }

    /// <summary>
    /// Over [N, T, C]: MatMul with lin1's weight transposed (an initializer of its own) plus its bias, ReLU, the same
    /// with lin2.
    /// </summary>
    public static void FeedForward(OnnxGraph onnx, string name, string x, FeedForwardOp feedForward)
    {
        var times = onnx.Node("Transpose", $"{name}/x", [x], OnnxGraph.Ints("perm", [0, 2, 1]));
        var hidden = onnx.Node("MatMul", $"{name}/lin1_product", [times, Transposed(onnx, name, "lin1.weight")]);
        hidden = onnx.Node("Add", $"{name}/lin1", [hidden, onnx.State(name, "lin1.bias")]);
        hidden = onnx.Node("Relu", $"{name}/relu", [hidden]);
        var output = onnx.Node("MatMul", $"{name}/lin2_product", [hidden, Transposed(onnx, name, "lin2.weight")]);
        output = onnx.Node("Add", $"{name}/lin2", [output, onnx.State(name, "lin2.bias")]);
        onnx.Node("Transpose", name, [output], OnnxGraph.Ints("perm", [0, 2, 1]));
    }

    /// <summary>
    /// A linear weight [out, in] as [in, out], the right operand of a MatMul, under <c>layer.tensor_t</c>.
    /// </summary>
    private static string Transposed(OnnxGraph onnx, string name, string tensor)
    {
        var (data, shape) = onnx.Read(name, tensor);
        var (rows, columns) = (shape[0], shape[1]);
        var transposed = new float[data.Length];
        for (long i = 0; i < rows; i++)
        for (long j = 0; j < columns; j++)
            transposed[j * rows + i] = data[i * columns + j];
        return onnx.Derived($"{name}.{tensor}_t", [columns, rows], transposed);
    }
}
