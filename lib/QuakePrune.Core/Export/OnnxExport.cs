using QuakePrune.Models;

namespace QuakePrune.Export;

/// <summary>
/// What `quakeprune export` wrote: the ONNX graph's nodes, its initializers and the float values they hold, its named
/// input and outputs, and the opset.
/// </summary>
public sealed record OnnxExportSummary(
    string Path,
    int Nodes,
    int Initializers,
    long Values,
    int Opset,
    string Input,
    long[] InputShape,
    IReadOnlyList<string> Outputs
);

/// <summary>
/// Writes a checkpoint's network as an ONNX model (opset <see cref="Opset"/>), straight from its description: the nodes
/// of each layer chosen by the layer's inference operation (<see cref="Layer.Inference"/>): one node for a convolution,
/// batch norm, ReLU, sum, pooling, flatten, linear, identity, sigmoid, squeeze, pad, crop or upsampling, a few for a
/// waveform picker's recurrence, attention, layer norm and feed-forward (<see cref="OnnxSequenceOps"/>). Its tensors
/// are initializers under their state names, the input is named <c>input</c> with a dynamic batch axis
/// (<see cref="BatchAxis"/>; an image network's height and width dynamic too, a waveform network's window fixed), each
/// output is under its layer's name, and the checkpoint's notes are metadata. A layer without an ONNX form
/// (<see cref="ModuleOp"/>: a kind that says only "run my module") is refused by name before anything is written.
/// </summary>
public static class OnnxExport
{
    public const int Opset = 13;

    /// <summary>ONNX IR version 8: what opset 13 files carry; ONNX Runtime and onnx's checker read it.</summary>
    public const int IrVersion = 8;

    public const string BatchAxis = "batch";

    public static OnnxExportSummary Export(LoadedModel loaded, string path)
    {
        var (model, info) = (loaded.Model, loaded.Info);
        var graph = model.Graph;
        var inputShape = info.InputShape;
        var onnx = new OnnxGraph(model.state_dict(), graph.Shapes(inputShape));
        foreach (var node in graph.Order)
            Emit(onnx, node);

        var body = new ProtobufWriter();
        foreach (var node in onnx.Nodes)
            body.Message(1, node);
        body.String(2, info.Architecture.Builder.Name);
        foreach (var initializer in onnx.Initializers)
            body.Message(5, initializer);
        // An image network takes any height and width (its pooling ends global); a waveform network's window is fixed.
        string?[] inputAxes =
            inputShape.Length == 4
                ? [BatchAxis, null, "height", "width"]
                : [BatchAxis, .. inputShape.Skip(1).Select(_ => (string?)null)];
        body.Message(11, ValueInfo(NetworkGraph.Input, inputShape, inputAxes));
        foreach (var output in graph.Outputs)
            body.Message(
                12,
                ValueInfo(
                    output,
                    onnx.Shape(output),
                    [BatchAxis, .. onnx.Shape(output).Skip(1).Select(_ => (string?)null)]
                )
            );

        var file = new ProtobufWriter()
            .Int(1, IrVersion)
            .String(2, "QuakePrune")
            .Message(7, body)
            .Message(8, new ProtobufWriter().String(1, "").Int(2, Opset));
        foreach (var (key, value) in info.Provenance.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            file.Message(14, new ProtobufWriter().String(1, key).String(2, value));
        AtomicFile.Write(path, target => File.WriteAllBytes(target, file.ToArray()));
        return new OnnxExportSummary(
            path,
            onnx.Nodes.Count,
            onnx.Initializers.Count,
            onnx.Values,
            Opset,
            NetworkGraph.Input,
            inputShape,
            graph.Outputs
        );
    }

    /// <summary>
    /// The nodes of one layer, by its inference operation: one node for the image networks' operations and the waveform
    /// layers' elementwise and reshaping ones, a few (<see cref="OnnxSequenceOps"/>) for the recurrences, attention,
    /// layer norm and feed-forward. Whatever the nodes, the last one writes the layer's name, which its readers read.
    /// </summary>
    private static void Emit(OnnxGraph onnx, LayerNode node)
    {
        var (name, inputs) = (node.Name, node.Inputs.ToArray());
        string Refused(string why) => $"export: layer '{name}' ({node.Layer.Kind}) {why}";
        switch (node.Layer.Inference)
        {
            case ConvolutionOp conv:
                Convolution(onnx, name, inputs[0], conv);
                break;
            case BatchNormOp norm:
                BatchNorm(onnx, name, inputs[0], norm);
                break;
            case ReluOp:
                onnx.Node("Relu", name, inputs);
                break;
            case SumOp:
                onnx.Node(inputs.Length == 2 ? "Add" : "Sum", name, inputs);
                break;
            case PoolOp pool:
                Pool(onnx, name, inputs[0], pool);
                break;
            case GlobalAveragePoolOp:
                onnx.Node("GlobalAveragePool", name, inputs);
                break;
            // ONNX's Flatten makes a matrix, torch's keeps the axes before start_dim: the same only from axis 1.
            case FlattenOp { StartDim: 1 }:
                onnx.Node("Flatten", name, inputs, OnnxGraph.Int("axis", 1));
                break;
            case FlattenOp flatten:
                throw new NotSupportedException(
                    Refused($"flattens from axis {flatten.StartDim}; only from axis 1 has an ONNX form here")
                );
            case IdentityOp:
                onnx.Node("Identity", name, inputs);
                break;
            case LinearOp linear when onnx.Shape(inputs[0]).Length == 2:
                onnx.Node(
                    "Gemm",
                    name,
                    [
                        inputs[0],
                        onnx.State(name, linear.Weight),
                        .. linear.Bias is { } b ? [onnx.State(name, b)] : Array.Empty<string>(),
                    ],
                    OnnxGraph.Int("transB", 1)
                );
                break;
            case LinearOp:
                throw new NotSupportedException(
                    Refused($"reads a rank-{onnx.Shape(inputs[0]).Length} input; only matrices export (Gemm)")
                );
            case SigmoidOp:
                onnx.Node("Sigmoid", name, inputs);
                break;
            case SqueezeOp squeeze:
                onnx.Node("Squeeze", name, [inputs[0], onnx.Int64s($"{name}.axes", squeeze.Dim)]);
                break;
            case PadOp pad:
                OnnxSequenceOps.Pad(onnx, name, inputs[0], pad);
                break;
            case CropOp crop:
                OnnxSequenceOps.Crop(onnx, name, inputs[0], crop);
                break;
            case UpsampleOp upsample:
                OnnxSequenceOps.Upsample(onnx, name, inputs[0], upsample);
                break;
            case RecurrentOp recurrent:
                OnnxSequenceOps.Recurrent(onnx, name, inputs[0], recurrent);
                break;
            case AdditiveAttentionOp attention:
                OnnxSequenceOps.AdditiveAttention(onnx, name, inputs[0], attention);
                break;
            case ChannelLayerNormOp norm:
                OnnxSequenceOps.ChannelLayerNorm(onnx, name, inputs[0], norm);
                break;
            case FeedForwardOp feedForward:
                OnnxSequenceOps.FeedForward(onnx, name, inputs[0], feedForward);
                break;
            default:
                throw new NotSupportedException(
                    Refused(
                        "has no ONNX form yet; the ResNets (pruned or not, with or without the hidden head) and the EQTransformer pickers export"
                    )
                );
        }
    }

    private static void Convolution(OnnxGraph onnx, string name, string x, ConvolutionOp conv)
    {
        onnx.Node(
            "Conv",
            name,
            [x, onnx.State(name, conv.Weight), .. conv.Bias is { } b ? [onnx.State(name, b)] : Array.Empty<string>()],
            OnnxGraph.Ints("kernel_shape", onnx.StateShape(name, conv.Weight)[2..]),
            OnnxGraph.Ints("strides", conv.Stride),
            OnnxGraph.Ints("pads", [.. conv.Padding, .. conv.Padding]),
            OnnxGraph.Ints("dilations", conv.Dilation),
            OnnxGraph.Int("group", conv.Groups)
        );
    }

    /// <summary>
    /// ONNX's BatchNormalization always takes a scale and a shift: a norm without them gets ones and zeros.
    /// </summary>
    private static void BatchNorm(OnnxGraph onnx, string name, string x, BatchNormOp norm)
    {
        var channels = onnx.Shape(x)[1];
        onnx.Node(
            "BatchNormalization",
            name,
            [
                x,
                norm.Weight is { } w ? onnx.State(name, w) : onnx.Constant($"{name}.scale", [channels], 1),
                norm.Bias is { } b ? onnx.State(name, b) : onnx.Constant($"{name}.shift", [channels], 0),
                onnx.State(name, norm.RunningMean),
                onnx.State(name, norm.RunningVar),
            ],
            OnnxGraph.Float("epsilon", (float)norm.Eps)
        );
    }

    /// <summary>Average pooling counts the padding, as the layers' does.</summary>
    private static void Pool(OnnxGraph onnx, string name, string x, PoolOp pool)
    {
        ProtobufWriter[] window =
        [
            OnnxGraph.Ints("kernel_shape", pool.Kernel),
            OnnxGraph.Ints("strides", pool.Stride),
            OnnxGraph.Ints("pads", [.. pool.Padding, .. pool.Padding]),
            OnnxGraph.Int("ceil_mode", pool.CeilMode ? 1 : 0),
        ];
        if (pool.Max)
            onnx.Node("MaxPool", name, [x], window);
        else
            onnx.Node("AveragePool", name, [x], [.. window, OnnxGraph.Int("count_include_pad", 1)]);
    }

    /// <summary>
    /// ValueInfoProto of a float tensor: each axis named where <paramref name="axes"/> names it (dynamic), else its
    /// size.
    /// </summary>
    private static ProtobufWriter ValueInfo(string name, long[] shape, IReadOnlyList<string?> axes)
    {
        var dims = new ProtobufWriter();
        for (var k = 0; k < shape.Length; k++)
            dims.Message(
                1,
                axes[k] is { } axis ? new ProtobufWriter().String(2, axis) : new ProtobufWriter().Int(1, shape[k])
            );
        var tensor = new ProtobufWriter().Int(1, 1).Message(2, dims);
        return new ProtobufWriter().String(1, name).Message(2, new ProtobufWriter().Message(1, tensor));
    }
}
