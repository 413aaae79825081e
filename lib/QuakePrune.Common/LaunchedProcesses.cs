using System.Runtime.InteropServices;

namespace QuakePrune;

/// <summary>
/// What a launcher of ranks (`train --nproc`) needs of Linux beyond .NET: signals by number, and children that die with
/// it.
/// </summary>
public static partial class LaunchedProcesses
{
    /// <summary>
    /// Sends <paramref name="signal"/> (2: SIGINT, 15: SIGTERM) to <paramref name="pid"/>; false when there is no such
    /// process.
    /// </summary>
    public static bool Signal(int pid, int signal) => kill(pid, signal) == 0;

    /// <summary>
    /// Asks Linux to send this process SIGTERM when its parent dies (even by SIGKILL), then checks that the parent is
    /// still <paramref name="parent"/> (it may have died before): false when it is not.
    /// </summary>
    public static bool DieWithParent(int parent)
    {
        const int setParentDeathSignal = 1,
            terminate = 15;
        if (!OperatingSystem.IsLinux())
            return true;
        _ = prctl(setParentDeathSignal, terminate, 0, 0, 0);
        return getppid() == parent;
    }

    [LibraryImport("libc")]
    private static partial int kill(int pid, int signal);

    [LibraryImport("libc")]
    private static partial int prctl(int option, ulong arg2, ulong arg3, ulong arg4, ulong arg5);

    [LibraryImport("libc")]
    private static partial int getppid();
}
