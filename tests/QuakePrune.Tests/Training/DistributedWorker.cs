using System.Globalization;
using QuakePrune.Torch;
using QuakePrune.Training;
using static QuakePrune.Torch.torch;
using F = QuakePrune.Torch.torch.nn.functional;

namespace QuakePrune.Tests.Training;

/// <summary>
/// The test assembly's entry point, so that <see cref="DistributedTrainingTests"/> can start it as the ranks of a run:
/// `dotnet QuakePrune.Tests.dll ddp-worker OUT [sync-bn]` trains a tiny network for a few SGD steps, alone or as the
/// rank the environment names (RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT), through the same pieces the trainer uses:
/// <see cref="DistributedContext"/> and <see cref="DistributedSampler"/>. The network has no batch norm (so that
/// data-parallel training equals one process on the combined batch exactly in arithmetic), or with `sync-bn` one batch
/// norm, synchronised over the ranks. Rank 0 (or the single process) writes OUT: the initial and final parameters, the
/// running statistics, the images, and the rows each rank took at each step, which environment/bench/ddp_reference.py
/// replays under PyTorch's DistributedDataParallel. With any other arguments it does nothing, as the test SDK's
/// generated entry point did.
/// </summary>
public static class DistributedWorker
{
    public const int Epochs = 3,
        BatchSize = 8,
        TrainRows = 20;
    public const double LearningRate = 0.1,
        Momentum = 0.9;
    public const ulong Seed = 11;

    public static int Main(string[] args)
    {
        if (args is not ["ddp-worker", var output, .. var flags])
            return 0;
        var syncBatchNorm = flags.Contains("sync-bn");
        set_num_threads(1);
        using var distributed = DistributedContext.FromEnvironment(Device.CPU, timeout: TimeSpan.FromMinutes(2));
        var (rank, world) = (distributed?.Rank ?? 0, distributed?.WorldSize ?? 1);
        using var data = TinyImages.Make(3, ("train", TrainRows), ("dev", 4));
        // Each rank starts from other weights: the run must start from rank 0's.
        manual_seed(5 + rank);
        using var model = Model(syncBatchNorm);
        var initial = Snapshot(model);
        if (distributed is not null)
            distributed.SyncBatchNorm = syncBatchNorm;
        distributed?.Attach(model);
        var started = Snapshot(model);
        var optimizer = new optim.SGD(model.named_parameters(), LearningRate, Momentum);
        var steps = new List<long>();
        for (var epoch = 0; epoch < Epochs; epoch++)
        {
            var batches = distributed is null
                ? data.Batches("train", BatchSize, true, Seed, epoch)
                : DistributedSampler.Batches(data, "train", BatchSize, Seed, epoch, rank, world);
            foreach (var batch in batches)
            {
                using var scope = NewDisposeScope();
                optimizer.zero_grad();
                var x = tensor(batch.Images, [batch.Count, TinyImages.Channels, TinyImages.Size, TinyImages.Size]);
                F.cross_entropy(model.call(x), tensor(batch.Labels, [batch.Count])).backward();
                distributed?.AverageGradients();
                optimizer.step();
            }
            // The rows of every rank at every step, as rank 0 can compute them: what the reference replays.
            var shards = Enumerable
                .Range(0, world)
                .Select(r =>
                    DistributedSampler.Shard(EpochOrder.Shuffle(data.IndicesOf("train"), Seed, epoch), r, world)
                )
                .ToArray();
            var local = BatchSize / world;
            for (var start = 0; start < shards[0].Length; start += local)
                foreach (var shard in shards)
                    for (var k = start; k < start + local; k++)
                        steps.Add(k < shard.Length ? shard[k] : -1);
        }
        if (rank == 0)
            Write(output, model, data, initial, started, steps, world);
        optimizer.DisposeState();
        return 0;
    }

    /// <summary>
    /// A convolution and a linear layer; with <paramref name="batchNorm"/>, a batch norm between them.
    /// </summary>
    private static QuakePrune.Torch.Modules.Sequential Model(bool batchNorm) =>
        nn.Sequential([
            // No bias before a batch norm, which subtracts it again (its gradient is 0), as in a ResNet.
            nn.Conv2d(TinyImages.Channels, 4, 3, padding: 1, bias: !batchNorm),
            .. (batchNorm ? new nn.Module<Tensor, Tensor>[] { nn.BatchNorm2d(4) } : []),
            nn.ReLU(),
            nn.AdaptiveAvgPool2d(1),
            nn.Flatten(),
            nn.Linear(4, 2),
        ]);

    private static Dictionary<string, Tensor> Snapshot(nn.Module model) =>
        model.named_parameters().ToDictionary(p => p.name, p => p.parameter.detach().clone().DetachFromDisposeScope());

    private static void Write(
        string path,
        nn.Module model,
        InMemoryImageDataSet data,
        Dictionary<string, Tensor> initial,
        Dictionary<string, Tensor> started,
        List<long> steps,
        int world
    )
    {
        var rows = Enumerable.Range(0, data.Labels.Count).ToArray();
        var images = new float[rows.Length * TinyImages.Channels * TinyImages.Size * TinyImages.Size];
        data.ReadImages(rows, images);
        var local = BatchSize / world;
        var tensors = new List<KeyValuePair<string, Tensor>>
        {
            new("images", tensor(images, [rows.Length, TinyImages.Channels, TinyImages.Size, TinyImages.Size])),
            new("labels", tensor(data.Labels.ToArray(), [rows.Length])),
            new("rows", tensor(steps.ToArray(), [steps.Count / BatchSize, world, local])),
        };
        tensors.AddRange(initial.Select(p => KeyValuePair.Create("own_initial." + p.Key, p.Value)));
        tensors.AddRange(started.Select(p => KeyValuePair.Create("initial." + p.Key, p.Value)));
        tensors.AddRange(model.named_parameters().Select(p => KeyValuePair.Create("final." + p.name, p.parameter)));
        tensors.AddRange(
            model
                .named_buffers()
                .Where(b => b.buffer.dtype == ScalarType.Float32)
                .Select(b => KeyValuePair.Create("running." + b.name, b.buffer))
        );
        var c = CultureInfo.InvariantCulture;
        Safetensors.Save(
            path,
            tensors,
            new Dictionary<string, string>
            {
                ["lr"] = LearningRate.ToString("R", c),
                ["momentum"] = Momentum.ToString("R", c),
                ["world"] = world.ToString(c),
            }
        );
    }
}
