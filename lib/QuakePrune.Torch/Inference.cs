using System.Runtime.InteropServices;

namespace QuakePrune.Torch;

/// <summary>How a 4-d tensor lays out its elements; the values are libtorch's c10::MemoryFormat codes.</summary>
public enum MemoryFormat
{
    Contiguous = 0,
    Preserve = 1,
    ChannelsLast = 2,
}

internal static partial class Native
{
    // ---- inference: oneDNN layout, memory formats, cuDNN
    [LibraryImport(Lib)]
    internal static partial IntPtr qp_contiguous_format(TensorHandle t, int memoryFormat);

    [LibraryImport(Lib)]
    internal static partial int qp_is_contiguous_format(TensorHandle t, int memoryFormat);

    [LibraryImport(Lib)]
    internal static partial int qp_is_mkldnn(TensorHandle t);

    [LibraryImport(Lib)]
    internal static partial IntPtr qp_to_mkldnn(TensorHandle t);

    [LibraryImport(Lib)]
    internal static partial IntPtr qp_to_dense(TensorHandle t);

    [LibraryImport(Lib)]
    internal static partial IntPtr qp_mkldnn_reorder_conv2d_weight(
        TensorHandle weight,
        ReadOnlySpan<long> padding,
        ReadOnlySpan<long> stride,
        ReadOnlySpan<long> dilation,
        long groups
    );

    [LibraryImport(Lib)]
    internal static partial IntPtr qp_mkldnn_convolution(
        TensorHandle input,
        TensorHandle weight,
        TensorHandle bias,
        ReadOnlySpan<long> padding,
        ReadOnlySpan<long> stride,
        ReadOnlySpan<long> dilation,
        long groups
    );

    [LibraryImport(Lib)]
    internal static partial int qp_cudnn_is_available();

    [LibraryImport(Lib)]
    internal static partial void qp_set_cudnn_benchmark(int enabled);
}

public sealed partial class Tensor
{
    /// <summary>A copy laid out in the given memory format (itself, shared, when already so).</summary>
    public Tensor contiguous(MemoryFormat memory_format) =>
        new(Native.qp_contiguous_format(Handle, (int)memory_format));

    public bool is_contiguous(MemoryFormat memory_format) =>
        Native.qp_is_contiguous_format(Handle, (int)memory_format) != 0;

    /// <summary>
    /// Whether this is an opaque oneDNN (mkldnn) tensor: a blocked layout only mkldnn ops and to_dense read.
    /// </summary>
    public bool is_mkldnn => Native.qp_is_mkldnn(Handle) != 0;

    /// <summary>A copy in oneDNN's layout (CPU, float32).</summary>
    public Tensor to_mkldnn() => new(Native.qp_to_mkldnn(Handle));

    /// <summary>A strided copy of an mkldnn tensor.</summary>
    public Tensor to_dense() => new(Native.qp_to_dense(Handle));
}

public static partial class torch
{
    /// <summary>
    /// A convolution weight (already an mkldnn tensor) reordered once into the blocked layout oneDNN's convolution
    /// picks for this geometry (PyTorch's torch._C._nn.mkldnn_reorder_conv2d_weight).
    /// </summary>
    public static Tensor mkldnn_reorder_conv2d_weight(
        Tensor weight,
        (long, long) padding,
        (long, long) stride,
        (long, long) dilation,
        long groups = 1
    ) =>
        new(
            Native.qp_mkldnn_reorder_conv2d_weight(
                weight.Handle,
                [padding.Item1, padding.Item2],
                [stride.Item1, stride.Item2],
                [dilation.Item1, dilation.Item2],
                groups
            )
        );

    /// <summary>
    /// oneDNN's convolution (torch.mkldnn_convolution); an mkldnn input gives an mkldnn output. Note padding comes
    /// before stride.
    /// </summary>
    public static Tensor mkldnn_convolution(
        Tensor input,
        Tensor weight,
        Tensor? bias,
        (long, long) padding,
        (long, long) stride,
        (long, long) dilation,
        long groups = 1
    ) =>
        new(
            Native.qp_mkldnn_convolution(
                input.Handle,
                weight.Handle,
                bias?.Handle ?? TensorHandle.Undefined,
                [padding.Item1, padding.Item2],
                [stride.Item1, stride.Item2],
                [dilation.Item1, dilation.Item2],
                groups
            )
        );

    public static partial class backends
    {
        public static class cudnn
        {
            public static bool is_available() => Native.qp_cudnn_is_available() != 0;

            /// <summary>
            /// torch.backends.cudnn.benchmark = enabled: cuDNN times its algorithms per shape and keeps the fastest.
            /// </summary>
            public static void set_benchmark(bool enabled) => Native.qp_set_cudnn_benchmark(enabled ? 1 : 0);
        }
    }
}
