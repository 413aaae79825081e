using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace QuakePrune.Torch;

/// <summary>
/// A libtorch tensor. Methods follow PyTorch's names (add, add_, reshape, sum...); a trailing underscore
/// means in place. Each result is a new handle: dispose it, or create it inside a <see cref="DisposeScope"/>.
/// </summary>
public sealed partial class Tensor : IDisposable
{
    internal readonly TensorHandle Handle;

    internal Tensor(IntPtr handle)
    {
        Handle = new TensorHandle(Native.Check(handle));
        DisposeScope.Register(this);
    }

    internal DisposeScope? Scope { get; set; }

    public bool IsDisposed => Handle.IsClosed;

    public void Dispose()
    {
        Scope?.Remove(this);
        Handle.Dispose();
    }

    /// <summary>Hands this tensor to the scope outside its current one (or to no scope at the outermost).</summary>
    public Tensor MoveToOuterScope()
    {
        var scope = Scope;
        if (scope is null)
            return this;
        scope.Remove(this);
        scope.Outer?.Add(this);
        return this;
    }

    /// <summary>Takes this tensor out of every dispose scope: the caller (or the finaliser) frees it.</summary>
    public Tensor DetachFromDisposeScope()
    {
        Scope?.Remove(this);
        return this;
    }

    // ---- properties

    public long dim() => Native.qp_dim(Handle);

    public long ndim => dim();

    public long[] shape
    {
        get
        {
            var sizes = new long[Native.qp_dim(Handle)];
            Native.qp_sizes(Handle, sizes);
            return sizes;
        }
    }

    public long size(long dimension)
    {
        var sizes = shape;
        var d = dimension < 0 ? dimension + sizes.Length : dimension;
        if (d < 0 || d >= sizes.Length)
            throw new ArgumentOutOfRangeException(
                nameof(dimension),
                $"dimension {dimension} of a {sizes.Length}-d tensor"
            );
        return sizes[d];
    }

    public long numel() => Native.qp_numel(Handle);

    public ScalarType dtype => (ScalarType)Native.qp_dtype(Handle);
    public Device device => new((DeviceType)Native.qp_device_type(Handle), Native.qp_device_index(Handle));
    public bool is_leaf => Native.qp_is_leaf(Handle) != 0;

    public bool is_contiguous() => Native.qp_is_contiguous(Handle) != 0;

    public bool requires_grad
    {
        get => Native.qp_requires_grad(Handle) != 0;
        set => Native.Check(Native.qp_set_requires_grad(Handle, value ? 1 : 0));
    }

    public Tensor requires_grad_(bool value = true)
    {
        requires_grad = value;
        return this;
    }

    /// <summary>
    /// The accumulated gradient (a new handle on it), or null before any backward pass; set null to clear.
    /// </summary>
    public Tensor? grad
    {
        get
        {
            Native.Check(Native.qp_grad(Handle, out var gradient));
            return gradient == IntPtr.Zero ? null : new Tensor(gradient);
        }
        set => Native.Check(Native.qp_set_grad(Handle, value?.Handle ?? TensorHandle.Undefined));
    }

    public void backward(Tensor? gradient = null, bool? retain_graph = null, bool create_graph = false) =>
        Native.Check(
            Native.qp_backward(
                Handle,
                gradient?.Handle ?? TensorHandle.Undefined,
                retain_graph is null ? -1
                    : retain_graph.Value ? 1
                    : 0,
                create_graph ? 1 : 0
            )
        );

    public override string ToString() =>
        IsDisposed
            ? "tensor(disposed)"
            : $"tensor(shape=[{string.Join(", ", shape)}], dtype={dtype}, device={device}{(requires_grad ? ", requires_grad" : "")})";

    // ---- copies out

    /// <summary>
    /// The elements in row-major order; T must match the dtype (float for Float32, long for Int64...).
    /// </summary>
    public unsafe T[] ToArray<T>()
        where T : unmanaged
    {
        var expected = torch.ScalarTypeOf<T>();
        if (dtype != expected)
            throw new ArgumentException($"ToArray<{typeof(T).Name}> needs a {expected} tensor, this one is {dtype}");
        var result = new T[numel()];
        fixed (T* p = result)
            Native.Check(Native.qp_copy_to_buffer(Handle, p, (long)result.Length * sizeof(T)));
        return result;
    }

    /// <summary>Copies the elements into a span of matching type and length (no allocation).</summary>
    public unsafe void CopyTo<T>(Span<T> destination)
        where T : unmanaged
    {
        var expected = torch.ScalarTypeOf<T>();
        if (dtype != expected)
            throw new ArgumentException($"CopyTo<{typeof(T).Name}> needs a {expected} tensor, this one is {dtype}");
        fixed (T* p = destination)
            Native.Check(Native.qp_copy_to_buffer(Handle, p, (long)destination.Length * sizeof(T)));
    }

    /// <summary>
    /// The address of the first element of a dense CPU tensor, for a native library that reads or writes it in place.
    /// Valid while the tensor lives; the caller keeps it alive.
    /// </summary>
    public unsafe IntPtr data_ptr()
    {
        void* address;
        Native.Check(Native.qp_data_ptr(Handle, &address));
        return (IntPtr)address;
    }

    /// <summary>The raw little-endian bytes of the elements in row-major order.</summary>
    public unsafe byte[] ToBytes()
    {
        var result = new byte[numel() * torch.ElementSize(dtype)];
        fixed (byte* p = result)
            Native.Check(Native.qp_copy_to_buffer(Handle, p, result.Length));
        return result;
    }

    /// <summary>The value of a one-element tensor, converted to T as PyTorch's item() then a cast would.</summary>
    public T item<T>()
        where T : unmanaged
    {
        var type = dtype;
        if (type is ScalarType.Float16 or ScalarType.Float32 or ScalarType.Float64 or ScalarType.BFloat16)
        {
            Native.Check(Native.qp_item_double(Handle, out var d));
            return ConvertNumber<T>(d);
        }
        Native.Check(Native.qp_item_int64(Handle, out var l));
        return typeof(T) == typeof(double) || typeof(T) == typeof(float) || typeof(T) == typeof(Half)
            ? ConvertNumber<T>(l)
            : ConvertInteger<T>(l);
    }

    private static T ConvertNumber<T>(double value)
    {
        if (typeof(T) == typeof(double))
            return Unsafe.As<double, T>(ref value);
        if (typeof(T) == typeof(float))
        {
            var f = (float)value;
            return Unsafe.As<float, T>(ref f);
        }
        if (typeof(T) == typeof(Half))
        {
            var h = (Half)value;
            return Unsafe.As<Half, T>(ref h);
        }
        return ConvertInteger<T>((long)value);
    }

    private static T ConvertInteger<T>(long value)
    {
        if (typeof(T) == typeof(long))
            return Unsafe.As<long, T>(ref value);
        if (typeof(T) == typeof(int))
        {
            var i = checked((int)value);
            return Unsafe.As<int, T>(ref i);
        }
        if (typeof(T) == typeof(short))
        {
            var s = checked((short)value);
            return Unsafe.As<short, T>(ref s);
        }
        if (typeof(T) == typeof(byte))
        {
            var b = checked((byte)value);
            return Unsafe.As<byte, T>(ref b);
        }
        if (typeof(T) == typeof(sbyte))
        {
            var b = checked((sbyte)value);
            return Unsafe.As<sbyte, T>(ref b);
        }
        if (typeof(T) == typeof(bool))
        {
            var b = value != 0;
            return Unsafe.As<bool, T>(ref b);
        }
        throw new ArgumentException($"item<{typeof(T).Name}>: unsupported element type");
    }

    // ---- conversions

    public Tensor to(Device target, bool non_blocking = false) =>
        new(Native.qp_to_device(Handle, (int)target.type, target.index, non_blocking ? 1 : 0));

    public Tensor to(ScalarType type) => new(Native.qp_to_dtype(Handle, (int)type));

    public Tensor to(string target) => to(Device.Parse(target));

    public Tensor cpu() => to(Device.CPU);

    public Tensor cuda(int index = -1) => to(new Device(DeviceType.CUDA, index));

    public Tensor clone() => new(Native.qp_clone(Handle));

    public Tensor detach() => new(Native.qp_detach(Handle));

    public Tensor detach_()
    {
        Native.Check(Native.qp_detach_(Handle));
        return this;
    }

    public Tensor contiguous() => new(Native.qp_contiguous(Handle));

    /// <summary>A second handle on the same tensor (shares storage and autograd identity).</summary>
    public Tensor alias() => new(Native.qp_alias(Handle));

    // ---- operators

    public static Tensor operator +(Tensor a, Tensor b) => a.add(b);

    public static Tensor operator +(Tensor a, Scalar b) => a.add(b);

    public static Tensor operator +(Scalar a, Tensor b) => b.add(a);

    public static Tensor operator -(Tensor a, Tensor b) => a.sub(b);

    public static Tensor operator -(Tensor a, Scalar b) => a.sub(b);

    public static Tensor operator -(Scalar a, Tensor b) => new(Native.qp_rsub_scalar(b.Handle, a));

    public static Tensor operator *(Tensor a, Tensor b) => a.mul(b);

    public static Tensor operator *(Tensor a, Scalar b) => a.mul(b);

    public static Tensor operator *(Scalar a, Tensor b) => b.mul(a);

    public static Tensor operator /(Tensor a, Tensor b) => a.div(b);

    public static Tensor operator /(Tensor a, Scalar b) => a.div(b);

    public static Tensor operator /(Scalar a, Tensor b)
    {
        using var reciprocal = b.reciprocal();
        return reciprocal.mul(a);
    }

    public static Tensor operator -(Tensor a) => a.neg();

    // ---- elementwise

    public Tensor add(Tensor other, Scalar? alpha = null) => new(Native.qp_add(Handle, other.Handle, alpha ?? 1));

    public Tensor add(Scalar other) => new(Native.qp_add_scalar(Handle, other));

    public Tensor sub(Tensor other, Scalar? alpha = null) => new(Native.qp_sub(Handle, other.Handle, alpha ?? 1));

    public Tensor sub(Scalar other) => new(Native.qp_sub_scalar(Handle, other));

    public Tensor mul(Tensor other) => new(Native.qp_mul(Handle, other.Handle));

    public Tensor mul(Scalar other) => new(Native.qp_mul_scalar(Handle, other));

    public Tensor div(Tensor other) => new(Native.qp_div(Handle, other.Handle));

    public Tensor div(Scalar other) => new(Native.qp_div_scalar(Handle, other));

    public Tensor matmul(Tensor other) => new(Native.qp_matmul(Handle, other.Handle));

    public Tensor pow(Tensor exponent) => new(Native.qp_pow(Handle, exponent.Handle));

    public Tensor pow(Scalar exponent) => new(Native.qp_pow_scalar(Handle, exponent));

    public Tensor maximum(Tensor other) => new(Native.qp_maximum(Handle, other.Handle));

    public Tensor minimum(Tensor other) => new(Native.qp_minimum(Handle, other.Handle));

    public Tensor eq(Tensor other) => new(Native.qp_eq(Handle, other.Handle));

    public Tensor ne(Tensor other) => new(Native.qp_ne(Handle, other.Handle));

    public Tensor lt(Tensor other) => new(Native.qp_lt(Handle, other.Handle));

    public Tensor le(Tensor other) => new(Native.qp_le(Handle, other.Handle));

    public Tensor gt(Tensor other) => new(Native.qp_gt(Handle, other.Handle));

    public Tensor ge(Tensor other) => new(Native.qp_ge(Handle, other.Handle));

    public Tensor eq(Scalar other) => new(Native.qp_eq_scalar(Handle, other));

    public Tensor ne(Scalar other) => new(Native.qp_ne_scalar(Handle, other));

    public Tensor lt(Scalar other) => new(Native.qp_lt_scalar(Handle, other));

    public Tensor le(Scalar other) => new(Native.qp_le_scalar(Handle, other));

    public Tensor gt(Scalar other) => new(Native.qp_gt_scalar(Handle, other));

    public Tensor ge(Scalar other) => new(Native.qp_ge_scalar(Handle, other));

    public Tensor logical_and(Tensor other) => new(Native.qp_logical_and(Handle, other.Handle));

    public Tensor logical_or(Tensor other) => new(Native.qp_logical_or(Handle, other.Handle));

    public Tensor logical_not() => new(Native.qp_logical_not(Handle));

    public Tensor isnan() => new(Native.qp_isnan(Handle));

    public Tensor neg() => new(Native.qp_neg(Handle));

    public Tensor abs() => new(Native.qp_abs(Handle));

    public Tensor sqrt() => new(Native.qp_sqrt(Handle));

    public Tensor rsqrt() => new(Native.qp_rsqrt(Handle));

    public Tensor square() => new(Native.qp_square(Handle));

    public Tensor exp() => new(Native.qp_exp(Handle));

    public Tensor log() => new(Native.qp_log(Handle));

    public Tensor sigmoid() => new(Native.qp_sigmoid(Handle));

    public Tensor tanh() => new(Native.qp_tanh(Handle));

    public Tensor relu() => new(Native.qp_relu(Handle));

    public Tensor reciprocal() => new(Native.qp_reciprocal(Handle));

    public Tensor sign() => new(Native.qp_sign(Handle));

    public Tensor floor() => new(Native.qp_floor(Handle));

    public Tensor ceil() => new(Native.qp_ceil(Handle));

    public Tensor round() => new(Native.qp_round(Handle));

    public Tensor clamp(Scalar? min = null, Scalar? max = null) =>
        new(Native.qp_clamp(Handle, Scalar.From(min), Scalar.From(max)));

    public Tensor masked_fill(Tensor mask, Scalar value) => new(Native.qp_masked_fill(Handle, mask.Handle, value));

    // ---- in place; each returns this tensor

    public Tensor add_(Tensor other, Scalar? alpha = null) => Done(Native.qp_add_(Handle, other.Handle, alpha ?? 1));

    public Tensor add_(Scalar other) => Done(Native.qp_add_scalar_(Handle, other));

    public Tensor sub_(Tensor other, Scalar? alpha = null) => Done(Native.qp_sub_(Handle, other.Handle, alpha ?? 1));

    public Tensor mul_(Tensor other) => Done(Native.qp_mul_(Handle, other.Handle));

    public Tensor mul_(Scalar other) => Done(Native.qp_mul_scalar_(Handle, other));

    public Tensor div_(Tensor other) => Done(Native.qp_div_(Handle, other.Handle));

    public Tensor div_(Scalar other) => Done(Native.qp_div_scalar_(Handle, other));

    public Tensor addcmul_(Tensor tensor1, Tensor tensor2, Scalar? value = null) =>
        Done(Native.qp_addcmul_(Handle, tensor1.Handle, tensor2.Handle, value ?? 1));

    public Tensor addcdiv_(Tensor tensor1, Tensor tensor2, Scalar? value = null) =>
        Done(Native.qp_addcdiv_(Handle, tensor1.Handle, tensor2.Handle, value ?? 1));

    public Tensor copy_(Tensor source) => Done(Native.qp_copy_(Handle, source.Handle));

    public Tensor zero_() => Done(Native.qp_zero_(Handle));

    public Tensor fill_(Scalar value) => Done(Native.qp_fill_(Handle, value));

    public Tensor relu_() => Done(Native.qp_relu_(Handle));

    public Tensor sqrt_() => Done(Native.qp_sqrt_(Handle));

    public Tensor neg_() => Done(Native.qp_neg_(Handle));

    public Tensor clamp_(Scalar? min = null, Scalar? max = null) =>
        Done(Native.qp_clamp_(Handle, Scalar.From(min), Scalar.From(max)));

    public Tensor uniform_(double from = 0, double to = 1) => Done(Native.qp_uniform_(Handle, from, to));

    public Tensor normal_(double mean = 0, double std = 1) => Done(Native.qp_normal_(Handle, mean, std));

    public Tensor masked_fill_(Tensor mask, Scalar value) => Done(Native.qp_masked_fill_(Handle, mask.Handle, value));

    private Tensor Done(int status)
    {
        Native.Check(status);
        return this;
    }

    // ---- shape and indexing

    public Tensor reshape(params long[] shape) => new(Native.qp_reshape(Handle, shape, shape.Length));

    public Tensor view(params long[] shape) => new(Native.qp_view(Handle, shape, shape.Length));

    public Tensor expand(params long[] shape) => new(Native.qp_expand(Handle, shape, shape.Length));

    public Tensor permute(params long[] dims) => new(Native.qp_permute(Handle, dims, dims.Length));

    public Tensor flatten(long start_dim = 0, long end_dim = -1) => new(Native.qp_flatten(Handle, start_dim, end_dim));

    public Tensor transpose(long dim0, long dim1) => new(Native.qp_transpose(Handle, dim0, dim1));

    public Tensor t() => transpose(0, 1);

    public Tensor squeeze(long dim) => new(Native.qp_squeeze(Handle, dim));

    public Tensor unsqueeze(long dim) => new(Native.qp_unsqueeze(Handle, dim));

    public Tensor narrow(long dim, long start, long length) => new(Native.qp_narrow(Handle, dim, start, length));

    public Tensor slice(long dim, long start, long end, long step = 1) =>
        new(Native.qp_slice(Handle, dim, start, end, step));

    /// <summary>t[i]: the i-th slice along the first dimension (a view).</summary>
    public Tensor this[long index] => select(0, index);

    public Tensor select(long dim, long index) => new(Native.qp_select(Handle, dim, index));

    public Tensor index_select(long dim, Tensor index) => new(Native.qp_index_select(Handle, dim, index.Handle));

    public Tensor gather(long dim, Tensor index) => new(Native.qp_gather(Handle, dim, index.Handle));

    public Tensor masked_select(Tensor mask) => new(Native.qp_masked_select(Handle, mask.Handle));

    // ---- reductions

    public Tensor sum() => new(Native.qp_sum(Handle));

    public Tensor sum(long dim, bool keepdim = false) => sum([dim], keepdim);

    public Tensor sum(long[] dim, bool keepdim = false) =>
        new(Native.qp_sum_dims(Handle, dim, dim.Length, keepdim ? 1 : 0));

    public Tensor mean() => new(Native.qp_mean(Handle));

    public Tensor mean(long dim, bool keepdim = false) => mean([dim], keepdim);

    public Tensor mean(long[] dim, bool keepdim = false) =>
        new(Native.qp_mean_dims(Handle, dim, dim.Length, keepdim ? 1 : 0));

    public Tensor std(bool unbiased = true) => new(Native.qp_std(Handle, unbiased ? 1 : 0));

    public Tensor std(long[] dim, bool unbiased = true, bool keepdim = false) =>
        new(Native.qp_std_dims(Handle, dim, dim.Length, unbiased ? 1 : 0, keepdim ? 1 : 0));

    public Tensor var(long[] dim, bool unbiased = true, bool keepdim = false) =>
        new(Native.qp_var_dims(Handle, dim, dim.Length, unbiased ? 1 : 0, keepdim ? 1 : 0));

    public Tensor norm(Scalar? p = null) => new(Native.qp_norm(Handle, p ?? 2));

    public Tensor norm(long[] dim, Scalar? p = null, bool keepdim = false) =>
        new(Native.qp_norm_dims(Handle, p ?? 2, dim, dim.Length, keepdim ? 1 : 0));

    public Tensor max() => new(Native.qp_max(Handle));

    public Tensor min() => new(Native.qp_min(Handle));

    public (Tensor values, Tensor indices) max(long dim, bool keepdim = false)
    {
        Native.Check(Native.qp_max_dim(Handle, dim, keepdim ? 1 : 0, out var values, out var indices));
        return (new Tensor(values), new Tensor(indices));
    }

    public (Tensor values, Tensor indices) min(long dim, bool keepdim = false)
    {
        Native.Check(Native.qp_min_dim(Handle, dim, keepdim ? 1 : 0, out var values, out var indices));
        return (new Tensor(values), new Tensor(indices));
    }

    public Tensor argmax() => new(Native.qp_argmax(Handle, 0, 0, 0));

    public Tensor argmax(long dim, bool keepdim = false) => new(Native.qp_argmax(Handle, dim, 1, keepdim ? 1 : 0));

    public Tensor argmin() => new(Native.qp_argmin(Handle, 0, 0, 0));

    public Tensor argmin(long dim, bool keepdim = false) => new(Native.qp_argmin(Handle, dim, 1, keepdim ? 1 : 0));

    public (Tensor values, Tensor indices) topk(long k, long dim = -1, bool largest = true, bool sorted = true)
    {
        Native.Check(Native.qp_topk(Handle, k, dim, largest ? 1 : 0, sorted ? 1 : 0, out var values, out var indices));
        return (new Tensor(values), new Tensor(indices));
    }

    public (Tensor values, Tensor indices) sort(long dim = -1, bool descending = false, bool stable = false)
    {
        Native.Check(Native.qp_sort(Handle, dim, descending ? 1 : 0, stable ? 1 : 0, out var values, out var indices));
        return (new Tensor(values), new Tensor(indices));
    }

    public Tensor softmax(long dim) => new(Native.qp_softmax(Handle, dim));

    public Tensor log_softmax(long dim) => new(Native.qp_log_softmax(Handle, dim));

    /// <summary>
    /// Native handles of a tensor list for one call; AddRef'd so a concurrent dispose cannot free them mid-call.
    /// </summary>
    internal static T CallWithHandles<T>(IReadOnlyList<Tensor> tensors, Func<IntPtr[], T> call)
    {
        var handles = new IntPtr[tensors.Count];
        var added = new bool[tensors.Count];
        try
        {
            for (var k = 0; k < handles.Length; k++)
            {
                tensors[k].Handle.DangerousAddRef(ref added[k]);
                handles[k] = tensors[k].Handle.DangerousGetHandle();
            }
            return call(handles);
        }
        finally
        {
            for (var k = 0; k < handles.Length; k++)
                if (added[k])
                    tensors[k].Handle.DangerousRelease();
        }
    }
}
