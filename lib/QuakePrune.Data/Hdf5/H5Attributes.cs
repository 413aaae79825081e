using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;

namespace QuakePrune.Hdf5;

/// <summary>
/// An attribute's value as read: numbers (any integer or float type, as double) or strings, with the shape.
/// STEAD's attributes are strings or numbers depending on who wrote them, so both readings are offered.
/// </summary>
public sealed record H5AttributeValue(long[] Shape, double[]? Numbers, string[]? Strings)
{
    public bool IsString => Strings is not null;

    /// <summary>The first value as text (a number as its shortest round-trip form).</summary>
    public string AsString() =>
        Strings is { Length: > 0 } s ? s[0]
        : Numbers is { Length: > 0 } n ? n[0].ToString("R", CultureInfo.InvariantCulture)
        : "";

    /// <summary>The first value as a number; null for text that is not a number (e.g. "None").</summary>
    public double? AsDouble()
    {
        if (Numbers is { Length: > 0 } n)
            return n[0];
        if (
            Strings is { Length: > 0 } s
            && double.TryParse(s[0], NumberStyles.Float, CultureInfo.InvariantCulture, out var v)
        )
            return v;
        return null;
    }
}

/// <summary>The attributes of one HDF5 object.</summary>
public sealed unsafe class H5Attributes
{
    private readonly H5Object owner;

    internal H5Attributes(H5Object owner) => this.owner = owner;

    public bool Contains(string name)
    {
        lock (Hdf5Library.Sync)
        {
            var status = H5Native.H5Aexists(owner.Id, name);
            if (status < 0)
                throw owner.Error($"checking attribute '{name}'");
            return status > 0;
        }
    }

    /// <summary>The attribute names, in name order.</summary>
    public List<string> Names()
    {
        lock (Hdf5Library.Sync)
        {
            var names = new List<string>();
            var gc = GCHandle.Alloc(names);
            try
            {
                ulong idx = 0;
                if (H5Native.H5Aiterate2(owner.Id, 0, 0, &idx, &Collect, (void*)GCHandle.ToIntPtr(gc)) < 0)
                    throw owner.Error("listing attributes");
            }
            finally
            {
                gc.Free();
            }
            return names;
        }
    }

    [UnmanagedCallersOnly]
    private static int Collect(long obj, byte* name, void* info, void* data)
    {
        ((List<string>)GCHandle.FromIntPtr((nint)data).Target!).Add(Marshal.PtrToStringUTF8((nint)name) ?? "");
        return 0;
    }

    /// <summary>Reads an attribute; throws if it is absent.</summary>
    public H5AttributeValue Read(string name) =>
        TryRead(name)
        ?? throw new KeyNotFoundException(
            $"HDF5: attribute '{name}' not found on '{owner.Path}' in '{owner.FilePath}'"
        );

    /// <summary>Reads an attribute, or null when it is absent.</summary>
    public H5AttributeValue? TryRead(string name)
    {
        lock (Hdf5Library.Sync)
        {
            if (!Contains(name))
                return null;
            using var attr = H5Handle.Take(
                H5Native.H5Aopen(owner.Id, name, H5Native.H5P_DEFAULT),
                H5Kind.Attribute,
                $"opening attribute '{name}'",
                owner.FilePath,
                owner.Path
            );
            using var space = H5Handle.Take(
                H5Native.H5Aget_space(attr.Id),
                H5Kind.Dataspace,
                $"reading attribute '{name}'",
                owner.FilePath,
                owner.Path
            );
            using var type = H5Handle.Take(
                H5Native.H5Aget_type(attr.Id),
                H5Kind.Datatype,
                $"reading attribute '{name}'",
                owner.FilePath,
                owner.Path
            );
            var shape = H5Dataset.SpaceShape(space.Id, owner);
            var count = shape.Aggregate(1L, (a, b) => a * b);
            var kind = H5Types.Classify(type.Id);
            if (kind == H5ElementType.String)
            {
                var strings = H5Strings.Read(type.Id, count, (memType, buffer) =>
                    H5Native.H5Aread(attr.Id, memType, (void*)buffer)
                );
                return new H5AttributeValue(shape, null, strings ?? throw owner.Error($"reading attribute '{name}'"));
            }
            if (!H5Types.IsNumeric(kind))
                throw new InvalidDataException(
                    $"HDF5: attribute '{name}' on '{owner.Path}' in '{owner.FilePath}' is neither a number nor a string"
                );
            var numbers = new double[count];
            fixed (double* p = numbers)
                if (H5Native.H5Aread(attr.Id, Hdf5Library.G.NativeDouble, p) < 0)
                    throw owner.Error($"reading attribute '{name}'");
            return new H5AttributeValue(shape, numbers, null);
        }
    }

    /// <summary>An attribute as text whatever its type; null when absent.</summary>
    public string? ReadString(string name) => TryRead(name)?.AsString();

    /// <summary>An attribute as a number whatever its type; null when absent or not a number.</summary>
    public double? ReadDouble(string name) => TryRead(name)?.AsDouble();

    /// <summary>Writes a float64 scalar.</summary>
    public void Write(string name, double value) =>
        WriteNumbers(name, new ReadOnlySpan<double>(in value), [], Hdf5Library.G.IeeeF64Le, Hdf5Library.G.NativeDouble);

    /// <summary>Writes an int64 scalar.</summary>
    public void Write(string name, long value) =>
        WriteNumbers(name, new ReadOnlySpan<long>(in value), [], Hdf5Library.G.StdI64Le, Hdf5Library.G.NativeInt64);

    /// <summary>Writes a float64 array of the given shape (e.g. [3] or [1, 1]).</summary>
    public void Write(string name, ReadOnlySpan<double> values, ReadOnlySpan<long> shape) =>
        WriteNumbers(name, values, shape, Hdf5Library.G.IeeeF64Le, Hdf5Library.G.NativeDouble);

    /// <summary>Writes an int64 array of the given shape.</summary>
    public void Write(string name, ReadOnlySpan<long> values, ReadOnlySpan<long> shape) =>
        WriteNumbers(name, values, shape, Hdf5Library.G.StdI64Le, Hdf5Library.G.NativeInt64);

    /// <summary>Writes a float32 array of the given shape.</summary>
    public void Write(string name, ReadOnlySpan<float> values, ReadOnlySpan<long> shape) =>
        WriteNumbers(name, values, shape, Hdf5Library.G.IeeeF32Le, Hdf5Library.G.NativeFloat);

    private void WriteNumbers<T>(
        string name,
        ReadOnlySpan<T> values,
        ReadOnlySpan<long> shape,
        long fileType,
        long memoryType
    )
        where T : unmanaged
    {
        var count = 1L;
        foreach (var d in shape)
            count *= d;
        if (count != values.Length)
            throw new ArgumentException(
                $"HDF5: attribute '{name}' of shape [{string.Join(",", shape.ToArray())}] needs {count} values, got {values.Length}"
            );
        lock (Hdf5Library.Sync)
        {
            using var space = shape.IsEmpty ? null : H5Dataset.SimpleSpace(shape, owner.FilePath, owner.Path);
            using var attr = Create(name, fileType, space?.Id ?? Hdf5Library.G.ScalarSpace);
            fixed (T* p = values)
                if (H5Native.H5Awrite(attr.Id, memoryType, p) < 0)
                    throw owner.Error($"writing attribute '{name}'");
        }
    }

    /// <summary>Writes a scalar string, variable-length UTF-8 by default (as h5py), or fixed-length.</summary>
    public void Write(string name, string value, bool fixedLength = false)
    {
        lock (Hdf5Library.Sync)
        {
            if (!fixedLength)
            {
                using var attr = Create(name, Hdf5Library.G.VariableUtf8String, Hdf5Library.G.ScalarSpace);
                var status = H5Strings.WriteVariable([value], (type, buffer) =>
                    H5Native.H5Awrite(attr.Id, type, (void*)buffer)
                );
                if (status < 0)
                    throw owner.Error($"writing attribute '{name}'");
                return;
            }
            var bytes = Encoding.UTF8.GetBytes(value);
            using var fixedType = H5Handle.Take(
                H5Native.H5Tcopy(Hdf5Library.G.CString),
                H5Kind.Datatype,
                "H5Tcopy",
                owner.FilePath,
                owner.Path
            );
            H5Native.H5Tset_size(fixedType.Id, (nuint)Math.Max(bytes.Length, 1));
            H5Native.H5Tset_cset(fixedType.Id, H5Native.H5T_CSET_UTF8);
            using var fixedAttr = Create(name, fixedType.Id, Hdf5Library.G.ScalarSpace);
            var buffer = new byte[Math.Max(bytes.Length, 1)];
            bytes.CopyTo(buffer, 0);
            fixed (byte* p = buffer)
                if (H5Native.H5Awrite(fixedAttr.Id, fixedType.Id, p) < 0)
                    throw owner.Error($"writing attribute '{name}'");
        }
    }

    /// <summary>Removes an attribute if present.</summary>
    public void Delete(string name)
    {
        lock (Hdf5Library.Sync)
        {
            if (Contains(name) && H5Native.H5Adelete(owner.Id, name) < 0)
                throw owner.Error($"deleting attribute '{name}'");
        }
    }

    private H5Handle Create(string name, long type, long space)
    {
        // Creating first and replacing only when that fails keeps the common case (a new attribute) to one call.
        var id = H5Native.H5Acreate2(owner.Id, name, type, space, H5Native.H5P_DEFAULT, H5Native.H5P_DEFAULT);
        if (id < 0 && H5Native.H5Aexists(owner.Id, name) > 0)
        {
            H5Native.H5Eclear2(H5Native.H5E_DEFAULT);
            Delete(name);
            id = H5Native.H5Acreate2(owner.Id, name, type, space, H5Native.H5P_DEFAULT, H5Native.H5P_DEFAULT);
        }
        return H5Handle.Take(id, H5Kind.Attribute, $"creating attribute '{name}'", owner.FilePath, owner.Path);
    }
}
