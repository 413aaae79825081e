using System.Runtime.InteropServices;

namespace QuakePrune.Torch;

public static partial class torch
{
    /// <summary>
    /// Asks glibc's malloc (which libtorch uses for CPU tensors) to serve large blocks from its heap and to keep freed
    /// memory instead of returning it to the system. Without it every training step maps fresh pages for its big
    /// activations and page-faults through them: on the 2-core development machine a conv training step took ~3x as
    /// long. Process-wide and permanent; resident memory then stays near its peak. Returns false where the C library
    /// is not glibc (nothing changes).
    /// </summary>
    public static bool keep_freed_cpu_memory()
    {
        const int M_TRIM_THRESHOLD = -1;
        const int M_MMAP_THRESHOLD = -3;
        if (!OperatingSystem.IsLinux())
            return false;
        try
        {
            // mallopt returns 1 on success.
            return LibC.mallopt(M_MMAP_THRESHOLD, int.MaxValue) == 1
                && LibC.mallopt(M_TRIM_THRESHOLD, int.MaxValue) == 1;
        }
        catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException)
        {
            return false;
        }
    }

    /// <summary>
    /// Native tensors handed out by the shim and not yet freed. A leak of tensors (a handle never disposed, or one the
    /// shim made and lost) changes this count exactly, whatever glibc or libtorch's allocator keep; resident memory
    /// does not tell a leak from an arena that grew.
    /// </summary>
    public static long live_tensors() => Native.qp_live_tensors();

    private static partial class LibC
    {
        [LibraryImport("libc.so.6")]
        internal static partial int mallopt(int param, int value);
    }
}
