using CsvHelper;

namespace QuakePrune.Stead;

/// <summary>STEAD's metadata CSV: the 35 columns in their order, read into <see cref="SteadRecord"/> and written back as STEAD writes them.</summary>
public static class SteadCsv
{
    /// <summary>STEAD's 35 columns, in header order.</summary>
    public static readonly IReadOnlyList<string> Columns =
    [
        "network_code", "receiver_code", "receiver_type", "receiver_latitude", "receiver_longitude",
        "receiver_elevation_m", "p_arrival_sample", "p_status", "p_weight", "p_travel_sec", "s_arrival_sample",
        "s_status", "s_weight", "source_id", "source_origin_time", "source_origin_uncertainty_sec",
        "source_latitude", "source_longitude", "source_error_sec", "source_gap_deg",
        "source_horizontal_uncertainty_km", "source_depth_km", "source_depth_uncertainty_km",
        "source_magnitude", "source_magnitude_type", "source_magnitude_author",
        "source_mechanism_strike_dip_rake", "source_distance_deg", "source_distance_km", "back_azimuth_deg",
        "snr_db", "coda_end_sample", "trace_start_time", "trace_category", "trace_name",
    ];

    // pandas quotes only what needs it, ends lines with \n and leaves spaces and leading '=' alone.
    internal static CsvWriterOptions WriterOptions => new() { NewLine = "\n", Quoting = CsvQuoting.WhenNeeded, Injection = CsvInjection.None };

    internal static CsvReaderOptions ReaderOptions => new() { TrimWhitespace = false, HasHeader = true };

    /// <summary>Streams the rows of a STEAD CSV.</summary>
    public static IEnumerable<SteadRecord> Read(string path)
    {
        using var reader = new SteadCsvReader(path);
        foreach (var record in reader.Records()) yield return record;
    }

    /// <summary>Reads every row of a STEAD CSV.</summary>
    public static List<SteadRecord> ReadAll(string path) => Read(path).ToList();

    /// <summary>Writes rows with STEAD's 35 columns then the extra columns named (taken from each row's <see cref="SteadRecord.Extra"/>).</summary>
    public static void Write(string path, IEnumerable<SteadRecord> records, IReadOnlyList<string>? extraColumns = null)
    {
        using var writer = new SteadCsvWriter(path, extraColumns ?? []);
        foreach (var record in records) writer.Write(record);
    }

    /// <summary>The 35 fields of a record as STEAD prints them.</summary>
    public static string[] Format(SteadRecord r) =>
    [
        SteadText.FormatText(r.NetworkCode), SteadText.FormatText(r.ReceiverCode), SteadText.FormatText(r.ReceiverType),
        SteadText.FormatNumber(r.ReceiverLatitude), SteadText.FormatNumber(r.ReceiverLongitude), SteadText.FormatNumber(r.ReceiverElevationM),
        SteadText.FormatNumber(r.PArrivalSample), SteadText.FormatText(r.PStatus), SteadText.FormatNumber(r.PWeight),
        SteadText.FormatNumber(r.PTravelSec), SteadText.FormatNumber(r.SArrivalSample), SteadText.FormatText(r.SStatus),
        SteadText.FormatNumber(r.SWeight), SteadText.FormatText(r.SourceId), SteadText.FormatTime(r.SourceOriginTime, r.OriginTimeDigits),
        SteadText.FormatNumber(r.SourceOriginUncertaintySec), SteadText.FormatNumber(r.SourceLatitude), SteadText.FormatNumber(r.SourceLongitude),
        SteadText.FormatNumber(r.SourceErrorSec), SteadText.FormatNumber(r.SourceGapDeg), SteadText.FormatNumber(r.SourceHorizontalUncertaintyKm),
        SteadText.FormatNumber(r.SourceDepthKm), SteadText.FormatNumber(r.SourceDepthUncertaintyKm), SteadText.FormatNumber(r.SourceMagnitude),
        SteadText.FormatText(r.SourceMagnitudeType), SteadText.FormatText(r.SourceMagnitudeAuthor), SteadText.FormatText(r.SourceMechanismStrikeDipRake),
        SteadText.FormatNumber(r.SourceDistanceDeg), SteadText.FormatNumber(r.SourceDistanceKm), SteadText.FormatNumber(r.BackAzimuthDeg),
        SteadText.FormatNumpyArray(r.SnrDb), SteadText.FormatNumpy2D(r.CodaEndSample), SteadText.FormatTime(r.TraceStartTime, r.StartTimeDigits),
        FormatCategory(r.TraceCategory), r.TraceName,
    ];

    public static string FormatCategory(TraceCategory category) => category == TraceCategory.Noise ? "noise" : "earthquake_local";

    public static TraceCategory ParseCategory(string text) => text.Trim() switch
    {
        "earthquake_local" or "earthquake" => TraceCategory.EarthquakeLocal,
        "noise" => TraceCategory.Noise,
        _ => throw new FormatException($"'{text}' is not a trace category (earthquake_local or noise)"),
    };

    /// <summary>
    /// Builds a record from the 35 fields in column order (CSV cells or HDF5 attributes as text).
    /// <paramref name="where"/> names the file and row for errors.
    /// </summary>
    public static SteadRecord Parse(IReadOnlyList<string> f, KeyValuePair<string, string>[] extra, Func<string> where)
    {
        var column = 0;
        try
        {
            double? N(int i) { column = i; return SteadText.ParseNumber(f[i]); }
            string? T(int i) { column = i; return SteadText.IsMissing(f[i]) ? null : f[i]; }
            column = 30;
            var snr = SteadText.ParseArray(f[30]);
            column = 14;
            var origin = SteadText.ParseTime(f[14]);
            column = 32;
            var start = SteadText.ParseTime(f[32]);
            column = 33;
            var category = ParseCategory(f[33]);
            return new SteadRecord
            {
                NetworkCode = f[0], ReceiverCode = f[1], ReceiverType = f[2],
                ReceiverLatitude = N(3), ReceiverLongitude = N(4), ReceiverElevationM = N(5),
                PArrivalSample = N(6), PStatus = T(7), PWeight = N(8), PTravelSec = N(9),
                SArrivalSample = N(10), SStatus = T(11), SWeight = N(12), SourceId = T(13),
                SourceOriginTime = origin, SourceOriginUncertaintySec = N(15), SourceLatitude = N(16), SourceLongitude = N(17),
                SourceErrorSec = N(18), SourceGapDeg = N(19), SourceHorizontalUncertaintyKm = N(20), SourceDepthKm = N(21),
                SourceDepthUncertaintyKm = N(22), SourceMagnitude = N(23), SourceMagnitudeType = T(24), SourceMagnitudeAuthor = T(25),
                SourceMechanismStrikeDipRake = T(26), SourceDistanceDeg = N(27), SourceDistanceKm = N(28), BackAzimuthDeg = N(29),
                SnrDb = snr, CodaEndSample = N(31), TraceStartTime = start, TraceCategory = category, TraceName = f[34],
                OriginTimeDigits = origin is null ? 2 : SteadText.FractionDigits(f[14]),
                StartTimeDigits = start is null ? 6 : SteadText.FractionDigits(f[32]),
                Extra = extra,
            };
        }
        catch (FormatException e)
        {
            throw new InvalidDataException($"{where()}, column '{Columns[column]}': {e.Message}", e);
        }
    }
}

/// <summary>Streams a STEAD CSV: checks the header for the 35 columns (in any order) and keeps extra columns.</summary>
public sealed class SteadCsvReader : IDisposable
{
    private readonly CsvReader csv;
    private readonly int[] positions;
    private readonly int[] extraPositions;

    public string Path { get; }

    /// <summary>Columns beyond STEAD's 35, in file order.</summary>
    public IReadOnlyList<string> ExtraColumns { get; }

    public SteadCsvReader(string path)
    {
        Path = path;
        if (!File.Exists(path)) throw new FileNotFoundException($"STEAD CSV not found: '{path}'", path);
        csv = CsvReader.FromFile(path, SteadCsv.ReaderOptions, FileOptions.SequentialScan);
        try
        {
            csv.ReadHeader();
            var header = csv.Headers.ToArray();
            if (header.Length == 0) throw new InvalidDataException($"STEAD CSV '{path}' is empty (no header)");
            positions = new int[SteadCsv.Columns.Count];
            for (var i = 0; i < positions.Length; i++)
            {
                positions[i] = Array.IndexOf(header, SteadCsv.Columns[i]);
                if (positions[i] < 0)
                    throw new InvalidDataException($"STEAD CSV '{path}' lacks the required column '{SteadCsv.Columns[i]}'");
            }
            extraPositions = Enumerable.Range(0, header.Length).Where(i => !positions.Contains(i)).ToArray();
            ExtraColumns = extraPositions.Select(i => header[i]).ToArray();
        }
        catch
        {
            csv.Dispose();
            throw;
        }
    }

    /// <summary>The rows, in file order.</summary>
    public IEnumerable<SteadRecord> Records()
    {
        var fields = new string[positions.Length];
        var width = positions.Length + extraPositions.Length;
        while (csv.Read())
        {
            var row = csv.RowNumber;
            if (csv.FieldCount < width)
                throw new InvalidDataException($"STEAD CSV '{Path}' row {row}: {csv.FieldCount} cells, the header has {width}");
            for (var i = 0; i < positions.Length; i++) fields[i] = csv.GetString(positions[i]);
            var extra = new KeyValuePair<string, string>[extraPositions.Length];
            for (var i = 0; i < extra.Length; i++) extra[i] = new(ExtraColumns[i], csv.GetString(extraPositions[i]));
            var name = fields[34];
            yield return SteadCsv.Parse(fields, extra, () => $"STEAD CSV '{Path}' row {row} ({name})");
        }
    }

    public void Dispose() => csv.Dispose();
}

/// <summary>Writes a STEAD CSV row by row: the 35 columns, then the named extra columns.</summary>
public sealed class SteadCsvWriter : IDisposable
{
    private readonly CsvWriter csv;
    private readonly IReadOnlyList<string> extraColumns;
    private readonly string[] cells;

    public SteadCsvWriter(string path, IReadOnlyList<string> extraColumns)
        : this(new StreamWriter(path, false, new System.Text.UTF8Encoding(false), 1 << 16), extraColumns) { }

    public SteadCsvWriter(TextWriter writer, IReadOnlyList<string> extraColumns)
    {
        this.extraColumns = extraColumns;
        csv = CsvWriter.Create(writer, SteadCsv.WriterOptions, leaveOpen: false);
        cells = [.. SteadCsv.Columns, .. extraColumns];
        csv.WriteRecord(cells);
    }

    public void Write(SteadRecord record)
    {
        SteadCsv.Format(record).CopyTo(cells, 0);
        for (var i = 0; i < extraColumns.Count; i++) cells[SteadCsv.Columns.Count + i] = record.ExtraValue(extraColumns[i]) ?? "";
        csv.WriteRecord(cells);
    }

    public void Dispose() => csv.Dispose();
}
