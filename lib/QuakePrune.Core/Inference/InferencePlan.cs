using QuakePrune.Models;
using QuakePrune.Torch;
using static QuakePrune.Torch.torch;
using F = QuakePrune.Torch.torch.nn.functional;

namespace QuakePrune.Inference;

/// <summary>One step of an <see cref="InferencePlan"/>: it reads value slots and writes one.</summary>
internal abstract class PlanStep(string name, int[] inputs)
{
    public string Name { get; } = name;
    public int[] Inputs { get; } = inputs;
    public int Output { get; set; }

    /// <summary>
    /// Whether it can run on libtorch's opaque oneDNN tensors (the mkldnn path keeps activations in that layout as long
    /// as it can).
    /// </summary>
    public virtual bool RunsOnMkldnn => false;

    /// <summary>
    /// Runs the step on strided (or, where <see cref="RunsOnMkldnn"/>, oneDNN) tensors;
    /// <paramref name="mayOverwrite"/>: its first input dies here.
    /// </summary>
    public abstract Tensor Run(Tensor[] inputs, bool mkldnn, bool mayOverwrite);
}

/// <summary>A folded convolution (with its fused sum and ReLU).</summary>
internal sealed class ConvStep(FoldedConv conv, int source, int? sum)
    : PlanStep(conv.Name, sum is { } s ? [source, s] : [source])
{
    public FoldedConv Conv { get; } = conv;
    public int Source => Inputs[0];
    public int? SumInput => Inputs.Length > 1 ? Inputs[1] : null;
    public override bool RunsOnMkldnn => true;

    public override Tensor Run(Tensor[] inputs, bool mkldnn, bool mayOverwrite) =>
        mkldnn
            ? Conv.Mkldnn(inputs[0], inputs.Length > 1 ? inputs[1] : null)
            : Conv.Strided(inputs[0], inputs.Length > 1 ? inputs[1] : null);
}

/// <summary>
/// Max pooling over windows (2-d, or 1-d held as 2-d over [N, C, 1, T] with a 1 x k window, as <see cref="FoldedConv"/>
/// holds 1-d convolutions), or the 2-d global average (<see cref="Kernel"/> null).
/// </summary>
internal sealed class PoolStep(
    string name,
    int source,
    (long, long)? kernel,
    (long, long) stride,
    (long, long) padding,
    bool ceilMode = false,
    int spatialAxes = 2
) : PlanStep(name, [source])
{
    public int Source => Inputs[0];
    public (long, long)? Kernel { get; } = kernel;
    public (long, long) Stride { get; } = stride;
    public (long, long) Padding { get; } = padding;
    public bool CeilMode { get; } = ceilMode;
    public int SpatialAxes { get; } = spatialAxes;
    public bool Max => Kernel is not null;
    public override bool RunsOnMkldnn => SpatialAxes == 2;

    /// <summary>A max pooling step for a <see cref="PoolOp"/> of one or two spatial axes.</summary>
    public static PoolStep Of(string name, int source, PoolOp pool) =>
        pool.Kernel.Length == 1
            ? new(name, source, (1, pool.Kernel[0]), (1, pool.Stride[0]), (0, pool.Padding[0]), pool.CeilMode, 1)
            : new(
                name,
                source,
                (pool.Kernel[0], pool.Kernel[1]),
                (pool.Stride[0], pool.Stride[1]),
                (pool.Padding[0], pool.Padding[1]),
                pool.CeilMode
            );

    public override Tensor Run(Tensor[] inputs, bool mkldnn, bool mayOverwrite) =>
        (Kernel, SpatialAxes) switch
        {
            ({ } k, 1) => F.max_pool1d(inputs[0], k.Item2, Stride.Item2, Padding.Item2, 1, CeilMode),
            ({ } k, _) => F.max_pool2d(inputs[0], k, Stride, Padding, (1, 1), CeilMode),
            _ => F.adaptive_avg_pool2d(inputs[0], (1, 1)),
        };
}

/// <summary>
/// Nearest-neighbour upsampling of the last axis of [N, C, T]: each sample repeated <see cref="Scale"/> times.
/// </summary>
internal sealed class UpsampleStep(string name, int source, int scale) : PlanStep(name, [source])
{
    public int Scale { get; } = scale;

    public override Tensor Run(Tensor[] inputs, bool mkldnn, bool mayOverwrite) =>
        F.interpolate(inputs[0], scale_factor: Scale);
}

/// <summary>x[:, :, Start : T - End] of [N, C, T], a view.</summary>
internal sealed class CropStep(string name, int source, long start, long end) : PlanStep(name, [source])
{
    public long Start { get; } = start;
    public long End { get; } = end;

    public override Tensor Run(Tensor[] inputs, bool mkldnn, bool mayOverwrite) =>
        inputs[0].narrow(2, Start, inputs[0].size(2) - Start - End);
}

/// <summary>An elementwise sum not fused into a convolution, with its ReLU.</summary>
internal sealed class SumStep(string name, int[] inputs, bool relu) : PlanStep(name, inputs)
{
    public override bool RunsOnMkldnn => true;

    public override Tensor Run(Tensor[] inputs, bool mkldnn, bool mayOverwrite)
    {
        var sum = mayOverwrite ? inputs[0].add_(inputs[1]) : inputs[0].add(inputs[1]);
        for (var k = 2; k < inputs.Length; k++)
            sum.add_(inputs[k]);
        return relu ? sum.relu_() : sum;
    }
}

internal sealed class ReluStep(string name, int source) : PlanStep(name, [source])
{
    public override bool RunsOnMkldnn => true;

    public override Tensor Run(Tensor[] inputs, bool mkldnn, bool mayOverwrite) =>
        mayOverwrite ? inputs[0].relu_() : inputs[0].relu();
}

internal sealed class FlattenStep(string name, int source, int startDim) : PlanStep(name, [source])
{
    public override Tensor Run(Tensor[] inputs, bool mkldnn, bool mayOverwrite) => inputs[0].flatten(startDim);
}

/// <summary>A linear layer (weights copied at prepare time) with its fused ReLU.</summary>
internal sealed class LinearStep(string name, int source, Tensor weight, Tensor? bias, bool relu)
    : PlanStep(name, [source]),
        IDisposable
{
    public override Tensor Run(Tensor[] inputs, bool mkldnn, bool mayOverwrite)
    {
        var y = F.linear(inputs[0], weight, bias);
        return relu ? y.relu_() : y;
    }

    public void Dispose()
    {
        weight.Dispose();
        bias?.Dispose();
    }
}

/// <summary>
/// A layer the fast path has no fused form for: its own forward in eval mode, on a copy of its module.
/// </summary>
internal sealed class LayerStep(string name, int[] inputs, Layer layer, nn.Module? module)
    : PlanStep(name, inputs),
        IDisposable
{
    public override Tensor Run(Tensor[] inputs, bool mkldnn, bool mayOverwrite) =>
        layer.Forward(module, inputs, training: false, mayOverwrite: false);

    public void Dispose() => module?.Dispose();
}

/// <summary>
/// A network's inference derived from its description and weights: each convolution (2-d or 1-d) with the batch norm
/// after it folded in, and with a residual sum and ReLU after it fused in where it is their only reader; linear layers
/// with their ReLU; dropout dropped; recurrences on the CPU as <see cref="RecurrentStep"/>; every other layer as it is.
/// Values live in numbered slots (0: the input), released after their last reader.
/// </summary>
internal sealed class InferencePlan : IDisposable
{
    private InferencePlan(PlanStep[] steps, int slots, int[] outputs)
    {
        Steps = steps;
        Slots = slots;
        Outputs = outputs;
        var lastReader = new int[slots];
        Array.Fill(lastReader, -1);
        for (var k = 0; k < steps.Length; k++)
            foreach (var s in steps[k].Inputs)
                lastReader[s] = k;
        ReleasedAfter = steps
            .Select(
                (_, k) =>
                    Enumerable.Range(1, slots - 1).Where(s => lastReader[s] == k && !outputs.Contains(s)).ToArray()
            )
            .ToArray();
    }

    public PlanStep[] Steps { get; }
    public int Slots { get; }
    public int[] Outputs { get; }

    /// <summary>Per step, the slots whose last reader it is (never the input's or an output's).</summary>
    public int[][] ReleasedAfter { get; }

    /// <summary>
    /// The plan for an eval-mode network giving the values of <paramref name="outputs"/> (layer names; default: the
    /// network's outputs); its tensors are copied, so the network may be disposed afterwards.
    /// </summary>
    public static InferencePlan Build(Network model, IReadOnlyList<string>? outputs = null)
    {
        var graph = model.Graph;
        var state = model.state_dict();
        var device = model.parameters().First().device;
        Func<string, Tensor> TensorsOf(string layer) =>
            name =>
                state.TryGetValue($"{layer}.{name}", out var t)
                    ? t
                    : throw new KeyNotFoundException($"{layer} has no tensor '{name}'");
        var readers = graph.Nodes.ToDictionary(n => n.Name, _ => new List<LayerNode>());
        foreach (var node in graph.Nodes)
        foreach (var input in node.Inputs.Where(i => i != NetworkGraph.Input))
            readers[input].Add(node);
        var wanted = outputs ?? graph.Outputs;
        var unknown = wanted.Where(o => !readers.ContainsKey(o)).ToArray();
        if (unknown.Length > 0)
            throw new ArgumentException(
                $"inference: the network has no layer {string.Join(", ", unknown.Select(u => $"'{u}'"))}"
            );
        var kept = wanted.ToHashSet();
        // The only layer reading a value, when the value is not also an output: what may be fused into its producer.
        LayerNode? SoleReader(string value) =>
            !kept.Contains(value) && readers[value].Count == 1 ? readers[value][0] : null;

        var slotOf = new Dictionary<string, int> { [NetworkGraph.Input] = 0 };
        var slots = 1;
        var absorbed = new HashSet<string>();
        var steps = new List<PlanStep>();
        try
        {
            void Emit(PlanStep step, params string[] values)
            {
                step.Output = slots++;
                foreach (var value in values)
                    slotOf[value] = step.Output;
                steps.Add(step);
            }

            foreach (var node in graph.Order)
            {
                if (absorbed.Contains(node.Name))
                    continue;
                var inputs = node.Inputs.Select(i => slotOf[i]).ToArray();
                switch (node.Layer.Inference)
                {
                    case ConvolutionOp conv when conv.Stride.Length is 1 or 2:
                    {
                        var chain = new List<string> { node.Name };
                        BatchNormOp? norm = null;
                        string? normLayer = null;
                        if (SoleReader(node.Name) is { Layer.Inference: BatchNormOp bn } normNode)
                        {
                            (norm, normLayer) = (bn, normNode.Name);
                            chain.Add(normLayer);
                        }
                        int? sum = null;
                        // A sum is fused where its other operand is ready: into the operand computed last.
                        if (
                            SoleReader(chain[^1]) is { Layer.Inference: SumOp } add
                            && add.Inputs.Count == 2
                            && add.Inputs.Distinct().Count() == 2
                            && add.Inputs.Single(i => i != chain[^1]) is var other
                            && slotOf.ContainsKey(other)
                        )
                        {
                            sum = slotOf[other];
                            chain.Add(add.Name);
                        }
                        var relu = SoleReader(chain[^1]) is { Layer.Inference: ReluOp };
                        if (relu)
                            chain.Add(SoleReader(chain[^1])!.Name);
                        absorbed.UnionWith(chain);
                        Emit(
                            new ConvStep(
                                FoldedConv.Of(
                                    node.Name,
                                    conv,
                                    TensorsOf(node.Name),
                                    norm,
                                    normLayer is null ? null : TensorsOf(normLayer),
                                    sum is not null,
                                    relu
                                ),
                                inputs[0],
                                sum
                            ),
                            chain.ToArray()
                        );
                        break;
                    }
                    case PoolOp { Max: true, Kernel.Length: 1 or 2 } pool:
                        Emit(PoolStep.Of(node.Name, inputs[0], pool), node.Name);
                        break;
                    case UpsampleOp upsample when graph.DefaultShapes[node.Inputs[0]].Length == 3:
                        Emit(new UpsampleStep(node.Name, inputs[0], upsample.Scale), node.Name);
                        break;
                    case CropOp crop when graph.DefaultShapes[node.Inputs[0]].Length == 3:
                        Emit(new CropStep(node.Name, inputs[0], crop.Start, crop.End), node.Name);
                        break;
                    case GlobalAveragePoolOp when graph.DefaultShapes[node.Inputs[0]].Length == 4:
                        Emit(new PoolStep(node.Name, inputs[0], null, (1, 1), (0, 0)), node.Name);
                        break;
                    case SumOp:
                    {
                        var relu = SoleReader(node.Name) is { Layer.Inference: ReluOp } r ? r.Name : null;
                        if (relu is not null)
                            absorbed.Add(relu);
                        Emit(
                            new SumStep(node.Name, inputs, relu is not null),
                            relu is null ? [node.Name] : [node.Name, relu]
                        );
                        break;
                    }
                    case ReluOp:
                        Emit(new ReluStep(node.Name, inputs[0]), node.Name);
                        break;
                    case FlattenOp flatten:
                        Emit(new FlattenStep(node.Name, inputs[0], flatten.StartDim), node.Name);
                        break;
                    case IdentityOp:
                        slotOf[node.Name] = inputs[0];
                        break;
                    case LinearOp linear:
                    {
                        var relu = SoleReader(node.Name) is { Layer.Inference: ReluOp } r ? r.Name : null;
                        if (relu is not null)
                            absorbed.Add(relu);
                        var tensors = TensorsOf(node.Name);
                        Emit(
                            new LinearStep(
                                node.Name,
                                inputs[0],
                                Copy(tensors(linear.Weight)),
                                linear.Bias is { } b ? Copy(tensors(b)) : null,
                                relu is not null
                            ),
                            relu is null ? [node.Name] : [node.Name, relu]
                        );
                        break;
                    }
                    case RecurrentOp recurrent when device.type == DeviceType.CPU:
                        Emit(RecurrentStep.Of(node.Name, inputs[0], recurrent, TensorsOf(node.Name)), node.Name);
                        break;
                    default:
                        Emit(
                            new LayerStep(node.Name, inputs, node.Layer, CopyModule(node, graph, state, device)),
                            node.Name
                        );
                        break;
                }
            }
            return new InferencePlan(steps.ToArray(), slots, wanted.Select(o => slotOf[o]).ToArray());
        }
        catch
        {
            foreach (var step in steps)
                Dispose(step);
            throw;
        }
    }

    private static Tensor Copy(Tensor t)
    {
        using var scope = NewDisposeScope();
        return t.detach().clone().DetachFromDisposeScope();
    }

    /// <summary>
    /// A fresh module of the layer holding a copy of its tensors, in eval mode on the model's device.
    /// </summary>
    private static nn.Module? CopyModule(
        LayerNode node,
        NetworkGraph graph,
        IReadOnlyDictionary<string, Tensor> state,
        Device device
    )
    {
        var module = node.Layer.CreateModule(NetworkGraph.InputShapes(node, graph.DefaultShapes));
        if (module is null)
            return null;
        try
        {
            var prefix = node.Name + ".";
            module.load_state_dict(
                state
                    .Where(kv => kv.Key.StartsWith(prefix, StringComparison.Ordinal))
                    .ToDictionary(kv => kv.Key[prefix.Length..], kv => kv.Value)
            );
            if (device.type != DeviceType.CPU)
                module.to(device);
            module.eval();
            return module;
        }
        catch
        {
            module.Dispose();
            throw;
        }
    }

    private static void Dispose(PlanStep step)
    {
        switch (step)
        {
            case ConvStep conv:
                conv.Conv.Dispose();
                break;
            case IDisposable owned:
                owned.Dispose();
                break;
        }
    }

    public void Dispose()
    {
        foreach (var step in Steps)
            Dispose(step);
    }
}
