using System.Diagnostics;
using System.Runtime.InteropServices;
using QuakePrune.Torch;

namespace QuakePrune.Inference;

/// <summary>
/// One step of a <see cref="OneDnnNetwork"/> as built: its oneDNN implementation, the thread count it runs on, and its
/// median time at that count and at each count tried when the threads were tuned (empty when they were not).
/// </summary>
public sealed record OneDnnStep(
    string Name,
    string Implementation,
    int Threads,
    IReadOnlyDictionary<int, double> MedianMs
);

/// <summary>
/// A run of consecutive steps of an <see cref="InferencePlan"/> that the direct oneDNN path runs as one
/// <see cref="OneDnnNetwork"/>: steps [<see cref="Start"/>, <see cref="End"/>) read <see cref="Source"/> (a value made
/// before them) and each other, and only the last one's value, <see cref="Output"/>, is read after them.
/// </summary>
internal sealed record OneDnnSegment(int Start, int End, int Source, int Output)
{
    public bool Contains(int step) => step >= Start && step < End;
}

/// <summary>
/// A <see cref="OneDnnSegment"/> of a plan (its convolutions, poolings, upsamplings and crops) as a fixed sequence of
/// oneDNN primitives for one input shape, called without ATen in between. A waveform value [N, C, T] is held as the
/// image [N, C, 1, T] it equals, so 1-d layers are 2-d primitives with a window of height 1. Each convolution is
/// created once with its bias, ReLU and residual sum fused in, on weights reordered once into the layout it chose;
/// activations live in a few buffers reused as values die, a residual sum accumulating in place into its operand's
/// buffer when the operand is not needed afterwards, and a crop is a window on its input's buffer that the next
/// primitive reads through a reorder. Each step runs on the thread count that measured fastest for it
/// (<see cref="TuneThreads"/>), never more than the count the network was built with: a small layer loses more to
/// splitting than it gains. The last step writes dense float32 (NCHW, or NCT) for the rest of the plan.
/// </summary>
internal sealed class OneDnnNetwork : IDisposable
{
    /// <summary>Buffers bound at each run: the caller's images and the output tensor.</summary>
    private const int ImagesBuffer = -1,
        OutputBuffer = -2;

    /// <summary>A step's primitive at one thread count, with its memories bound.</summary>
    private sealed record Variant(DnnlPrimitive Primitive, DnnlArg[] Args);

    private sealed class Step(
        string name,
        DnnlPrimitive primary,
        Func<int, DnnlPrimitive> twin,
        int src,
        int dst,
        DnnlMemory? weights,
        DnnlMemory? bias
    )
    {
        public string Name { get; } = name;
        public DnnlPrimitive Primary { get; } = primary;

        /// <summary>The same primitive (same layouts) created for another thread count.</summary>
        public Func<int, DnnlPrimitive> Twin { get; } = twin;
        public int Src { get; } = src;
        public int Dst { get; } = dst;
        public DnnlMemory? Weights { get; } = weights;
        public DnnlMemory? Bias { get; } = bias;
        public Dictionary<int, Variant> Variants { get; } = [];
        public Variant Current { get; set; } = null!;
        public DnnlMemory SrcMemory { get; set; } = null!;
        public DnnlMemory DstMemory { get; set; } = null!;
        public Dictionary<int, double> MedianMs { get; } = [];
    }

    /// <summary>A value between steps: its layout and the buffer it is in.</summary>
    private sealed record Activation(DnnlMemoryDesc Md, int Buffer);

    private readonly List<Step> steps = [];
    private readonly List<long> bufferBytes = [];
    private readonly List<int> freeBuffers = [];
    private readonly List<IntPtr> buffers = [];
    private readonly List<DnnlMemory> scratchpads = [];
    private readonly List<DnnlMemoryDesc> descriptors = [];
    private IntPtr scratchpad;
    private long scratchpadBytes;

    /// <summary>
    /// Input shape [N, C, H, W] (dense NCHW float32; a waveform's [N, C, 1, T]) and the output's (dense NCHW float32).
    /// </summary>
    public long[] InputShape { get; }
    public long[] OutputShape { get; private set; } = [];

    /// <summary>The thread count it was built with: the most any step uses.</summary>
    public int Ceiling { get; }
    public IReadOnlyList<OneDnnStep> Steps =>
        steps
            .Select(s => new OneDnnStep(
                s.Name,
                s.Current.Primitive.Implementation,
                s.Current.Primitive.Threads,
                s.MedianMs
            ))
            .ToArray();

    /// <summary>
    /// Whether the direct path can run the step: a dense convolution (a residual sum only with a ReLU after it, which
    /// the binding fuses), a max or global-average pooling, a nearest upsampling or a crop.
    /// </summary>
    private static bool Runs(PlanStep step) =>
        step
            is ConvStep { Conv.IsDense: true, Conv.Sum: false }
                or ConvStep { Conv.IsDense: true, Conv.Relu: true }
                or PoolStep
                or UpsampleStep
                or CropStep;

    /// <summary>
    /// The runs of steps the direct path takes over, first to last: each as long as its steps are runnable and read
    /// only one value from before it, then cut back until its last value is the only one read after it; a run must hold
    /// a convolution to be worth its reorders. None when oneDNN does not load.
    /// </summary>
    public static IReadOnlyList<OneDnnSegment> Segments(InferencePlan plan)
    {
        var segments = new List<OneDnnSegment>();
        if (!OneDnn.IsAvailable)
            return segments;
        var steps = plan.Steps;
        var start = 0;
        while (start < steps.Length)
        {
            var inside = new HashSet<int>();
            int? source = null;
            var end = start;
            for (; end < steps.Length && Runs(steps[end]); end++)
            {
                var outside = steps[end].Inputs.Where(s => !inside.Contains(s)).Distinct().ToArray();
                if (outside.Length > 1 || (outside.Length == 1 && source is { } known && outside[0] != known))
                    break;
                if (outside.Length == 1)
                    source = outside[0];
                inside.Add(steps[end].Output);
            }
            var found = false;
            for (; end > start && source is { } from; end--)
            {
                var made = steps[start..end].Select(s => s.Output).ToHashSet();
                var readAfter = steps[end..]
                    .SelectMany(s => s.Inputs)
                    .Concat(plan.Outputs)
                    .Where(made.Contains)
                    .ToHashSet();
                if (readAfter.SetEquals([steps[end - 1].Output]) && steps[start..end].Any(s => s is ConvStep))
                {
                    segments.Add(new OneDnnSegment(start, end, from, steps[end - 1].Output));
                    found = true;
                    break;
                }
            }
            start = found ? end : start + 1;
        }
        return segments;
    }

    /// <param name="segment">The steps to run (<see cref="Segments"/>).</param>
    /// <param name="inputShape">The segment's input as a 4-d shape (a waveform's [N, C, 1, T]).</param>
    public OneDnnNetwork(InferencePlan plan, OneDnnSegment segment, long[] inputShape, int threads)
    {
        InputShape = inputShape;
        Ceiling = threads;
        try
        {
            var lastReader = new Dictionary<int, int>();
            for (var k = segment.Start; k < segment.End; k++)
                foreach (var s in plan.Steps[k].Inputs)
                    lastReader[s] = k;
            var values = new Dictionary<int, Activation>
            {
                [segment.Source] = new(Keep(DnnlMemoryDesc.Of(inputShape, DnnlTag.Nchw)), ImagesBuffer),
            };
            for (var k = segment.Start; k < segment.End; k++)
            {
                var step = plan.Steps[k];
                var last = k == segment.End - 1;
                var dying = step.Inputs.Distinct().Where(s => s != segment.Source && lastReader[s] == k).ToHashSet();
                values[step.Output] = step switch
                {
                    ConvStep conv => AddConvolution(
                        conv.Conv,
                        values[conv.Source],
                        conv.SumInput is { } sum ? values[sum] : null,
                        conv.SumInput is { } operand && dying.Contains(operand),
                        last
                    ),
                    PoolStep pool => AddPooling(pool, values[pool.Source], last),
                    UpsampleStep upsample => AddUpsampling(upsample, values[upsample.Inputs[0]], last),
                    CropStep crop => AddCrop(crop, values[crop.Inputs[0]], last),
                    _ => throw new InvalidOperationException(
                        $"{step.Name}: the direct oneDNN path cannot run this step"
                    ),
                };
                // A buffer is free once no value still to be read lies in it (a crop is a window on its input's
                // buffer).
                bool StillRead(int buffer) =>
                    values.Any(v =>
                        v.Value.Buffer == buffer
                        && (v.Key == step.Output || lastReader.GetValueOrDefault(v.Key, -1) > k)
                    );
                foreach (var s in dying)
                    if (!StillRead(values[s].Buffer))
                        Release(values[s].Buffer);
            }
            OutputShape = values[segment.Output].Md.Dims;
            Allocate();
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>
    /// Runs the steps: images (dense NCHW float32 at <paramref name="images"/>) to the output (dense NCHW float32 at
    /// <paramref name="output"/>).
    /// </summary>
    public void Run(IntPtr images, IntPtr output)
    {
        Bind(images, output);
        foreach (var step in steps)
            step.Current.Primitive.Execute(step.Current.Args);
    }

    private void Bind(IntPtr images, IntPtr output)
    {
        foreach (var step in steps)
        {
            if (step.Src == ImagesBuffer)
                step.SrcMemory.Bind(images);
            if (step.Dst == OutputBuffer)
                step.DstMemory.Bind(output);
        }
    }

    /// <summary>
    /// Times every step at the build's thread count and each halving of it down to 1 (<paramref name="runs"/> forwards
    /// each, after two warm-up forwards, the counts alternating forward by forward), then runs each step on the count
    /// with the lowest median. Outputs do not depend on the choice beyond float rounding (checked by the caller).
    /// </summary>
    public void TuneThreads(IntPtr images, IntPtr output, int runs)
    {
        var counts = new List<int>();
        for (var t = Ceiling; t >= 1; t /= 2)
            counts.Add(t);
        if (counts.Count == 1)
            return;
        foreach (var step in steps)
        foreach (var count in counts)
            VariantOf(step, count);
        var times = steps.Select(_ => counts.ToDictionary(c => c, _ => new List<double>())).ToArray();
        Bind(images, output);
        for (var run = 0; run < runs + 2; run++)
            foreach (var count in counts)
                for (var k = 0; k < steps.Count; k++)
                {
                    var variant = steps[k].Variants[count];
                    var start = Stopwatch.GetTimestamp();
                    variant.Primitive.Execute(variant.Args);
                    if (run >= 2)
                        times[k][count].Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
                }
        for (var k = 0; k < steps.Count; k++)
        {
            foreach (var count in counts)
                steps[k].MedianMs[count] = LatencyStatistics.Of(times[k][count]).MedianMs;
            steps[k].Current = steps[k].Variants[counts.MinBy(c => steps[k].MedianMs[c])];
        }
    }

    /// <summary>A buffer free for a new value (one whose value died, else a new one).</summary>
    private int Acquire()
    {
        if (freeBuffers.Count > 0)
        {
            var reused = freeBuffers[^1];
            freeBuffers.RemoveAt(freeBuffers.Count - 1);
            return reused;
        }
        bufferBytes.Add(0);
        return bufferBytes.Count - 1;
    }

    private void Release(int buffer)
    {
        if (buffer >= 0 && !freeBuffers.Contains(buffer))
            freeBuffers.Add(buffer);
    }

    /// <summary>
    /// A convolution step reading <paramref name="src"/>. With a residual <paramref name="sum"/> it accumulates into
    /// the sum's buffer when the sum dies here and the layouts agree, else into a copy. It is first asked for on the
    /// layouts it is given (no copies); if oneDNN has only its slow reference implementation for them, it chooses its
    /// layouts and reorder steps bring the input (and the sum) over. The <paramref name="last"/> step writes dense NCHW
    /// into the output.
    /// </summary>
    private Activation AddConvolution(FoldedConv conv, Activation src, Activation? sum, bool sumDies, bool last)
    {
        var name = conv.Name;
        var srcShape = src.Md.Dims;
        var weightShape = conv.Weight.shape;
        long[] dstShape =
        [
            srcShape[0],
            weightShape[0],
            Out(srcShape[2], weightShape[2], conv.Stride.Height, conv.Padding.Height),
            Out(srcShape[3], weightShape[3], conv.Stride.Width, conv.Padding.Width),
        ];
        using var srcAny = DnnlMemoryDesc.Of(srcShape, DnnlTag.Any);
        using var weightsAny = DnnlMemoryDesc.Of(weightShape, DnnlTag.Any);
        var biasMd = Keep(DnnlMemoryDesc.Of([weightShape[0]], DnnlTag.X));
        using var dstAny = DnnlMemoryDesc.Of(dstShape, DnnlTag.Any);
        var plain = last && sum is null ? Keep(DnnlMemoryDesc.Of(dstShape, DnnlTag.Nchw)) : null;
        var postOps =
            sum is not null ? DnnlPostOps.SumRelu
            : conv.Relu ? DnnlPostOps.Relu
            : DnnlPostOps.None;
        DnnlPrimitive Create(DnnlMemoryDesc source, DnnlMemoryDesc weights, DnnlMemoryDesc dst, int threads) =>
            DnnlPrimitive.Convolution(source, weights, biasMd, dst, conv.Stride, conv.Padding, postOps, threads, name);
        DnnlPrimitive? primary = null;
        try
        {
            primary = Create(src.Md, weightsAny, sum?.Md ?? plain ?? dstAny, Ceiling);
        }
        catch (InvalidOperationException)
        {
            // No implementation at all for the given layouts (a crop's window): oneDNN's own layouts, after a reorder.
        }
        if (primary is null || primary.Implementation.StartsWith("ref", StringComparison.Ordinal))
        {
            primary?.Dispose();
            primary = Create(srcAny, weightsAny, dstAny, Ceiling);
        }
        DnnlMemory? weights = null,
            bias = null;
        try
        {
            var from = src.Buffer;
            var reordered = -1;
            if (!primary.Src.SameAs(src.Md))
                from = reordered = AddReorder($"{name} input", src, primary.Src, Acquire()).Buffer;
            int to;
            if (sum is not null)
                to =
                    sumDies && primary.Dst.SameAs(sum.Md)
                        ? sum.Buffer
                        : AddReorder($"{name} sum", sum, primary.Dst, Acquire()).Buffer;
            else
                to = last && plain is not null && primary.Dst.SameAs(plain) ? OutputBuffer : Acquire();
            weights = Reordered(conv.Weight, weightShape, primary.Weights!, name);
            bias = DnnlMemory.Allocate(biasMd);
            var values = conv.Bias.ToArray<float>();
            Marshal.Copy(values, 0, bias.Buffer, values.Length);
            var chosen = primary;
            steps.Add(
                new Step(
                    name,
                    primary,
                    t => Create(chosen.Src, chosen.Weights!, chosen.Dst, t),
                    from,
                    to,
                    weights,
                    bias
                )
            );
            if (reordered >= 0)
                Release(reordered);
            var result = new Activation(primary.Dst, to);
            return last && to != OutputBuffer ? ToOutput(name, result) : result;
        }
        catch
        {
            primary.Dispose();
            weights?.Dispose();
            bias?.Dispose();
            throw;
        }
    }

    /// <summary>
    /// A pooling step; the <paramref name="last"/> one writes dense NCHW into the output (directly, or through a
    /// reorder when only slow there).
    /// </summary>
    private Activation AddPooling(PoolStep pool, Activation src, bool last)
    {
        var shape = src.Md.Dims;
        var (kernel, stride, padding) = pool.Kernel is { } k
            ? (k, pool.Stride, pool.Padding)
            : ((shape[2], shape[3]), (1L, 1L), (0L, 0L));
        var (height, heightRight) = Window(shape[2], kernel.Item1, stride.Item1, padding.Item1, pool.CeilMode);
        var (width, widthRight) = Window(shape[3], kernel.Item2, stride.Item2, padding.Item2, pool.CeilMode);
        long[] dstShape = [shape[0], shape[1], height, width];
        var right = (heightRight, widthRight);
        using var dstAny = DnnlMemoryDesc.Of(dstShape, DnnlTag.Any);
        var plain = last ? Keep(DnnlMemoryDesc.Of(dstShape, DnnlTag.Nchw)) : null;
        var primary = DnnlPrimitive.Pooling(
            src.Md,
            plain ?? dstAny,
            pool.Max,
            kernel,
            stride,
            padding,
            Ceiling,
            pool.Name,
            right
        );
        if (plain is not null && primary.Implementation.StartsWith("ref", StringComparison.Ordinal))
        {
            primary.Dispose();
            primary = DnnlPrimitive.Pooling(
                src.Md,
                dstAny,
                pool.Max,
                kernel,
                stride,
                padding,
                Ceiling,
                pool.Name,
                right
            );
        }
        var chosen = primary;
        var direct = plain is not null && primary.Dst.SameAs(plain);
        var to = direct ? OutputBuffer : Acquire();
        steps.Add(
            new Step(
                pool.Name,
                primary,
                t => DnnlPrimitive.Pooling(src.Md, chosen.Dst, pool.Max, kernel, stride, padding, t, pool.Name, right),
                src.Buffer,
                to,
                null,
                null
            )
        );
        var pooled = new Activation(primary.Dst, to);
        return last && !direct ? ToOutput(pool.Name, pooled) : pooled;
    }

    /// <summary>A nearest upsampling of the last axis, in the layout oneDNN prefers for its input.</summary>
    private Activation AddUpsampling(UpsampleStep upsample, Activation src, bool last)
    {
        var shape = src.Md.Dims;
        using var dstAny = DnnlMemoryDesc.Of([shape[0], shape[1], shape[2], shape[3] * upsample.Scale], DnnlTag.Any);
        var primary = DnnlPrimitive.Resampling(src.Md, dstAny, Ceiling, upsample.Name);
        var chosen = primary;
        var to = Acquire();
        steps.Add(
            new Step(
                upsample.Name,
                primary,
                t => DnnlPrimitive.Resampling(src.Md, chosen.Dst, t, upsample.Name),
                src.Buffer,
                to,
                null,
                null
            )
        );
        var upsampled = new Activation(primary.Dst, to);
        return last ? ToOutput(upsample.Name, upsampled) : upsampled;
    }

    /// <summary>
    /// A crop of the last axis: a window on the input's buffer (no step), copied only when it is the segment's output.
    /// </summary>
    private Activation AddCrop(CropStep crop, Activation src, bool last)
    {
        var shape = src.Md.Dims;
        var window = Keep(
            DnnlMemoryDesc.Submemory(
                src.Md,
                [shape[0], shape[1], shape[2], shape[3] - crop.Start - crop.End],
                [0, 0, 0, crop.Start]
            )
        );
        var cropped = new Activation(window, src.Buffer);
        return last ? ToOutput(crop.Name, cropped) : cropped;
    }

    /// <summary>The last value reordered into the output in dense NCHW.</summary>
    private Activation ToOutput(string name, Activation value)
    {
        var plain = Keep(DnnlMemoryDesc.Of(value.Md.Dims, DnnlTag.Nchw));
        var output = AddReorder($"{name} output", value, plain, OutputBuffer);
        Release(value.Buffer);
        return output;
    }

    /// <summary>
    /// A step copying <paramref name="src"/> into layout <paramref name="layout"/> in buffer <paramref name="to"/>.
    /// </summary>
    private Activation AddReorder(string name, Activation src, DnnlMemoryDesc layout, int to)
    {
        var primary = DnnlPrimitive.Reorder(src.Md, layout, Ceiling, name);
        steps.Add(
            new Step(name, primary, t => DnnlPrimitive.Reorder(src.Md, layout, t, name), src.Buffer, to, null, null)
        );
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

    /// <summary>
    /// Allocates the activation buffers (each as large as the largest layout placed in it) and binds every step's
    /// memories.
    /// </summary>
    private void Allocate()
    {
        void Need(int buffer, DnnlMemoryDesc md)
        {
            if (buffer >= 0)
                bufferBytes[buffer] = Math.Max(bufferBytes[buffer], md.Bytes);
        }
        foreach (var step in steps)
        {
            Need(step.Src, step.Primary.Src);
            Need(step.Dst, step.Primary.Dst);
        }
        foreach (var bytes in bufferBytes)
            buffers.Add(Aligned(bytes));
        IntPtr At(int buffer) => buffer >= 0 ? buffers[buffer] : IntPtr.Zero;
        foreach (var step in steps)
        {
            step.SrcMemory = new DnnlMemory(step.Primary.Src, At(step.Src));
            step.DstMemory = new DnnlMemory(step.Primary.Dst, At(step.Dst));
            step.Current = VariantOf(step, step.Primary.Threads);
        }
    }

    /// <summary>
    /// The step's primitive at <paramref name="threads"/> with its memories bound, created on first use.
    /// </summary>
    private Variant VariantOf(Step step, int threads)
    {
        if (step.Variants.TryGetValue(threads, out var existing))
            return existing;
        var primitive = threads == step.Primary.Threads ? step.Primary : step.Twin(threads);
        // A twin that chose other layouts could not share the step's buffers: the step keeps its primary at that count.
        if (
            !ReferenceEquals(primitive, step.Primary)
            && !(
                primitive.Src.SameAs(step.Primary.Src)
                && primitive.Dst.SameAs(step.Primary.Dst)
                && (primitive.Weights is null || primitive.Weights.SameAs(step.Primary.Weights!))
            )
        )
        {
            primitive.Dispose();
            primitive = step.Primary;
        }
        var args = new List<DnnlArg> { step.SrcMemory.As(DnnlArg.Src), step.DstMemory.As(DnnlArg.Dst) };
        if (step.Weights is { } weights)
            args.Add(weights.As(DnnlArg.Weights));
        if (step.Bias is { } bias)
            args.Add(bias.As(DnnlArg.Bias));
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

    /// <summary>
    /// One scratchpad serves every primitive (they run one at a time); grows, rebinding those made before.
    /// </summary>
    private void Scratchpad(long bytes)
    {
        if (bytes <= scratchpadBytes)
            return;
        var larger = Aligned(bytes);
        foreach (var memory in scratchpads)
            memory.Bind(larger);
        Free(scratchpad);
        (scratchpad, scratchpadBytes) = (larger, bytes);
    }

    /// <summary>
    /// Output size of a window (kernel, stride, padding on both sides), rounding down as PyTorch does.
    /// </summary>
    private static long Out(long size, long kernel, long stride, long padding) =>
        (size + 2 * padding - kernel) / stride + 1;

    /// <summary>
    /// A pooling's output size along one axis and the padding at its far end that gives it: <paramref name="padding"/>
    /// in floor mode; in ceil mode as much more as the last, shorter window needs (PyTorch's rule: a window must start
    /// inside the input or its near padding). Max pooling never picks padding, so this is PyTorch's ceil mode exactly.
    /// </summary>
    private static (long Size, long FarPadding) Window(long size, long kernel, long stride, long padding, bool ceilMode)
    {
        if (!ceilMode)
            return (Out(size, kernel, stride, padding), padding);
        var output = (size + 2 * padding - kernel + stride - 1) / stride + 1;
        if ((output - 1) * stride >= size + padding)
            output--;
        return (output, Math.Max(padding, (output - 1) * stride + kernel - size - padding));
    }

    private static unsafe IntPtr Aligned(long bytes) =>
        (IntPtr)NativeMemory.AlignedAlloc((nuint)Math.Max(bytes, 64), 64);

    private static unsafe void Free(IntPtr buffer)
    {
        if (buffer != IntPtr.Zero)
            NativeMemory.AlignedFree((void*)buffer);
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
        foreach (var memory in scratchpads)
            memory.Dispose();
        foreach (var md in descriptors)
            md.Dispose();
        descriptors.Clear();
        foreach (var buffer in buffers)
            Free(buffer);
        Free(scratchpad);
        steps.Clear();
        scratchpads.Clear();
        buffers.Clear();
        scratchpad = IntPtr.Zero;
    }
}
