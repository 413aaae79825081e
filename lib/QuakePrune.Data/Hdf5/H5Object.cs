using System.Runtime.InteropServices;
using System.Text;

namespace QuakePrune.Hdf5;

/// <summary>
/// An open HDF5 object (file, group or dataset): its handle, the file it lives in and its path there.
/// </summary>
public abstract class H5Object : IDisposable
{
    internal H5Handle Handle { get; }

    /// <summary>The file this object lives in, for messages.</summary>
    public string FilePath { get; }

    /// <summary>The object's path inside the file ("/" for the root).</summary>
    public string Path { get; }

    /// <summary>The object's attributes.</summary>
    public H5Attributes Attributes { get; }

    private protected H5Object(H5Handle handle, string filePath, string path)
    {
        Handle = handle;
        FilePath = filePath;
        Path = path;
        Attributes = new H5Attributes(this);
    }

    internal long Id => Handle.Id;

    internal string Child(string name) => Path == "/" ? "/" + name : Path + "/" + name;

    internal Hdf5Exception Error(string what, string? objectPath = null) =>
        Hdf5Library.Error(what, FilePath, objectPath ?? Path);

    internal void Check(int status, string what, string? objectPath = null)
    {
        if (status < 0)
            throw Error(what, objectPath);
    }

    /// <summary>
    /// Closes the object; like a FileStream's, a close that fails (a file's last flush on a full disk) throws, naming
    /// the file, so a partial file is never taken for a complete one. A second call does nothing.
    /// </summary>
    public void Dispose()
    {
        if (Handle.IsClosed)
            return;
        Handle.Dispose();
        GC.SuppressFinalize(this);
        if (Handle.CloseFailure is { } failure)
            throw failure;
        Closed();
    }

    /// <summary>
    /// Closes every object given, in order (a file's datasets before the file), even when one close fails; then throws
    /// the first failure.
    /// </summary>
    public static void CloseAll(params ReadOnlySpan<H5Object?> objects)
    {
        Exception? first = null;
        foreach (var item in objects)
        {
            try
            {
                item?.Dispose();
            }
            catch (Hdf5Exception e)
            {
                first ??= e;
            }
        }
        if (first is not null)
            throw first;
    }

    /// <summary>Called once the handle is closed.</summary>
    private protected virtual void Closed() { }
}

/// <summary>Reading and writing strings, variable- or fixed-length, for datasets and attributes alike.</summary>
internal static unsafe class H5Strings
{
    /// <summary>
    /// Reads <paramref name="count"/> strings through <paramref name="read"/> (H5Dread/H5Aread) in the object's own
    /// string type.
    /// </summary>
    public static string[] Read(long typeId, long count, Func<long, nint, int> read)
    {
        var result = new string[count];
        if (count == 0)
            return result;
        if (H5Native.H5Tis_variable_str(typeId) > 0)
        {
            var pointers = new nint[count];
            fixed (nint* p = pointers)
            {
                if (read(typeId, (nint)p) < 0)
                    return null!;
                for (long i = 0; i < count; i++)
                {
                    result[i] = pointers[i] == 0 ? "" : Marshal.PtrToStringUTF8(pointers[i]) ?? "";
                    if (pointers[i] != 0)
                        H5Native.H5free_memory((void*)pointers[i]);
                }
            }
            return result;
        }
        var size = (int)H5Native.H5Tget_size(typeId);
        var bytes = new byte[size * count];
        fixed (byte* b = bytes)
        {
            if (read(typeId, (nint)b) < 0)
                return null!;
        }
        for (long i = 0; i < count; i++)
        {
            var span = bytes.AsSpan((int)(i * size), size);
            var end = span.IndexOf((byte)0);
            if (end >= 0)
                span = span[..end];
            result[i] = Encoding.UTF8.GetString(span).TrimEnd(' ');
        }
        return result;
    }

    /// <summary>Writes strings as variable-length UTF-8 (h5py's default for str).</summary>
    public static int WriteVariable(IReadOnlyList<string> values, Func<long, nint, int> write)
    {
        var pointers = new nint[values.Count];
        try
        {
            for (var i = 0; i < values.Count; i++)
                pointers[i] = Marshal.StringToCoTaskMemUTF8(values[i]);
            fixed (nint* p = pointers)
                return write(Hdf5Library.G.VariableUtf8String, (nint)p);
        }
        finally
        {
            foreach (var pointer in pointers)
                Marshal.FreeCoTaskMem(pointer);
        }
    }
}
