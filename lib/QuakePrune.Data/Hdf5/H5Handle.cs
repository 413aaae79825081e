using System.Runtime.InteropServices;

namespace QuakePrune.Hdf5;

/// <summary>The kinds of HDF5 identifier, each closed by its own H5?close.</summary>
internal enum H5Kind
{
    File,
    Group,
    Dataset,
    Dataspace,
    Datatype,
    Attribute,
    PropertyList,
    Object,
}

/// <summary>
/// An owned hid_t, closed exactly once (by Dispose or, failing that, the finalizer) under the library lock. A close
/// that fails is kept as <see cref="CloseFailure"/>: closing a file writes out what libhdf5 buffered, so on a full disk
/// it is where a write fails.
/// </summary>
internal sealed class H5Handle : SafeHandle
{
    private readonly string file;
    private readonly string? objectPath;

    public H5Kind Kind { get; }

    /// <summary>Why the close failed, naming the file and object; null while open or once closed cleanly.</summary>
    public Hdf5Exception? CloseFailure { get; private set; }

    private H5Handle(long id, H5Kind kind, string file, string? objectPath)
        : base(0, ownsHandle: true)
    {
        Kind = kind;
        this.file = file;
        this.objectPath = objectPath;
        SetHandle((nint)id);
    }

    public long Id => IsClosed ? throw new ObjectDisposedException($"HDF5 {Kind}") : (long)handle;

    public override bool IsInvalid => (long)handle <= 0;

    /// <summary>Wraps an id returned by the library; a negative id is a failure turned into an exception.</summary>
    public static H5Handle Take(long id, H5Kind kind, string what, string file, string? objectPath = null)
    {
        if (id < 0)
            throw Hdf5Library.Error(what, file, objectPath);
        return new H5Handle(id, kind, file, objectPath);
    }

    protected override bool ReleaseHandle()
    {
        var id = (long)handle;
        lock (Hdf5Library.Sync)
        {
            var status = Kind switch
            {
                H5Kind.File => H5Native.H5Fclose(id),
                H5Kind.Group => H5Native.H5Gclose(id),
                H5Kind.Dataset => H5Native.H5Dclose(id),
                H5Kind.Dataspace => H5Native.H5Sclose(id),
                H5Kind.Datatype => H5Native.H5Tclose(id),
                H5Kind.Attribute => H5Native.H5Aclose(id),
                H5Kind.PropertyList => H5Native.H5Pclose(id),
                _ => H5Native.H5Oclose(id),
            };
            // Built here, under the lock, so the error stack read is this close's and is cleared for the next call.
            if (status < 0)
                CloseFailure = Hdf5Library.Error($"closing the {Kind.ToString().ToLowerInvariant()}", file, objectPath);
            return status >= 0;
        }
    }
}
