using System.Runtime.InteropServices;

namespace QuakePrune.Torch;

/// <summary>
/// oneDNN 2.x called directly through its own C API: libdnnl.so.2, the library Debian's libtorch links, so no shim is
/// needed. Primitives made here are created once and executed without ATen's dispatch, which is what a small (pruned)
/// network spends most of its time in. Available where that library loads, is version 2 (the ABI the struct sizes
/// below belong to) and runs on OpenMP (whose thread count a primitive is created and run with).
/// </summary>
public static partial class OneDnn
{
    private const string Lib = "libdnnl.so.2";
    private const string Omp = "libgomp.so.1";

    // sizeof(dnnl_memory_desc_t) in oneDNN 2.x; op descriptors get a block larger than the largest used here
    // (convolution: 5,976 bytes, pooling v2: 3,288 in 2.6).
    internal const int MemoryDescBytes = 696;
    internal const int OpDescBytes = 8192;
    private const int OmpRuntime = 2;

    private static readonly Lazy<string?> unavailable = new(Probe);
    private static readonly Lazy<(IntPtr Engine, IntPtr Stream)> cpu = new(CreateEngine);

    /// <summary>True when oneDNN 2.x on OpenMP can be called directly in this process.</summary>
    public static bool IsAvailable => unavailable.Value is null;

    /// <summary>Why <see cref="IsAvailable"/> is false; null when it is true.</summary>
    public static string? Unavailable => unavailable.Value;

    /// <summary>oneDNN's version as major.minor.patch; null when the library does not load.</summary>
    public static string? Version
    {
        get
        {
            _ = unavailable.Value;
            return version;
        }
    }

    private static string? version;

    /// <summary>
    /// OpenMP's thread count for the next parallel region of this thread (oneDNN's primitives are created and run with
    /// it).
    /// </summary>
    public static int Threads
    {
        get => omp_get_max_threads();
        set
        {
            if (value < 1)
                throw new ArgumentOutOfRangeException(nameof(value), value, "thread count must be positive");
            if (omp_get_max_threads() != value)
                omp_set_num_threads(value);
        }
    }

    internal static IntPtr Engine => cpu.Value.Engine;
    internal static IntPtr Stream => cpu.Value.Stream;

    private static unsafe string? Probe()
    {
        if (!NativeLibrary.TryLoad(Lib, out _))
            return $"{Lib} does not load";
        if (!NativeLibrary.TryLoad(Omp, out _))
            return $"{Omp} does not load";
        var info = (VersionInfo*)dnnl_version();
        version = $"{info->Major}.{info->Minor}.{info->Patch}";
        if (info->Major != 2)
            return $"oneDNN {version} is not version 2, whose C ABI this binding is written for";
        if (info->CpuRuntime != OmpRuntime)
            return $"oneDNN {version} does not run on OpenMP (CPU runtime {info->CpuRuntime})";
        return null;
    }

    private static (IntPtr, IntPtr) CreateEngine()
    {
        if (Unavailable is { } reason)
            throw new InvalidOperationException("oneDNN is not available: " + reason);
        Check(dnnl_engine_create(out var engine, EngineCpu, 0), "dnnl_engine_create");
        Check(dnnl_stream_create(out var stream, engine, StreamDefaultFlags), "dnnl_stream_create");
        return (engine, stream);
    }

    internal static void Check(int status, string call, string? what = null)
    {
        if (status == 0)
            return;
        var name = status switch
        {
            1 => "out of memory",
            2 => "invalid arguments",
            3 => "unimplemented (no implementation for these shapes and formats)",
            5 => "runtime error",
            _ => $"status {status}",
        };
        throw new InvalidOperationException($"oneDNN {call}{(what is null ? "" : " for " + what)} failed: {name}");
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct VersionInfo
    {
        public int Major,
            Minor,
            Patch;
        public IntPtr Hash;
        public uint CpuRuntime,
            GpuRuntime;
    }

    internal const int EngineCpu = 1;
    internal const uint StreamDefaultFlags = 1;
    internal const int F32 = 3;
    internal const int ForwardInference = 96;
    internal const int ConvolutionDirect = 1;
    internal const int EltwiseRelu = 31;
    internal const int PoolingMax = 511;
    internal const int PoolingAvgExcludePadding = 1023;
    internal const int ResamplingNearest = 0x2fff0;
    internal const int QuerySrc = 129,
        QueryWeights = 131,
        QueryDst = 133,
        QueryScratchpad = 136,
        QueryImplementation = 8;
    internal const int ScratchpadModeUser = 1;
    internal static readonly IntPtr AllocateMemory = new(-1);

    [LibraryImport(Lib)]
    private static partial IntPtr dnnl_version();

    [LibraryImport(Lib)]
    private static partial int dnnl_engine_create(out IntPtr engine, int kind, nuint index);

    [LibraryImport(Lib)]
    private static partial int dnnl_stream_create(out IntPtr stream, IntPtr engine, uint flags);

    [LibraryImport(Lib)]
    internal static partial int dnnl_memory_desc_init_by_tag(
        IntPtr md,
        int ndims,
        ReadOnlySpan<long> dims,
        int dataType,
        int tag
    );

    [LibraryImport(Lib)]
    internal static partial int dnnl_memory_desc_equal(IntPtr a, IntPtr b);

    [LibraryImport(Lib)]
    internal static partial nuint dnnl_memory_desc_get_size(IntPtr md);

    [LibraryImport(Lib)]
    internal static partial int dnnl_memory_create(out IntPtr memory, IntPtr md, IntPtr engine, IntPtr handle);

    [LibraryImport(Lib)]
    internal static partial int dnnl_memory_set_data_handle(IntPtr memory, IntPtr handle);

    [LibraryImport(Lib)]
    internal static partial int dnnl_memory_get_data_handle(IntPtr memory, out IntPtr handle);

    [LibraryImport(Lib)]
    internal static partial int dnnl_memory_destroy(IntPtr memory);

    [LibraryImport(Lib)]
    internal static partial int dnnl_convolution_forward_desc_init(
        IntPtr desc,
        int propKind,
        int algorithm,
        IntPtr src,
        IntPtr weights,
        IntPtr bias,
        IntPtr dst,
        ReadOnlySpan<long> strides,
        ReadOnlySpan<long> paddingLeft,
        ReadOnlySpan<long> paddingRight
    );

    [LibraryImport(Lib)]
    internal static partial int dnnl_pooling_v2_forward_desc_init(
        IntPtr desc,
        int propKind,
        int algorithm,
        IntPtr src,
        IntPtr dst,
        ReadOnlySpan<long> strides,
        ReadOnlySpan<long> kernel,
        ReadOnlySpan<long> dilation,
        ReadOnlySpan<long> paddingLeft,
        ReadOnlySpan<long> paddingRight
    );

    [LibraryImport(Lib)]
    internal static partial int dnnl_resampling_forward_desc_init(
        IntPtr desc,
        int propKind,
        int algorithm,
        IntPtr factors,
        IntPtr src,
        IntPtr dst
    );

    [LibraryImport(Lib)]
    internal static partial int dnnl_memory_desc_init_submemory(
        IntPtr md,
        IntPtr parent,
        ReadOnlySpan<long> dims,
        ReadOnlySpan<long> offsets
    );

    [LibraryImport(Lib)]
    internal static partial int dnnl_primitive_attr_create(out IntPtr attr);

    [LibraryImport(Lib)]
    internal static partial int dnnl_primitive_attr_destroy(IntPtr attr);

    [LibraryImport(Lib)]
    internal static partial int dnnl_primitive_attr_set_scratchpad_mode(IntPtr attr, int mode);

    [LibraryImport(Lib)]
    internal static partial int dnnl_primitive_attr_set_post_ops(IntPtr attr, IntPtr postOps);

    [LibraryImport(Lib)]
    internal static partial int dnnl_post_ops_create(out IntPtr postOps);

    [LibraryImport(Lib)]
    internal static partial int dnnl_post_ops_destroy(IntPtr postOps);

    [LibraryImport(Lib)]
    internal static partial int dnnl_post_ops_append_sum(IntPtr postOps, float scale);

    [LibraryImport(Lib)]
    internal static partial int dnnl_post_ops_append_eltwise(
        IntPtr postOps,
        float scale,
        int algorithm,
        float alpha,
        float beta
    );

    [LibraryImport(Lib)]
    internal static partial int dnnl_primitive_desc_create(
        out IntPtr pd,
        IntPtr opDesc,
        IntPtr attr,
        IntPtr engine,
        IntPtr hint
    );

    [LibraryImport(Lib)]
    internal static partial int dnnl_reorder_primitive_desc_create(
        out IntPtr pd,
        IntPtr src,
        IntPtr srcEngine,
        IntPtr dst,
        IntPtr dstEngine,
        IntPtr attr
    );

    [LibraryImport(Lib)]
    internal static partial int dnnl_primitive_desc_query(IntPtr pd, int what, int index, out IntPtr result);

    [LibraryImport(Lib)]
    internal static partial IntPtr dnnl_primitive_desc_query_md(IntPtr pd, int what, int index);

    [LibraryImport(Lib)]
    internal static partial int dnnl_primitive_desc_destroy(IntPtr pd);

    [LibraryImport(Lib)]
    internal static partial int dnnl_primitive_create(out IntPtr primitive, IntPtr pd);

    [LibraryImport(Lib)]
    internal static partial int dnnl_primitive_destroy(IntPtr primitive);

    [LibraryImport(Lib)]
    internal static unsafe partial int dnnl_primitive_execute(
        IntPtr primitive,
        IntPtr stream,
        int nargs,
        DnnlArg* args
    );

    [LibraryImport(Omp)]
    private static partial int omp_get_max_threads();

    [LibraryImport(Omp)]
    private static partial void omp_set_num_threads(int threads);
}

/// <summary>One execution argument: which (DNNL_ARG_SRC, _DST, ...) and the memory bound to it.</summary>
[StructLayout(LayoutKind.Sequential)]
public readonly record struct DnnlArg(int Kind, IntPtr Memory)
{
    public const int Src = 1,
        Dst = 17,
        Weights = 33,
        Bias = 41,
        Scratchpad = 80;
    public const int From = Src,
        To = Dst;
}

/// <summary>Memory format tags of oneDNN 2.x used here (dnnl_format_tag_t).</summary>
public enum DnnlTag
{
    /// <summary>Let the primitive choose (its fastest layout for the shapes).</summary>
    Any = 1,

    /// <summary>Vector [n].</summary>
    X = 2,

    /// <summary>Plain 4-D row-major: NCHW activations, OIHW weights.</summary>
    Nchw = 5,
}

/// <summary>A memory descriptor (shape, type f32, layout) in a block of its own.</summary>
public sealed class DnnlMemoryDesc : IDisposable
{
    internal IntPtr Pointer { get; private set; }

    private DnnlMemoryDesc() => Pointer = Marshal.AllocHGlobal(OneDnn.MemoryDescBytes);

    /// <summary>A float32 descriptor of <paramref name="dims"/> in layout <paramref name="tag"/>.</summary>
    public static DnnlMemoryDesc Of(ReadOnlySpan<long> dims, DnnlTag tag)
    {
        var md = new DnnlMemoryDesc();
        OneDnn.Check(
            OneDnn.dnnl_memory_desc_init_by_tag(md.Pointer, dims.Length, dims, OneDnn.F32, (int)tag),
            "dnnl_memory_desc_init_by_tag",
            $"[{string.Join(", ", dims.ToArray())}]"
        );
        return md;
    }

    internal static unsafe DnnlMemoryDesc CopyOf(IntPtr source)
    {
        var md = new DnnlMemoryDesc();
        Buffer.MemoryCopy((void*)source, (void*)md.Pointer, OneDnn.MemoryDescBytes, OneDnn.MemoryDescBytes);
        return md;
    }

    /// <summary>
    /// A window of <paramref name="parent"/> (its layout and buffer): <paramref name="dims"/> from
    /// <paramref name="offsets"/> on, a crop that copies nothing; primitives read it through a reorder.
    /// </summary>
    public static DnnlMemoryDesc Submemory(DnnlMemoryDesc parent, ReadOnlySpan<long> dims, ReadOnlySpan<long> offsets)
    {
        var md = new DnnlMemoryDesc();
        Span<long> fullDims = stackalloc long[12],
            fullOffsets = stackalloc long[12];
        dims.CopyTo(fullDims);
        offsets.CopyTo(fullOffsets);
        OneDnn.Check(
            OneDnn.dnnl_memory_desc_init_submemory(md.Pointer, parent.Pointer, fullDims, fullOffsets),
            "dnnl_memory_desc_init_submemory",
            $"[{string.Join(", ", dims.ToArray())}] at [{string.Join(", ", offsets.ToArray())}]"
        );
        return md;
    }

    /// <summary>The shape (dnnl_memory_desc_t begins with int ndims, then int64 dims[12] at offset 8).</summary>
    public unsafe long[] Dims => new ReadOnlySpan<long>((long*)(Pointer + 8), *(int*)Pointer).ToArray();

    /// <summary>Bytes a buffer in this layout needs (padding of blocked layouts included).</summary>
    public long Bytes => (long)OneDnn.dnnl_memory_desc_get_size(Pointer);

    /// <summary>Same shape, type and layout.</summary>
    public bool SameAs(DnnlMemoryDesc other) => OneDnn.dnnl_memory_desc_equal(Pointer, other.Pointer) != 0;

    public void Dispose()
    {
        if (Pointer == IntPtr.Zero)
            return;
        Marshal.FreeHGlobal(Pointer);
        Pointer = IntPtr.Zero;
    }
}

/// <summary>
/// A memory object: a descriptor bound to a buffer (one oneDNN allocates and owns, or one the caller owns).
/// </summary>
public sealed class DnnlMemory : IDisposable
{
    internal IntPtr Handle { get; private set; }

    /// <summary>
    /// Binds <paramref name="md"/> to <paramref name="buffer"/>; <see cref="IntPtr.Zero"/> leaves it unbound until
    /// <see cref="Bind"/>.
    /// </summary>
    public DnnlMemory(DnnlMemoryDesc md, IntPtr buffer)
    {
        OneDnn.Check(
            OneDnn.dnnl_memory_create(out var handle, md.Pointer, OneDnn.Engine, buffer),
            "dnnl_memory_create"
        );
        Handle = handle;
    }

    /// <summary>Memory in a buffer oneDNN allocates (aligned) and frees with it.</summary>
    public static DnnlMemory Allocate(DnnlMemoryDesc md) => new(md, OneDnn.AllocateMemory);

    public IntPtr Buffer
    {
        get
        {
            OneDnn.Check(OneDnn.dnnl_memory_get_data_handle(Handle, out var buffer), "dnnl_memory_get_data_handle");
            return buffer;
        }
    }

    public void Bind(IntPtr buffer) =>
        OneDnn.Check(OneDnn.dnnl_memory_set_data_handle(Handle, buffer), "dnnl_memory_set_data_handle");

    public DnnlArg As(int kind) => new(kind, Handle);

    public void Dispose()
    {
        if (Handle == IntPtr.Zero)
            return;
        OneDnn.dnnl_memory_destroy(Handle);
        Handle = IntPtr.Zero;
    }
}

/// <summary>
/// What runs after a convolution inside it: nothing, ReLU, or the residual sum (dst += result) and then ReLU.
/// </summary>
public enum DnnlPostOps
{
    None,
    Relu,
    SumRelu,
}

/// <summary>
/// A primitive created for fixed shapes and layouts, with the OpenMP thread count it was created for (oneDNN splits the
/// work at creation); <see cref="Execute"/> runs it with that count. Scratchpad memory is the caller's (user mode), so
/// one buffer serves a whole network.
/// </summary>
public sealed class DnnlPrimitive : IDisposable
{
    private IntPtr pd;
    private IntPtr primitive;

    public int Threads { get; }

    /// <summary>oneDNN's name of the implementation it chose (e.g. "jit:avx512_core"; "ref" ones are slow).</summary>
    public string Implementation { get; }
    public DnnlMemoryDesc Src { get; }
    public DnnlMemoryDesc Dst { get; }

    /// <summary>The weights' layout the primitive wants (convolutions only).</summary>
    public DnnlMemoryDesc? Weights { get; }

    /// <summary>
    /// The scratchpad the primitive needs (user mode: the caller binds a buffer of that size); zero bytes when none.
    /// </summary>
    public DnnlMemoryDesc Scratchpad { get; }

    private DnnlPrimitive(Func<IntPtr, IntPtr> describe, int threads, string what, bool hasWeights)
    {
        var outer = OneDnn.Threads;
        var attr = IntPtr.Zero;
        try
        {
            OneDnn.Threads = threads;
            OneDnn.Check(OneDnn.dnnl_primitive_attr_create(out attr), "dnnl_primitive_attr_create", what);
            OneDnn.Check(
                OneDnn.dnnl_primitive_attr_set_scratchpad_mode(attr, OneDnn.ScratchpadModeUser),
                "dnnl_primitive_attr_set_scratchpad_mode",
                what
            );
            pd = describe(attr);
            OneDnn.Check(OneDnn.dnnl_primitive_create(out primitive, pd), "dnnl_primitive_create", what);
            Threads = threads;
            OneDnn.Check(
                OneDnn.dnnl_primitive_desc_query(pd, OneDnn.QueryImplementation, 0, out var name),
                "dnnl_primitive_desc_query",
                what
            );
            Implementation = Marshal.PtrToStringUTF8(name) ?? "";
            Src = DnnlMemoryDesc.CopyOf(OneDnn.dnnl_primitive_desc_query_md(pd, OneDnn.QuerySrc, 0));
            Dst = DnnlMemoryDesc.CopyOf(OneDnn.dnnl_primitive_desc_query_md(pd, OneDnn.QueryDst, 0));
            Weights = hasWeights
                ? DnnlMemoryDesc.CopyOf(OneDnn.dnnl_primitive_desc_query_md(pd, OneDnn.QueryWeights, 0))
                : null;
            Scratchpad = DnnlMemoryDesc.CopyOf(OneDnn.dnnl_primitive_desc_query_md(pd, OneDnn.QueryScratchpad, 0));
        }
        catch
        {
            Dispose();
            throw;
        }
        finally
        {
            if (attr != IntPtr.Zero)
                OneDnn.dnnl_primitive_attr_destroy(attr);
            OneDnn.Threads = outer;
        }
    }

    /// <summary>
    /// A forward-inference 2-D convolution (no dilation, one group) with a bias and <paramref name="postOps"/>;
    /// <paramref name="weights"/> and <paramref name="dst"/> may be <see cref="DnnlTag.Any"/> to let oneDNN choose.
    /// </summary>
    public static unsafe DnnlPrimitive Convolution(
        DnnlMemoryDesc src,
        DnnlMemoryDesc weights,
        DnnlMemoryDesc bias,
        DnnlMemoryDesc dst,
        (long, long) stride,
        (long, long) padding,
        DnnlPostOps postOps,
        int threads,
        string what
    ) =>
        new(
            attr =>
            {
                var desc = Marshal.AllocHGlobal(OneDnn.OpDescBytes);
                var ops = IntPtr.Zero;
                try
                {
                    OneDnn.Check(
                        OneDnn.dnnl_convolution_forward_desc_init(
                            desc,
                            OneDnn.ForwardInference,
                            OneDnn.ConvolutionDirect,
                            src.Pointer,
                            weights.Pointer,
                            bias.Pointer,
                            dst.Pointer,
                            [stride.Item1, stride.Item2],
                            [padding.Item1, padding.Item2],
                            [padding.Item1, padding.Item2]
                        ),
                        "dnnl_convolution_forward_desc_init",
                        what
                    );
                    if (postOps != DnnlPostOps.None)
                    {
                        OneDnn.Check(OneDnn.dnnl_post_ops_create(out ops), "dnnl_post_ops_create", what);
                        if (postOps == DnnlPostOps.SumRelu)
                            OneDnn.Check(OneDnn.dnnl_post_ops_append_sum(ops, 1f), "dnnl_post_ops_append_sum", what);
                        OneDnn.Check(
                            OneDnn.dnnl_post_ops_append_eltwise(ops, 1f, OneDnn.EltwiseRelu, 0f, 0f),
                            "dnnl_post_ops_append_eltwise",
                            what
                        );
                        OneDnn.Check(
                            OneDnn.dnnl_primitive_attr_set_post_ops(attr, ops),
                            "dnnl_primitive_attr_set_post_ops",
                            what
                        );
                    }
                    OneDnn.Check(
                        OneDnn.dnnl_primitive_desc_create(out var pd, desc, attr, OneDnn.Engine, IntPtr.Zero),
                        "dnnl_primitive_desc_create",
                        what
                    );
                    return pd;
                }
                finally
                {
                    if (ops != IntPtr.Zero)
                        OneDnn.dnnl_post_ops_destroy(ops);
                    Marshal.FreeHGlobal(desc);
                }
            },
            threads,
            what,
            hasWeights: true
        );

    /// <summary>
    /// Forward-inference 2-D pooling: max (padding never wins) or average over the window's in-bounds elements.
    /// <paramref name="paddingRight"/> (default: <paramref name="padding"/>) pads the bottom and right ends: a
    /// ceil-mode pooling's last, shorter window.
    /// </summary>
    public static DnnlPrimitive Pooling(
        DnnlMemoryDesc src,
        DnnlMemoryDesc dst,
        bool max,
        (long, long) kernel,
        (long, long) stride,
        (long, long) padding,
        int threads,
        string what,
        (long, long)? paddingRight = null
    ) => new(attr => Described(attr, what, desc =>
                {
                    var right = paddingRight ?? padding;
                    OneDnn.Check(
                        OneDnn.dnnl_pooling_v2_forward_desc_init(
                            desc,
                            OneDnn.ForwardInference,
                            max ? OneDnn.PoolingMax : OneDnn.PoolingAvgExcludePadding,
                            src.Pointer,
                            dst.Pointer,
                            [stride.Item1, stride.Item2],
                            [kernel.Item1, kernel.Item2],
                            [0, 0],
                            [padding.Item1, padding.Item2],
                            [right.Item1, right.Item2]
                        ),
                        "dnnl_pooling_v2_forward_desc_init",
                        what
                    );
                }), threads, what, hasWeights: false);

    /// <summary>
    /// Forward-inference nearest-neighbour resampling from <paramref name="src"/>'s spatial size to
    /// <paramref name="dst"/>'s (output index o reads input index round((o + 0.5) in / out - 0.5): an integer factor
    /// repeats each sample).
    /// </summary>
    public static DnnlPrimitive Resampling(DnnlMemoryDesc src, DnnlMemoryDesc dst, int threads, string what) =>
        new(
            attr =>
                Described(attr, what, desc =>
                    OneDnn.Check(
                        OneDnn.dnnl_resampling_forward_desc_init(
                            desc,
                            OneDnn.ForwardInference,
                            OneDnn.ResamplingNearest,
                            IntPtr.Zero,
                            src.Pointer,
                            dst.Pointer
                        ),
                        "dnnl_resampling_forward_desc_init",
                        what
                    )
                ),
            threads,
            what,
            hasWeights: false
        );

    /// <summary>
    /// A primitive descriptor from an operation descriptor that <paramref name="describe"/> fills in a block of its own
    /// (freed after).
    /// </summary>
    private static IntPtr Described(IntPtr attr, string what, Action<IntPtr> describe)
    {
        var desc = Marshal.AllocHGlobal(OneDnn.OpDescBytes);
        try
        {
            describe(desc);
            OneDnn.Check(
                OneDnn.dnnl_primitive_desc_create(out var pd, desc, attr, OneDnn.Engine, IntPtr.Zero),
                "dnnl_primitive_desc_create",
                what
            );
            return pd;
        }
        finally
        {
            Marshal.FreeHGlobal(desc);
        }
    }

    /// <summary>A copy from one layout into another (same shape).</summary>
    public static DnnlPrimitive Reorder(DnnlMemoryDesc src, DnnlMemoryDesc dst, int threads, string what) =>
        new(
            attr =>
            {
                OneDnn.Check(
                    OneDnn.dnnl_reorder_primitive_desc_create(
                        out var pd,
                        src.Pointer,
                        OneDnn.Engine,
                        dst.Pointer,
                        OneDnn.Engine,
                        attr
                    ),
                    "dnnl_reorder_primitive_desc_create",
                    what
                );
                return pd;
            },
            threads,
            what,
            hasWeights: false
        );

    /// <summary>
    /// Runs the primitive on the bound memories (and waits: the CPU stream is synchronous) with its thread count,
    /// leaving the caller's count as it was (libtorch reads the same OpenMP setting).
    /// </summary>
    public unsafe void Execute(ReadOnlySpan<DnnlArg> args)
    {
        ObjectDisposedException.ThrowIf(primitive == IntPtr.Zero, this);
        var outer = OneDnn.Threads;
        OneDnn.Threads = Threads;
        try
        {
            fixed (DnnlArg* p = args)
                OneDnn.Check(
                    OneDnn.dnnl_primitive_execute(primitive, OneDnn.Stream, args.Length, p),
                    "dnnl_primitive_execute",
                    Implementation
                );
        }
        finally
        {
            OneDnn.Threads = outer;
        }
    }

    public void Dispose()
    {
        if (primitive != IntPtr.Zero)
            OneDnn.dnnl_primitive_destroy(primitive);
        if (pd != IntPtr.Zero)
            OneDnn.dnnl_primitive_desc_destroy(pd);
        primitive = pd = IntPtr.Zero;
        Src?.Dispose();
        Dst?.Dispose();
        Weights?.Dispose();
        Scratchpad?.Dispose();
    }
}
