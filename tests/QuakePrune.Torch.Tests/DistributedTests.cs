using System.Net;
using System.Net.Sockets;
using static QuakePrune.Torch.torch;

namespace QuakePrune.Torch.Tests;

/// <summary>
/// The c10d bindings: a TCPStore and gloo process groups of two ranks, here two threads of this process (c10d keeps no
/// per-process state, so each thread is a rank as a process would be), and the failures a user meets named, not fatal.
/// </summary>
public class DistributedTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>
    /// Runs <paramref name="body"/> as ranks 0 and 1 of a gloo group on localhost, each on its own thread.
    /// </summary>
    private static T[] TwoRanks<T>(Func<ProcessGroup, T> body)
    {
        var port = FreePort();
        var ranks = Enumerable
            .Range(0, 2)
            .Select(rank =>
                Task.Factory.StartNew(
                    () =>
                    {
                        using var store = Store.Tcp("127.0.0.1", port, 2, rank == 0, Timeout);
                        using var group = ProcessGroup.Gloo(store, rank, 2, Timeout, hostname: "127.0.0.1");
                        using var scope = NewDisposeScope();
                        return body(group);
                    },
                    TaskCreationOptions.LongRunning
                )
            )
            .ToArray();
        Task.WaitAll(ranks);
        return ranks.Select(t => t.Result).ToArray();
    }

    [Fact]
    public void All_reduce_sums_a_bucket_and_a_list_over_the_ranks_in_place()
    {
        var results = TwoRanks(group =>
        {
            var bucket = tensor(new[] { 1f + group.Rank, 10f * (group.Rank + 1) });
            group.AllReduceSum(bucket);
            var list = new[] { full([2], group.Rank + 1.0), full([3], 2.0 * group.Rank) };
            group.AllReduceSum(list);
            return bucket.ToArray<float>().Concat(list.SelectMany(t => t.ToArray<float>())).ToArray();
        });
        foreach (var values in results)
            Assert.Equal(new[] { 3f, 30f, 3f, 3f, 2f, 2f, 2f }, values);
    }

    [Fact]
    public void Broadcast_copies_the_root_s_tensor_and_barrier_returns_on_every_rank()
    {
        var results = TwoRanks(group =>
        {
            var t = full([4], group.Rank == 1 ? 7.0 : -1.0);
            group.Broadcast(t, root: 1);
            group.Barrier();
            return t.ToArray<float>();
        });
        foreach (var values in results)
            Assert.Equal(new[] { 7f, 7f, 7f, 7f }, values);
    }

    [Fact]
    public void Failures_are_named_exceptions_not_crashes()
    {
        // No master on the port: the client gives up after its (short) timeout with c10d's message.
        var alone = Assert.ThrowsAny<TorchException>(() =>
            Store.Tcp("127.0.0.1", FreePort(), 2, false, TimeSpan.FromSeconds(1))
        );
        Assert.StartsWith("libtorch: ", alone.Message);
        Assert.Contains(
            "65535",
            Assert.ThrowsAny<TorchException>(() => Store.Tcp("127.0.0.1", 70000, 1, true, Timeout)).Message
        );
        using (var store = Store.Tcp("127.0.0.1", FreePort(), 1, true, Timeout))
        using (var group = ProcessGroup.Gloo(store, 0, 1, Timeout, hostname: "127.0.0.1"))
        using (var t = zeros(1))
            Assert.Throws<ArgumentOutOfRangeException>(() => group.Broadcast(t, root: 1));
        if (!cuda.is_available())
        {
            using var store = Store.Tcp("127.0.0.1", FreePort(), 1, true, Timeout);
            Assert.Contains(
                "NCCL",
                Assert.ThrowsAny<TorchException>(() => ProcessGroup.Nccl(store, 0, 1, Timeout)).Message
            );
        }
    }
}
