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

/// <summary>A STEAD-format pair (HDF5 + CSV) as an <see cref="ITraceSource"/>: every CSV row, or a chosen part of them.</summary>
public sealed class SteadTraceSource : ITraceSource
{
    private readonly SteadWaveforms waveforms;
    private readonly string csvPath;

    public string Description => $"'{waveforms.Path}' (rows of '{csvPath}')";
    public IReadOnlyList<SteadRecord> Records { get; }

    private SteadTraceSource(SteadWaveforms waveforms, string csvPath, IReadOnlyList<SteadRecord> records)
    {
        this.waveforms = waveforms;
        this.csvPath = csvPath;
        Records = records;
    }

    /// <summary>Every row of the pair's CSV, in file order (a subset: a few thousand rows).</summary>
    public static SteadTraceSource Open(string hdf5Path, string csvPath) => Of(hdf5Path, csvPath, SteadCsv.ReadAll(csvPath));

    /// <summary>Only <paramref name="records"/> (rows of the pair's CSV): only their datasets are checked and read.</summary>
    public static SteadTraceSource Of(string hdf5Path, string csvPath, IReadOnlyList<SteadRecord> records) =>
        new(new SteadWaveforms(hdf5Path, records.Select(r => r.TraceName).ToList()), csvPath, records);

    public void Read(IReadOnlyList<int> rows, Span<float> destination)
    {
        if (destination.Length != rows.Count * SteadLayout.Values)
            throw new ArgumentException($"{rows.Count} traces need {rows.Count * SteadLayout.Values} values; the destination holds {destination.Length}");
        for (var i = 0; i < rows.Count; i++)
        {
            var name = Records[rows[i]].TraceName;
            if (!waveforms.Contains(name))
                throw new InvalidDataException($"trace '{name}' of '{csvPath}' is absent from '{waveforms.Path}'");
            try
            {
                waveforms.Read(name, destination.Slice(i * SteadLayout.Values, SteadLayout.Values));
            }
            catch (Hdf5.Hdf5Exception e)
            {
                // libhdf5's error stack means little to a user; the trace and the file say where to look.
                throw new InvalidDataException($"trace '{name}' in '{waveforms.Path}' cannot be read: the HDF5 file is damaged there", e);
            }
        }
    }

    /// <summary>Reads rows <paramref name="first"/>..first+count-1, in order.</summary>
    public void Read(int first, int count, Span<float> destination) => Read(Enumerable.Range(first, count).ToArray(), destination);

    public void Dispose() => waveforms.Dispose();
}
