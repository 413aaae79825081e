namespace QuakePrune.Hdf5;

/// <summary>An HDF5 dataset: N-D numeric arrays (whole or by rows of the first dimension) or 1-D strings.</summary>
public sealed unsafe class H5Dataset : H5Object
{
    private long[]? shape;
    private H5ElementType? elementType;

    internal H5Dataset(H5Handle handle, string filePath, string path)
        : base(handle, filePath, path) { }

    /// <summary>The dataset's dimensions.</summary>
    public long[] Shape => shape ??= ReadShape();

    /// <summary>The stored element type.</summary>
    public H5ElementType ElementType
    {
        get
        {
            if (elementType is { } known)
                return known;
            lock (Hdf5Library.Sync)
            {
                using var type = H5Handle.Take(
                    H5Native.H5Dget_type(Id),
                    H5Kind.Datatype,
                    "reading the type",
                    FilePath,
                    Path
                );
                elementType = H5Types.Classify(type.Id);
                return elementType.Value;
            }
        }
    }

    /// <summary>numpy's name of the element type ("float32"), for messages.</summary>
    public string DtypeName => H5Types.Name(ElementType);

    /// <summary>Number of elements.</summary>
    public long Count => Shape.Aggregate(1L, (a, b) => a * b);

    /// <summary>The chunk shape, or null for a contiguous (or compact) dataset.</summary>
    public long[]? ChunkShape
    {
        get
        {
            lock (Hdf5Library.Sync)
            {
                using var dcpl = H5Handle.Take(
                    H5Native.H5Dget_create_plist(Id),
                    H5Kind.PropertyList,
                    "reading the creation properties",
                    FilePath,
                    Path
                );
                var rank = Shape.Length;
                var dims = stackalloc ulong[Math.Max(rank, 1)];
                if (H5Native.H5Pget_layout(dcpl.Id) != 2)
                    return null; // H5D_CHUNKED
                if (H5Native.H5Pget_chunk(dcpl.Id, rank, dims) < 0)
                    throw Error("reading the chunk shape");
                var result = new long[rank];
                for (var i = 0; i < rank; i++)
                    result[i] = (long)dims[i];
                return result;
            }
        }
    }

    /// <summary>Bytes the data occupies in the file; for a chunked dataset this walks its chunk index.</summary>
    public long StorageBytes
    {
        get
        {
            lock (Hdf5Library.Sync)
                return (long)H5Native.H5Dget_storage_size(Id);
        }
    }

    /// <summary>
    /// Where the elements lie in the file as little-endian float32 bytes, one after another: the byte offset of a
    /// dataset stored contiguously in this file as little-endian IEEE float32 (what h5py writes for float32), or null
    /// for any other storage (chunked, compact, external, not yet allocated) or type. Such bytes read from the file are
    /// exactly what <see cref="Read{T}(Span{T})"/> into floats gives on a little-endian machine.
    /// </summary>
    public long? ContiguousFloat32Offset
    {
        get
        {
            if (!BitConverter.IsLittleEndian)
                return null;
            lock (Hdf5Library.Sync)
            {
                using (
                    var type = H5Handle.Take(
                        H5Native.H5Dget_type(Id),
                        H5Kind.Datatype,
                        "reading the type",
                        FilePath,
                        Path
                    )
                )
                    if (H5Native.H5Tequal(type.Id, Hdf5Library.G.IeeeF32Le) <= 0)
                        return null;
                using (
                    var dcpl = H5Handle.Take(
                        H5Native.H5Dget_create_plist(Id),
                        H5Kind.PropertyList,
                        "reading the creation properties",
                        FilePath,
                        Path
                    )
                )
                    if (
                        H5Native.H5Pget_layout(dcpl.Id) != H5Native.H5D_CONTIGUOUS
                        || H5Native.H5Pget_external_count(dcpl.Id) != 0
                    )
                        return null;
                // HADDR_UNDEF (all ones) when the storage is not allocated; the address counts from the file's first
                // byte.
                var offset = H5Native.H5Dget_offset(Id);
                return offset > long.MaxValue ? null : (long)offset;
            }
        }
    }

    private long[] ReadShape()
    {
        lock (Hdf5Library.Sync)
        {
            using var space = H5Handle.Take(
                H5Native.H5Dget_space(Id),
                H5Kind.Dataspace,
                "reading the shape",
                FilePath,
                Path
            );
            return SpaceShape(space.Id, this);
        }
    }

    internal static long[] SpaceShape(long spaceId, H5Object owner)
    {
        var rank = H5Native.H5Sget_simple_extent_ndims(spaceId);
        if (rank < 0)
            throw owner.Error("reading the rank");
        var dims = stackalloc ulong[Math.Max(rank, 1)];
        if (H5Native.H5Sget_simple_extent_dims(spaceId, dims, null) < 0)
            throw owner.Error("reading the dimensions");
        var result = new long[rank];
        for (var i = 0; i < rank; i++)
            result[i] = (long)dims[i];
        return result;
    }

    internal static H5Handle SimpleSpace(ReadOnlySpan<long> shape, string file, string path)
    {
        var dims = stackalloc ulong[Math.Max(shape.Length, 1)];
        for (var i = 0; i < shape.Length; i++)
        {
            if (shape[i] < 0)
                throw new ArgumentException($"HDF5: negative dimension {shape[i]} for '{path}' in '{file}'");
            dims[i] = (ulong)shape[i];
        }
        var id =
            shape.Length == 0
                ? H5Native.H5Screate(H5Native.H5S_SCALAR)
                : H5Native.H5Screate_simple(shape.Length, dims, null);
        return H5Handle.Take(id, H5Kind.Dataspace, "creating a dataspace", file, path);
    }

    /// <summary>Reads the whole dataset, converting to <typeparamref name="T"/> where HDF5 can.</summary>
    public T[] Read<T>()
        where T : unmanaged
    {
        var result = new T[Count];
        Read<T>(result);
        return result;
    }

    /// <summary>
    /// Reads the whole dataset into <paramref name="destination"/> (exactly <see cref="Count"/> elements).
    /// </summary>
    public void Read<T>(Span<T> destination)
        where T : unmanaged
    {
        if (destination.Length != Count)
            throw new ArgumentException(
                $"HDF5: '{Path}' in '{FilePath}' holds {Count} elements, the buffer {destination.Length}"
            );
        lock (Hdf5Library.Sync)
        {
            fixed (T* p = destination)
                Check(
                    H5Native.H5Dread(
                        Id,
                        H5Types.Memory<T>(),
                        H5Native.H5S_ALL,
                        H5Native.H5S_ALL,
                        H5Native.H5P_DEFAULT,
                        p
                    ),
                    "reading"
                );
        }
    }

    /// <summary>
    /// Writes the whole dataset from <paramref name="source"/> (exactly <see cref="Count"/> elements).
    /// </summary>
    public void Write<T>(ReadOnlySpan<T> source)
        where T : unmanaged
    {
        if (source.Length != Count)
            throw new ArgumentException(
                $"HDF5: '{Path}' in '{FilePath}' holds {Count} elements, the data {source.Length}"
            );
        lock (Hdf5Library.Sync)
        {
            fixed (T* p = source)
                Check(
                    H5Native.H5Dwrite(
                        Id,
                        H5Types.Memory<T>(),
                        H5Native.H5S_ALL,
                        H5Native.H5S_ALL,
                        H5Native.H5P_DEFAULT,
                        p
                    ),
                    "writing"
                );
        }
    }

    /// <summary>Elements in one row (one index of the first dimension).</summary>
    public long RowSize => Shape.Skip(1).Aggregate(1L, (a, b) => a * b);

    /// <summary>
    /// Reads rows <paramref name="firstRow"/>..firstRow+count-1 of the first dimension into
    /// <paramref name="destination"/>.
    /// </summary>
    public void ReadRows<T>(long firstRow, long count, Span<T> destination)
        where T : unmanaged
    {
        lock (Hdf5Library.Sync)
        {
            using var selection = RowSelection(firstRow, count, destination.Length, out var memory);
            using (memory)
                fixed (T* p = destination)
                    Check(
                        H5Native.H5Dread(Id, H5Types.Memory<T>(), memory.Id, selection.Id, H5Native.H5P_DEFAULT, p),
                        $"reading rows {firstRow}..{firstRow + count - 1}"
                    );
        }
    }

    /// <summary>
    /// Writes rows starting at <paramref name="firstRow"/>; the number of rows is the data's length over the row size.
    /// </summary>
    public void WriteRows<T>(long firstRow, ReadOnlySpan<T> source)
        where T : unmanaged
    {
        var rowSize = RowSize;
        if (rowSize == 0 || source.Length % rowSize != 0)
            throw new ArgumentException(
                $"HDF5: {source.Length} elements are not whole rows of {rowSize} for '{Path}' in '{FilePath}'"
            );
        var count = source.Length / rowSize;
        lock (Hdf5Library.Sync)
        {
            using var selection = RowSelection(firstRow, count, source.Length, out var memory);
            using (memory)
                fixed (T* p = source)
                    Check(
                        H5Native.H5Dwrite(Id, H5Types.Memory<T>(), memory.Id, selection.Id, H5Native.H5P_DEFAULT, p),
                        $"writing rows {firstRow}..{firstRow + count - 1}"
                    );
        }
    }

    private H5Handle RowSelection(long firstRow, long count, long bufferLength, out H5Handle memory)
    {
        var dims = Shape;
        if (dims.Length == 0)
            throw new ArgumentException($"HDF5: '{Path}' in '{FilePath}' is a scalar, it has no rows");
        if (firstRow < 0 || count < 0 || firstRow + count > dims[0])
            throw new ArgumentOutOfRangeException(
                nameof(firstRow),
                $"HDF5: rows {firstRow}..{firstRow + count - 1} are outside '{Path}' ({dims[0]} rows) in '{FilePath}'"
            );
        var rowSize = dims.Skip(1).Aggregate(1L, (a, b) => a * b);
        if (bufferLength != count * rowSize)
            throw new ArgumentException(
                $"HDF5: {count} rows of '{Path}' in '{FilePath}' need {count * rowSize} elements, the buffer has {bufferLength}"
            );
        var start = stackalloc ulong[dims.Length];
        var counts = stackalloc ulong[dims.Length];
        var memoryShape = new long[dims.Length];
        for (var i = 0; i < dims.Length; i++)
        {
            start[i] = i == 0 ? (ulong)firstRow : 0;
            counts[i] = i == 0 ? (ulong)count : (ulong)dims[i];
            memoryShape[i] = (long)counts[i];
        }
        var file = H5Handle.Take(H5Native.H5Dget_space(Id), H5Kind.Dataspace, "reading the dataspace", FilePath, Path);
        if (H5Native.H5Sselect_hyperslab(file.Id, H5Native.H5S_SELECT_SET, start, null, counts, null) < 0)
        {
            file.Dispose();
            throw Error("selecting rows");
        }
        memory = SimpleSpace(memoryShape, FilePath, Path);
        return file;
    }

    /// <summary>
    /// Changes the number of rows (the first dimension) of a chunked dataset; shrinking drops the last rows.
    /// Lets a writer that skips inputs create the dataset at its largest size and cut it to what was written.
    /// </summary>
    public void ResizeRows(long rows)
    {
        var dims = Shape;
        if (dims.Length == 0)
            throw new ArgumentException($"HDF5: '{Path}' in '{FilePath}' is a scalar, it has no rows");
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        if (ChunkShape is null)
            throw new InvalidOperationException($"HDF5: '{Path}' in '{FilePath}' is not chunked, so its size is fixed");
        var size = stackalloc ulong[dims.Length];
        for (var i = 0; i < dims.Length; i++)
            size[i] = i == 0 ? (ulong)rows : (ulong)dims[i];
        lock (Hdf5Library.Sync)
        {
            Check(H5Native.H5Dset_extent(Id, size), $"resizing to {rows} rows");
            shape = null;
        }
    }

    /// <summary>Reads a 1-D dataset of strings (variable or fixed length).</summary>
    public string[] ReadStrings()
    {
        lock (Hdf5Library.Sync)
        {
            using var type = H5Handle.Take(
                H5Native.H5Dget_type(Id),
                H5Kind.Datatype,
                "reading the type",
                FilePath,
                Path
            );
            if (H5Types.Classify(type.Id) != H5ElementType.String)
                throw new InvalidDataException($"HDF5: '{Path}' in '{FilePath}' holds {DtypeName}, not strings");
            var result = H5Strings.Read(type.Id, Count, (memType, buffer) =>
                H5Native.H5Dread(Id, memType, H5Native.H5S_ALL, H5Native.H5S_ALL, H5Native.H5P_DEFAULT, (void*)buffer)
            );
            return result ?? throw Error("reading strings");
        }
    }
}
