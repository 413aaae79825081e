using System.Runtime.CompilerServices;
using QuakePrune.Hdf5;

namespace QuakePrune.Stead;

/// <summary>One trace: its metadata and its (6000 x 3) E, N, Z waveform.</summary>
public sealed record SteadTrace(SteadRecord Record, float[] Waveform);

/// <summary>
/// One STEAD pair, `PREFIX.hdf5` + `PREFIX.csv` (a chunk or the merged file). Metadata comes from the CSV, waveforms
/// from the HDF5 by trace name, through a <see cref="SteadTraceReader"/> (a separate process for a file this process
/// did not write). Not thread-safe.
/// </summary>
public sealed class SteadPair : IDisposable
{
    /// <summary>
    /// Traces <see cref="Traces"/> asks for ahead of the one it yields, so they are read while the caller works.
    /// </summary>
    private const int ReadAhead = 256;

    private readonly SteadTraceReader reader;

    public string Prefix { get; }
    public string Hdf5Path { get; }
    public string CsvPath { get; }

    private SteadPair(string prefix, string hdf5, string csv, SteadTraceReader reader)
    {
        Prefix = prefix;
        Hdf5Path = hdf5;
        CsvPath = csv;
        this.reader = reader;
    }

    /// <summary>
    /// The file names of a prefix: `PREFIX.hdf5` (or `.h5`) and `PREFIX.csv`; a path to either file is accepted too.
    /// </summary>
    public static (string Hdf5, string Csv) Paths(string prefix)
    {
        var stem = prefix;
        foreach (var ext in new[] { ".hdf5", ".h5", ".csv" })
            if (stem.EndsWith(ext, StringComparison.OrdinalIgnoreCase))
                stem = stem[..^ext.Length];
        var hdf5 = stem + ".hdf5";
        if (!File.Exists(hdf5) && File.Exists(stem + ".h5"))
            hdf5 = stem + ".h5";
        return (hdf5, stem + ".csv");
    }

    /// <summary>Opens a pair, checking both files exist.</summary>
    public static SteadPair Open(string prefix)
    {
        var (hdf5, csv) = Paths(prefix);
        if (!File.Exists(hdf5))
            throw new FileNotFoundException($"STEAD input '{prefix}': HDF5 file '{hdf5}' not found", hdf5);
        if (!File.Exists(csv))
            throw new FileNotFoundException($"STEAD input '{prefix}': CSV file '{csv}' not found", csv);
        return new SteadPair(prefix, hdf5, csv, SteadTraceReader.Open(hdf5));
    }

    /// <summary>The CSV rows, streamed in file order.</summary>
    public IEnumerable<SteadRecord> Records() => SteadCsv.Read(CsvPath);

    /// <summary>The names of the HDF5's traces, group by group, in name order.</summary>
    public IEnumerable<string> TraceNames() => reader.TraceNames();

    /// <summary>
    /// Metadata and waveform of every row, in CSV order, in constant memory. A trace absent from the HDF5 is an error
    /// naming it; a trace with NaN/Inf is an error unless <paramref name="skipNonFinite"/> (then counted in
    /// <paramref name="skipped"/>).
    /// </summary>
    public IEnumerable<SteadTrace> Traces(bool skipNonFinite = false, StrongBox<int>? skipped = null)
    {
        var pending = new Queue<SteadRecord>();
        try
        {
            foreach (var record in Records())
            {
                // Received down to half the read-ahead before more are asked for, so requests go out in batches.
                if (pending.Count >= ReadAhead)
                    while (pending.Count > ReadAhead / 2)
                        if (Next(pending.Dequeue(), skipNonFinite, skipped) is { } trace)
                            yield return trace;
                while (pending.Count > 0 && !reader.CanRequest(record.TraceName))
                    if (Next(pending.Dequeue(), skipNonFinite, skipped) is { } trace)
                        yield return trace;
                reader.Request(record.TraceName);
                pending.Enqueue(record);
            }
            while (pending.Count > 0)
                if (Next(pending.Dequeue(), skipNonFinite, skipped) is { } trace)
                    yield return trace;
        }
        finally
        {
            // A caller that stops early leaves traces asked for: they are dropped.
            reader.DiscardPending();
        }
    }

    private SteadTrace? Next(SteadRecord record, bool skipNonFinite, StrongBox<int>? skipped)
    {
        var waveform = new float[SteadLayout.Values];
        reader.Receive(waveform, CsvPath);
        if (SteadLayout.CountNonFinite(waveform) is var bad and > 0)
        {
            if (!skipNonFinite)
                throw new InvalidDataException($"trace '{record.TraceName}' in '{Hdf5Path}' has {bad} NaN/Inf values");
            if (skipped is not null)
                skipped.Value++;
            return null;
        }
        return new SteadTrace(record, waveform);
    }

    /// <summary>Reads the waveform of a CSV row, naming the trace when the HDF5 lacks it.</summary>
    public float[] ReadWaveform(SteadRecord record)
    {
        if (reader.Pending > 0)
            throw new InvalidOperationException(
                $"'{Hdf5Path}': a waveform is read while its traces are being enumerated"
            );
        var waveform = new float[SteadLayout.Values];
        reader.Request(record.TraceName);
        reader.Receive(waveform, CsvPath);
        return waveform;
    }

    public void Dispose() => reader.Dispose();
}

/// <summary>
/// Writes a STEAD pair: `data/&lt;trace_name&gt;` (6000, 3) float32 contiguous datasets with the 35 attributes, and the
/// CSV with the 35 columns plus extra columns. Files are written as given; callers write to temporary names and rename.
/// </summary>
public sealed class SteadWriter : IDisposable
{
    private readonly H5File file;
    private readonly H5Group data;
    private readonly SteadCsvWriter csv;

    public string Hdf5Path { get; }
    public string CsvPath { get; }
    public int Count { get; private set; }

    public SteadWriter(string hdf5Path, string csvPath, IReadOnlyList<string>? extraColumns = null)
    {
        Hdf5Path = hdf5Path;
        CsvPath = csvPath;
        file = H5File.Create(hdf5Path);
        // Creation order is tracked so the file lists traces in the order written.
        data = file.CreateGroup(SteadLayout.DataGroup, trackCreationOrder: true);
        csv = new SteadCsvWriter(csvPath, extraColumns ?? []);
    }

    /// <summary>Writes one trace: 18,000 floats, 6000 samples x E, N, Z.</summary>
    public void Write(SteadRecord record, ReadOnlySpan<float> waveform)
    {
        if (waveform.Length != SteadLayout.Values)
            throw new ArgumentException(
                $"trace '{record.TraceName}': {waveform.Length} values, a STEAD trace has {SteadLayout.Values} (6000 x 3)"
            );
        using (
            var dataset = data.WriteDataset(record.TraceName, waveform, [SteadLayout.Samples, SteadLayout.Components])
        )
            SteadAttributes.Write(dataset.Attributes, record);
        csv.Write(record);
        Count++;
    }

    /// <summary>
    /// Closes the HDF5 file first, then the CSV: a CSV that fails to flush (a full disk) must not leave the HDF5 file
    /// open.
    /// </summary>
    public void Dispose()
    {
        try
        {
            H5Object.CloseAll(data, file);
        }
        finally
        {
            csv.Dispose();
        }
    }
}
