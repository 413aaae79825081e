using System.Reflection;
using System.Runtime.InteropServices;

namespace QuakePrune.Torch;

/// <summary>The P/Invoke surface of lib/native/quakeprune_torch.cpp: one entry per shim function.</summary>
/// <remarks>Tensor-returning functions return IntPtr.Zero on failure and int-returning ones -1; both leave
/// the message in qp_last_error. <see cref="Check(IntPtr)"/> and <see cref="Check(int)"/> turn that into a
/// <see cref="TorchException"/>.</remarks>
internal static partial class Native
{
    private const string Lib = "quakeprune_torch";
    private const string FileName = "libquakeprune_torch.so";

    static Native() => NativeLibrary.SetDllImportResolver(typeof(Native).Assembly, Resolve);

    private static IntPtr Resolve(string name, Assembly assembly, DllImportSearchPath? searchPath)
    {
        if (name != Lib)
            return IntPtr.Zero;
        var looked = new List<string>();
        var folder = Path.GetDirectoryName(assembly.Location);
        if (string.IsNullOrEmpty(folder))
            folder = AppContext.BaseDirectory;
        var beside = Path.Combine(folder, FileName);
        looked.Add(beside);
        if (File.Exists(beside))
            return NativeLibrary.Load(beside);
        // A checkout: walk up to the repository's lib/native/build.
        for (var dir = new DirectoryInfo(folder); dir != null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "lib", "native", "build", FileName);
            looked.Add(candidate);
            if (File.Exists(candidate))
                return NativeLibrary.Load(candidate);
        }
        throw new DllNotFoundException(
            $"the libtorch shim {FileName} was not found; looked at: {string.Join(", ", looked)}. "
                + "Build it with environment/setup.sh (cmake -S lib/native -B lib/native/build)."
        );
    }

    internal static IntPtr Check(IntPtr result) => result != IntPtr.Zero ? result : throw LastError();

    internal static void Check(int status)
    {
        if (status != 0)
            throw LastError();
    }

    internal static TorchException LastError() =>
        new(
            Marshal.PtrToStringUTF8(qp_last_error()) is { Length: > 0 } text
                ? text
                : "libtorch reported a failure without a message"
        );

    internal static string Text(IntPtr text) => Marshal.PtrToStringUTF8(Check(text)) ?? "";

    // ---- errors, handles
    [LibraryImport(Lib)]
    internal static partial IntPtr qp_last_error();

    [LibraryImport(Lib)]
    internal static partial void qp_tensor_free(IntPtr t);

    [LibraryImport(Lib)]
    internal static partial long qp_live_tensors();

    [LibraryImport(Lib)]
    internal static partial IntPtr qp_undefined();

    // ---- build and runtime
    [LibraryImport(Lib)]
    internal static partial IntPtr qp_torch_version();

    [LibraryImport(Lib)]
    internal static partial int qp_has_mkldnn();

    [LibraryImport(Lib)]
    internal static partial int qp_has_openmp();

    [LibraryImport(Lib)]
    internal static partial int qp_has_mkl();

    [LibraryImport(Lib)]
    internal static partial IntPtr qp_show_config();

    [LibraryImport(Lib)]
    internal static partial IntPtr qp_parallel_info();

    [LibraryImport(Lib)]
    internal static partial int qp_set_num_threads(int n);

    [LibraryImport(Lib)]
    internal static partial int qp_get_num_threads();

    [LibraryImport(Lib)]
    internal static partial int qp_manual_seed(ulong seed);

    [LibraryImport(Lib)]
    internal static partial int qp_cuda_is_available();

    [LibraryImport(Lib)]
    internal static partial int qp_cuda_device_count();

    [LibraryImport(Lib)]
    internal static partial int qp_cuda_synchronize(int device);

    [LibraryImport(Lib)]
    internal static partial IntPtr qp_cuda_device_name(int device);

    // ---- autograd modes
    [LibraryImport(Lib)]
    internal static partial int qp_grad_enabled();

    [LibraryImport(Lib)]
    internal static partial void qp_set_grad_enabled(int enabled);

    [LibraryImport(Lib)]
    internal static partial IntPtr qp_inference_mode_enter(int enabled);

    [LibraryImport(Lib)]
    internal static partial void qp_inference_mode_exit(IntPtr guard);

    [LibraryImport(Lib)]
    internal static partial int qp_is_inference_mode();

    // ---- creation
    [LibraryImport(Lib)]
    internal static unsafe partial IntPtr qp_from_data(void* data, ReadOnlySpan<long> shape, long ndim, int dtype);

    [LibraryImport(Lib)]
    internal static partial IntPtr qp_empty(
        ReadOnlySpan<long> shape,
        long ndim,
        int dtype,
        int deviceType,
        int deviceIndex
    );

    [LibraryImport(Lib)]
    internal static partial IntPtr qp_zeros(
        ReadOnlySpan<long> shape,
        long ndim,
        int dtype,
        int deviceType,
        int deviceIndex
    );

    [LibraryImport(Lib)]
    internal static partial IntPtr qp_ones(
        ReadOnlySpan<long> shape,
        long ndim,
        int dtype,
        int deviceType,
        int deviceIndex
    );

    [LibraryImport(Lib)]
    internal static partial IntPtr qp_full(
        ReadOnlySpan<long> shape,
        long ndim,
        Scalar value,
        int dtype,
        int deviceType,
        int deviceIndex
    );

    [LibraryImport(Lib)]
    internal static partial IntPtr qp_rand(
        ReadOnlySpan<long> shape,
        long ndim,
        int dtype,
        int deviceType,
        int deviceIndex
    );

    [LibraryImport(Lib)]
    internal static partial IntPtr qp_randn(
        ReadOnlySpan<long> shape,
        long ndim,
        int dtype,
        int deviceType,
        int deviceIndex
    );

    [LibraryImport(Lib)]
    internal static partial IntPtr qp_randint(
        long low,
        long high,
        ReadOnlySpan<long> shape,
        long ndim,
        int dtype,
        int deviceType,
        int deviceIndex
    );

    [LibraryImport(Lib)]
    internal static partial IntPtr qp_randperm(long n, int dtype, int deviceType, int deviceIndex);

    [LibraryImport(Lib)]
    internal static partial IntPtr qp_arange(
        Scalar start,
        Scalar end,
        Scalar step,
        int dtype,
        int deviceType,
        int deviceIndex
    );

    // ---- properties and copies out
    [LibraryImport(Lib)]
    internal static partial long qp_dim(TensorHandle t);

    [LibraryImport(Lib)]
    internal static partial void qp_sizes(TensorHandle t, Span<long> sizes);

    [LibraryImport(Lib)]
    internal static partial long qp_numel(TensorHandle t);

    [LibraryImport(Lib)]
    internal static partial int qp_dtype(TensorHandle t);

    [LibraryImport(Lib)]
    internal static partial int qp_device_type(TensorHandle t);

    [LibraryImport(Lib)]
    internal static partial int qp_device_index(TensorHandle t);

    [LibraryImport(Lib)]
    internal static partial int qp_requires_grad(TensorHandle t);

    [LibraryImport(Lib)]
    internal static partial int qp_is_leaf(TensorHandle t);

    [LibraryImport(Lib)]
    internal static partial int qp_is_contiguous(TensorHandle t);

    [LibraryImport(Lib)]
    internal static partial int qp_set_requires_grad(TensorHandle t, int value);

    [LibraryImport(Lib)]
    internal static unsafe partial int qp_copy_to_buffer(TensorHandle t, void* output, long nbytes);

    [LibraryImport(Lib)]
    internal static unsafe partial int qp_data_ptr(TensorHandle t, void** output);

    [LibraryImport(Lib)]
    internal static partial int qp_item_double(TensorHandle t, out double value);

    [LibraryImport(Lib)]
    internal static partial int qp_item_int64(TensorHandle t, out long value);

    // ---- conversions
    [LibraryImport(Lib)]
    internal static partial IntPtr qp_to_device(TensorHandle t, int deviceType, int deviceIndex, int nonBlocking);

    [LibraryImport(Lib)]
    internal static partial IntPtr qp_to_dtype(TensorHandle t, int dtype);

    [LibraryImport(Lib)]
    internal static partial IntPtr qp_clone(TensorHandle t);

    [LibraryImport(Lib)]
    internal static partial IntPtr qp_detach(TensorHandle t);

    [LibraryImport(Lib)]
    internal static partial int qp_detach_(TensorHandle t);

    [LibraryImport(Lib)]
    internal static partial IntPtr qp_contiguous(TensorHandle t);

    [LibraryImport(Lib)]
    internal static partial IntPtr qp_alias(TensorHandle t);

    // ---- autograd
    [LibraryImport(Lib)]
    internal static partial int qp_backward(TensorHandle t, TensorHandle gradient, int retainGraph, int createGraph);

    [LibraryImport(Lib)]
    internal static partial int qp_grad(TensorHandle t, out IntPtr gradient);

    [LibraryImport(Lib)]
    internal static partial int qp_set_grad(TensorHandle t, TensorHandle gradient);

    // ---- elementwise
    [LibraryImport(Lib)]
    internal static partial IntPtr qp_add(TensorHandle a, TensorHandle b, Scalar alpha);

    [LibraryImport(Lib)]
    internal static partial IntPtr qp_sub(TensorHandle a, TensorHandle b, Scalar alpha);

    [LibraryImport(Lib)]
    internal static partial IntPtr qp_mul(TensorHandle a, TensorHandle b);

    [LibraryImport(Lib)]
    internal static partial IntPtr qp_div(TensorHandle a, TensorHandle b);

    [LibraryImport(Lib)]
    internal static partial IntPtr qp_matmul(TensorHandle a, TensorHandle b);

    [LibraryImport(Lib)]
    internal static partial IntPtr qp_pow(TensorHandle a, TensorHandle b);

    [LibraryImport(Lib)]
    internal static partial IntPtr qp_maximum(TensorHandle a, TensorHandle b);

    [LibraryImport(Lib)]
    internal static partial IntPtr qp_minimum(TensorHandle a, TensorHandle b);

    [LibraryImport(Lib)]
    internal static partial IntPtr qp_eq(TensorHandle a, TensorHandle b);

    [LibraryImport(Lib)]
    internal static partial IntPtr qp_ne(TensorHandle a, TensorHandle b);

    [LibraryImport(Lib)]
    internal static partial IntPtr qp_lt(TensorHandle a, TensorHandle b);

    [LibraryImport(Lib)]
    internal static partial IntPtr qp_le(TensorHandle a, TensorHandle b);

    [LibraryImport(Lib)]
    internal static partial IntPtr qp_gt(TensorHandle a, TensorHandle b);

    [LibraryImport(Lib)]
    internal static partial IntPtr qp_ge(TensorHandle a, TensorHandle b);

    [LibraryImport(Lib)]
    internal static partial IntPtr qp_logical_and(TensorHandle a, TensorHandle b);

    [LibraryImport(Lib)]
    internal static partial IntPtr qp_logical_or(TensorHandle a, TensorHandle b);

    [LibraryImport(Lib)]
    internal static partial IntPtr qp_add_scalar(TensorHandle a, Scalar s);

    [LibraryImport(Lib)]
    internal static partial IntPtr qp_sub_scalar(TensorHandle a, Scalar s);

    [LibraryImport(Lib)]
    internal static partial IntPtr qp_rsub_scalar(TensorHandle a, Scalar s);

    [LibraryImport(Lib)]
    internal static partial IntPtr qp_mul_scalar(TensorHandle a, Scalar s);

    [LibraryImport(Lib)]
    internal static partial IntPtr qp_div_scalar(TensorHandle a, Scalar s);

    [LibraryImport(Lib)]
    internal static partial IntPtr qp_pow_scalar(TensorHandle a, Scalar s);

    [LibraryImport(Lib)]
    internal static partial IntPtr qp_eq_scalar(TensorHandle a, Scalar s);

    [LibraryImport(Lib)]
    internal static partial IntPtr qp_ne_scalar(TensorHandle a, Scalar s);

    [LibraryImport(Lib)]
    internal static partial IntPtr qp_lt_scalar(TensorHandle a, Scalar s);

    [LibraryImport(Lib)]
    internal static partial IntPtr qp_le_scalar(TensorHandle a, Scalar s);

    [LibraryImport(Lib)]
    internal static partial IntPtr qp_gt_scalar(TensorHandle a, Scalar s);

    [LibraryImport(Lib)]
    internal static partial IntPtr qp_ge_scalar(TensorHandle a, Scalar s);

    [LibraryImport(Lib)]
    internal static partial IntPtr qp_neg(TensorHandle a);

    [LibraryImport(Lib)]
    internal static partial IntPtr qp_abs(TensorHandle a);

    [LibraryImport(Lib)]
    internal static partial IntPtr qp_sqrt(TensorHandle a);

    [LibraryImport(Lib)]
    internal static partial IntPtr qp_rsqrt(TensorHandle a);

    [LibraryImport(Lib)]
    internal static partial IntPtr qp_square(TensorHandle a);

    [LibraryImport(Lib)]
    internal static partial IntPtr qp_exp(TensorHandle a);

    [LibraryImport(Lib)]
    internal static partial IntPtr qp_log(TensorHandle a);

    [LibraryImport(Lib)]
    internal static partial IntPtr qp_sigmoid(TensorHandle a);

    [LibraryImport(Lib)]
    internal static partial IntPtr qp_tanh(TensorHandle a);

    [LibraryImport(Lib)]
    internal static partial IntPtr qp_relu(TensorHandle a);

    [LibraryImport(Lib)]
    internal static partial IntPtr qp_reciprocal(TensorHandle a);

    [LibraryImport(Lib)]
    internal static partial IntPtr qp_sign(TensorHandle a);

    [LibraryImport(Lib)]
    internal static partial IntPtr qp_floor(TensorHandle a);

    [LibraryImport(Lib)]
    internal static partial IntPtr qp_ceil(TensorHandle a);

    [LibraryImport(Lib)]
    internal static partial IntPtr qp_round(TensorHandle a);

    [LibraryImport(Lib)]
    internal static partial IntPtr qp_logical_not(TensorHandle a);

    [LibraryImport(Lib)]
    internal static partial IntPtr qp_isnan(TensorHandle a);

    [LibraryImport(Lib)]
    internal static partial IntPtr qp_clamp(TensorHandle a, Scalar min, Scalar max);

    [LibraryImport(Lib)]
    internal static partial IntPtr qp_where(TensorHandle condition, TensorHandle a, TensorHandle b);

    [LibraryImport(Lib)]
    internal static partial IntPtr qp_masked_fill(TensorHandle a, TensorHandle mask, Scalar value);

    // ---- in place
    [LibraryImport(Lib)]
    internal static partial int qp_add_(TensorHandle a, TensorHandle b, Scalar alpha);

    [LibraryImport(Lib)]
    internal static partial int qp_sub_(TensorHandle a, TensorHandle b, Scalar alpha);

    [LibraryImport(Lib)]
    internal static partial int qp_mul_(TensorHandle a, TensorHandle b);

    [LibraryImport(Lib)]
    internal static partial int qp_div_(TensorHandle a, TensorHandle b);

    [LibraryImport(Lib)]
    internal static partial int qp_copy_(TensorHandle a, TensorHandle b);

    [LibraryImport(Lib)]
    internal static partial int qp_add_scalar_(TensorHandle a, Scalar s);

    [LibraryImport(Lib)]
    internal static partial int qp_mul_scalar_(TensorHandle a, Scalar s);

    [LibraryImport(Lib)]
    internal static partial int qp_div_scalar_(TensorHandle a, Scalar s);

    [LibraryImport(Lib)]
    internal static partial int qp_fill_(TensorHandle a, Scalar s);

    [LibraryImport(Lib)]
    internal static partial int qp_zero_(TensorHandle a);

    [LibraryImport(Lib)]
    internal static partial int qp_relu_(TensorHandle a);

    [LibraryImport(Lib)]
    internal static partial int qp_sqrt_(TensorHandle a);

    [LibraryImport(Lib)]
    internal static partial int qp_neg_(TensorHandle a);

    [LibraryImport(Lib)]
    internal static partial int qp_addcmul_(TensorHandle a, TensorHandle t1, TensorHandle t2, Scalar value);

    [LibraryImport(Lib)]
    internal static partial int qp_addcdiv_(TensorHandle a, TensorHandle t1, TensorHandle t2, Scalar value);

    [LibraryImport(Lib)]
    internal static partial int qp_clamp_(TensorHandle a, Scalar min, Scalar max);

    [LibraryImport(Lib)]
    internal static partial int qp_uniform_(TensorHandle a, double from, double to);

    [LibraryImport(Lib)]
    internal static partial int qp_normal_(TensorHandle a, double mean, double std);

    [LibraryImport(Lib)]
    internal static partial int qp_masked_fill_(TensorHandle a, TensorHandle mask, Scalar value);

    // ---- shape and indexing
    [LibraryImport(Lib)]
    internal static partial IntPtr qp_reshape(TensorHandle t, ReadOnlySpan<long> shape, long n);

    [LibraryImport(Lib)]
    internal static partial IntPtr qp_view(TensorHandle t, ReadOnlySpan<long> shape, long n);

    [LibraryImport(Lib)]
    internal static partial IntPtr qp_expand(TensorHandle t, ReadOnlySpan<long> shape, long n);

    [LibraryImport(Lib)]
    internal static partial IntPtr qp_permute(TensorHandle t, ReadOnlySpan<long> dims, long n);

    [LibraryImport(Lib)]
    internal static partial IntPtr qp_flatten(TensorHandle t, long start, long end);

    [LibraryImport(Lib)]
    internal static partial IntPtr qp_transpose(TensorHandle t, long dim0, long dim1);

    [LibraryImport(Lib)]
    internal static partial IntPtr qp_squeeze(TensorHandle t, long dim);

    [LibraryImport(Lib)]
    internal static partial IntPtr qp_unsqueeze(TensorHandle t, long dim);

    [LibraryImport(Lib)]
    internal static partial IntPtr qp_narrow(TensorHandle t, long dim, long start, long length);

    [LibraryImport(Lib)]
    internal static partial IntPtr qp_slice(TensorHandle t, long dim, long start, long end, long step);

    [LibraryImport(Lib)]
    internal static partial IntPtr qp_select(TensorHandle t, long dim, long index);

    [LibraryImport(Lib)]
    internal static partial IntPtr qp_index_select(TensorHandle t, long dim, TensorHandle index);

    [LibraryImport(Lib)]
    internal static partial IntPtr qp_gather(TensorHandle t, long dim, TensorHandle index);

    [LibraryImport(Lib)]
    internal static partial IntPtr qp_masked_select(TensorHandle t, TensorHandle mask);

    [LibraryImport(Lib)]
    internal static partial IntPtr qp_cat(ReadOnlySpan<IntPtr> tensors, long n, long dim);

    [LibraryImport(Lib)]
    internal static partial IntPtr qp_stack(ReadOnlySpan<IntPtr> tensors, long n, long dim);

    // ---- reductions
    [LibraryImport(Lib)]
    internal static partial IntPtr qp_sum(TensorHandle t);

    [LibraryImport(Lib)]
    internal static partial IntPtr qp_sum_dims(TensorHandle t, ReadOnlySpan<long> dims, long n, int keepdim);

    [LibraryImport(Lib)]
    internal static partial IntPtr qp_mean(TensorHandle t);

    [LibraryImport(Lib)]
    internal static partial IntPtr qp_mean_dims(TensorHandle t, ReadOnlySpan<long> dims, long n, int keepdim);

    [LibraryImport(Lib)]
    internal static partial IntPtr qp_std(TensorHandle t, int unbiased);

    [LibraryImport(Lib)]
    internal static partial IntPtr qp_std_dims(
        TensorHandle t,
        ReadOnlySpan<long> dims,
        long n,
        int unbiased,
        int keepdim
    );

    [LibraryImport(Lib)]
    internal static partial IntPtr qp_var_dims(
        TensorHandle t,
        ReadOnlySpan<long> dims,
        long n,
        int unbiased,
        int keepdim
    );

    [LibraryImport(Lib)]
    internal static partial IntPtr qp_norm(TensorHandle t, Scalar p);

    [LibraryImport(Lib)]
    internal static partial IntPtr qp_norm_dims(TensorHandle t, Scalar p, ReadOnlySpan<long> dims, long n, int keepdim);

    [LibraryImport(Lib)]
    internal static partial IntPtr qp_max(TensorHandle t);

    [LibraryImport(Lib)]
    internal static partial IntPtr qp_min(TensorHandle t);

    [LibraryImport(Lib)]
    internal static partial int qp_max_dim(
        TensorHandle t,
        long dim,
        int keepdim,
        out IntPtr values,
        out IntPtr indices
    );

    [LibraryImport(Lib)]
    internal static partial int qp_min_dim(
        TensorHandle t,
        long dim,
        int keepdim,
        out IntPtr values,
        out IntPtr indices
    );

    [LibraryImport(Lib)]
    internal static partial IntPtr qp_argmax(TensorHandle t, long dim, int hasDim, int keepdim);

    [LibraryImport(Lib)]
    internal static partial IntPtr qp_argmin(TensorHandle t, long dim, int hasDim, int keepdim);

    [LibraryImport(Lib)]
    internal static partial int qp_topk(
        TensorHandle t,
        long k,
        long dim,
        int largest,
        int sorted,
        out IntPtr values,
        out IntPtr indices
    );

    [LibraryImport(Lib)]
    internal static partial int qp_sort(
        TensorHandle t,
        long dim,
        int descending,
        int stable,
        out IntPtr values,
        out IntPtr indices
    );

    [LibraryImport(Lib)]
    internal static partial IntPtr qp_softmax(TensorHandle t, long dim);

    [LibraryImport(Lib)]
    internal static partial IntPtr qp_log_softmax(TensorHandle t, long dim);

    // ---- neural-network functions
    [LibraryImport(Lib)]
    internal static partial IntPtr qp_conv2d(
        TensorHandle input,
        TensorHandle weight,
        TensorHandle bias,
        ReadOnlySpan<long> stride,
        ReadOnlySpan<long> padding,
        ReadOnlySpan<long> dilation,
        long groups
    );

    [LibraryImport(Lib)]
    internal static partial int qp_native_batch_norm_backward(
        TensorHandle gradOut,
        TensorHandle input,
        TensorHandle weight,
        TensorHandle runningMean,
        TensorHandle runningVar,
        TensorHandle saveMean,
        TensorHandle saveInvstd,
        int train,
        double eps,
        out IntPtr gradInput,
        out IntPtr gradWeight,
        out IntPtr gradBias
    );

    [LibraryImport(Lib)]
    internal static partial IntPtr qp_batch_norm(
        TensorHandle input,
        TensorHandle weight,
        TensorHandle bias,
        TensorHandle runningMean,
        TensorHandle runningVar,
        int training,
        double momentum,
        double eps
    );

    [LibraryImport(Lib)]
    internal static partial IntPtr qp_linear(TensorHandle input, TensorHandle weight, TensorHandle bias);

    [LibraryImport(Lib)]
    internal static partial IntPtr qp_max_pool2d(
        TensorHandle input,
        ReadOnlySpan<long> kernel,
        ReadOnlySpan<long> stride,
        ReadOnlySpan<long> padding,
        ReadOnlySpan<long> dilation,
        int ceilMode
    );

    [LibraryImport(Lib)]
    internal static partial IntPtr qp_avg_pool2d(
        TensorHandle input,
        ReadOnlySpan<long> kernel,
        ReadOnlySpan<long> stride,
        ReadOnlySpan<long> padding,
        int ceilMode,
        int countIncludePad
    );

    [LibraryImport(Lib)]
    internal static partial IntPtr qp_adaptive_avg_pool2d(TensorHandle input, ReadOnlySpan<long> outputSize);

    [LibraryImport(Lib)]
    internal static partial IntPtr qp_dropout(TensorHandle input, double p, int train);

    [LibraryImport(Lib)]
    internal static partial IntPtr qp_cross_entropy(
        TensorHandle input,
        TensorHandle target,
        TensorHandle weight,
        long reduction,
        long ignoreIndex,
        double labelSmoothing
    );

    [LibraryImport(Lib)]
    internal static partial IntPtr qp_nll_loss(
        TensorHandle input,
        TensorHandle target,
        TensorHandle weight,
        long reduction,
        long ignoreIndex
    );

    [LibraryImport(Lib)]
    internal static partial IntPtr qp_binary_cross_entropy_with_logits(
        TensorHandle input,
        TensorHandle target,
        long reduction
    );

    [LibraryImport(Lib)]
    internal static partial IntPtr qp_mse_loss(TensorHandle input, TensorHandle target, long reduction);

    [LibraryImport(Lib)]
    internal static partial IntPtr qp_upsample_bilinear2d(
        TensorHandle input,
        ReadOnlySpan<long> outputSize,
        int alignCorners,
        double scaleH,
        double scaleW
    );

    [LibraryImport(Lib)]
    internal static partial IntPtr qp_upsample_nearest2d(
        TensorHandle input,
        ReadOnlySpan<long> outputSize,
        double scaleH,
        double scaleW
    );

    // ---- 1-d layers
    [LibraryImport(Lib)]
    internal static partial IntPtr qp_conv1d(
        TensorHandle input,
        TensorHandle weight,
        TensorHandle bias,
        ReadOnlySpan<long> stride,
        ReadOnlySpan<long> padding,
        ReadOnlySpan<long> dilation,
        long groups
    );

    [LibraryImport(Lib)]
    internal static partial IntPtr qp_max_pool1d(
        TensorHandle input,
        ReadOnlySpan<long> kernel,
        ReadOnlySpan<long> stride,
        ReadOnlySpan<long> padding,
        ReadOnlySpan<long> dilation,
        int ceilMode
    );

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial IntPtr qp_pad(
        TensorHandle input,
        ReadOnlySpan<long> pad,
        long n,
        string mode,
        double value,
        int hasValue
    );

    [LibraryImport(Lib)]
    internal static partial IntPtr qp_upsample_nearest1d(
        TensorHandle input,
        ReadOnlySpan<long> outputSize,
        double scale
    );

    [LibraryImport(Lib)]
    internal static partial IntPtr qp_feature_dropout(TensorHandle input, double p, int train);

    // ---- recurrent networks
    [LibraryImport(Lib)]
    internal static partial int qp_lstm(
        TensorHandle input,
        ReadOnlySpan<IntPtr> hx,
        long nHx,
        ReadOnlySpan<IntPtr> parameters,
        long nParameters,
        int hasBiases,
        long numLayers,
        double dropout,
        int train,
        int bidirectional,
        int batchFirst,
        out IntPtr output,
        out IntPtr hN,
        out IntPtr cN
    );

    [LibraryImport(Lib)]
    internal static partial int qp_gru(
        TensorHandle input,
        TensorHandle hx,
        ReadOnlySpan<IntPtr> parameters,
        long nParameters,
        int hasBiases,
        long numLayers,
        double dropout,
        int train,
        int bidirectional,
        int batchFirst,
        out IntPtr output,
        out IntPtr hN
    );
}
