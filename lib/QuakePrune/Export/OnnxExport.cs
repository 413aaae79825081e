using System.Runtime.InteropServices;
using QuakePrune.Models;
using QuakePrune.Torch;

namespace QuakePrune.Export;

/// <summary>What `quakeprune export` wrote: the ONNX graph's nodes, its initializers and the float values they hold, its named input and outputs, and the opset.</summary>
public sealed record OnnxExportSummary(string Path, int Nodes, int Initializers, long Values, int Opset, string Input, long[] InputShape,
    IReadOnlyList<string> Outputs);

/// <summary>
/// Writes a checkpoint's network as an ONNX model (opset <see cref="Opset"/>), straight from its description: one ONNX node
/// per layer, chosen by the layer's inference operation (<see cref="Layer.Inference"/>: convolution, batch norm, ReLU, sum,
/// pooling, flatten, linear, identity), its tensors as initializers under their state names, the input named
/// <c>input</c> with a dynamic batch axis (<see cref="BatchAxis"/>; an image network's height and width dynamic too), each output under its
/// layer's name, and the checkpoint's notes as metadata. A layer without an ONNX form (the recurrences and attention of
/// the waveform pickers, for now) is refused by name before anything is written.
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
        var shapes = graph.Shapes(inputShape);
        var state = model.state_dict();
        var nodes = new List<ProtobufWriter>();
        var initializers = new List<ProtobufWriter>();
        var written = new HashSet<string>(StringComparer.Ordinal);
        long values = 0;

        string Initializer(string layer, string name)
        {
            var key = $"{layer}.{name}";
            if (!written.Add(key)) return key;
            var tensor = state.TryGetValue(key, out var t) ? t : throw new InvalidDataException($"export: layer '{layer}' has no tensor '{name}'");
            using var cpu = tensor.detach().to(ScalarType.Float32).contiguous();
            var data = cpu.ToArray<float>();
            values += data.Length;
            initializers.Add(TensorProto(key, cpu.shape, data));
            return key;
        }

        string Constant(string key, long[] dims, float value)
        {
            if (written.Add(key)) initializers.Add(TensorProto(key, dims, Enumerable.Repeat(value, (int)dims.Aggregate(1L, (a, b) => a * b)).ToArray()));
            return key;
        }

        foreach (var node in graph.Order)
        {
            var inputs = node.Inputs.ToArray();
            string Refused(string why) => $"export: layer '{node.Name}' ({node.Layer.Kind}) {why}";
            nodes.Add(node.Layer.Inference switch
            {
                ConvolutionOp conv => Node("Conv", node.Name, [inputs[0], Initializer(node.Name, conv.Weight), .. conv.Bias is { } b ? [Initializer(node.Name, b)] : Array.Empty<string>()],
                    Ints("kernel_shape", state[$"{node.Name}.{conv.Weight}"].shape[2..]), Ints("strides", conv.Stride), Ints("pads", [.. conv.Padding, .. conv.Padding]),
                    Ints("dilations", conv.Dilation), Int("group", conv.Groups)),
                BatchNormOp norm => Node("BatchNormalization", node.Name,
                [
                    inputs[0],
                    norm.Weight is { } w ? Initializer(node.Name, w) : Constant($"{node.Name}.scale", [shapes[inputs[0]][1]], 1),
                    norm.Bias is { } b ? Initializer(node.Name, b) : Constant($"{node.Name}.shift", [shapes[inputs[0]][1]], 0),
                    Initializer(node.Name, norm.RunningMean), Initializer(node.Name, norm.RunningVar),
                ], Float("epsilon", (float)norm.Eps)),
                ReluOp => Node("Relu", node.Name, inputs),
                SumOp => Node(inputs.Length == 2 ? "Add" : "Sum", node.Name, inputs),
                PoolOp { Max: true } pool => Node("MaxPool", node.Name, inputs, Ints("kernel_shape", pool.Kernel), Ints("strides", pool.Stride),
                    Ints("pads", [.. pool.Padding, .. pool.Padding]), Int("ceil_mode", pool.CeilMode ? 1 : 0)),
                PoolOp pool => Node("AveragePool", node.Name, inputs, Ints("kernel_shape", pool.Kernel), Ints("strides", pool.Stride),
                    Ints("pads", [.. pool.Padding, .. pool.Padding]), Int("count_include_pad", 1), Int("ceil_mode", pool.CeilMode ? 1 : 0)),
                GlobalAveragePoolOp => Node("GlobalAveragePool", node.Name, inputs),
                // ONNX's Flatten makes a matrix, torch's keeps the axes before start_dim: the same only from axis 1.
                FlattenOp { StartDim: 1 } => Node("Flatten", node.Name, inputs, Int("axis", 1)),
                FlattenOp flatten => throw new NotSupportedException(Refused($"flattens from axis {flatten.StartDim}; only from axis 1 has an ONNX form here")),
                IdentityOp => Node("Identity", node.Name, inputs),
                LinearOp linear when shapes[inputs[0]].Length == 2 => Node("Gemm", node.Name,
                    [inputs[0], Initializer(node.Name, linear.Weight), .. linear.Bias is { } b ? [Initializer(node.Name, b)] : Array.Empty<string>()], Int("transB", 1)),
                LinearOp => throw new NotSupportedException(Refused($"reads a rank-{shapes[inputs[0]].Length} input; only matrices export (Gemm)")),
                _ => throw new NotSupportedException(Refused(
                    "has no ONNX form yet; convolution networks export (ResNet18/34/50, pruned or not, with or without the hidden head)")),
            });
        }

        var body = new ProtobufWriter();
        foreach (var node in nodes) body.Message(1, node);
        body.String(2, info.Architecture.Builder.Name);
        foreach (var initializer in initializers) body.Message(5, initializer);
        // An image network takes any height and width (its pooling ends global); a waveform network's window is fixed.
        string?[] inputAxes = inputShape.Length == 4 ? [BatchAxis, null, "height", "width"] : [BatchAxis, .. inputShape.Skip(1).Select(_ => (string?)null)];
        body.Message(11, ValueInfo(NetworkGraph.Input, inputShape, inputAxes));
        foreach (var output in graph.Outputs)
            body.Message(12, ValueInfo(output, shapes[output], [BatchAxis, .. shapes[output].Skip(1).Select(_ => (string?)null)]));

        var file = new ProtobufWriter()
            .Int(1, IrVersion)
            .String(2, "QuakePrune")
            .Message(7, body)
            .Message(8, new ProtobufWriter().String(1, "").Int(2, Opset));
        foreach (var (key, value) in info.Notes.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            file.Message(14, new ProtobufWriter().String(1, key).String(2, value));
        AtomicFile.Write(path, target => File.WriteAllBytes(target, file.ToArray()));
        return new OnnxExportSummary(path, nodes.Count, initializers.Count, values, Opset, NetworkGraph.Input, inputShape, graph.Outputs);
    }

    private static ProtobufWriter Node(string op, string name, IReadOnlyList<string> inputs, params ProtobufWriter[] attributes)
    {
        var node = new ProtobufWriter();
        foreach (var input in inputs) node.String(1, input);
        node.String(2, name).String(3, name).String(4, op);
        foreach (var attribute in attributes) node.Message(5, attribute);
        return node;
    }

    // AttributeProto: name 1, f 2, i 3, ints 8, type 20 (FLOAT 1, INT 2, INTS 7).
    private static ProtobufWriter Int(string name, long value) => new ProtobufWriter().String(1, name).Int(3, value).Int(20, 2);
    private static ProtobufWriter Ints(string name, IEnumerable<long> values) => new ProtobufWriter().String(1, name).Ints(8, values).Int(20, 7);
    private static ProtobufWriter Float(string name, float value) => new ProtobufWriter().String(1, name).Float(2, value).Int(20, 1);

    // TensorProto: dims 1, data_type 2 (FLOAT 1), name 8, raw_data 9 (little-endian).
    private static ProtobufWriter TensorProto(string name, long[] dims, float[] values) =>
        new ProtobufWriter().Ints(1, dims).Int(2, 1).String(8, name).Bytes(9, MemoryMarshal.AsBytes(values.AsSpan()));

    /// <summary>ValueInfoProto of a float tensor: each axis named where <paramref name="axes"/> names it (dynamic), else its size.</summary>
    private static ProtobufWriter ValueInfo(string name, long[] shape, IReadOnlyList<string?> axes)
    {
        var dims = new ProtobufWriter();
        for (var k = 0; k < shape.Length; k++)
            dims.Message(1, axes[k] is { } axis ? new ProtobufWriter().String(2, axis) : new ProtobufWriter().Int(1, shape[k]));
        var tensor = new ProtobufWriter().Int(1, 1).Message(2, dims);
        return new ProtobufWriter().String(1, name).Message(2, new ProtobufWriter().Message(1, tensor));
    }
}
