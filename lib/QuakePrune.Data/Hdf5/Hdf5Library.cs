using System.Reflection;
using System.Runtime.InteropServices;
using System.Text;

namespace QuakePrune.Hdf5;

/// <summary>
/// Loads Debian's serial libhdf5 at run time, turns off its automatic error printing, and holds the
/// library's predefined type and property-list ids. The serial library is not thread-safe, so every call
/// into it is made under <see cref="Sync"/>.
/// </summary>
public static unsafe class Hdf5Library
{
    private static readonly string[] Candidates =
    [
        "libhdf5_serial.so.103",
        "libhdf5_serial.so",
        "libhdf5.so.103",
        "libhdf5.so",
        "hdf5",
    ];

    /// <summary>The one lock every HDF5 call is made under (handles closed by finalizers included).</summary>
    internal static readonly Lock Sync = new();

    private static readonly Lazy<Globals> State = new(Load, LazyThreadSafetyMode.ExecutionAndPublication);
    private static nint LibraryHandle;

    internal sealed class Globals
    {
        public required long NativeFloat,
            NativeDouble,
            NativeInt64,
            NativeInt32,
            NativeUInt8,
            CString;
        public required long IeeeF32Le,
            IeeeF64Le,
            StdI64Le,
            StdI32Le,
            StdU8Le,
            IeeeF16Le;
        public required long DatasetCreateClass,
            DatasetAccessClass,
            LinkCreateClass,
            GroupCreateClass,
            FileCreateClass;
        public required long VariableUtf8String,
            ScalarSpace;
        public required string Version;
    }

    internal static Globals G => State.Value;

    /// <summary>The HDF5 library's version, e.g. "1.10.8"; loads the library if needed.</summary>
    public static string Version => G.Version;

    /// <summary>The path or name the library was loaded from.</summary>
    public static string LoadedFrom { get; private set; } = "";

    private static Globals Load()
    {
        NativeLibrary.SetDllImportResolver(typeof(Hdf5Library).Assembly, Resolve);
        lock (Sync)
        {
            // No library shutdown at process exit. libhdf5 1.10.8 frees a file whose close failed (its last flush hit a
            // full disk) but keeps its id, and the shutdown closes that id again: a segmentation fault after the error
            // was reported. It would also flush files still open at exit, and those are partial outputs being
            // abandoned. Must precede every other call into the library.
            H5Native.H5dont_atexit();
            if (H5Native.H5open() < 0)
                throw new Hdf5Exception("H5open failed: the HDF5 library could not initialise");
            // Errors become exceptions built from the error stack; nothing is printed on stderr.
            H5Native.H5Eset_auto2(H5Native.H5E_DEFAULT, null, null);
            H5Native.H5get_libversion(out var major, out var minor, out var release);

            long f32 = Global("H5T_IEEE_F32LE_g");
            long f16 = H5Native.H5Tcopy(f32);
            // IEEE binary16: sign bit 15, exponent bits 10..14, mantissa bits 0..9, bias 15.
            H5Native.H5Tset_fields(f16, 15, 10, 5, 0, 10);
            H5Native.H5Tset_size(f16, 2);
            H5Native.H5Tset_ebias(f16, 15);

            long utf8 = H5Native.H5Tcopy(Global("H5T_C_S1_g"));
            H5Native.H5Tset_size(utf8, H5Native.H5T_VARIABLE);
            H5Native.H5Tset_cset(utf8, H5Native.H5T_CSET_UTF8);

            return new Globals
            {
                NativeFloat = Global("H5T_NATIVE_FLOAT_g"),
                NativeDouble = Global("H5T_NATIVE_DOUBLE_g"),
                NativeInt64 = Global("H5T_NATIVE_LLONG_g"),
                NativeInt32 = Global("H5T_NATIVE_INT_g"),
                NativeUInt8 = Global("H5T_NATIVE_UCHAR_g"),
                CString = Global("H5T_C_S1_g"),
                IeeeF32Le = f32,
                IeeeF64Le = Global("H5T_IEEE_F64LE_g"),
                StdI64Le = Global("H5T_STD_I64LE_g"),
                StdI32Le = Global("H5T_STD_I32LE_g"),
                StdU8Le = Global("H5T_STD_U8LE_g"),
                IeeeF16Le = f16,
                DatasetCreateClass = Global("H5P_CLS_DATASET_CREATE_ID_g"),
                DatasetAccessClass = Global("H5P_CLS_DATASET_ACCESS_ID_g"),
                LinkCreateClass = Global("H5P_CLS_LINK_CREATE_ID_g"),
                GroupCreateClass = Global("H5P_CLS_GROUP_CREATE_ID_g"),
                FileCreateClass = Global("H5P_CLS_FILE_CREATE_ID_g"),
                VariableUtf8String = utf8,
                ScalarSpace = H5Native.H5Screate(H5Native.H5S_SCALAR),
                Version = $"{major}.{minor}.{release}",
            };
        }
    }

    /// <summary>Reads one of the library's exported hid_t globals (set by H5open).</summary>
    private static long Global(string symbol) => *(long*)NativeLibrary.GetExport(LibraryHandle, symbol);

    private static nint Resolve(string name, Assembly assembly, DllImportSearchPath? searchPath)
    {
        if (name != H5Native.Library)
            return 0;
        if (LibraryHandle != 0)
            return LibraryHandle;
        foreach (var candidate in Candidates)
        {
            if (NativeLibrary.TryLoad(candidate, out var handle))
            {
                LibraryHandle = handle;
                LoadedFrom = candidate;
                return handle;
            }
        }
        throw new DllNotFoundException(
            $"HDF5 library not found (tried {string.Join(", ", Candidates)}); install Debian's libhdf5-dev (environment/setup.sh does)"
        );
    }

    /// <summary>Makes sure the library is loaded and initialised before a first call.</summary>
    internal static void Ensure() => _ = G;

    /// <summary>Builds an exception from the HDF5 error stack, naming what was being done and where.</summary>
    internal static Hdf5Exception Error(string what, string file, string? objectPath = null)
    {
        var messages = new List<string>();
        var gc = GCHandle.Alloc(messages);
        try
        {
            H5Native.H5Ewalk2(
                H5Native.H5E_DEFAULT,
                H5Native.H5E_WALK_DOWNWARD,
                &CollectError,
                (void*)GCHandle.ToIntPtr(gc)
            );
        }
        finally
        {
            gc.Free();
            H5Native.H5Eclear2(H5Native.H5E_DEFAULT);
        }
        var where = objectPath is null ? $"'{file}'" : $"'{file}' at '{objectPath}'";
        var detail = messages.Count == 0 ? "" : ": " + string.Join("; ", messages.Distinct());
        return new Hdf5Exception($"HDF5: {what} failed in {where}{detail}");
    }

    [UnmanagedCallersOnly]
    private static int CollectError(uint index, H5Native.H5E_error2_t* error, void* data)
    {
        var messages = (List<string>)GCHandle.FromIntPtr((nint)data).Target!;
        var text = new StringBuilder();
        var buffer = stackalloc byte[256];
        if (H5Native.H5Eget_msg(error->min_num, null, buffer, 256) > 0)
            text.Append(Marshal.PtrToStringUTF8((nint)buffer));
        var desc = error->desc is null ? "" : Marshal.PtrToStringUTF8((nint)error->desc) ?? "";
        if (desc.Length > 0)
            text.Append(text.Length > 0 ? " (" + desc + ")" : desc);
        if (text.Length > 0)
            messages.Add(text.ToString());
        return 0;
    }
}

/// <summary>A failure reported by the HDF5 library, with its error stack, the file and the object.</summary>
public sealed class Hdf5Exception(string message) : IOException(message);
