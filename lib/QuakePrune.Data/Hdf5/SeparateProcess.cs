using System.Diagnostics;
using System.Runtime.InteropServices;

namespace QuakePrune.Hdf5;

/// <summary>
/// Runs libhdf5 on a file this process did not write in a separate process, `QuakePrune.Hdf5Reader VERB FILE` (on this
/// dotnet host) with its standard streams piped: libhdf5 1.10.8 aborts or segfaults on some damaged files, and such a
/// crash then ends that process only. Its death is a damaged file, named by the caller.
/// </summary>
internal static partial class SeparateProcess
{
    /// <summary>
    /// Set to "off" to read HDF5 files in this process, unchecked (for a machine without the command line built).
    /// </summary>
    public const string SwitchVariable = "QUAKEPRUNE_HDF5_CHECK";

    public static bool SwitchedOff => Environment.GetEnvironmentVariable(SwitchVariable) == "off";

    /// <summary>
    /// The reader program's verb that serves a STEAD file's traces (<see cref="Stead.SteadTraceServer"/>).
    /// </summary>
    public const string Serve = "serve";

    /// <summary>The reader program's verb that walks every object of a file (<see cref="Hdf5Guard"/>).</summary>
    public const string Check = "check";

    private const string Program = "QuakePrune.Hdf5Reader";

    /// <summary>
    /// Starts the child; its standard error is read and dropped (libc's "double free" lines and the like).
    /// </summary>
    public static Process Start(string verb, string path)
    {
        var start = CommandLineProcess.StartInfo(Program, [verb, Path.GetFullPath(path)])
            ?? throw new InvalidOperationException(
                $"cannot read '{path}' safely: HDF5 files are read by {Program}.dll in a separate process, and it is not "
                    + $"built beside QuakePrune.Data.dll (build the solution with environment/setup.sh, or set {SwitchVariable}=off to read in this process, unchecked)"
            );
        var child = Process.Start(start)
            ?? throw new InvalidOperationException($"cannot start the process that reads '{path}'");
        child.ErrorDataReceived += (_, _) => { };
        child.BeginErrorReadLine();
        return child;
    }

    /// <summary>How a child that ended unasked ended: "signal 11, SIGSEGV" or "exit 3".</summary>
    public static string Ending(Process child)
    {
        if (!child.WaitForExit(TimeSpan.FromSeconds(10)))
        {
            child.Kill();
            child.WaitForExit();
            return "it stopped answering and was ended";
        }
        // .NET reports a child killed by signal N as exit code 128 + N.
        return child.ExitCode switch
        {
            134 => "signal 6, SIGABRT",
            135 => "signal 7, SIGBUS",
            136 => "signal 8, SIGFPE",
            139 => "signal 11, SIGSEGV",
            > 128 and < 160 and var code => $"signal {code - 128}",
            var code => $"exit {code}",
        };
    }

    /// <summary>
    /// Child side: ends this process when its parent ends. Closed pipes end a child waiting on them; this also ends one
    /// held inside libhdf5 (a damaged file can make it loop), whose parent was killed.
    /// </summary>
    public static void EndWithParent()
    {
        var parent = getppid();
        var watch = new Thread(() =>
        {
            while (getppid() == parent)
                Thread.Sleep(500);
            _exit(1);
        })
        {
            IsBackground = true,
            Name = "parent watch",
        };
        watch.Start();
    }

    /// <summary>
    /// Child side: lets <paramref name="fd"/>, a pipe, hold 1 MiB, so the child can work that far ahead of its reader.
    /// </summary>
    public static void WidenPipe(int fd)
    {
        const int setPipeSize = 1031; // F_SETPIPE_SZ
        // Best effort: the system's limit (/proc/sys/fs/pipe-max-size) may be lower; 64 KiB pipes only work less far
        // ahead.
        _ = fcntl(fd, setPipeSize, 1 << 20);
    }

    /// <summary>Child side: whether bytes wait unread on standard input (a pipe).</summary>
    public static unsafe bool InputWaiting()
    {
        const ulong bytesWaiting = 0x541B; // FIONREAD
        var count = 0;
        return ioctl(0, bytesWaiting, &count) == 0 && count > 0;
    }

    [LibraryImport("libc")]
    private static unsafe partial int ioctl(int fd, ulong request, int* result);

    [LibraryImport("libc")]
    private static partial int getppid();

    [LibraryImport("libc")]
    private static partial void _exit(int status);

    [LibraryImport("libc")]
    private static partial int fcntl(int fd, int command, int argument);
}
