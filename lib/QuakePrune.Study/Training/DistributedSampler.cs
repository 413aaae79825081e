using System.Globalization;
using QuakePrune.Models;

namespace QuakePrune.Training;

/// <summary>
/// Each rank's part of an epoch, as PyTorch's DistributedSampler cuts it: the epoch's seeded order of the split (the
/// one a single process trains on, <see cref="EpochOrder"/>), padded to a multiple of the world size by repeating its
/// first rows, and rank r takes positions r, r + world, r + 2 world... Every row is trained once per epoch (the
/// padding, fewer rows than ranks, twice).
/// <para>
/// The batch size is the global one: each rank takes batch / world rows per step, so step k's rows over all ranks are
/// positions [k batch, (k + 1) batch) of the padded order, exactly the batch a single process takes when the split
/// divides by the world size. Learning rate, schedule and checkpoints therefore do not depend on the number of
/// processes, and a run resumes under any number.
/// </para>
/// </summary>
public static class DistributedSampler
{
    /// <summary>The global batch split over the ranks; refused (naming both) when it does not divide.</summary>
    public static int LocalBatch(int batchSize, int world) =>
        batchSize % world == 0
            ? batchSize / world
            : throw new ArgumentException(
                string.Create(
                    CultureInfo.InvariantCulture,
                    $"train: --batch {batchSize} does not split evenly over {world} processes (the world size); give a multiple of {world}"
                )
            );

    /// <summary>Rank <paramref name="rank"/>'s rows of <paramref name="order"/>, in order.</summary>
    public static int[] Shard(int[] order, int rank, int world)
    {
        if (world < 1 || rank < 0 || rank >= world)
            throw new ArgumentOutOfRangeException(nameof(rank), $"rank {rank} of {world}");
        if (order.Length == 0)
            return [];
        var perRank = (order.Length + world - 1) / world;
        var shard = new int[perRank];
        for (var k = 0; k < perRank; k++)
            shard[k] = order[(rank + k * world) % order.Length];
        return shard;
    }

    /// <summary>Steps in an epoch of <paramref name="rows"/> rows: the same on every rank.</summary>
    public static int StepsPerEpoch(int rows, int batchSize, int world)
    {
        var local = LocalBatch(batchSize, world);
        var perRank = (rows + world - 1) / world;
        return (perRank + local - 1) / local;
    }

    /// <summary>
    /// This rank's batches of one shuffled pass over <paramref name="split"/> (<paramref name="batchSize"/> is the
    /// global batch), the next batch read on a background task while the caller trains on this one.
    /// </summary>
    public static IEnumerable<HostBatch> Batches(
        IImageDataSet data,
        string split,
        int batchSize,
        ulong seed,
        int epoch,
        int rank,
        int world
    )
    {
        var local = LocalBatch(batchSize, world);
        var shard = Shard(EpochOrder.Shuffle(data.IndicesOf(split), seed, epoch), rank, world);
        var length = data.Channels * data.Height * data.Width;
        HostBatch Read(int start)
        {
            var rows = shard.AsSpan(start, Math.Min(local, shard.Length - start)).ToArray();
            var images = new float[rows.Length * length];
            data.ReadImages(rows, images);
            return new HostBatch(images, rows.Select(i => data.Labels[i]).ToArray(), rows, rows.Length);
        }
        Task<HostBatch>? next = shard.Length > 0 ? Task.Run(() => Read(0)) : null;
        for (var start = 0; next is not null; start += local)
        {
            var batch = next.GetAwaiter().GetResult();
            var following = start + local;
            next = following < shard.Length ? Task.Run(() => Read(following)) : null;
            yield return batch;
        }
    }
}
