using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace QuakePrune;

/// <summary>
/// What a launcher of ranks (`train --nproc`) needs beyond .NET's Process: a free port for the rendezvous, signals by
/// number, and children that die with it.
/// </summary>
public static partial class LaunchedProcesses
{
    /// <summary>
    /// A TCP port free now on the loopback, for a rendezvous store on this machine to take a moment later.
    /// </summary>
    public static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

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
