using System.Collections.Concurrent;

namespace QuakePrune.Spectrograms;

/// <summary>
/// One batch on the host: <see cref="Count"/> images (count x 3 x H x W float32, whatever the stored dtype), their
/// labels and their rows in the file. <see cref="Shape"/> is (count, 3, H, W).
/// </summary>
public sealed record ImageBatch(float[] Images, long[] Labels, int[] Indices, int Count, int[] Shape);

/// <summary>How a <see cref="SpectrogramLoader"/> cuts one split into batches.</summary>
public sealed record SpectrogramLoaderOptions
{
    /// <summary>train, dev or test.</summary>
    public required string Split { get; init; }

    public int BatchSize { get; init; } = 32;

    /// <summary>Shuffle each epoch (from <see cref="Seed"/> and the epoch number); false keeps file order.</summary>
    public bool Shuffle { get; init; } = true;

    public ulong Seed { get; init; } = 1;

    /// <summary>Drop the last batch of an epoch when it is smaller than <see cref="BatchSize"/>.</summary>
    public bool DropLast { get; init; }

    /// <summary>Batches read ahead by the background task (the bound of its queue).</summary>
    public int Prefetch { get; init; } = 3;
}

/// <summary>
/// Streams batches of one split of a spectrogram file, or of a subset's images computed on the fly
/// (<see cref="ISpectrogramImages"/>), read ahead by a background task into a bounded queue. The order of an epoch
/// depends only on the seed and the epoch number, never on where the images come from. Stopping an epoch early (leaving
/// a foreach, disposing its enumerator) cancels the background task and waits for it.
/// </summary>
public sealed class SpectrogramLoader
{
    private readonly ISpectrogramImages file;
    private readonly int[] rows;
    private int prefetching;

    public SpectrogramLoader(ISpectrogramImages file, SpectrogramLoaderOptions options)
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentNullException.ThrowIfNull(options);
        if (options.BatchSize < 1)
            throw new ArgumentException($"loader: batch size must be at least 1, got {options.BatchSize}");
        if (options.Prefetch < 1)
            throw new ArgumentException($"loader: prefetch must be at least 1 batch, got {options.Prefetch}");
        this.file = file;
        Options = options;
        rows = file.IndicesOf(options.Split);
        if (rows.Length == 0)
            throw new ArgumentException($"loader: split '{options.Split}' has no images in '{file.Path}'");
    }

    public SpectrogramLoaderOptions Options { get; }

    /// <summary>Images in the split.</summary>
    public int Count => rows.Length;

    public int BatchesPerEpoch =>
        Options.DropLast ? Count / Options.BatchSize : (Count + Options.BatchSize - 1) / Options.BatchSize;

    /// <summary>
    /// Whether a background read is running (false again once an epoch ends or its enumerator is disposed).
    /// </summary>
    public bool Prefetching => Volatile.Read(ref prefetching) > 0;

    /// <summary>
    /// The file rows of an epoch in the order they will be served (before a dropped last batch is cut).
    /// </summary>
    public int[] Order(int epoch) => Options.Shuffle ? Shuffle(rows, Options.Seed, epoch) : (int[])rows.Clone();

    /// <summary>
    /// A Fisher-Yates shuffle of <paramref name="rows"/> from (seed, epoch): every epoch order of the study.
    /// </summary>
    public static int[] Shuffle(int[] rows, ulong seed, int epoch)
    {
        var order = (int[])rows.Clone();
        var rng = new Rng(seed, (ulong)epoch);
        for (var i = order.Length - 1; i > 0; i--)
        {
            var j = rng.Next(0, i + 1);
            (order[i], order[j]) = (order[j], order[i]);
        }
        return order;
    }

    /// <summary>The batches of one epoch. Each enumeration starts its own background task.</summary>
    public IEnumerable<ImageBatch> Epoch(int epoch, CancellationToken cancellation = default)
    {
        var order = Order(epoch);
        var batches = BatchesPerEpoch;
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        using var queue = new BlockingCollection<ImageBatch>(Options.Prefetch);
        Interlocked.Increment(ref prefetching);
        var producer = Task.Factory.StartNew(
            () =>
            {
                try
                {
                    var rowsOfBatches = Enumerable
                        .Range(0, batches)
                        .Select(b =>
                            order
                                .AsSpan(
                                    b * Options.BatchSize,
                                    Math.Min(Options.BatchSize, order.Length - b * Options.BatchSize)
                                )
                                .ToArray()
                        )
                        .ToArray();
                    var b = 0;
                    foreach (var images in file.ReadBatches(rowsOfBatches, cancel.Token))
                        queue.Add(Batch(rowsOfBatches[b++], images), cancel.Token);
                }
                finally
                {
                    queue.CompleteAdding();
                }
            },
            CancellationToken.None,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default
        );
        try
        {
            foreach (var batch in queue.GetConsumingEnumerable(cancel.Token))
                yield return batch;
            // The queue completes when the producer ends, normally or not: surface its failure here.
            producer.GetAwaiter().GetResult();
        }
        finally
        {
            cancel.Cancel();
            // Waits without rethrowing: a failure was surfaced above, and a consumer that left early wants none.
            ((IAsyncResult)producer).AsyncWaitHandle.WaitOne();
            Interlocked.Decrement(ref prefetching);
        }
    }

    private ImageBatch Batch(int[] indices, float[] images)
    {
        var labels = new long[indices.Length];
        for (var i = 0; i < indices.Length; i++)
            labels[i] = file.Labels[indices[i]];
        return new ImageBatch(
            images,
            labels,
            indices,
            indices.Length,
            [indices.Length, file.Channels, file.Height, file.Width]
        );
    }
}
