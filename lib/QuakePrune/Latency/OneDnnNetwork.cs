using System.Diagnostics;
using System.Runtime.InteropServices;
using QuakePrune.Torch;

namespace QuakePrune.Latency;

/// <summary>
/// One step of a <see cref="OneDnnNetwork"/> as built: its oneDNN implementation, the thread count it runs on, and its median
/// time at that count and at each count tried when the threads were tuned (empty when they were not).
/// </summary>
public sealed record OneDnnStep(string Name, string Implementation, int Threads, IReadOnlyDictionary<int, double> MedianMs);

/// <summary>
/// A folded ResNet's features (stem to global average pool) as a fixed sequence of oneDNN primitives for one input shape,
/// called without ATen in between. Each convolution is created once with its bias, ReLU and (in a block's last one) the
/// residual sum fused in, on weights reordered once into the layout it chose; activations live in a few buffers reused
/// from block to block, the residual sum writing in place into the block's identity. Each step runs on the thread count
/// that measured fastest for it (<see cref="TuneThreads"/>), never more than the count the network was built with: a
/// small layer loses more to splitting than it gains.
/// </summary>
internal sealed class OneDnnNetwork : IDisposable
{
    private enum Slot { Input, Stem, Main0, Main1, Temp0, Temp1, Reordered, Output }

    /// <summary>A step's primitive at one thread count, with its memories bound.</summary>
    private sealed record Variant(DnnlPrimitive Primitive, DnnlArg[] Args);

    private sealed class Step(string name, DnnlPrimitive primary, Func<int, DnnlPrimitive> twin, Slot src, Slot dst, DnnlMemory? weights, DnnlMemory? bias)
    {
        public string Name { get; } = name;
        public DnnlPrimitive Primary { get; } = primary;
        /// <summary>The same primitive (same layouts) created for another thread count.</summary>
        public Func<int, DnnlPrimitive> Twin { get; } = twin;
        public Slot Src { get; } = src;
        public Slot Dst { get; } = dst;
        public DnnlMemory? Weights { get; } = weights;
        public DnnlMemory? Bias { get; } = bias;
        public Dictionary<int, Variant> Variants { get; } = [];
        public Variant Current { get; set; } = null!;
        public DnnlMemory SrcMemory { get; set; } = null!;
        public DnnlMemory DstMemory { get; set; } = null!;
        public Dictionary<int, double> MedianMs { get; } = [];
    }

    private readonly List<Step> steps = [];
    private readonly Dictionary<Slot, IntPtr> buffers = [];
    private readonly List<DnnlMemory> scratchpads = [];
    private readonly List<DnnlMemoryDesc> descriptors = [];
    private IntPtr scratchpad;
    private long scratchpadBytes;

    /// <summary>Input shape [N, C, H, W] (dense NCHW float32) and the pooled feature count per image.</summary>
    public long[] InputShape { get; }
    public long Features { get; }
    /// <summary>The thread count it was built with: the most any step uses.</summary>
    public int Ceiling { get; }
    public IReadOnlyList<OneDnnStep> Steps =>
        steps.Select(s => new OneDnnStep(s.Name, s.Current.Primitive.Implementation, s.Current.Primitive.Threads, s.MedianMs)).ToArray();

    /// <summary>Whether the direct path can build these convolutions: oneDNN loads, and every convolution is dense (one group, no dilation).</summary>
    public static bool Supports(FoldedConv stem, IEnumerable<FoldedBlock> blocks) =>
        OneDnn.IsAvailable && blocks.SelectMany(b => b.Convolutions).Prepend(stem).All(c => c.IsDense);

    public OneDnnNetwork(FoldedConv stem, IEnumerable<FoldedBlock> blocks, long[] inputShape, int threads)
    {
        InputShape = inputShape;
        Ceiling = threads;
        try
        {
            var input = new Activation(Keep(DnnlMemoryDesc.Of(inputShape, DnnlTag.Nchw)), Slot.Input);
            var x = AddConvolution(stem, input, Slot.Stem, null);
            x = AddPooling("maxpool", x, Slot.Main0, max: true, (3, 3), (2, 2), (1, 1), null);
            foreach (var block in blocks)
            {
                var other = x.At == Slot.Main0 ? Slot.Main1 : Slot.Main0;
                var identity = block.Downsample is { } downsample ? AddConvolution(downsample, x, other, null) : x;
                var a = AddConvolution(block.Conv1, x, Slot.Temp0, null);
                var b = AddConvolution(block.Conv2, a, Slot.Temp1, null);
                // The residual sum accumulates into the identity's buffer; x is spent by now, so its buffer is free if the identity must move.
                x = AddConvolution(block.Conv3, b, identity.At == Slot.Main0 ? Slot.Main1 : Slot.Main0, identity);
            }
            var shape = x.Md.Dims;
            Features = shape[1];
            var pooled = Keep(DnnlMemoryDesc.Of([shape[0], shape[1], 1, 1], DnnlTag.Nchw));
            AddPooling("avgpool", x, Slot.Output, max: false, (shape[2], shape[3]), (1, 1), (0, 0), pooled);
            Allocate();
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>Features [N, C] (row-major float32 at <paramref name="features"/>) of images [N, C, H, W] (dense NCHW float32 at <paramref name="images"/>).</summary>
    public void Run(IntPtr images, IntPtr features)
    {
        Bind(images, features);
        foreach (var step in steps) step.Current.Primitive.Execute(step.Current.Args);
    }

    private void Bind(IntPtr images, IntPtr features)
    {
        foreach (var step in steps)
        {
            if (step.Src == Slot.Input) step.SrcMemory.Bind(images);
            if (step.Dst == Slot.Output) step.DstMemory.Bind(features);
        }
    }

    /// <summary>
    /// Times every step at the build's thread count and each halving of it down to 1 (<paramref name="runs"/> forwards each,
    /// after two warm-up forwards, the counts alternating forward by forward), then runs each step on the count with the
    /// lowest median. Outputs do not depend on the choice beyond float rounding (checked by the caller).
    /// </summary>
    public void TuneThreads(IntPtr images, IntPtr features, int runs)
    {
        var counts = new List<int>();
        for (var t = Ceiling; t >= 1; t /= 2) counts.Add(t);
        if (counts.Count == 1) return;
        foreach (var step in steps)
        foreach (var count in counts)
            VariantOf(step, count);
        var times = steps.Select(_ => counts.ToDictionary(c => c, _ => new List<double>())).ToArray();
        Bind(images, features);
        for (var run = 0; run < runs + 2; run++)
        foreach (var count in counts)
        for (var k = 0; k < steps.Count; k++)
        {
            var variant = steps[k].Variants[count];
            var start = Stopwatch.GetTimestamp();
            variant.Primitive.Execute(variant.Args);
            if (run >= 2) times[k][count].Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
        }
        for (var k = 0; k < steps.Count; k++)
        {
            foreach (var count in counts) steps[k].MedianMs[count] = LatencyStatistics.Of(times[k][count]).MedianMs;
            steps[k].Current = steps[k].Variants[counts.MinBy(c => steps[k].MedianMs[c])];
        }
    }

    /// <summary>An activation between steps: its layout and the buffer it is in.</summary>
    private sealed record Activation(DnnlMemoryDesc Md, Slot At);

    /// <summary>
    /// A convolution step reading <paramref name="src"/>, writing into <paramref name="to"/> (or, with a residual
    /// <paramref name="sum"/>, accumulating into the identity's buffer). It is first asked for on the layouts it is given
    /// (no copies); if oneDNN has only its slow reference implementation for them, it chooses its layouts and reorder steps
    /// bring the input (and the identity, into <paramref name="to"/>) over.
    /// </summary>
    private Activation AddConvolution(FoldedConv conv, Activation src, Slot to, Activation? sum)
    {
        var name = conv.Name;
        var srcShape = src.Md.Dims;
        var weightShape = conv.Weight.shape;
        long[] dstShape = [srcShape[0], weightShape[0], Out(srcShape[2], weightShape[2], conv.Stride.Height, conv.Padding.Height),
            Out(srcShape[3], weightShape[3], conv.Stride.Width, conv.Padding.Width)];
        using var srcAny = DnnlMemoryDesc.Of(srcShape, DnnlTag.Any);
        using var weightsAny = DnnlMemoryDesc.Of(weightShape, DnnlTag.Any);
        var biasMd = Keep(DnnlMemoryDesc.Of([weightShape[0]], DnnlTag.X));
        using var dstAny = DnnlMemoryDesc.Of(dstShape, DnnlTag.Any);
        var postOps = sum is not null ? DnnlPostOps.SumRelu : conv.Relu ? DnnlPostOps.Relu : DnnlPostOps.None;
        DnnlPrimitive Create(DnnlMemoryDesc source, DnnlMemoryDesc weights, DnnlMemoryDesc dst, int threads) =>
            DnnlPrimitive.Convolution(source, weights, biasMd, dst, conv.Stride, conv.Padding, postOps, threads, name);
        var primary = Create(src.Md, weightsAny, sum?.Md ?? dstAny, Ceiling);
        if (primary.Implementation.StartsWith("ref", StringComparison.Ordinal))
        {
            primary.Dispose();
            primary = Create(srcAny, weightsAny, dstAny, Ceiling);
        }
        DnnlMemory? weights = null, bias = null;
        try
        {
            var from = src.At;
            if (!primary.Src.SameAs(src.Md))
                from = AddReorder($"{name} input", src, primary.Src, Slot.Reordered).At;
            if (sum is not null)
                to = primary.Dst.SameAs(sum.Md) ? sum.At : AddReorder($"{name} identity", sum, primary.Dst, to).At;
            weights = Reordered(conv.Weight, weightShape, primary.Weights!, name);
            bias = DnnlMemory.Allocate(biasMd);
            var values = conv.Bias.ToArray<float>();
            Marshal.Copy(values, 0, bias.Buffer, values.Length);
            var chosen = primary;
            steps.Add(new Step(name, primary, t => Create(chosen.Src, chosen.Weights!, chosen.Dst, t), from, to, weights, bias));
            return new Activation(primary.Dst, to);
        }
        catch
        {
            primary.Dispose();
            weights?.Dispose();
            bias?.Dispose();
            throw;
        }
    }

    /// <summary>A pooling step into <paramref name="to"/>, in the layout given (<paramref name="dst"/>) or, when null or only slow there, its own.</summary>
    private Activation AddPooling(string name, Activation src, Slot to, bool max, (long, long) kernel, (long, long) stride, (long, long) padding,
        DnnlMemoryDesc? dst)
    {
        var shape = src.Md.Dims;
        using var dstAny = DnnlMemoryDesc.Of([shape[0], shape[1], Out(shape[2], kernel.Item1, stride.Item1, padding.Item1),
            Out(shape[3], kernel.Item2, stride.Item2, padding.Item2)], DnnlTag.Any);
        var primary = DnnlPrimitive.Pooling(src.Md, dst ?? dstAny, max, kernel, stride, padding, Ceiling, name);
        if (dst is not null && primary.Implementation.StartsWith("ref", StringComparison.Ordinal))
        {
            primary.Dispose();
            primary = DnnlPrimitive.Pooling(src.Md, dstAny, max, kernel, stride, padding, Ceiling, name);
        }
        var chosen = primary;
        var pooledAt = dst is null || primary.Dst.SameAs(dst) ? to : Slot.Reordered;
        steps.Add(new Step(name, primary, t => DnnlPrimitive.Pooling(src.Md, chosen.Dst, max, kernel, stride, padding, t, name), src.At, pooledAt, null, null));
        var pooled = new Activation(primary.Dst, pooledAt);
        return pooledAt == to ? pooled : AddReorder($"{name} output", pooled, dst!, to);
    }

    /// <summary>A step copying <paramref name="src"/> into layout <paramref name="layout"/> in buffer <paramref name="to"/>.</summary>
    private Activation AddReorder(string name, Activation src, DnnlMemoryDesc layout, Slot to)
    {
        var primary = DnnlPrimitive.Reorder(src.Md, layout, Ceiling, name);
        steps.Add(new Step(name, primary, t => DnnlPrimitive.Reorder(src.Md, layout, t, name), src.At, to, null, null));
        return new Activation(primary.Dst, to);
    }

    /// <summary>A descriptor the steps' twins are created from: lives as long as the network.</summary>
    private DnnlMemoryDesc Keep(DnnlMemoryDesc md)
    {
        descriptors.Add(md);
        return md;
    }

    /// <summary>The torch weights (dense OIHW) copied once into the layout the convolution chose.</summary>
    private static DnnlMemory Reordered(Tensor weight, long[] shape, DnnlMemoryDesc layout, string name)
    {
        using var plainMd = DnnlMemoryDesc.Of(shape, DnnlTag.Nchw);
        using var dense = weight.contiguous();
        using var plain = new DnnlMemory(plainMd, dense.data_ptr());
        var reordered = DnnlMemory.Allocate(layout);
        try
        {
            using var reorder = DnnlPrimitive.Reorder(plainMd, layout, 1, name + " weights");
            reorder.Execute([plain.As(DnnlArg.From), reordered.As(DnnlArg.To)]);
            return reordered;
        }
        catch
        {
            reordered.Dispose();
            throw;
        }
    }

    /// <summary>Allocates the activation buffers (each slot as large as the largest layout placed in it) and binds every step's memories.</summary>
    private void Allocate()
    {
        var sizes = new Dictionary<Slot, long>();
        void Need(Slot slot, DnnlMemoryDesc md) => sizes[slot] = Math.Max(sizes.GetValueOrDefault(slot), md.Bytes);
        foreach (var step in steps)
        {
            Need(step.Src, step.Primary.Src);
            Need(step.Dst, step.Primary.Dst);
        }
        foreach (var (slot, bytes) in sizes)
            if (slot is not (Slot.Input or Slot.Output))
                buffers[slot] = Aligned(bytes);
        foreach (var step in steps)
        {
            step.SrcMemory = new DnnlMemory(step.Primary.Src, buffers.GetValueOrDefault(step.Src));
            step.DstMemory = new DnnlMemory(step.Primary.Dst, buffers.GetValueOrDefault(step.Dst));
            step.Current = VariantOf(step, step.Primary.Threads);
        }
    }

    /// <summary>The step's primitive at <paramref name="threads"/> with its memories bound, created on first use.</summary>
    private Variant VariantOf(Step step, int threads)
    {
        if (step.Variants.TryGetValue(threads, out var existing)) return existing;
        var primitive = threads == step.Primary.Threads ? step.Primary : step.Twin(threads);
        // A twin that chose other layouts could not share the step's buffers: the step keeps its primary at that count.
        if (!ReferenceEquals(primitive, step.Primary) &&
            !(primitive.Src.SameAs(step.Primary.Src) && primitive.Dst.SameAs(step.Primary.Dst) &&
              (primitive.Weights is null || primitive.Weights.SameAs(step.Primary.Weights!))))
        {
            primitive.Dispose();
            primitive = step.Primary;
        }
        var args = new List<DnnlArg> { step.SrcMemory.As(DnnlArg.Src), step.DstMemory.As(DnnlArg.Dst) };
        if (step.Weights is { } weights) args.Add(weights.As(DnnlArg.Weights));
        if (step.Bias is { } bias) args.Add(bias.As(DnnlArg.Bias));
        if (primitive.Scratchpad.Bytes > 0)
        {
            Scratchpad(primitive.Scratchpad.Bytes);
            var scratch = new DnnlMemory(primitive.Scratchpad, scratchpad);
            scratchpads.Add(scratch);
            args.Add(scratch.As(DnnlArg.Scratchpad));
        }
        var variant = new Variant(primitive, args.ToArray());
        step.Variants[threads] = variant;
        return variant;
    }

    /// <summary>One scratchpad serves every primitive (they run one at a time); grows, rebinding those made before.</summary>
    private void Scratchpad(long bytes)
    {
        if (bytes <= scratchpadBytes) return;
        var larger = Aligned(bytes);
        foreach (var memory in scratchpads) memory.Bind(larger);
        Free(scratchpad);
        (scratchpad, scratchpadBytes) = (larger, bytes);
    }

    /// <summary>Output size of a window (kernel, stride, padding on both sides), rounding down as PyTorch does.</summary>
    private static long Out(long size, long kernel, long stride, long padding) => (size + 2 * padding - kernel) / stride + 1;

    private static unsafe IntPtr Aligned(long bytes) => (IntPtr)NativeMemory.AlignedAlloc((nuint)Math.Max(bytes, 64), 64);

    private static unsafe void Free(IntPtr buffer)
    {
        if (buffer != IntPtr.Zero) NativeMemory.AlignedFree((void*)buffer);
    }

    public void Dispose()
    {
        foreach (var step in steps)
        {
            foreach (var variant in step.Variants.Values.Where(v => !ReferenceEquals(v.Primitive, step.Primary)))
                variant.Primitive.Dispose();
            step.Primary.Dispose();
            step.Weights?.Dispose();
            step.Bias?.Dispose();
            step.SrcMemory?.Dispose();
            step.DstMemory?.Dispose();
        }
        foreach (var memory in scratchpads) memory.Dispose();
        foreach (var md in descriptors) md.Dispose();
        descriptors.Clear();
        foreach (var buffer in buffers.Values) Free(buffer);
        Free(scratchpad);
        steps.Clear();
        scratchpads.Clear();
        buffers.Clear();
        scratchpad = IntPtr.Zero;
    }
}
