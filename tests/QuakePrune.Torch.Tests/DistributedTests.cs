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

    public static TheoryData<long[]> BatchNormInputs => new() { new long[] { 8, 3, 5, 4 }, new long[] { 8, 3, 7 } };

    /// <summary>
    /// The proof that synchronised batch norm is right: two ranks, each with half of a batch, give the outputs and
    /// input gradients of one plain batch norm over the whole batch, parameter gradients that add up to its, and its
    /// running statistics, over two training steps.
    /// </summary>
    [Theory]
    [MemberData(nameof(BatchNormInputs))]
    public void Synchronised_batch_norm_over_two_ranks_equals_batch_norm_over_their_combined_batch(long[] shape)
    {
        const int Steps = 2;
        manual_seed(7);
        // Offsets and scales per channel, far from 0 and 1, so that the statistics matter.
        var inputs = Enumerable.Range(0, Steps).Select(_ => (randn(shape) * 3 + 5).ToArray<float>()).ToArray();
        var upstream = Enumerable.Range(0, Steps).Select(_ => randn(shape).ToArray<float>()).ToArray();
        var (gamma, beta) = (randn(shape[1]).ToArray<float>(), randn(shape[1]).ToArray<float>());
        var half = (long[])shape.Clone();
        half[0] /= 2;
        var rowLength = (int)(inputs[0].Length / shape[0]);

        nn.Module<Tensor, Tensor> Norm(ProcessGroup? group)
        {
            nn.Module<Tensor, Tensor> module = shape.Length == 4 ? nn.BatchNorm2d(shape[1]) : nn.BatchNorm1d(shape[1]);
            var norm = (Modules.BatchNorm)module;
            using (no_grad())
            {
                norm.weight!.copy_(tensor(gamma));
                norm.bias!.copy_(tensor(beta));
            }
            norm.process_group = group;
            return module;
        }

        // Per step: output, input gradient, weight and bias gradients; then the running mean and variance.
        List<float[]> Train(ProcessGroup? group, int first, long[] size)
        {
            var module = Norm(group);
            var norm = (Modules.BatchNorm)module;
            var seen = new List<float[]>();
            var length = (int)(size[0] * rowLength);
            for (var step = 0; step < Steps; step++)
            {
                norm.zero_grad();
                var x = tensor(inputs[step].AsSpan(first * rowLength, length).ToArray(), size, requires_grad: true);
                var y = module.forward(x);
                (y * tensor(upstream[step].AsSpan(first * rowLength, length).ToArray(), size)).sum().backward();
                seen.AddRange([
                    y.ToArray<float>(),
                    x.grad!.ToArray<float>(),
                    norm.weight!.grad!.ToArray<float>(),
                    norm.bias!.grad!.ToArray<float>(),
                ]);
            }
            seen.AddRange([norm.running_mean!.ToArray<float>(), norm.running_var!.ToArray<float>()]);
            return seen;
        }

        List<float[]> whole;
        using (NewDisposeScope())
            whole = Train(null, 0, shape);
        var ranks = TwoRanks(group => Train(group, group.Rank * (int)half[0], half));

        static void Near(float[] expected, float[] actual, string what) =>
            Assert.True(
                expected.Length == actual.Length && expected.Zip(actual).All(p => Math.Abs(p.First - p.Second) <= 1e-5),
                $"{what}: differs by more than 1e-5"
            );
        for (var step = 0; step < Steps; step++)
        {
            var k = 4 * step;
            Near(whole[k], [.. ranks[0][k], .. ranks[1][k]], $"step {step + 1}, output");
            Near(whole[k + 1], [.. ranks[0][k + 1], .. ranks[1][k + 1]], $"step {step + 1}, input gradient");
            foreach (var (offset, name) in new[] { (2, "weight"), (3, "bias") })
                Near(
                    whole[k + offset],
                    ranks[0][k + offset].Zip(ranks[1][k + offset], (a, b) => a + b).ToArray(),
                    $"step {step + 1}, {name} gradient summed over the ranks"
                );
        }
        foreach (var rank in ranks)
        {
            Near(whole[^2], rank[^2], "running mean");
            Near(whole[^1], rank[^1], "running variance");
        }
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
