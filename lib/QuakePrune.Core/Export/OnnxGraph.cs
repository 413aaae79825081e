using System.Runtime.InteropServices;
using QuakePrune.Torch;

namespace QuakePrune.Export;

/// <summary>
/// The ONNX graph as it is written: its nodes and initializers in order, and the checkpoint's tensors and value shapes
/// the layers' exporters draw on. Each exporter adds its nodes here; an initializer is written once however many nodes
/// read it. Names: a layer's value is the layer's name, its state tensors keep their state names (<c>layer.weight</c>),
/// what an exporter derives from them or adds is <c>layer.what</c>, and the values inside a layer of several nodes
/// <c>layer/what</c>, so no two layers' names meet.
/// </summary>
internal sealed class OnnxGraph(IReadOnlyDictionary<string, Tensor> state, IReadOnlyDictionary<string, long[]> shapes)
{
    private readonly HashSet<string> written = new(StringComparer.Ordinal);

    public List<ProtobufWriter> Nodes { get; } = [];
    public List<ProtobufWriter> Initializers { get; } = [];

    /// <summary>
    /// Float values taken from the checkpoint (weights and statistics, as they are or rearranged); constants the
    /// exporters add are not counted.
    /// </summary>
    public long Values { get; private set; }

    /// <summary>A value's shape at batch 1, from the description.</summary>
    public long[] Shape(string value) => shapes[value];

    /// <summary>A state tensor's values, flat, and its shape.</summary>
    public (float[] Data, long[] Shape) Read(string layer, string name)
    {
        using var cpu = Tensor(layer, name).detach().to(ScalarType.Float32).contiguous();
        return (cpu.ToArray<float>(), cpu.shape);
    }

    public long[] StateShape(string layer, string name) => Tensor(layer, name).shape;

    private Tensor Tensor(string layer, string name) =>
        state.TryGetValue($"{layer}.{name}", out var tensor)
            ? tensor
            : throw new InvalidDataException($"export: layer '{layer}' has no tensor '{name}'");

    /// <summary>A state tensor as it is, under its state name.</summary>
    public string State(string layer, string name)
    {
        var key = $"{layer}.{name}";
        if (written.Contains(key))
            return key;
        var (data, dims) = Read(layer, name);
        return Derived(key, dims, data);
    }

    /// <summary>
    /// Checkpoint values in the layout an ONNX operator wants (transposed, gates reordered), counted in
    /// <see cref="Values"/>.
    /// </summary>
    public string Derived(string key, long[] dims, float[] data)
    {
        Values += data.Length;
        return Floats(key, dims, data);
    }

    /// <summary>
    /// A float constant of the exporter's own (a scale of ones, an epsilon, a mask); <c>[]</c> dims: a scalar.
    /// </summary>
    public string Floats(string key, long[] dims, float[] data)
    {
        if (written.Add(key))
            Initializers.Add(
                new ProtobufWriter()
                    .Ints(1, dims)
                    .Int(2, FloatType)
                    .String(8, key)
                    .Bytes(9, MemoryMarshal.AsBytes(data.AsSpan()))
            );
        return key;
    }

    /// <summary>A float constant filled with one value.</summary>
    public string Constant(string key, long[] dims, float value) =>
        Floats(key, dims, Enumerable.Repeat(value, (int)dims.Aggregate(1L, (a, b) => a * b)).ToArray());

    /// <summary>
    /// A 1-d int64 constant: the axes, pads, slice bounds and shapes that opset 13 takes as inputs rather than
    /// attributes.
    /// </summary>
    public string Int64s(string key, params long[] values)
    {
        if (written.Add(key))
            Initializers.Add(
                new ProtobufWriter()
                    .Int(1, values.Length)
                    .Int(2, Int64Type)
                    .String(8, key)
                    .Bytes(9, MemoryMarshal.AsBytes(values.AsSpan()))
            );
        return key;
    }

    /// <summary>A node with one output, named as its output; returns that name for the next node to read.</summary>
    public string Node(string op, string output, IReadOnlyList<string> inputs, params ProtobufWriter[] attributes)
    {
        var node = new ProtobufWriter();
        foreach (var input in inputs)
            node.String(1, input);
        node.String(2, output).String(3, output).String(4, op);
        foreach (var attribute in attributes)
            node.Message(5, attribute);
        Nodes.Add(node);
        return output;
    }

    // TensorProto: dims 1, data_type 2, name 8, raw_data 9 (little-endian). Data types: FLOAT 1, INT64 7.
    private const int FloatType = 1,
        Int64Type = 7;

    // AttributeProto: name 1, f 2, i 3, s 4, ints 8, type 20 (FLOAT 1, INT 2, STRING 3, INTS 7).
    public static ProtobufWriter Int(string name, long value) =>
        new ProtobufWriter().String(1, name).Int(3, value).Int(20, 2);

    public static ProtobufWriter Ints(string name, IEnumerable<long> values) =>
        new ProtobufWriter().String(1, name).Ints(8, values).Int(20, 7);

    public static ProtobufWriter Float(string name, float value) =>
        new ProtobufWriter().String(1, name).Float(2, value).Int(20, 1);

    public static ProtobufWriter Text(string name, string value) =>
        new ProtobufWriter().String(1, name).String(4, value).Int(20, 3);
}
