namespace QuakePrune.Torch;

/// <summary>The entry point, named and shaped like PyTorch's <c>torch</c> module (and TorchSharp's).</summary>
public static partial class torch
{
    public const ScalarType float16 = ScalarType.Float16;
    public const ScalarType half = ScalarType.Float16;
    public const ScalarType bfloat16 = ScalarType.BFloat16;
    public const ScalarType float32 = ScalarType.Float32;
    public const ScalarType float64 = ScalarType.Float64;
    public const ScalarType int8 = ScalarType.Int8;
    public const ScalarType int16 = ScalarType.Int16;
    public const ScalarType int32 = ScalarType.Int32;
    public const ScalarType int64 = ScalarType.Int64;
    public const ScalarType uint8 = ScalarType.Byte;
    public const ScalarType @bool = ScalarType.Bool;

    public static readonly Device CPU = Device.CPU;
    public static readonly Device CUDA = Device.CUDA;

    public static Device device(string name) => Device.Parse(name);

    /// <summary>The version of the libtorch the shim was built against, e.g. "1.13.1".</summary>
    public static string __version__ => Native.Text(Native.qp_torch_version());

    public static DisposeScope NewDisposeScope() => new();

    // ---- runtime

    public static void manual_seed(long seed) => Native.Check(Native.qp_manual_seed(unchecked((ulong)seed)));

    public static void set_num_threads(int threads)
    {
        if (threads < 1)
            throw new ArgumentOutOfRangeException(nameof(threads), threads, "thread count must be at least 1");
        Native.Check(Native.qp_set_num_threads(threads));
    }

    public static int get_num_threads() => Native.qp_get_num_threads();

    /// <summary>libtorch's build configuration (torch.__config__.show()).</summary>
    public static string show_config() => Native.Text(Native.qp_show_config());

    /// <summary>libtorch's threading set-up (torch.__config__.parallel_info()).</summary>
    public static string parallel_info() => Native.Text(Native.qp_parallel_info());

    public static partial class backends
    {
        public static class mkldnn
        {
            public static bool is_available() => Native.qp_has_mkldnn() != 0;
        }

        public static class openmp
        {
            public static bool is_available() => Native.qp_has_openmp() != 0;
        }

        public static class mkl
        {
            public static bool is_available() => Native.qp_has_mkl() != 0;
        }
    }

    public static class cuda
    {
        public static bool is_available() => Native.qp_cuda_is_available() != 0;

        public static int device_count() => Native.qp_cuda_device_count();

        /// <summary>Waits for all work queued on the device (-1: the current one).</summary>
        public static void synchronize(int device = -1) => Native.Check(Native.qp_cuda_synchronize(device));

        public static string get_device_name(int device = 0) => Native.Text(Native.qp_cuda_device_name(device));
    }

    // ---- autograd modes

    public static bool is_grad_enabled() => Native.qp_grad_enabled() != 0;

    public static bool is_inference_mode_enabled() => Native.qp_is_inference_mode() != 0;

    /// <summary>Disables gradient recording on this thread until disposed (restores the previous mode).</summary>
    public static IDisposable no_grad() => new GradModeScope(false);

    public static IDisposable enable_grad() => new GradModeScope(true);

    public static IDisposable set_grad_enabled(bool enabled) => new GradModeScope(enabled);

    /// <summary>
    /// libtorch's InferenceMode on this thread until disposed; dispose on the same thread, innermost first.
    /// </summary>
    public static IDisposable inference_mode(bool enabled = true) => new InferenceModeScope(enabled);

    private sealed class GradModeScope : IDisposable
    {
        private readonly bool previous;
        private bool disposed;

        public GradModeScope(bool enabled)
        {
            previous = Native.qp_grad_enabled() != 0;
            Native.qp_set_grad_enabled(enabled ? 1 : 0);
        }

        public void Dispose()
        {
            if (disposed)
                return;
            disposed = true;
            Native.qp_set_grad_enabled(previous ? 1 : 0);
        }
    }

    private sealed class InferenceModeScope : IDisposable
    {
        private IntPtr guard;

        public InferenceModeScope(bool enabled) =>
            guard = Native.Check(Native.qp_inference_mode_enter(enabled ? 1 : 0));

        public void Dispose()
        {
            if (guard == IntPtr.Zero)
                return;
            Native.qp_inference_mode_exit(guard);
            guard = IntPtr.Zero;
        }
    }

    // ---- element types

    internal static ScalarType ScalarTypeOf<T>()
        where T : unmanaged =>
        typeof(T) == typeof(float) ? ScalarType.Float32
        : typeof(T) == typeof(double) ? ScalarType.Float64
        : typeof(T) == typeof(Half) ? ScalarType.Float16
        : typeof(T) == typeof(long) ? ScalarType.Int64
        : typeof(T) == typeof(int) ? ScalarType.Int32
        : typeof(T) == typeof(short) ? ScalarType.Int16
        : typeof(T) == typeof(sbyte) ? ScalarType.Int8
        : typeof(T) == typeof(byte) ? ScalarType.Byte
        : typeof(T) == typeof(bool) ? ScalarType.Bool
        : throw new ArgumentException($"no libtorch element type for {typeof(T).Name}");

    /// <summary>Bytes per element.</summary>
    public static int ElementSize(ScalarType type) =>
        type switch
        {
            ScalarType.Byte or ScalarType.Int8 or ScalarType.Bool => 1,
            ScalarType.Int16 or ScalarType.Float16 or ScalarType.BFloat16 => 2,
            ScalarType.Int32 or ScalarType.Float32 => 4,
            ScalarType.Int64 or ScalarType.Float64 => 8,
            _ => throw new ArgumentException($"unknown element type {type}"),
        };

    public static bool is_floating_point(ScalarType type) =>
        type is ScalarType.Float16 or ScalarType.BFloat16 or ScalarType.Float32 or ScalarType.Float64;

    // ---- creation

    /// <summary>
    /// A tensor holding a copy of <paramref name="data"/> (row-major) with the given shape, on
    /// <paramref name="device"/>.
    /// </summary>
    public static unsafe Tensor tensor<T>(
        ReadOnlySpan<T> data,
        ReadOnlySpan<long> shape,
        Device? device = null,
        bool requires_grad = false
    )
        where T : unmanaged
    {
        long count = 1;
        foreach (var extent in shape)
        {
            if (extent < 0)
                throw new ArgumentException(
                    $"negative extent in shape [{string.Join(", ", shape.ToArray())}]",
                    nameof(shape)
                );
            count *= extent;
        }
        if (count != data.Length)
            throw new ArgumentException(
                $"{data.Length} values do not fill shape [{string.Join(", ", shape.ToArray())}] ({count} elements)",
                nameof(data)
            );
        Tensor result;
        fixed (T* p = data)
        {
            // from_blob needs a valid pointer even for zero elements.
            T dummy = default;
            result = new Tensor(
                Native.qp_from_data(data.Length == 0 ? &dummy : p, shape, shape.Length, (int)ScalarTypeOf<T>())
            );
        }
        return Finish(result, device, requires_grad);
    }

    [System.Runtime.CompilerServices.OverloadResolutionPriority(1)]
    public static Tensor tensor<T>(T[] data, long[]? shape = null, Device? device = null, bool requires_grad = false)
        where T : unmanaged => tensor<T>(data.AsSpan(), shape ?? [data.LongLength], device, requires_grad);

    /// <summary>A tensor from raw little-endian bytes (as safetensors stores them).</summary>
    public static unsafe Tensor from_bytes(ReadOnlySpan<byte> bytes, ScalarType dtype, ReadOnlySpan<long> shape)
    {
        long count = 1;
        foreach (var extent in shape)
            count *= extent;
        if (count * ElementSize(dtype) != bytes.Length)
            throw new ArgumentException(
                $"{bytes.Length} bytes do not hold a {dtype} tensor of shape [{string.Join(", ", shape.ToArray())}]",
                nameof(bytes)
            );
        byte dummy = 0;
        fixed (byte* p = bytes)
            return new Tensor(Native.qp_from_data(bytes.Length == 0 ? &dummy : p, shape, shape.Length, (int)dtype));
    }

    /// <summary>A 0-d tensor (shape []) holding one value.</summary>
    public static Tensor scalar_tensor(
        Scalar value,
        ScalarType dtype = ScalarType.Float32,
        Device? device = null,
        bool requires_grad = false
    ) => full([], value, dtype, device, requires_grad);

    private static Tensor Finish(Tensor result, Device? device, bool requires_grad)
    {
        if (device is { } target && target.type != DeviceType.CPU)
        {
            var moved = result.to(target);
            result.Dispose();
            result = moved;
        }
        if (requires_grad)
            result.requires_grad = true;
        return result;
    }

    private static Device Cpu(Device? device) => device ?? Device.CPU;

    public static Tensor empty(
        long[] shape,
        ScalarType dtype = ScalarType.Float32,
        Device? device = null,
        bool requires_grad = false
    ) =>
        Finish(
            new Tensor(Native.qp_empty(shape, shape.Length, (int)dtype, (int)Cpu(device).type, Cpu(device).index)),
            null,
            requires_grad
        );

    public static Tensor zeros(
        long[] shape,
        ScalarType dtype = ScalarType.Float32,
        Device? device = null,
        bool requires_grad = false
    ) =>
        Finish(
            new Tensor(Native.qp_zeros(shape, shape.Length, (int)dtype, (int)Cpu(device).type, Cpu(device).index)),
            null,
            requires_grad
        );

    public static Tensor ones(
        long[] shape,
        ScalarType dtype = ScalarType.Float32,
        Device? device = null,
        bool requires_grad = false
    ) =>
        Finish(
            new Tensor(Native.qp_ones(shape, shape.Length, (int)dtype, (int)Cpu(device).type, Cpu(device).index)),
            null,
            requires_grad
        );

    public static Tensor full(
        long[] shape,
        Scalar value,
        ScalarType dtype = ScalarType.Float32,
        Device? device = null,
        bool requires_grad = false
    ) =>
        Finish(
            new Tensor(
                Native.qp_full(shape, shape.Length, value, (int)dtype, (int)Cpu(device).type, Cpu(device).index)
            ),
            null,
            requires_grad
        );

    /// <summary>Uniform on [0, 1) from the generator seeded by <see cref="manual_seed"/>.</summary>
    public static Tensor rand(
        long[] shape,
        ScalarType dtype = ScalarType.Float32,
        Device? device = null,
        bool requires_grad = false
    ) =>
        Finish(
            new Tensor(Native.qp_rand(shape, shape.Length, (int)dtype, (int)Cpu(device).type, Cpu(device).index)),
            null,
            requires_grad
        );

    /// <summary>Standard normal from the generator seeded by <see cref="manual_seed"/>.</summary>
    public static Tensor randn(
        long[] shape,
        ScalarType dtype = ScalarType.Float32,
        Device? device = null,
        bool requires_grad = false
    ) =>
        Finish(
            new Tensor(Native.qp_randn(shape, shape.Length, (int)dtype, (int)Cpu(device).type, Cpu(device).index)),
            null,
            requires_grad
        );

    /// <summary>Integers uniform on [low, high).</summary>
    public static Tensor randint(
        long low,
        long high,
        long[] shape,
        ScalarType dtype = ScalarType.Int64,
        Device? device = null
    ) => new(Native.qp_randint(low, high, shape, shape.Length, (int)dtype, (int)Cpu(device).type, Cpu(device).index));

    /// <summary>A random permutation of 0..n-1.</summary>
    public static Tensor randperm(long n, ScalarType dtype = ScalarType.Int64, Device? device = null) =>
        new(Native.qp_randperm(n, (int)dtype, (int)Cpu(device).type, Cpu(device).index));

    public static Tensor zeros(params long[] shape) => zeros(shape, ScalarType.Float32);

    public static Tensor ones(params long[] shape) => ones(shape, ScalarType.Float32);

    public static Tensor empty(params long[] shape) => empty(shape, ScalarType.Float32);

    public static Tensor rand(params long[] shape) => rand(shape, ScalarType.Float32);

    public static Tensor randn(params long[] shape) => randn(shape, ScalarType.Float32);

    public static Tensor zeros_like(Tensor other) => zeros(other.shape, other.dtype, other.device);

    public static Tensor ones_like(Tensor other) => ones(other.shape, other.dtype, other.device);

    public static Tensor full_like(Tensor other, Scalar value) => full(other.shape, value, other.dtype, other.device);

    /// <summary>
    /// [start, end) in steps; the dtype follows PyTorch (Int64 for integral arguments, else Float32) unless given.
    /// </summary>
    public static Tensor arange(
        Scalar start,
        Scalar end,
        Scalar? step = null,
        ScalarType? dtype = null,
        Device? device = null
    )
    {
        var s = step ?? 1;
        var type = dtype
            ?? (
                start.IsFloatingPoint || end.IsFloatingPoint || s.IsFloatingPoint
                    ? ScalarType.Float32
                    : ScalarType.Int64
            );
        return new Tensor(Native.qp_arange(start, end, s, (int)type, (int)Cpu(device).type, Cpu(device).index));
    }

    public static Tensor arange(Scalar end, ScalarType? dtype = null, Device? device = null) =>
        arange(0, end, 1, dtype, device);

    // ---- functions over several tensors, and PyTorch's torch.* spellings of tensor methods

    public static Tensor cat(IReadOnlyList<Tensor> tensors, long dim = 0) =>
        new(Tensor.CallWithHandles(tensors, handles => Native.qp_cat(handles, handles.Length, dim)));

    public static Tensor stack(IReadOnlyList<Tensor> tensors, long dim = 0) =>
        new(Tensor.CallWithHandles(tensors, handles => Native.qp_stack(handles, handles.Length, dim)));

    public static Tensor where(Tensor condition, Tensor input, Tensor other) =>
        new(Native.qp_where(condition.Handle, input.Handle, other.Handle));

    public static Tensor matmul(Tensor input, Tensor other) => input.matmul(other);

    public static Tensor add(Tensor input, Tensor other, Scalar? alpha = null) => input.add(other, alpha);

    public static Tensor sub(Tensor input, Tensor other, Scalar? alpha = null) => input.sub(other, alpha);

    public static Tensor mul(Tensor input, Tensor other) => input.mul(other);

    public static Tensor div(Tensor input, Tensor other) => input.div(other);

    public static Tensor pow(Tensor input, Scalar exponent) => input.pow(exponent);

    public static Tensor sqrt(Tensor input) => input.sqrt();

    public static Tensor abs(Tensor input) => input.abs();

    public static Tensor exp(Tensor input) => input.exp();

    public static Tensor log(Tensor input) => input.log();

    public static Tensor relu(Tensor input) => input.relu();

    public static Tensor sigmoid(Tensor input) => input.sigmoid();

    public static Tensor tanh(Tensor input) => input.tanh();

    public static Tensor clamp(Tensor input, Scalar? min = null, Scalar? max = null) => input.clamp(min, max);

    public static Tensor maximum(Tensor input, Tensor other) => input.maximum(other);

    public static Tensor minimum(Tensor input, Tensor other) => input.minimum(other);

    public static Tensor reshape(Tensor input, params long[] shape) => input.reshape(shape);

    public static Tensor flatten(Tensor input, long start_dim = 0, long end_dim = -1) =>
        input.flatten(start_dim, end_dim);

    public static Tensor permute(Tensor input, params long[] dims) => input.permute(dims);

    public static Tensor narrow(Tensor input, long dim, long start, long length) => input.narrow(dim, start, length);

    public static Tensor index_select(Tensor input, long dim, Tensor index) => input.index_select(dim, index);

    public static Tensor sum(Tensor input) => input.sum();

    public static Tensor sum(Tensor input, long[] dim, bool keepdim = false) => input.sum(dim, keepdim);

    public static Tensor mean(Tensor input) => input.mean();

    public static Tensor mean(Tensor input, long[] dim, bool keepdim = false) => input.mean(dim, keepdim);

    public static Tensor std(Tensor input, long[] dim, bool unbiased = true, bool keepdim = false) =>
        input.std(dim, unbiased, keepdim);

    public static Tensor norm(Tensor input, Scalar? p = null) => input.norm(p);

    public static Tensor norm(Tensor input, long[] dim, Scalar? p = null, bool keepdim = false) =>
        input.norm(dim, p, keepdim);

    public static Tensor argmax(Tensor input, long dim, bool keepdim = false) => input.argmax(dim, keepdim);

    public static (Tensor values, Tensor indices) max(Tensor input, long dim, bool keepdim = false) =>
        input.max(dim, keepdim);

    public static (Tensor values, Tensor indices) topk(
        Tensor input,
        long k,
        long dim = -1,
        bool largest = true,
        bool sorted = true
    ) => input.topk(k, dim, largest, sorted);

    public static (Tensor values, Tensor indices) sort(
        Tensor input,
        long dim = -1,
        bool descending = false,
        bool stable = false
    ) => input.sort(dim, descending, stable);

    public static Tensor softmax(Tensor input, long dim) => input.softmax(dim);

    public static Tensor log_softmax(Tensor input, long dim) => input.log_softmax(dim);

    public static Tensor eq(Tensor input, Tensor other) => input.eq(other);

    public static Tensor lt(Tensor input, Tensor other) => input.lt(other);

    public static Tensor gt(Tensor input, Tensor other) => input.gt(other);

    public static Tensor conv2d(
        Tensor input,
        Tensor weight,
        Tensor? bias = null,
        long stride = 1,
        long padding = 0,
        long dilation = 1,
        long groups = 1
    ) => nn.functional.conv2d(input, weight, bias, stride, padding, dilation, groups);

    public static Tensor conv1d(
        Tensor input,
        Tensor weight,
        Tensor? bias = null,
        long stride = 1,
        long padding = 0,
        long dilation = 1,
        long groups = 1
    ) => nn.functional.conv1d(input, weight, bias, stride, padding, dilation, groups);

    public static Tensor max_pool1d(
        Tensor input,
        long kernel_size,
        long? stride = null,
        long padding = 0,
        long dilation = 1,
        bool ceil_mode = false
    ) => nn.functional.max_pool1d(input, kernel_size, stride, padding, dilation, ceil_mode);

    public static Tensor max_pool2d(Tensor input, long kernel_size, long? stride = null, long padding = 0) =>
        nn.functional.max_pool2d(input, kernel_size, stride, padding);

    public static Tensor avg_pool2d(Tensor input, long kernel_size, long? stride = null, long padding = 0) =>
        nn.functional.avg_pool2d(input, kernel_size, stride, padding);

    public static Tensor adaptive_avg_pool2d(Tensor input, long output_size) =>
        nn.functional.adaptive_avg_pool2d(input, output_size);

    public static Tensor dropout(Tensor input, double p, bool train) => nn.functional.dropout(input, p, train);
}
