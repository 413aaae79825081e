using System.Runtime.InteropServices;

namespace QuakePrune.Torch;

/// <summary>Element types; the values are libtorch's c10::ScalarType codes, so they cross the ABI unchanged.</summary>
public enum ScalarType
{
    Byte = 0,
    Int8 = 1,
    Int16 = 2,
    Int32 = 3,
    Int64 = 4,
    Float16 = 5,
    Float32 = 6,
    Float64 = 7,
    Bool = 11,
    BFloat16 = 15,
}

/// <summary>Device kinds; the values are libtorch's c10::DeviceType codes.</summary>
public enum DeviceType
{
    CPU = 0,
    CUDA = 1,
}

/// <summary>A device as PyTorch names it: "cpu", "cuda", "cuda:1". Index -1 means the current device.</summary>
public readonly record struct Device(DeviceType type, int index = -1)
{
    public static readonly Device CPU = new(DeviceType.CPU);
    public static readonly Device CUDA = new(DeviceType.CUDA);

    public static Device Parse(string name)
    {
        var parts = name.Trim().ToLowerInvariant().Split(':');
        var type = parts[0] switch
        {
            "cpu" => DeviceType.CPU,
            "cuda" => DeviceType.CUDA,
            _ => throw new ArgumentException($"unknown device '{name}': expected cpu, cuda or cuda:N", nameof(name)),
        };
        if (parts.Length == 1)
            return new Device(type);
        if (parts.Length == 2 && int.TryParse(parts[1], out var index) && index >= 0)
            return new Device(type, index);
        throw new ArgumentException($"unknown device '{name}': expected cpu, cuda or cuda:N", nameof(name));
    }

    public override string ToString() => (type == DeviceType.CPU ? "cpu" : "cuda") + (index >= 0 ? $":{index}" : "");
}

/// <summary>A number passed to libtorch as at::Scalar: floating, integral or boolean, as PyTorch types it.</summary>
[StructLayout(LayoutKind.Sequential)]
public readonly struct Scalar
{
    private readonly double floating;
    private readonly long integral;
    private readonly int kind;

    private Scalar(double floating, long integral, int kind)
    {
        this.floating = floating;
        this.integral = integral;
        this.kind = kind;
    }

    /// <summary>No value: an open bound of clamp.</summary>
    internal static readonly Scalar Absent = new(0, 0, 3);

    internal static Scalar From(Scalar? value) => value ?? Absent;

    public bool IsFloatingPoint => kind == 0;

    public double ToDouble() => kind == 0 ? floating : integral;

    public static implicit operator Scalar(double value) => new(value, 0, 0);

    public static implicit operator Scalar(float value) => new(value, 0, 0);

    public static implicit operator Scalar(long value) => new(0, value, 1);

    public static implicit operator Scalar(int value) => new(0, value, 1);

    public static implicit operator Scalar(bool value) => new(0, value ? 1 : 0, 2);

    public override string ToString() =>
        kind switch
        {
            0 => floating.ToString("R", System.Globalization.CultureInfo.InvariantCulture),
            1 => integral.ToString(System.Globalization.CultureInfo.InvariantCulture),
            2 => integral != 0 ? "true" : "false",
            _ => "none",
        };
}

/// <summary>A libtorch failure (shape mismatch, bad argument, out of memory...) with libtorch's own message.</summary>
public sealed class TorchException : ExternalException
{
    public TorchException(string message)
        : base("libtorch: " + message) { }
}

/// <summary>Owns one native at::Tensor*; freed once, by Dispose or by the finaliser.</summary>
internal sealed class TensorHandle : SafeHandle
{
    public TensorHandle()
        : base(IntPtr.Zero, true) { }

    internal TensorHandle(IntPtr handle)
        : base(IntPtr.Zero, true) => SetHandle(handle);

    public override bool IsInvalid => handle == IntPtr.Zero;

    protected override bool ReleaseHandle()
    {
        Native.qp_tensor_free(handle);
        return true;
    }

    /// <summary>An undefined tensor: what the shim reads as an absent optional tensor argument.</summary>
    internal static readonly TensorHandle Undefined = new(Native.Check(Native.qp_undefined()));
}

/// <summary>
/// Disposes every tensor created on this thread while it is the innermost scope, unless moved out with
/// <see cref="Tensor.MoveToOuterScope"/> or <see cref="Tensor.DetachFromDisposeScope"/>. Open one per
/// training step: <c>using var scope = torch.NewDisposeScope();</c>.
/// </summary>
public sealed class DisposeScope : IDisposable
{
    [ThreadStatic]
    private static DisposeScope? current;

    private readonly HashSet<Tensor> tensors = new(ReferenceEqualityComparer.Instance);
    private bool disposed;

    internal DisposeScope()
    {
        Outer = current;
        current = this;
    }

    /// <summary>The innermost open scope on this thread, if any.</summary>
    public static DisposeScope? Current => current;

    public DisposeScope? Outer { get; }

    /// <summary>How many tensors this scope will dispose.</summary>
    public int Count => tensors.Count;

    internal static void Register(Tensor tensor)
    {
        var scope = current;
        if (scope is null)
            return;
        scope.tensors.Add(tensor);
        tensor.Scope = scope;
    }

    internal void Remove(Tensor tensor)
    {
        tensors.Remove(tensor);
        tensor.Scope = null;
    }

    internal void Add(Tensor tensor)
    {
        tensors.Add(tensor);
        tensor.Scope = this;
    }

    /// <summary>Moves a tensor into this scope (out of its current one, if any).</summary>
    public Tensor Include(Tensor tensor)
    {
        tensor.Scope?.Remove(tensor);
        Add(tensor);
        return tensor;
    }

    public void Dispose()
    {
        if (disposed)
            return;
        disposed = true;
        if (current == this)
            current = Outer;
        foreach (var tensor in tensors)
        {
            tensor.Scope = null;
            tensor.Dispose();
        }
        tensors.Clear();
    }
}
