namespace QuakePrune.Hdf5;

/// <summary>Element types of datasets and attributes, in numpy's words where it has one.</summary>
public enum H5ElementType
{
    Float16,
    Float32,
    Float64,
    Int8,
    Int16,
    Int32,
    Int64,
    UInt8,
    UInt16,
    UInt32,
    UInt64,
    String,
    Other,
}

/// <summary>Order of a group's links: by name (h5py's default), or by creation where the group tracks it.</summary>
public enum H5LinkOrder
{
    Name,
    Creation,
}

internal static class H5Types
{
    /// <summary>The in-memory HDF5 type for a C# element type.</summary>
    public static long Memory<T>()
        where T : unmanaged
    {
        var g = Hdf5Library.G;
        if (typeof(T) == typeof(float))
            return g.NativeFloat;
        if (typeof(T) == typeof(double))
            return g.NativeDouble;
        if (typeof(T) == typeof(long))
            return g.NativeInt64;
        if (typeof(T) == typeof(int))
            return g.NativeInt32;
        if (typeof(T) == typeof(byte))
            return g.NativeUInt8;
        if (typeof(T) == typeof(Half))
            return g.IeeeF16Le;
        throw new ArgumentException(
            $"HDF5: element type {typeof(T).Name} is not supported (float, double, long, int, byte, Half are)"
        );
    }

    /// <summary>The little-endian file type h5py would write for an element type.</summary>
    public static long File(H5ElementType type)
    {
        var g = Hdf5Library.G;
        return type switch
        {
            H5ElementType.Float16 => g.IeeeF16Le,
            H5ElementType.Float32 => g.IeeeF32Le,
            H5ElementType.Float64 => g.IeeeF64Le,
            H5ElementType.Int32 => g.StdI32Le,
            H5ElementType.Int64 => g.StdI64Le,
            H5ElementType.UInt8 => g.StdU8Le,
            _ => throw new ArgumentException($"HDF5: cannot create a numeric dataset of type {Name(type)}"),
        };
    }

    public static H5ElementType Classify(long typeId)
    {
        var size = (int)H5Native.H5Tget_size(typeId);
        switch (H5Native.H5Tget_class(typeId))
        {
            case H5Native.H5T_FLOAT:
                return size switch
                {
                    2 => H5ElementType.Float16,
                    4 => H5ElementType.Float32,
                    8 => H5ElementType.Float64,
                    _ => H5ElementType.Other,
                };
            case H5Native.H5T_INTEGER:
                var unsigned = H5Native.H5Tget_sign(typeId) == H5Native.H5T_SGN_NONE;
                return (size, unsigned) switch
                {
                    (1, false) => H5ElementType.Int8,
                    (2, false) => H5ElementType.Int16,
                    (4, false) => H5ElementType.Int32,
                    (8, false) => H5ElementType.Int64,
                    (1, true) => H5ElementType.UInt8,
                    (2, true) => H5ElementType.UInt16,
                    (4, true) => H5ElementType.UInt32,
                    (8, true) => H5ElementType.UInt64,
                    _ => H5ElementType.Other,
                };
            case H5Native.H5T_STRING:
                return H5ElementType.String;
            default:
                return H5ElementType.Other;
        }
    }

    public static bool IsNumeric(H5ElementType type) => type is not (H5ElementType.String or H5ElementType.Other);

    /// <summary>numpy's name for a type, for messages ("float32", "int64", "str").</summary>
    public static string Name(H5ElementType type) =>
        type == H5ElementType.String ? "str" : type.ToString().ToLowerInvariant();
}
