using System.Collections.Concurrent;
using System.Runtime.ExceptionServices;
using QuakePrune.Extract;
using QuakePrune.Stead;

namespace QuakePrune.Spectrograms;

/// <summary>
/// A subset folder's traces as spectrogram images computed when they are read, so that no spectrogram file is needed.
/// The rows, labels, splits, trace names and SNR are the subset CSV's, read as the spectrogram file's writer reads
/// them, and each image is made by a <see cref="SpectrogramComputer"/> with the same settings and, for float16, rounded
/// through <see cref="Half"/> as the file stores it: the images equal what
/// <see cref="SpectrogramFile.ReadImages(IReadOnlyList{int}, Span{float})"/> returns from the file that `quakeprune
/// spectrogram` writes of the subset, bit for bit. The waveforms come through the reader the writer uses
/// (<see cref="SteadTraceSource"/>: a separate process for a file this process did not write). Images are computed on
/// <see cref="Threads"/> threads; in <see cref="ReadBatches"/> the traces of the next batch are read while this one's
/// are computed. Reading is safe from several threads.
/// </summary>
public sealed class SubsetSpectrograms : ISpectrogramImages
{
    private const int Samples = SteadLayout.Samples;

    private readonly SteadTraceSource source;
    private readonly ConcurrentBag<Worker> workers = [];
    private readonly bool half;

    /// <summary>One thread's computer and, for float16, its rounding buffer.</summary>
    private sealed class Worker
    {
        public Worker(SpectrogramSettings settings, bool half)
        {
            Computer = new SpectrogramComputer(settings, Samples);
            Rounded = half ? new Half[Computer.ImageLength] : [];
        }

        public SpectrogramComputer Computer { get; }
        public Half[] Rounded { get; }
    }

    private SubsetSpectrograms(
        string path,
        string csvPath,
        SteadTraceSource source,
        SubsetRows rows,
        SpectrogramSettings settings,
        int threads
    )
    {
        Path = path;
        CsvPath = csvPath;
        this.source = source;
        Settings = settings;
        Threads = threads;
        half = settings.DType == SpectrogramDType.Float16;
        var probe = new Worker(settings, half);
        workers.Add(probe);
        (Height, Width) = (probe.Computer.ImageHeight, probe.Computer.ImageWidth);
        TraceNames = rows.Names;
        Labels = rows.Labels;
        Splits = rows.Splits;
        SnrDb = rows.SnrDb;
    }

    /// <summary>
    /// Opens a subset folder (subset.hdf5 + subset.csv, as `quakeprune extract` writes them) whose images
    /// <paramref name="settings"/> make, computed on <paramref name="threads"/> threads.
    /// </summary>
    public static SubsetSpectrograms Open(string folder, SpectrogramSettings settings, int threads)
    {
        ArgumentNullException.ThrowIfNull(folder);
        ArgumentNullException.ThrowIfNull(settings);
        settings.Validate(Samples);
        if (threads < 1)
            throw new ArgumentException($"subset '{folder}': threads must be at least 1, got {threads}");
        if (!Directory.Exists(folder))
            throw new DirectoryNotFoundException($"subset folder '{folder}' not found");
        var (hdf5, csv) = (
            System.IO.Path.Combine(folder, SubsetExtractor.Hdf5Name),
            System.IO.Path.Combine(folder, SubsetExtractor.CsvName)
        );
        foreach (var file in new[] { csv, hdf5 })
            if (!File.Exists(file))
                throw new FileNotFoundException(
                    $"'{folder}' is not a subset folder: '{file}' not found (`quakeprune extract` writes {SubsetExtractor.Hdf5Name} and {SubsetExtractor.CsvName})",
                    file
                );
        var source = SteadTraceSource.Open(hdf5, csv);
        try
        {
            return new SubsetSpectrograms(
                folder,
                csv,
                source,
                SubsetRows.Of(source.Records, csv, $"subset '{folder}'"),
                settings,
                threads
            );
        }
        catch
        {
            source.Dispose();
            throw;
        }
    }

    /// <summary>The subset folder.</summary>
    public string Path { get; }

    /// <summary>The subset's CSV, whose rows are the images' rows.</summary>
    public string CsvPath { get; }

    /// <summary>The subset's HDF5 file of waveforms.</summary>
    public string Hdf5Path => System.IO.Path.Combine(Path, SubsetExtractor.Hdf5Name);

    public SpectrogramSettings Settings { get; }

    /// <summary>Threads that compute the images of one read.</summary>
    public int Threads { get; }

    public int Count => Labels.Count;
    public int Channels => SpectrogramComputer.Components;
    public int Height { get; }
    public int Width { get; }
    public int ImageLength => Channels * Height * Width;

    /// <summary>1 = earthquake, 0 = noise.</summary>
    public IReadOnlyList<long> Labels { get; }

    public IReadOnlyList<string> TraceNames { get; }

    /// <summary>train, dev or test.</summary>
    public IReadOnlyList<string> Splits { get; }

    /// <summary>Mean SNR of the three components in dB; NaN for noise.</summary>
    public IReadOnlyList<float> SnrDb { get; }

    /// <summary>Images per split and class, as the spectrogram file's writer counts them.</summary>
    public IReadOnlyList<SplitCount> SplitCounts() => SpectrogramWriter.SplitCounts(Splits, Labels);

    public int[] IndicesOf(string split)
    {
        ArgumentNullException.ThrowIfNull(split);
        return Enumerable.Range(0, Count).Where(i => Splits[i] == split).ToArray();
    }

    public void ReadImages(IReadOnlyList<int> indices, Span<float> destination)
    {
        ArgumentNullException.ThrowIfNull(indices);
        if (destination.Length != indices.Count * ImageLength)
            throw new ArgumentException(
                $"subset '{Path}': {indices.Count} images need {indices.Count * ImageLength} values; the destination holds {destination.Length}",
                nameof(destination)
            );
        var rows = indices.ToArray();
        var traces = new float[rows.Length * SteadLayout.Values];
        ReadTraces(rows, traces);
        var images = new float[destination.Length];
        Compute(rows, traces, images);
        images.CopyTo(destination);
    }

    public IEnumerable<float[]> ReadBatches(IReadOnlyList<int[]> batches, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(batches);
        if (batches.Count == 0)
            yield break;
        var largest = batches.Max(b => b.Length);
        float[][] traces = [new float[largest * SteadLayout.Values], new float[largest * SteadLayout.Values]];
        ReadTraces(batches[0], traces[0]);
        for (var b = 0; b < batches.Count; b++)
        {
            cancellation.ThrowIfCancellationRequested();
            var (rows, current) = (batches[b], traces[b % 2]);
            var images = new float[rows.Length * ImageLength];
            var computing = Task.Run(() => Compute(rows, current, images), CancellationToken.None);
            try
            {
                if (b + 1 < batches.Count)
                    ReadTraces(batches[b + 1], traces[(b + 1) % 2]);
            }
            finally
            {
                // The buffer being computed is refilled two batches on: never while a computation still reads it.
                ((IAsyncResult)computing).AsyncWaitHandle.WaitOne();
            }
            computing.GetAwaiter().GetResult();
            yield return images;
        }
    }

    /// <summary>
    /// The waveforms of <paramref name="rows"/> into consecutive slots; the trace source serves one caller at a time.
    /// </summary>
    private void ReadTraces(int[] rows, float[] traces)
    {
        foreach (var row in rows)
            if (row < 0 || row >= Count)
                throw new ArgumentOutOfRangeException(
                    nameof(rows),
                    $"subset '{Path}': row {row} is outside 0..{Count - 1}"
                );
        lock (source)
            source.Read(rows, traces.AsSpan(0, rows.Length * SteadLayout.Values));
    }

    /// <summary>
    /// The images of <paramref name="rows"/> from their traces, each thread a contiguous block; the first failing
    /// block's error is thrown, so the error does not depend on which thread ran first.
    /// </summary>
    private void Compute(int[] rows, float[] traces, float[] images)
    {
        var blocks = Math.Min(Threads, rows.Length);
        if (blocks == 0)
            return;
        var failures = new Exception?[blocks];
        Parallel.For(0, blocks, new ParallelOptions { MaxDegreeOfParallelism = blocks }, block =>
        {
            if (!workers.TryTake(out var worker))
                worker = new Worker(Settings, half);
            try
            {
                var start = (int)((long)rows.Length * block / blocks);
                var end = (int)((long)rows.Length * (block + 1) / blocks);
                for (var i = start; i < end; i++)
                    ComputeImage(
                        worker,
                        rows[i],
                        traces.AsSpan(i * SteadLayout.Values, SteadLayout.Values),
                        images.AsSpan(i * ImageLength, ImageLength)
                    );
            }
            catch (Exception e)
            {
                failures[block] = e;
            }
            finally
            {
                workers.Add(worker);
            }
        });
        if (Array.Find(failures, e => e is not null) is { } failure)
            ExceptionDispatchInfo.Throw(failure);
    }

    private void ComputeImage(Worker worker, int row, ReadOnlySpan<float> trace, Span<float> image)
    {
        var name = TraceNames[row];
        try
        {
            if (half)
            {
                worker.Computer.ComputeImage(trace, worker.Rounded, name);
                for (var i = 0; i < image.Length; i++)
                    image[i] = (float)worker.Rounded[i];
            }
            else
                worker.Computer.ComputeImage(trace, image, name);
        }
        catch (NonFiniteTraceException e)
        {
            throw new InvalidDataException(
                $"subset '{Path}': {e.Message} Images computed on the fly need every trace finite: leave it out of '{CsvPath}', "
                    + "or write a spectrogram file with `quakeprune spectrogram --skip-nonfinite`",
                e
            );
        }
        // A float16 image can overflow: a non-finite pixel is refused as the spectrogram file refuses it.
        SpectrogramFile.RequireFinite(image, row, ImageLength, Height, Width, $"subset '{Path}'", TraceNames);
    }

    public void Dispose() => source.Dispose();
}
