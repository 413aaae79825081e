using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using QuakePrune.Extract;
using QuakePrune.Hdf5;
using QuakePrune.Outputs;
using QuakePrune.Stead;

namespace QuakePrune.Spectrograms;

/// <summary>
/// The pipeline behind <see cref="SpectrogramFile.Write"/>: one reader thread streams traces in batches, worker threads
/// (one <see cref="SpectrogramComputer"/> each) turn them into images, and the calling thread writes the batches in
/// subset order. A fixed pool of batch buffers bounds memory. HDF5 calls are serialised by the bindings' lock.
/// </summary>
internal static class SpectrogramWriter
{
    private const int Samples = SteadLayout.Samples;

    private sealed class Batch(int traces, int imageLength, bool half)
    {
        public int Sequence;
        public int First;
        public int Count;
        public readonly float[] Traces = new float[traces * SteadLayout.Values];
        public readonly float[]? Images = half ? null : new float[traces * imageLength];
        public readonly Half[]? HalfImages = half ? new Half[traces * imageLength] : null;

        /// <summary>Subset rows whose image is in the batch, in order (skipped traces are absent).</summary>
        public readonly List<int> Kept = new(traces);
        public readonly List<string> Skipped = [];
    }

    public static SpectrogramSummary Write(SpectrogramJob job)
    {
        ArgumentNullException.ThrowIfNull(job);
        var clock = Stopwatch.StartNew();
        var settings = job.Settings ?? throw new ArgumentException("spectrogram: settings must be given");
        settings.Validate(Samples);
        if (job.Threads < 1)
            throw new ArgumentException($"spectrogram: threads must be at least 1, got {job.Threads}");
        if (job.BatchSize < 1)
            throw new ArgumentException($"spectrogram: batch size must be at least 1, got {job.BatchSize}");
        var (hdf5Path, csvPath) = SubsetRows.Paths(job.Subset, "spectrogram");
        var output = Path.GetFullPath(job.OutputPath);
        if (Directory.Exists(output))
            throw new IOException(
                $"spectrogram: output '{output}' is a folder; give a file name such as spectrograms.h5"
            );
        using var outputs = new OutputSet("spectrogram", job.Overwrite, [hdf5Path, csvPath, job.Subset]);
        var temporary = outputs.File(output);

        using var source = SteadTraceSource.Open(hdf5Path, csvPath);
        var rows = SubsetRows.Of(source.Records, csvPath, "spectrogram");
        {
            var (kept, skipped, shape) = WriteFile(job, settings, source, csvPath, rows, temporary, clock);
            outputs.Publish();
            var labels = kept.Select(i => rows.Labels[i]).ToArray();
            var splits = kept.Select(i => rows.Splits[i]).ToArray();
            return new SpectrogramSummary
            {
                OutputPath = output,
                Count = kept.Count,
                ImageShape = shape,
                DType = settings.DType,
                Splits = SplitCounts(splits, labels),
                SkippedNonFinite = skipped,
                Threads = job.Threads,
                Seconds = clock.Elapsed.TotalSeconds,
            };
        }
    }

    private static (List<int> Kept, List<string> Skipped, int[] Shape) WriteFile(
        SpectrogramJob job,
        SpectrogramSettings settings,
        ITraceSource source,
        string csvPath,
        SubsetRows rows,
        string temporary,
        Stopwatch clock
    )
    {
        var probe = new SpectrogramComputer(settings, Samples);
        int height = probe.ImageHeight,
            width = probe.ImageWidth,
            imageLength = probe.ImageLength;
        var half = settings.DType == SpectrogramDType.Float16;
        var total = rows.Names.Length;
        var kept = new List<int>(total);
        var skipped = new List<string>();

        using (var file = H5File.Create(temporary))
        {
            using (
                var images = file.CreateDataset(
                    SpectrogramFile.ImagesDataset,
                    half ? H5ElementType.Float16 : H5ElementType.Float32,
                    [total, SpectrogramComputer.Components, height, width],
                    [1, SpectrogramComputer.Components, height, width]
                )
            )
            {
                RunPipeline(job, settings, source, rows.Names, imageLength, half, clock, batch =>
                {
                    if (batch.Kept.Count > 0)
                    {
                        var values = batch.Kept.Count * imageLength;
                        if (half)
                            images.WriteRows<Half>(kept.Count, batch.HalfImages.AsSpan(0, values));
                        else
                            images.WriteRows<float>(kept.Count, batch.Images.AsSpan(0, values));
                    }
                    kept.AddRange(batch.Kept);
                    skipped.AddRange(batch.Skipped);
                });
                if (kept.Count == 0)
                    throw new InvalidDataException(
                        $"spectrogram: every trace of '{csvPath}' holds NaN/Inf; no image was made"
                    );
                if (kept.Count < total)
                    images.ResizeRows(kept.Count);
            }
            var labels = kept.Select(i => rows.Labels[i]).ToArray();
            var splits = kept.Select(i => rows.Splits[i]).ToArray();
            file.WriteDataset<long>(SpectrogramFile.LabelsDataset, labels, [labels.Length]).Dispose();
            file.WriteStrings(SpectrogramFile.TraceNameDataset, kept.Select(i => rows.Names[i]).ToArray()).Dispose();
            file.WriteStrings(SpectrogramFile.SplitDataset, splits).Dispose();
            file.WriteDataset<float>(
                    SpectrogramFile.SnrDataset,
                    kept.Select(i => rows.SnrDb[i]).ToArray(),
                    [labels.Length]
                )
                .Dispose();
            WriteAttributes(file.Attributes, settings, splits, labels, skipped.Count, csvPath);
        }
        return (kept, skipped, [SpectrogramComputer.Components, height, width]);
    }

    /// <summary>
    /// The settings' string map, each value stored as a number where it reads as one (so h5py users get numbers),
    /// plus the counts per split and class.
    /// </summary>
    private static void WriteAttributes(
        H5Attributes attributes,
        SpectrogramSettings settings,
        string[] splits,
        long[] labels,
        int skipped,
        string csvPath
    )
    {
        foreach (var (key, value) in settings.ToMap())
        {
            if (long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var integer))
                attributes.Write(key, integer);
            else if (double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var number))
                attributes.Write(key, number);
            else
                attributes.Write(key, value);
        }
        attributes.Write(SpectrogramFile.CountAttribute, (long)labels.Length);
        foreach (var count in SplitCounts(splits, labels))
        {
            attributes.Write($"count_{count.Split}_earthquake", (long)count.Earthquakes);
            attributes.Write($"count_{count.Split}_noise", (long)count.Noise);
        }
        attributes.Write("skipped_nonfinite", (long)skipped);
        attributes.Write("subset_csv", Path.GetFullPath(csvPath));
    }

    internal static List<SplitCount> SplitCounts(IReadOnlyList<string> splits, IReadOnlyList<long> labels) =>
        SplitFractions
            .Names.Select(name =>
            {
                int earthquakes = 0,
                    noise = 0;
                for (var i = 0; i < splits.Count; i++)
                    if (splits[i] == name)
                    {
                        if (labels[i] == 1)
                            earthquakes++;
                        else
                            noise++;
                    }
                return new SplitCount(name, earthquakes, noise);
            })
            .ToList();

    private static void RunPipeline(
        SpectrogramJob job,
        SpectrogramSettings settings,
        ITraceSource source,
        string[] names,
        int imageLength,
        bool half,
        Stopwatch clock,
        Action<Batch> write
    )
    {
        var total = names.Length;
        var batchSize = Math.Min(job.BatchSize, total);
        var batches = (total + batchSize - 1) / batchSize;
        var threads = Math.Min(job.Threads, batches);
        // Enough buffers for every worker to hold one, the reader to fill one and the writer to drain a few out of
        // order.
        var poolSize = Math.Min(batches, 2 * threads + 2);
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(job.Cancellation);
        using var pool = new BlockingCollection<Batch>(poolSize);
        using var toCompute = new BlockingCollection<Batch>(poolSize);
        using var toWrite = new BlockingCollection<Batch>(poolSize);
        for (var i = 0; i < poolSize; i++)
            pool.Add(new Batch(batchSize, imageLength, half));

        Exception? failure = null;
        void Fail(Exception e)
        {
            if (
                e is OperationCanceledException
                && cancel.IsCancellationRequested
                && !job.Cancellation.IsCancellationRequested
            )
                return;
            Interlocked.CompareExchange(ref failure, e, null);
            cancel.Cancel();
        }

        var reader = Task.Factory.StartNew(
            () =>
            {
                try
                {
                    for (var sequence = 0; sequence < batches; sequence++)
                    {
                        var batch = pool.Take(cancel.Token);
                        batch.Sequence = sequence;
                        batch.First = sequence * batchSize;
                        batch.Count = Math.Min(batchSize, total - batch.First);
                        source.Read(
                            Enumerable.Range(batch.First, batch.Count).ToArray(),
                            batch.Traces.AsSpan(0, batch.Count * SteadLayout.Values)
                        );
                        toCompute.Add(batch, cancel.Token);
                    }
                }
                catch (Exception e)
                {
                    Fail(e);
                }
                finally
                {
                    toCompute.CompleteAdding();
                }
            },
            CancellationToken.None,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default
        );

        var running = threads;
        var workers = Enumerable
            .Range(0, threads)
            .Select(_ =>
                Task.Factory.StartNew(
                    () =>
                    {
                        try
                        {
                            var computer = new SpectrogramComputer(settings, Samples);
                            foreach (var batch in toCompute.GetConsumingEnumerable(cancel.Token))
                            {
                                Compute(computer, batch, names, imageLength, job.SkipNonFinite);
                                toWrite.Add(batch, cancel.Token);
                            }
                        }
                        catch (Exception e)
                        {
                            Fail(e);
                        }
                        finally
                        {
                            if (Interlocked.Decrement(ref running) == 0)
                                toWrite.CompleteAdding();
                        }
                    },
                    CancellationToken.None,
                    TaskCreationOptions.LongRunning,
                    TaskScheduler.Default
                )
            )
            .ToArray();

        try
        {
            var pending = new Dictionary<int, Batch>();
            var next = 0;
            foreach (var batch in toWrite.GetConsumingEnumerable(cancel.Token))
            {
                pending.Add(batch.Sequence, batch);
                while (pending.Remove(next, out var ready))
                {
                    write(ready);
                    next++;
                    job.Progress?.Report(new SpectrogramProgress(ready.First + ready.Count, total, clock.Elapsed));
                    pool.Add(ready, cancel.Token);
                }
            }
            if (next != batches && failure is null)
                throw new InvalidOperationException(
                    $"spectrogram: {batches - next} batches never arrived from the workers"
                );
        }
        catch (Exception e)
        {
            Fail(e);
        }
        finally
        {
            cancel.Cancel();
            Task.WaitAll([reader, .. workers]);
        }
        if (failure is not null)
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failure);
    }

    /// <summary>
    /// Images of a batch, packed: a trace with NaN/Inf is skipped (and its image slot reused) or rethrown.
    /// </summary>
    private static void Compute(
        SpectrogramComputer computer,
        Batch batch,
        string[] names,
        int imageLength,
        bool skipNonFinite
    )
    {
        batch.Kept.Clear();
        batch.Skipped.Clear();
        for (var i = 0; i < batch.Count; i++)
        {
            var row = batch.First + i;
            var trace = batch.Traces.AsSpan(i * SteadLayout.Values, SteadLayout.Values);
            var slot = batch.Kept.Count * imageLength;
            try
            {
                if (batch.HalfImages is { } halfImages)
                    computer.ComputeImage(trace, halfImages.AsSpan(slot, imageLength), names[row]);
                else
                    computer.ComputeImage(trace, batch.Images.AsSpan(slot, imageLength), names[row]);
            }
            catch (NonFiniteTraceException) when (skipNonFinite)
            {
                batch.Skipped.Add(names[row]);
                continue;
            }
            batch.Kept.Add(row);
        }
    }
}
