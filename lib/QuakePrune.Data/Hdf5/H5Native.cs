using System.Runtime.InteropServices;

namespace QuakePrune.Hdf5;

/// <summary>
/// The HDF5 1.10 C API as P/Invoke declarations: only what the project uses. hid_t is 64-bit (long),
/// hsize_t is unsigned 64-bit (ulong), herr_t is int (negative = failure), htri_t is int (negative = failure).
/// Call through <see cref="Hdf5Library"/>, which loads the library, silences its error printing and serialises calls.
/// </summary>
internal static unsafe partial class H5Native
{
    internal const string Library = "hdf5";

    internal const long H5P_DEFAULT = 0;
    internal const long H5S_ALL = 0;
    internal const long H5E_DEFAULT = 0;
    internal const uint H5F_ACC_RDONLY = 0;
    internal const uint H5F_ACC_RDWR = 1;
    internal const uint H5F_ACC_TRUNC = 2;
    internal const uint H5F_ACC_EXCL = 4;
    internal const int H5S_SCALAR = 0;
    internal const int H5S_SIMPLE = 1;
    internal const int H5S_SELECT_SET = 0;
    internal const int H5T_INTEGER = 0;
    internal const int H5T_FLOAT = 1;
    internal const int H5T_STRING = 3;
    internal const int H5T_SGN_NONE = 0;
    internal const int H5T_CSET_UTF8 = 1;
    internal const int H5T_STR_NULLTERM = 0;
    internal static readonly nuint H5T_VARIABLE = nuint.MaxValue;
    internal const int H5I_GROUP = 2;
    internal const int H5I_DATASET = 5;
    internal const uint H5P_CRT_ORDER_TRACKED = 1;
    internal const uint H5P_CRT_ORDER_INDEXED = 2;
    internal const int H5E_WALK_DOWNWARD = 1;
    internal const int H5D_FILL_TIME_NEVER = 1;
    internal const int H5D_CONTIGUOUS = 1;

    [StructLayout(LayoutKind.Sequential)]
    internal struct H5E_error2_t
    {
        public long cls_id;
        public long maj_num;
        public long min_num;
        public uint line;
        public byte* func_name;
        public byte* file_name;
        public byte* desc;
    }

    [LibraryImport(Library)]
    internal static partial int H5open();

    [LibraryImport(Library)]
    internal static partial int H5dont_atexit();

    [LibraryImport(Library)]
    internal static partial int H5get_libversion(out uint majnum, out uint minnum, out uint relnum);

    [LibraryImport(Library)]
    internal static partial int H5free_memory(void* buf);

    [LibraryImport(Library)]
    internal static partial int H5Eset_auto2(long estackId, void* func, void* clientData);

    [LibraryImport(Library)]
    internal static partial int H5Ewalk2(
        long estackId,
        int direction,
        delegate* unmanaged<uint, H5E_error2_t*, void*, int> func,
        void* clientData
    );

    [LibraryImport(Library)]
    internal static partial nint H5Eget_msg(long msgId, int* type, byte* msg, nuint size);

    [LibraryImport(Library)]
    internal static partial int H5Eclear2(long estackId);

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial long H5Fcreate(string name, uint flags, long fcpl, long fapl);

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial long H5Fopen(string name, uint flags, long fapl);

    [LibraryImport(Library)]
    internal static partial int H5Fclose(long file);

    [LibraryImport(Library)]
    internal static partial int H5Fflush(long obj, int scope);

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial long H5Gcreate2(long loc, string name, long lcpl, long gcpl, long gapl);

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial long H5Gopen2(long loc, string name, long gapl);

    [LibraryImport(Library)]
    internal static partial int H5Gclose(long group);

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int H5Lexists(long loc, string name, long lapl);

    [LibraryImport(Library)]
    internal static partial int H5Literate(
        long group,
        int indexType,
        int order,
        ulong* idx,
        delegate* unmanaged<long, byte*, void*, void*, int> op,
        void* opData
    );

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial long H5Oopen(long loc, string name, long lapl);

    [LibraryImport(Library)]
    internal static partial int H5Oclose(long obj);

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int H5Ocopy(
        long srcLoc,
        string srcName,
        long dstLoc,
        string dstName,
        long ocpypl,
        long lcpl
    );

    [LibraryImport(Library)]
    internal static partial int H5Iget_type(long id);

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial long H5Dcreate2(
        long loc,
        string name,
        long type,
        long space,
        long lcpl,
        long dcpl,
        long dapl
    );

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial long H5Dopen2(long loc, string name, long dapl);

    [LibraryImport(Library)]
    internal static partial int H5Dclose(long dataset);

    [LibraryImport(Library)]
    internal static partial long H5Dget_space(long dataset);

    [LibraryImport(Library)]
    internal static partial long H5Dget_type(long dataset);

    [LibraryImport(Library)]
    internal static partial long H5Dget_create_plist(long dataset);

    [LibraryImport(Library)]
    internal static partial int H5Dread(
        long dataset,
        long memType,
        long memSpace,
        long fileSpace,
        long xfer,
        void* buf
    );

    [LibraryImport(Library)]
    internal static partial int H5Dwrite(
        long dataset,
        long memType,
        long memSpace,
        long fileSpace,
        long xfer,
        void* buf
    );

    [LibraryImport(Library)]
    internal static partial int H5Dset_extent(long dataset, ulong* size);

    [LibraryImport(Library)]
    internal static partial ulong H5Dget_storage_size(long dataset);

    [LibraryImport(Library)]
    internal static partial ulong H5Dget_offset(long dataset);

    [LibraryImport(Library)]
    internal static partial long H5Screate(int type);

    [LibraryImport(Library)]
    internal static partial long H5Screate_simple(int rank, ulong* dims, ulong* maxdims);

    [LibraryImport(Library)]
    internal static partial int H5Sclose(long space);

    [LibraryImport(Library)]
    internal static partial int H5Sget_simple_extent_ndims(long space);

    [LibraryImport(Library)]
    internal static partial int H5Sget_simple_extent_dims(long space, ulong* dims, ulong* maxdims);

    [LibraryImport(Library)]
    internal static partial int H5Sselect_hyperslab(
        long space,
        int op,
        ulong* start,
        ulong* stride,
        ulong* count,
        ulong* block
    );

    [LibraryImport(Library)]
    internal static partial long H5Tcopy(long type);

    [LibraryImport(Library)]
    internal static partial int H5Tclose(long type);

    [LibraryImport(Library)]
    internal static partial int H5Tset_size(long type, nuint size);

    [LibraryImport(Library)]
    internal static partial nuint H5Tget_size(long type);

    [LibraryImport(Library)]
    internal static partial int H5Tget_class(long type);

    [LibraryImport(Library)]
    internal static partial int H5Tequal(long type1, long type2);

    [LibraryImport(Library)]
    internal static partial int H5Tget_sign(long type);

    [LibraryImport(Library)]
    internal static partial int H5Tis_variable_str(long type);

    [LibraryImport(Library)]
    internal static partial int H5Tset_cset(long type, int cset);

    [LibraryImport(Library)]
    internal static partial int H5Tset_strpad(long type, int strpad);

    [LibraryImport(Library)]
    internal static partial int H5Tset_fields(long type, nuint spos, nuint epos, nuint esize, nuint mpos, nuint msize);

    [LibraryImport(Library)]
    internal static partial int H5Tset_ebias(long type, nuint ebias);

    [LibraryImport(Library)]
    internal static partial long H5Pcreate(long cls);

    [LibraryImport(Library)]
    internal static partial int H5Pclose(long plist);

    [LibraryImport(Library)]
    internal static partial int H5Pset_chunk(long plist, int ndims, ulong* dims);

    [LibraryImport(Library)]
    internal static partial int H5Pset_fill_time(long plist, int fillTime);

    [LibraryImport(Library)]
    internal static partial int H5Pset_chunk_cache(long plist, nuint slots, nuint bytes, double preemption);

    [LibraryImport(Library)]
    internal static partial int H5Pget_layout(long plist);

    [LibraryImport(Library)]
    internal static partial int H5Pget_chunk(long plist, int maxNdims, ulong* dims);

    [LibraryImport(Library)]
    internal static partial int H5Pget_external_count(long plist);

    [LibraryImport(Library)]
    internal static partial int H5Pset_link_creation_order(long plist, uint flags);

    [LibraryImport(Library)]
    internal static partial int H5Pset_create_intermediate_group(long plist, uint crtIntermedGroup);

    [LibraryImport(Library)]
    internal static partial int H5Pset_obj_track_times(long plist, [MarshalAs(UnmanagedType.U1)] bool trackTimes);

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial long H5Acreate2(long loc, string name, long type, long space, long acpl, long aapl);

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial long H5Aopen(long obj, string name, long aapl);

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int H5Aexists(long obj, string name);

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int H5Adelete(long obj, string name);

    [LibraryImport(Library)]
    internal static partial int H5Aclose(long attr);

    [LibraryImport(Library)]
    internal static partial int H5Aread(long attr, long memType, void* buf);

    [LibraryImport(Library)]
    internal static partial int H5Awrite(long attr, long memType, void* buf);

    [LibraryImport(Library)]
    internal static partial long H5Aget_space(long attr);

    [LibraryImport(Library)]
    internal static partial long H5Aget_type(long attr);

    [LibraryImport(Library)]
    internal static partial int H5Aiterate2(
        long obj,
        int indexType,
        int order,
        ulong* idx,
        delegate* unmanaged<long, byte*, void*, void*, int> op,
        void* opData
    );
}
