namespace QuakePrune.Stead;

/// <summary>
/// Traces to read: metadata rows in a fixed order (a subset's CSV order, or the rows an extraction chose) and their
/// waveforms, read by row in batches. The extractor, the spectrogram writer and the waveform data sets read through it;
/// none opens STEAD's files itself.
/// </summary>
public interface ITraceSource : IDisposable
{
    /// <summary>What the traces come from, for messages ("'subset.hdf5' (rows of 'subset.csv')").</summary>
    string Description { get; }

    /// <summary>The metadata rows, in the source's order.</summary>
    IReadOnlyList<SteadRecord> Records { get; }

    /// <summary>
    /// Reads the waveforms of <paramref name="rows"/> (indices into <see cref="Records"/>), in the order given, into
    /// consecutive slots of <see cref="SteadLayout.Values"/> floats: 6000 samples x E, N, Z, as STEAD stores them.
    /// </summary>
    void Read(IReadOnlyList<int> rows, Span<float> destination);
}

/// <summary>
/// A STEAD-format pair (HDF5 + CSV) as an <see cref="ITraceSource"/>: every CSV row, or a chosen part of them. The
/// waveforms come through a <see cref="SteadTraceReader"/> (a separate process for a file this process did not write);
/// a caller that reads the rows in order has the next ones asked for ahead, so they are read while it works. Not
/// thread-safe.
/// </summary>
public sealed class SteadTraceSource : ITraceSource
{
    /// <summary>
    /// Rows asked for ahead of a caller reading in order: enough to keep the reading process busy, in batches of 128
    /// (smaller ones measured slower in the spectrogram verb: more pipe round trips).
    /// </summary>
    private const int ReadAhead = 256;

    private readonly SteadTraceReader reader;
    private readonly string csvPath;

    /// <summary>Rows requested of the reader and not yet received, in request order.</summary>
    private readonly Queue<int> requested = new();

    /// <summary>The row after the last one read (a call starting there continues in order).</summary>
    private int nextInOrder;

    public string Description => $"'{reader.Path}' (rows of '{csvPath}')";
    public IReadOnlyList<SteadRecord> Records { get; }

    private SteadTraceSource(SteadTraceReader reader, string csvPath, IReadOnlyList<SteadRecord> records)
    {
        this.reader = reader;
        this.csvPath = csvPath;
        Records = records;
    }

    /// <summary>Every row of the pair's CSV, in file order (a subset: a few thousand rows).</summary>
    public static SteadTraceSource Open(string hdf5Path, string csvPath)
    {
        // The reader first: a reading process then starts while the CSV is read.
        var reader = SteadTraceReader.Open(hdf5Path);
        try
        {
            return new SteadTraceSource(reader, csvPath, SteadCsv.ReadAll(csvPath));
        }
        catch
        {
            reader.Dispose();
            throw;
        }
    }

    /// <summary>Only <paramref name="records"/> (rows of the pair's CSV): only their datasets are read.</summary>
    public static SteadTraceSource Of(string hdf5Path, string csvPath, IReadOnlyList<SteadRecord> records) =>
        new(SteadTraceReader.Open(hdf5Path), csvPath, records);

    public void Read(IReadOnlyList<int> rows, Span<float> destination)
    {
        if (destination.Length != rows.Count * SteadLayout.Values)
            throw new ArgumentException(
                $"{rows.Count} traces need {rows.Count * SteadLayout.Values} values; the destination holds {destination.Length}"
            );
        foreach (var row in rows)
            if (row < 0 || row >= Records.Count)
                throw new ArgumentOutOfRangeException(
                    nameof(rows),
                    $"row {row} is not one of the {Records.Count} rows of {Description}"
                );
        if (rows.Count == 0)
            return;
        // Rows asked for ahead that this call does not begin with were a wrong guess: dropped.
        var asked = requested.Zip(rows).TakeWhile(pair => pair.First == pair.Second).Count();
        if (asked < Math.Min(requested.Count, rows.Count))
        {
            reader.DiscardPending();
            requested.Clear();
            asked = 0;
        }
        var inOrder =
            rows[0] == nextInOrder && Enumerable.Range(1, rows.Count - 1).All(i => rows[i] == rows[i - 1] + 1);
        for (var i = 0; i < rows.Count; i++)
        {
            while (asked < rows.Count && Ask(rows[asked]))
                asked++;
            requested.Dequeue();
            reader.Receive(destination.Slice(i * SteadLayout.Values, SteadLayout.Values), csvPath);
        }
        nextInOrder = rows[^1] + 1;
        // What is still requested runs on from nextInOrder: ask for the rows after it, half the read-ahead at a time
        // (so requests go out, and replies come back, in batches).
        if (!inOrder || requested.Count > ReadAhead / 2)
            return;
        while (
            requested.Count < ReadAhead
            && nextInOrder + requested.Count < Records.Count
            && Ask(nextInOrder + requested.Count)
        ) { }
    }

    /// <summary>Requests a row's waveform, unless too many requests wait already.</summary>
    private bool Ask(int row)
    {
        var name = Records[row].TraceName;
        if (!reader.CanRequest(name))
            return false;
        reader.Request(name);
        requested.Enqueue(row);
        return true;
    }

    /// <summary>Reads rows <paramref name="first"/>..first+count-1, in order.</summary>
    public void Read(int first, int count, Span<float> destination) =>
        Read(Enumerable.Range(first, count).ToArray(), destination);

    public void Dispose() => reader.Dispose();
}
