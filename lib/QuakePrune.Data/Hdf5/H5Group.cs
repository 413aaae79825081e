using System.Runtime.InteropServices;

namespace QuakePrune.Hdf5;

/// <summary>An HDF5 group: links to child groups and datasets, plus attributes.</summary>
public class H5Group : H5Object
{
    private protected H5Group(H5Handle handle, string filePath, string path)
        : base(handle, filePath, path) { }

    internal static H5Group Wrap(H5Handle handle, string filePath, string path) => new(handle, filePath, path);

    /// <summary>
    /// Creates a child group; <paramref name="trackCreationOrder"/> lets its links be listed in the order written.
    /// </summary>
    public H5Group CreateGroup(string name, bool trackCreationOrder = false)
    {
        lock (Hdf5Library.Sync)
        {
            using var gcpl = H5Handle.Take(
                H5Native.H5Pcreate(Hdf5Library.G.GroupCreateClass),
                H5Kind.PropertyList,
                "H5Pcreate",
                FilePath
            );
            // No modification times in object headers: the same inputs and seed give byte-identical files.
            Check(H5Native.H5Pset_obj_track_times(gcpl.Id, false), "H5Pset_obj_track_times");
            if (trackCreationOrder)
                Check(
                    H5Native.H5Pset_link_creation_order(
                        gcpl.Id,
                        H5Native.H5P_CRT_ORDER_TRACKED | H5Native.H5P_CRT_ORDER_INDEXED
                    ),
                    "H5Pset_link_creation_order"
                );
            var id = H5Native.H5Gcreate2(Id, name, H5Native.H5P_DEFAULT, gcpl.Id, H5Native.H5P_DEFAULT);
            return new H5Group(
                H5Handle.Take(id, H5Kind.Group, "creating group", FilePath, Child(name)),
                FilePath,
                Child(name)
            );
        }
    }

    /// <summary>Opens a child group (a path such as "earthquake/local" works too).</summary>
    public H5Group OpenGroup(string name)
    {
        lock (Hdf5Library.Sync)
        {
            var id = H5Native.H5Gopen2(Id, name, H5Native.H5P_DEFAULT);
            return new H5Group(
                H5Handle.Take(id, H5Kind.Group, "opening group", FilePath, Child(name)),
                FilePath,
                Child(name)
            );
        }
    }

    /// <summary>Whether a link (a path of several parts included) exists below this group.</summary>
    public bool Contains(string name)
    {
        lock (Hdf5Library.Sync)
        {
            // H5Lexists fails rather than answers when an intermediate part is missing: walk the parts.
            var prefix = "";
            foreach (var part in name.Split('/', StringSplitOptions.RemoveEmptyEntries))
            {
                prefix = prefix.Length == 0 ? part : prefix + "/" + part;
                var status = H5Native.H5Lexists(Id, prefix, H5Native.H5P_DEFAULT);
                if (status < 0)
                    throw Error("H5Lexists", Child(prefix));
                if (status == 0)
                    return false;
            }
            return prefix.Length > 0;
        }
    }

    /// <summary>Whether a child is a group (true), a dataset (false); throws if it is absent.</summary>
    public bool IsGroup(string name)
    {
        lock (Hdf5Library.Sync)
        {
            using var obj = H5Handle.Take(
                H5Native.H5Oopen(Id, name, H5Native.H5P_DEFAULT),
                H5Kind.Object,
                "opening object",
                FilePath,
                Child(name)
            );
            return H5Native.H5Iget_type(obj.Id) == H5Native.H5I_GROUP;
        }
    }

    /// <summary>
    /// The names of this group's links. Creation order falls back to name order where the group does not track it.
    /// </summary>
    public List<string> LinkNames(H5LinkOrder order = H5LinkOrder.Name) => EnumerateLinkNames(order).ToList();

    /// <summary>
    /// Streams the names of this group's links in batches, so a group of a million links costs little memory.
    /// </summary>
    public IEnumerable<string> EnumerateLinkNames(H5LinkOrder order = H5LinkOrder.Name, int batchSize = 4096)
    {
        var index = order == H5LinkOrder.Creation && TracksCreationOrder() ? 1 : 0;
        ulong next = 0;
        var batch = new List<string>(batchSize);
        while (true)
        {
            batch.Clear();
            var done = IterateBatch(index, ref next, batch, batchSize);
            foreach (var name in batch)
                yield return name;
            if (done)
                yield break;
        }
    }

    private bool TracksCreationOrder()
    {
        lock (Hdf5Library.Sync)
        {
            var state = new IterationState { Limit = 1 };
            return Iterate(1, 0, state, out _) >= 0;
        }
    }

    private sealed class IterationState
    {
        public readonly List<string> Names = [];
        public int Limit;
    }

    private bool IterateBatch(int indexType, ref ulong next, List<string> into, int limit)
    {
        lock (Hdf5Library.Sync)
        {
            var state = new IterationState { Limit = limit };
            var status = Iterate(indexType, next, state, out next);
            if (status < 0)
                throw Error("iterating links");
            into.AddRange(state.Names);
            return status == 0;
        }
    }

    private unsafe int Iterate(int indexType, ulong start, IterationState state, out ulong next)
    {
        var gc = GCHandle.Alloc(state);
        try
        {
            var idx = start;
            var status = H5Native.H5Literate(Id, indexType, 0, &idx, &CollectLink, (void*)GCHandle.ToIntPtr(gc));
            next = idx;
            if (status < 0)
                H5Native.H5Eclear2(H5Native.H5E_DEFAULT);
            return status;
        }
        finally
        {
            gc.Free();
        }
    }

    [UnmanagedCallersOnly]
    private static unsafe int CollectLink(long group, byte* name, void* info, void* data)
    {
        var state = (IterationState)GCHandle.FromIntPtr((nint)data).Target!;
        state.Names.Add(Marshal.PtrToStringUTF8((nint)name) ?? "");
        // A positive return stops the iteration with idx pointing past this link: the next batch resumes there.
        return state.Names.Count >= state.Limit ? 1 : 0;
    }

    /// <summary>
    /// Creates a numeric dataset of the given shape; contiguous unless <paramref name="chunks"/> is given (as h5py). A
    /// chunked one is written a whole chunk at a time (an image, a curve): each chunk goes straight to the file, not
    /// zero-filled first nor copied through libhdf5's chunk cache (two passes over every image the spectrogram verb
    /// writes). Writing part of a chunk still works, but reads the rest of it back from the file each time.
    /// </summary>
    public unsafe H5Dataset CreateDataset(
        string name,
        H5ElementType type,
        ReadOnlySpan<long> shape,
        ReadOnlySpan<long> chunks = default
    )
    {
        if (!chunks.IsEmpty && chunks.Length != shape.Length)
            throw new ArgumentException(
                $"HDF5: chunk rank {chunks.Length} differs from the shape's rank {shape.Length} for '{Child(name)}'"
            );
        lock (Hdf5Library.Sync)
        {
            var fileType = H5Types.File(type);
            using var space = H5Dataset.SimpleSpace(shape, FilePath, Child(name));
            using var dcpl = DatasetCreation(name);
            if (!chunks.IsEmpty)
            {
                var dims = stackalloc ulong[chunks.Length];
                for (var i = 0; i < chunks.Length; i++)
                    dims[i] = (ulong)chunks[i];
                Check(H5Native.H5Pset_chunk(dcpl.Id, chunks.Length, dims), "setting the chunk shape", Child(name));
                Check(
                    H5Native.H5Pset_fill_time(dcpl.Id, H5Native.H5D_FILL_TIME_NEVER),
                    "setting the fill time",
                    Child(name)
                );
            }
            using var dapl = chunks.IsEmpty ? null : DirectChunkAccess(name);
            var id = H5Native.H5Dcreate2(
                Id,
                name,
                fileType,
                space.Id,
                H5Native.H5P_DEFAULT,
                dcpl.Id,
                dapl?.Id ?? H5Native.H5P_DEFAULT
            );
            return new H5Dataset(
                H5Handle.Take(id, H5Kind.Dataset, "creating dataset", FilePath, Child(name)),
                FilePath,
                Child(name)
            );
        }
    }

    /// <summary>
    /// Dataset access with no bytes of chunk cache: libhdf5 writes a chunk larger than its cache straight to the file.
    /// </summary>
    private H5Handle DirectChunkAccess(string name)
    {
        var dapl = H5Handle.Take(
            H5Native.H5Pcreate(Hdf5Library.G.DatasetAccessClass),
            H5Kind.PropertyList,
            "H5Pcreate",
            FilePath,
            Child(name)
        );
        // libhdf5's default slot count and preemption policy.
        if (H5Native.H5Pset_chunk_cache(dapl.Id, 521, 0, 0.75) < 0)
        {
            dapl.Dispose();
            throw Error("H5Pset_chunk_cache", Child(name));
        }
        return dapl;
    }

    /// <summary>
    /// A dataset creation property list without modification times (so output bytes depend on the data only).
    /// </summary>
    private H5Handle DatasetCreation(string name)
    {
        var dcpl = H5Handle.Take(
            H5Native.H5Pcreate(Hdf5Library.G.DatasetCreateClass),
            H5Kind.PropertyList,
            "H5Pcreate",
            FilePath,
            Child(name)
        );
        if (H5Native.H5Pset_obj_track_times(dcpl.Id, false) < 0)
        {
            dcpl.Dispose();
            throw Error("H5Pset_obj_track_times", Child(name));
        }
        return dcpl;
    }

    /// <summary>Creates a dataset and writes all of it.</summary>
    public H5Dataset WriteDataset<T>(
        string name,
        ReadOnlySpan<T> values,
        ReadOnlySpan<long> shape,
        ReadOnlySpan<long> chunks = default
    )
        where T : unmanaged
    {
        var dataset = CreateDataset(name, ElementTypeOf<T>(), shape, chunks);
        try
        {
            dataset.Write(values);
            return dataset;
        }
        catch
        {
            dataset.Dispose();
            throw;
        }
    }

    /// <summary>Creates a 1-D dataset of variable-length UTF-8 strings.</summary>
    public H5Dataset WriteStrings(string name, IReadOnlyList<string> values)
    {
        lock (Hdf5Library.Sync)
        {
            using var space = H5Dataset.SimpleSpace([values.Count], FilePath, Child(name));
            using var dcpl = DatasetCreation(name);
            var id = H5Native.H5Dcreate2(
                Id,
                name,
                Hdf5Library.G.VariableUtf8String,
                space.Id,
                H5Native.H5P_DEFAULT,
                dcpl.Id,
                H5Native.H5P_DEFAULT
            );
            var dataset = new H5Dataset(
                H5Handle.Take(id, H5Kind.Dataset, "creating dataset", FilePath, Child(name)),
                FilePath,
                Child(name)
            );
            unsafe
            {
                var status = H5Strings.WriteVariable(values, (type, buffer) =>
                    H5Native.H5Dwrite(
                        dataset.Id,
                        type,
                        H5Native.H5S_ALL,
                        H5Native.H5S_ALL,
                        H5Native.H5P_DEFAULT,
                        (void*)buffer
                    )
                );
                if (status < 0)
                {
                    var error = Error("writing strings", Child(name));
                    dataset.Dispose();
                    throw error;
                }
            }
            return dataset;
        }
    }

    /// <summary>
    /// Copies an object (a dataset with its data and attributes, or a group with everything below it) from another
    /// group, possibly in another file, inside the library: no data passes through managed memory.
    /// </summary>
    public void CopyFrom(H5Group source, string name, string? newName = null)
    {
        lock (Hdf5Library.Sync)
        {
            if (H5Native.H5Ocopy(source.Id, name, Id, newName ?? name, H5Native.H5P_DEFAULT, H5Native.H5P_DEFAULT) < 0)
                throw Hdf5Library.Error(
                    $"copying '{source.Child(name)}' of '{source.FilePath}'",
                    FilePath,
                    Child(newName ?? name)
                );
        }
    }

    /// <summary>Opens a child dataset.</summary>
    public H5Dataset OpenDataset(string name)
    {
        lock (Hdf5Library.Sync)
        {
            var id = H5Native.H5Dopen2(Id, name, H5Native.H5P_DEFAULT);
            return new H5Dataset(
                H5Handle.Take(id, H5Kind.Dataset, "opening dataset", FilePath, Child(name)),
                FilePath,
                Child(name)
            );
        }
    }

    internal static H5ElementType ElementTypeOf<T>()
        where T : unmanaged =>
        typeof(T) == typeof(float) ? H5ElementType.Float32
        : typeof(T) == typeof(double) ? H5ElementType.Float64
        : typeof(T) == typeof(long) ? H5ElementType.Int64
        : typeof(T) == typeof(int) ? H5ElementType.Int32
        : typeof(T) == typeof(byte) ? H5ElementType.UInt8
        : typeof(T) == typeof(Half) ? H5ElementType.Float16
        : throw new ArgumentException($"HDF5: element type {typeof(T).Name} is not supported");
}

/// <summary>An HDF5 file; also its root group.</summary>
public sealed class H5File : H5Group
{
    private readonly bool created;

    private H5File(H5Handle handle, string path, bool created = false)
        : base(handle, path, "/") => this.created = created;

    /// <summary>
    /// A file this process created is trusted by <see cref="Hdf5Guard"/> once closed: it need not be walked before
    /// reading.
    /// </summary>
    private protected override void Closed()
    {
        if (created)
            Hdf5Guard.Trust(FilePath);
    }

    /// <summary>Creates a file, replacing an existing one only when <paramref name="overwrite"/> is set.</summary>
    public static H5File Create(string path, bool overwrite = true)
    {
        Hdf5Library.Ensure();
        lock (Hdf5Library.Sync)
        {
            using var fcpl = H5Handle.Take(
                H5Native.H5Pcreate(Hdf5Library.G.FileCreateClass),
                H5Kind.PropertyList,
                "H5Pcreate",
                path
            );
            if (H5Native.H5Pset_obj_track_times(fcpl.Id, false) < 0)
                throw Hdf5Library.Error("H5Pset_obj_track_times", path);
            var id = H5Native.H5Fcreate(
                path,
                overwrite ? H5Native.H5F_ACC_TRUNC : H5Native.H5F_ACC_EXCL,
                fcpl.Id,
                H5Native.H5P_DEFAULT
            );
            return new H5File(H5Handle.Take(id, H5Kind.File, "creating the file", path), path, created: true);
        }
    }

    /// <summary>
    /// Opens an existing file, read-only unless <paramref name="writable"/>, after <see cref="Hdf5Guard"/> has walked
    /// every object of it in a child process (unless this process wrote it).
    /// </summary>
    public static H5File Open(string path, bool writable = false)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException($"HDF5 file not found: '{path}'", path);
        Hdf5Guard.Check(path);
        return OpenUnchecked(path, writable);
    }

    /// <summary>Opens a file without the guard's walk: for the separate processes that walk or read it.</summary>
    internal static H5File OpenUnchecked(string path, bool writable = false)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException($"HDF5 file not found: '{path}'", path);
        Hdf5Library.Ensure();
        lock (Hdf5Library.Sync)
        {
            var id = H5Native.H5Fopen(
                path,
                writable ? H5Native.H5F_ACC_RDWR : H5Native.H5F_ACC_RDONLY,
                H5Native.H5P_DEFAULT
            );
            return new H5File(
                H5Handle.Take(id, H5Kind.File, "opening the file (is it an HDF5 file, complete?)", path),
                path
            );
        }
    }

    /// <summary>Writes buffered data to disk.</summary>
    public void Flush()
    {
        lock (Hdf5Library.Sync)
            Check(H5Native.H5Fflush(Id, 1), "flushing");
    }
}
