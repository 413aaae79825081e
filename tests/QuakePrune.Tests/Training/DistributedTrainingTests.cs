using System.Diagnostics;
using System.Globalization;
using QuakePrune.Torch;
using QuakePrune.Training;

namespace QuakePrune.Tests.Training;

/// <summary>
/// Issue 27: data-parallel training equals one process trained on the combined batches, and the pieces that make it so
/// (the distributed sampler, the rendezvous's checks). The ranks are this assembly started as
/// <see cref="DistributedWorker"/>.
/// </summary>
public sealed class DistributedTrainingTests : IDisposable
{
    private readonly TempDir dir = new();

    public void Dispose() => dir.Dispose();

    [Fact]
    public void Two_processes_end_with_the_weights_of_one_process_trained_on_the_combined_batches()
    {
        var (one, two) = TwoRanksAndOne(syncBatchNorm: false);
        Assert.Equal(4, AssertEqualAndTrained(one, two, "final."));
    }

    /// <summary>
    /// --sync-bn: with batch norm over every rank's rows, two ranks again train as one process on the combined batch,
    /// weights and running statistics; without it (per-process statistics) they would not.
    /// </summary>
    [Fact]
    public void Two_processes_with_synchronised_batch_norm_end_as_one_process_with_plain_batch_norm()
    {
        var (one, two) = TwoRanksAndOne(syncBatchNorm: true);
        Assert.Equal(5, AssertEqualAndTrained(one, two, "final."));
        Assert.Equal(2, AssertEqualAndTrained(one, two, "running."));
    }

    /// <summary>
    /// Runs the worker as two gloo ranks and as one process; returns the files each run's rank 0 wrote.
    /// </summary>
    private (IReadOnlyDictionary<string, Tensor> One, IReadOnlyDictionary<string, Tensor> Two) TwoRanksAndOne(
        bool syncBatchNorm
    )
    {
        string[] flags = syncBatchNorm ? ["sync-bn"] : [];
        var port = LaunchedProcesses.FreeLoopbackPort();
        var ranks = Enumerable
            .Range(0, 2)
            .Select(rank =>
                Worker(
                    [dir.File("two.safetensors"), .. flags],
                    new()
                    {
                        ["RANK"] = rank.ToString(CultureInfo.InvariantCulture),
                        ["WORLD_SIZE"] = "2",
                        ["MASTER_ADDR"] = "127.0.0.1",
                        ["MASTER_PORT"] = port.ToString(CultureInfo.InvariantCulture),
                    }
                )
            )
            .ToList();
        var single = Worker([dir.File("one.safetensors"), .. flags], []);
        foreach (var process in ranks.Append(single))
            Finish(process);

        var two = Safetensors.LoadTensors(dir.File("two.safetensors"));
        Assert.Equal("2", two.Metadata["world"]);
        return (Safetensors.LoadTensors(dir.File("one.safetensors")).Tensors, two.Tensors);
    }

    /// <summary>
    /// Asserts that the tensors named with <paramref name="prefix"/> agree within 1e-5 and moved from where they
    /// started (the equality is not that of two runs that did nothing); returns how many there are.
    /// </summary>
    private static int AssertEqualAndTrained(
        IReadOnlyDictionary<string, Tensor> one,
        IReadOnlyDictionary<string, Tensor> two,
        string prefix
    )
    {
        var names = one.Keys.Where(k => k.StartsWith(prefix, StringComparison.Ordinal)).ToList();
        foreach (var name in names)
        {
            var (a, b) = (one[name].ToArray<float>(), two[name].ToArray<float>());
            Assert.True(a.Zip(b).Max(p => Math.Abs(p.First - p.Second)) <= 1e-5, $"{name} differs by more than 1e-5");
            // Running statistics start at 0 and 1; parameters at the initial weights the file records.
            var start =
                one.TryGetValue("initial." + name[prefix.Length..], out var initial) ? initial.ToArray<float>()
                : name.EndsWith("running_var", StringComparison.Ordinal) ? [.. a.Select(_ => 1f)]
                : new float[a.Length];
            Assert.True(a.Zip(start).Max(p => Math.Abs(p.First - p.Second)) > 1e-2, $"{name} did not train");
        }
        return names.Count;
    }

    [Fact]
    public void The_sampler_gives_each_rank_an_interleaved_shard_and_every_row_once_padded_like_pytorch()
    {
        int[] order = [7, 3, 9, 1, 5];
        Assert.Equal([7, 9, 5], DistributedSampler.Shard(order, 0, 2));
        // Five rows over two ranks: the first row again pads rank 1 (PyTorch's DistributedSampler does the same).
        Assert.Equal([3, 1, 7], DistributedSampler.Shard(order, 1, 2));
        Assert.Equal([7, 5], DistributedSampler.Shard(order, 0, 4));
        Assert.Equal([1, 9], DistributedSampler.Shard(order, 3, 4));

        // Step k over all ranks takes the single process's batch k, whatever the world size that divides the batch.
        using var data = TinyImages.Make(1, ("train", 24), ("dev", 2));
        var single = data.Batches("train", 8, true, 3, 2).Select(b => b.Indices.Order().ToArray()).ToList();
        foreach (var world in new[] { 2, 4, 8 })
        {
            var shards = Enumerable
                .Range(0, world)
                .Select(r => DistributedSampler.Batches(data, "train", 8, 3, 2, r, world).ToList())
                .ToList();
            Assert.All(shards, s => Assert.Equal(single.Count, s.Count));
            Assert.Equal(single.Count, DistributedSampler.StepsPerEpoch(24, 8, world));
            for (var k = 0; k < single.Count; k++)
                Assert.Equal(single[k], shards.SelectMany(s => s[k].Indices).Order().ToArray());
        }
        Assert.Contains(
            "--batch 8 does not split evenly over 3 processes",
            Assert.Throws<ArgumentException>(() => DistributedSampler.LocalBatch(8, 3)).Message
        );
    }

    [Theory]
    [InlineData("2", "0", null, "1", "MASTER_ADDR")]
    [InlineData("2", "2", "127.0.0.1", "1", "RANK='2' is not a whole number in 0..1")]
    [InlineData("two", "0", "127.0.0.1", "1", "WORLD_SIZE='two'")]
    [InlineData("2", "0", "127.0.0.1", "70000", "MASTER_PORT='70000' is not a whole number in 1..65535")]
    [InlineData("2", null, "127.0.0.1", "1", "RANK is not set")]
    public void A_bad_rendezvous_environment_is_refused_naming_the_variable(
        string world,
        string? rank,
        string? address,
        string port,
        string expected
    )
    {
        var environment = new Dictionary<string, string?>
        {
            ["WORLD_SIZE"] = world,
            ["RANK"] = rank,
            ["MASTER_ADDR"] = address,
            ["MASTER_PORT"] = port,
        };
        var error = Assert.Throws<ArgumentException>(() =>
            DistributedContext.FromEnvironment(Device.CPU, name => environment.GetValueOrDefault(name))
        );
        Assert.Contains(expected, error.Message);
        Assert.Null(DistributedContext.FromEnvironment(Device.CPU, _ => null));
        Assert.Null(DistributedContext.FromEnvironment(Device.CPU, name => name == "WORLD_SIZE" ? "1" : null));
    }

    private static Process Worker(string[] arguments, Dictionary<string, string> environment)
    {
        var start = new ProcessStartInfo(
            CommandLineProcess.DotnetHost(),
            [typeof(DistributedWorker).Assembly.Location, "ddp-worker", .. arguments]
        )
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var (name, value) in environment)
            start.Environment[name] = value;
        return Process.Start(start) ?? throw new InvalidOperationException("cannot start the worker");
    }

    private static void Finish(Process process)
    {
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(3)))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail("a worker did not finish within 3 minutes");
        }
        Assert.True(process.ExitCode == 0, $"worker exit {process.ExitCode}: {output.Result}{error.Result}");
        process.Dispose();
    }
}
