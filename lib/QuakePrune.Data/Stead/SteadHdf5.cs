using QuakePrune.Hdf5;

namespace QuakePrune.Stead;

/// <summary>STEAD's waveform layout: (6000, 3) float32 per trace, samples first, columns E, N, Z, at 100 Hz.</summary>
public static class SteadLayout
{
    public const int Samples = 6000;
    public const int Components = 3;
    public const int Values = Samples * Components;
    public const double SamplingRateHz = 100.0;
    public const string DataGroup = "data";
    public const string EarthquakeGroup2019 = "earthquake/local";
    public const string NoiseGroup2019 = "non_earthquake/noise";

    /// <summary>Number of NaN or infinite values in a waveform.</summary>
    public static int CountNonFinite(ReadOnlySpan<float> waveform)
    {
        var count = 0;
        foreach (var v in waveform)
            if (!float.IsFinite(v))
                count++;
        return count;
    }

    /// <summary>Class from a trace name's suffix (`_EV` earthquake, `_NO` noise), as some tools decide it.</summary>
    public static TraceCategory? CategoryFromName(string traceName) =>
        traceName.EndsWith("_EV", StringComparison.Ordinal) ? TraceCategory.EarthquakeLocal
        : traceName.EndsWith("_NO", StringComparison.Ordinal) ? TraceCategory.Noise
        : null;
}

/// <summary>Reads and writes the 35 metadata fields as HDF5 attributes, the way h5py stored them in STEAD.</summary>
public static class SteadAttributes
{
    private static readonly HashSet<string> TextColumns =
    [
        "network_code",
        "receiver_code",
        "receiver_type",
        "p_status",
        "s_status",
        "source_id",
        "source_origin_time",
        "source_magnitude_type",
        "source_magnitude_author",
        "source_mechanism_strike_dip_rake",
        "trace_start_time",
        "trace_category",
        "trace_name",
    ];

    /// <summary>
    /// Writes a record: strings as variable-length UTF-8, numbers as float64, snr_db as float64[3], coda_end_sample as
    /// float64[1,1], missing as "None".
    /// </summary>
    public static void Write(H5Attributes attributes, SteadRecord record)
    {
        var text = SteadCsv.Format(record);
        for (var i = 0; i < SteadCsv.Columns.Count; i++)
        {
            var column = SteadCsv.Columns[i];
            if (column == "snr_db" && record.SnrDb is { } snr)
                attributes.Write(column, snr, [snr.Length]);
            else if (column == "coda_end_sample" && record.CodaEndSample is { } coda)
                attributes.Write(column, [coda], [1, 1]);
            else if (
                TextColumns.Contains(column)
                || text[i] == SteadText.None
                || column is "snr_db" or "coda_end_sample"
            )
                attributes.Write(column, text[i]);
            else
                attributes.Write(
                    column,
                    double.Parse(text[i] == "nan" ? "NaN" : text[i], System.Globalization.CultureInfo.InvariantCulture)
                );
        }
    }

    /// <summary>
    /// Reads a record from a dataset's attributes, each as string or number whichever it is; missing ones are `None`
    /// (trace_name defaults to the dataset's name, trace_category to the name's suffix).
    /// </summary>
    public static SteadRecord Read(H5Attributes attributes, string traceName, string where)
    {
        var fields = new string[SteadCsv.Columns.Count];
        double[]? snr = null;
        double? coda = null;
        for (var i = 0; i < fields.Length; i++)
        {
            var column = SteadCsv.Columns[i];
            var value = attributes.TryRead(column);
            if (value is null)
            {
                fields[i] = SteadText.None;
                continue;
            }
            if (column == "snr_db" && value.Numbers is { } n)
                snr = n;
            else if (column == "coda_end_sample" && value.Numbers is { Length: 1 } c)
                coda = c[0];
            fields[i] =
                value.IsString ? value.AsString()
                : value.Numbers!.Length == 1 ? SteadText.PythonRepr(value.Numbers[0])
                : SteadText.FormatNumpyArray(value.Numbers);
        }
        if (fields[SteadCsv.Column.TraceName] == SteadText.None)
            fields[SteadCsv.Column.TraceName] = traceName;
        if (fields[SteadCsv.Column.TraceCategory] == SteadText.None)
            fields[SteadCsv.Column.TraceCategory] = SteadCsv.FormatCategory(
                SteadLayout.CategoryFromName(traceName)
                    ?? throw new InvalidDataException(
                        $"{where}: no trace_category attribute and the name has no _EV/_NO suffix"
                    )
            );
        var record = SteadCsv.Parse(fields, [], () => where);
        return record with { SnrDb = snr ?? record.SnrDb, CodaEndSample = coda ?? record.CodaEndSample };
    }
}

/// <summary>
/// The waveforms of one STEAD HDF5 file, read in this process: `data/&lt;trace_name&gt;` (2020 layout) or
/// `earthquake/local` and `non_earthquake/noise` (2019 layout). Random access by trace name; every read checks shape
/// and dtype. A file this process did not write is walked whole by <see cref="Hdf5Guard"/> first; the pipeline reads
/// such files through <see cref="SteadTraceSource"/> and <see cref="SteadPair"/> instead, which read them in a separate
/// process.
/// </summary>
public sealed class SteadWaveforms : IDisposable
{
    private readonly H5File file;
    private readonly List<H5Group> groups = [];

    public string Path { get; }

    /// <summary>Opens a STEAD HDF5 file (through <see cref="H5File.Open"/>).</summary>
    public SteadWaveforms(string hdf5Path)
        : this(hdf5Path, H5File.Open(hdf5Path)) { }

    private SteadWaveforms(string hdf5Path, H5File opened)
    {
        Path = hdf5Path;
        file = opened;
        try
        {
            foreach (
                var name in new[] { SteadLayout.DataGroup, SteadLayout.EarthquakeGroup2019, SteadLayout.NoiseGroup2019 }
            )
                if (file.Contains(name) && file.IsGroup(name))
                    groups.Add(file.OpenGroup(name));
            if (groups.Count == 0)
                throw new InvalidDataException(
                    $"'{hdf5Path}' is not a STEAD file: no group 'data' (nor 'earthquake/local', 'non_earthquake/noise')"
                );
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>Opens a file without <see cref="Hdf5Guard"/>'s walk: for the separate process that reads it.</summary>
    internal static SteadWaveforms OpenUnchecked(string hdf5Path) => new(hdf5Path, H5File.OpenUnchecked(hdf5Path));

    /// <summary>The groups holding traces ("/data", or the 2019 ones).</summary>
    public IReadOnlyList<H5Group> Groups => groups;

    public bool Contains(string traceName) => FindGroup(traceName) is not null;

    private H5Group? FindGroup(string traceName)
    {
        if (traceName.Length == 0 || traceName.Contains('/'))
            return null;
        foreach (var group in groups)
            if (group.Contains(traceName))
                return group;
        return null;
    }

    /// <summary>Trace names in the file, group by group, in name order; streamed in batches.</summary>
    public IEnumerable<string> TraceNames() => groups.SelectMany(g => g.EnumerateLinkNames());

    /// <summary>Opens a trace's dataset, checking it is (6000, 3) float32.</summary>
    public H5Dataset Open(string traceName)
    {
        // Its existence asked first, then opened: opening straight away (one lookup instead of two) measured slower in
        // the spectrogram verb, with more page faults inside libhdf5.
        var group = FindGroup(traceName) ?? throw new KeyNotFoundException($"trace '{traceName}' is not in '{Path}'");
        var dataset = group.OpenDataset(traceName);
        try
        {
            var shape = dataset.Shape;
            if (shape.Length != 2 || shape[0] != SteadLayout.Samples || shape[1] != SteadLayout.Components)
                throw new InvalidDataException(
                    $"trace '{traceName}' in '{Path}' has shape ({string.Join(", ", shape)}), STEAD traces are (6000, 3)"
                );
            if (dataset.ElementType != H5ElementType.Float32)
                throw new InvalidDataException(
                    $"trace '{traceName}' in '{Path}' is {dataset.DtypeName}, STEAD traces are float32"
                );
            return dataset;
        }
        catch
        {
            dataset.Dispose();
            throw;
        }
    }

    /// <summary>Reads a trace into <paramref name="destination"/> (18,000 floats: 6000 samples x E, N, Z).</summary>
    public void Read(string traceName, Span<float> destination)
    {
        using var dataset = Open(traceName);
        dataset.Read(destination);
    }

    /// <summary>Reads a trace as a new (6000 x 3) array, row-major.</summary>
    public float[] Read(string traceName)
    {
        var waveform = new float[SteadLayout.Values];
        Read(traceName, waveform);
        return waveform;
    }

    /// <summary>Reads a trace's metadata from its attributes.</summary>
    public SteadRecord ReadAttributes(string traceName)
    {
        using var dataset = Open(traceName);
        return SteadAttributes.Read(dataset.Attributes, traceName, $"attributes of trace '{traceName}' in '{Path}'");
    }

    public void Dispose()
    {
        foreach (var group in groups)
            group.Dispose();
        file.Dispose();
    }
}
