using System.Runtime.InteropServices;

namespace QuakePrune.Hdf5;

/// <summary>The kinds of HDF5 identifier, each closed by its own H5?close.</summary>
internal enum H5Kind { File, Group, Dataset, Dataspace, Datatype, Attribute, PropertyList, Object }

/// <summary>An owned hid_t, closed exactly once (by Dispose or, failing that, the finalizer) under the library lock.</summary>
internal sealed class H5Handle : SafeHandle
{
    public H5Kind Kind { get; }

    private H5Handle(long id, H5Kind kind) : base(0, ownsHandle: true)
    {
        Kind = kind;
        SetHandle((nint)id);
    }

    public long Id => IsClosed ? throw new ObjectDisposedException($"HDF5 {Kind}") : (long)handle;

    public override bool IsInvalid => (long)handle <= 0;

    /// <summary>Wraps an id returned by the library; a negative id is a failure turned into an exception.</summary>
    public static H5Handle Take(long id, H5Kind kind, string what, string file, string? objectPath = null)
    {
        if (id < 0) throw Hdf5Library.Error(what, file, objectPath);
        return new H5Handle(id, kind);
    }

    protected override bool ReleaseHandle()
    {
        var id = (long)handle;
        lock (Hdf5Library.Sync)
        {
            return Kind switch
            {
                H5Kind.File => H5Native.H5Fclose(id),
                H5Kind.Group => H5Native.H5Gclose(id),
                H5Kind.Dataset => H5Native.H5Dclose(id),
                H5Kind.Dataspace => H5Native.H5Sclose(id),
                H5Kind.Datatype => H5Native.H5Tclose(id),
                H5Kind.Attribute => H5Native.H5Aclose(id),
                H5Kind.PropertyList => H5Native.H5Pclose(id),
                _ => H5Native.H5Oclose(id),
            } >= 0;
        }
    }
}
