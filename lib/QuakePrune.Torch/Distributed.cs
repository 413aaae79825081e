using System.Runtime.InteropServices;

namespace QuakePrune.Torch;

/// <summary>
/// A c10d store: the key-value store through which the ranks of a process group find each other.
/// </summary>
public sealed class Store : IDisposable
{
    internal readonly StoreHandle Handle;

    private Store(StoreHandle handle) => Handle = handle;

    /// <summary>
    /// c10d's TCPStore: the master (<paramref name="isMaster"/>, rank 0 by convention) listens on host:port; every
    /// other rank connects to it, retrying until the timeout.
    /// </summary>
    public static Store Tcp(string host, int port, int worldSize, bool isMaster, TimeSpan timeout)
    {
        ArgumentException.ThrowIfNullOrEmpty(host);
        if (worldSize < 1)
            throw new ArgumentOutOfRangeException(
                nameof(worldSize),
                worldSize,
                "a process group has at least one rank"
            );
        Native.Check(
            Native.qp_tcpstore_new(
                host,
                port,
                worldSize,
                isMaster ? 1 : 0,
                (long)timeout.TotalMilliseconds,
                out var handle
            )
        );
        return new Store(new StoreHandle(handle));
    }

    /// <summary>c10d's PrefixStore: this store with every key under <paramref name="prefix"/>.</summary>
    public Store WithPrefix(string prefix)
    {
        Native.Check(Native.qp_prefixstore_new(prefix, Handle, out var handle));
        return new Store(new StoreHandle(handle));
    }

    public void Dispose() => Handle.Dispose();
}

/// <summary>
/// A c10d process group (gloo on CPU tensors, NCCL on CUDA ones in a CUDA build): the collectives data-parallel
/// training needs, each run to completion before it returns and in place on the caller's tensors. A peer that fails or
/// leaves makes the collective throw a <see cref="TorchException"/> (at the latest after the group's timeout), never
/// abort.
/// </summary>
public sealed class ProcessGroup : IDisposable
{
    private readonly GroupHandle handle;

    // The group holds its own reference to the store's native object, so disposing the Store first is safe.
    private ProcessGroup(GroupHandle handle, int rank, int size)
    {
        this.handle = handle;
        Rank = rank;
        Size = size;
    }

    public int Rank { get; }
    public int Size { get; }

    /// <summary>
    /// Gloo over <paramref name="store"/>: its device on <paramref name="interfaceName"/> when given
    /// (GLOO_SOCKET_IFNAME), else on the address <paramref name="hostname"/> resolves to, else on the machine's
    /// default.
    /// </summary>
    public static ProcessGroup Gloo(
        Store store,
        int rank,
        int size,
        TimeSpan timeout,
        string? interfaceName = null,
        string? hostname = null
    )
    {
        Check(rank, size);
        Native.Check(
            Native.qp_pg_gloo_new(
                store.Handle,
                rank,
                size,
                interfaceName ?? "",
                hostname ?? "",
                (long)timeout.TotalMilliseconds,
                out var pg
            )
        );
        return new ProcessGroup(new GroupHandle(pg), rank, size);
    }

    /// <summary>
    /// NCCL over <paramref name="store"/>, for CUDA tensors; a CPU build of libtorch refuses it with a message.
    /// </summary>
    public static ProcessGroup Nccl(Store store, int rank, int size, TimeSpan timeout)
    {
        Check(rank, size);
        Native.Check(Native.qp_pg_nccl_new(store.Handle, rank, size, (long)timeout.TotalMilliseconds, out var pg));
        return new ProcessGroup(new GroupHandle(pg), rank, size);
    }

    /// <summary>Sums <paramref name="tensor"/> (a dense bucket) over every rank, in place.</summary>
    public void AllReduceSum(Tensor tensor) => Native.Check(Native.qp_pg_allreduce_sum(handle, tensor.Handle));

    /// <summary>Sums each tensor over every rank, in place, in one coalesced exchange.</summary>
    public void AllReduceSum(IReadOnlyList<Tensor> tensors) =>
        Native.Check(
            Tensor.CallWithHandles(tensors, handles =>
                Native.qp_pg_allreduce_coalesced_sum(handle, handles, handles.Length)
            )
        );

    /// <summary>
    /// Copies rank <paramref name="root"/>'s <paramref name="tensor"/> into every other rank's, in place.
    /// </summary>
    public void Broadcast(Tensor tensor, int root = 0)
    {
        if (root < 0 || root >= Size)
            throw new ArgumentOutOfRangeException(nameof(root), root, $"a rank of 0..{Size - 1}");
        Native.Check(Native.qp_pg_broadcast(handle, tensor.Handle, root));
    }

    /// <summary>Returns once every rank has called it.</summary>
    public void Barrier() => Native.Check(Native.qp_pg_barrier(handle));

    public void Dispose() => handle.Dispose();

    private static void Check(int rank, int size)
    {
        if (size < 1)
            throw new ArgumentOutOfRangeException(nameof(size), size, "a process group has at least one rank");
        if (rank < 0 || rank >= size)
            throw new ArgumentOutOfRangeException(nameof(rank), rank, $"a rank of 0..{size - 1}");
    }
}

internal sealed class StoreHandle(IntPtr value) : SafeHandle(value, true)
{
    public StoreHandle()
        : this(IntPtr.Zero) { }

    public override bool IsInvalid => handle == IntPtr.Zero;

    protected override bool ReleaseHandle()
    {
        Native.qp_store_free(handle);
        return true;
    }
}

internal sealed class GroupHandle(IntPtr value) : SafeHandle(value, true)
{
    public GroupHandle()
        : this(IntPtr.Zero) { }

    public override bool IsInvalid => handle == IntPtr.Zero;

    protected override bool ReleaseHandle()
    {
        Native.qp_pg_free(handle);
        return true;
    }
}

internal static partial class Native
{
    // ---- distributed (c10d)
    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int qp_tcpstore_new(
        string host,
        int port,
        int worldSize,
        int isMaster,
        long timeoutMs,
        out IntPtr store
    );

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int qp_prefixstore_new(string prefix, StoreHandle store, out IntPtr prefixed);

    [LibraryImport(Lib)]
    internal static partial void qp_store_free(IntPtr store);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int qp_pg_gloo_new(
        StoreHandle store,
        int rank,
        int size,
        string interfaceName,
        string hostname,
        long timeoutMs,
        out IntPtr pg
    );

    [LibraryImport(Lib)]
    internal static partial int qp_pg_nccl_new(StoreHandle store, int rank, int size, long timeoutMs, out IntPtr pg);

    [LibraryImport(Lib)]
    internal static partial void qp_pg_free(IntPtr pg);

    [LibraryImport(Lib)]
    internal static partial int qp_pg_allreduce_sum(GroupHandle pg, TensorHandle tensor);

    [LibraryImport(Lib)]
    internal static partial int qp_pg_allreduce_coalesced_sum(GroupHandle pg, ReadOnlySpan<IntPtr> tensors, long n);

    [LibraryImport(Lib)]
    internal static partial int qp_pg_broadcast(GroupHandle pg, TensorHandle tensor, int root);

    [LibraryImport(Lib)]
    internal static partial int qp_pg_barrier(GroupHandle pg);
}
