using CsvHelper;

namespace QuakePrune.Stead;

/// <summary>
/// STEAD's metadata CSV: the 35 columns in their order, read into <see cref="SteadRecord"/> and written back as STEAD
/// writes them.
/// </summary>
public static class SteadCsv
{
    /// <summary>STEAD's 35 columns, in header order.</summary>
    public static readonly IReadOnlyList<string> Columns =
    [
        "network_code",
        "receiver_code",
        "receiver_type",
        "receiver_latitude",
        "receiver_longitude",
        "receiver_elevation_m",
        "p_arrival_sample",
        "p_status",
        "p_weight",
        "p_travel_sec",
        "s_arrival_sample",
        "s_status",
        "s_weight",
        "source_id",
        "source_origin_time",
        "source_origin_uncertainty_sec",
        "source_latitude",
        "source_longitude",
        "source_error_sec",
        "source_gap_deg",
        "source_horizontal_uncertainty_km",
        "source_depth_km",
        "source_depth_uncertainty_km",
        "source_magnitude",
        "source_magnitude_type",
        "source_magnitude_author",
        "source_mechanism_strike_dip_rake",
        "source_distance_deg",
        "source_distance_km",
        "back_azimuth_deg",
        "snr_db",
        "coda_end_sample",
        "trace_start_time",
        "trace_category",
        "trace_name",
    ];

    internal static CsvReaderOptions ReaderOptions => new() { TrimWhitespace = false, HasHeader = true };

    /// <summary>Streams the rows of a STEAD CSV.</summary>
    public static IEnumerable<SteadRecord> Read(string path)
    {
        using var reader = new SteadCsvReader(path);
        foreach (var record in reader.Records())
            yield return record;
    }

    /// <summary>Reads every row of a STEAD CSV.</summary>
    public static List<SteadRecord> ReadAll(string path) => Read(path).ToList();

    /// <summary>
    /// Writes rows with STEAD's 35 columns then the extra columns named (taken from each row's
    /// <see cref="SteadRecord.Extra"/>).
    /// </summary>
    public static void Write(string path, IEnumerable<SteadRecord> records, IReadOnlyList<string>? extraColumns = null)
    {
        using var writer = new SteadCsvWriter(path, extraColumns ?? []);
        foreach (var record in records)
            writer.Write(record);
    }

    /// <summary>The 35 fields of a record as STEAD prints them.</summary>
    public static string[] Format(SteadRecord r) =>
        [
            SteadText.FormatText(r.NetworkCode),
            SteadText.FormatText(r.ReceiverCode),
            SteadText.FormatText(r.ReceiverType),
            SteadText.FormatNumber(r.ReceiverLatitude),
            SteadText.FormatNumber(r.ReceiverLongitude),
            SteadText.FormatNumber(r.ReceiverElevationM),
            SteadText.FormatNumber(r.PArrivalSample),
            SteadText.FormatText(r.PStatus),
            SteadText.FormatNumber(r.PWeight),
            SteadText.FormatNumber(r.PTravelSec),
            SteadText.FormatNumber(r.SArrivalSample),
            SteadText.FormatText(r.SStatus),
            SteadText.FormatNumber(r.SWeight),
            SteadText.FormatText(r.SourceId),
            SteadText.FormatTime(r.SourceOriginTime, r.OriginTimeDigits),
            SteadText.FormatNumber(r.SourceOriginUncertaintySec),
            SteadText.FormatNumber(r.SourceLatitude),
            SteadText.FormatNumber(r.SourceLongitude),
            SteadText.FormatNumber(r.SourceErrorSec),
            SteadText.FormatNumber(r.SourceGapDeg),
            SteadText.FormatNumber(r.SourceHorizontalUncertaintyKm),
            SteadText.FormatNumber(r.SourceDepthKm),
            SteadText.FormatNumber(r.SourceDepthUncertaintyKm),
            SteadText.FormatNumber(r.SourceMagnitude),
            SteadText.FormatText(r.SourceMagnitudeType),
            SteadText.FormatText(r.SourceMagnitudeAuthor),
            SteadText.FormatText(r.SourceMechanismStrikeDipRake),
            SteadText.FormatNumber(r.SourceDistanceDeg),
            SteadText.FormatNumber(r.SourceDistanceKm),
            SteadText.FormatNumber(r.BackAzimuthDeg),
            SteadText.FormatNumpyArray(r.SnrDb),
            SteadText.FormatNumpy2D(r.CodaEndSample),
            SteadText.FormatTime(r.TraceStartTime, r.StartTimeDigits),
            FormatCategory(r.TraceCategory),
            r.TraceName,
        ];

    public static string FormatCategory(TraceCategory category) =>
        category == TraceCategory.Noise ? "noise" : "earthquake_local";

    public static TraceCategory ParseCategory(string text) => ParseCategory(text.AsSpan());

    public static TraceCategory ParseCategory(ReadOnlySpan<char> text) =>
        text.Trim() switch
        {
            "earthquake_local" or "earthquake" => TraceCategory.EarthquakeLocal,
            "noise" => TraceCategory.Noise,
            _ => throw new FormatException($"'{text}' is not a trace category (earthquake_local or noise)"),
        };

    /// <summary>
    /// Builds a record from the 35 fields in column order (HDF5 attributes as text).
    /// <paramref name="where"/> names the file and row for errors.
    /// </summary>
    public static SteadRecord Parse(
        IReadOnlyList<string> f,
        KeyValuePair<string, string>[] extra,
        Func<string> where
    ) => Parse(new TextFields(f), extra, where);

    /// <summary>A row's fields, by STEAD column (the order of <see cref="Columns"/>).</summary>
    internal interface IFields
    {
        /// <summary>The field as a string, for the columns kept as text.</summary>
        string Text(int column);

        /// <summary>The field's characters, for the columns parsed (valid until the next call).</summary>
        ReadOnlySpan<char> Chars(int column);
    }

    private readonly struct TextFields(IReadOnlyList<string> fields) : IFields
    {
        public string Text(int column) => fields[column];

        public ReadOnlySpan<char> Chars(int column) => fields[column];
    }

    /// <summary>
    /// Builds a record from a row's fields: the one mapping from STEAD's columns to <see cref="SteadRecord"/>.
    /// </summary>
    internal static SteadRecord Parse<TFields>(TFields f, KeyValuePair<string, string>[] extra, Func<string> where)
        where TFields : IFields
    {
        var column = 0;
        try
        {
            double? N(int i)
            {
                column = i;
                return SteadText.ParseNumber(f.Chars(i));
            }
            string? T(int i)
            {
                column = i;
                return SteadText.IsMissing(f.Chars(i)) ? null : f.Text(i);
            }
            column = Column.SnrDb;
            var snr = SteadText.ParseArray(f.Chars(Column.SnrDb));
            column = Column.SourceOriginTime;
            var origin = SteadText.ParseTime(f.Chars(Column.SourceOriginTime));
            var originDigits = origin is null ? 2 : SteadText.FractionDigits(f.Chars(Column.SourceOriginTime));
            column = Column.TraceStartTime;
            var start = SteadText.ParseTime(f.Chars(Column.TraceStartTime));
            var startDigits = start is null ? 6 : SteadText.FractionDigits(f.Chars(Column.TraceStartTime));
            column = Column.TraceCategory;
            var category = ParseCategory(f.Chars(Column.TraceCategory));
            return new SteadRecord
            {
                NetworkCode = f.Text(Column.NetworkCode),
                ReceiverCode = f.Text(Column.ReceiverCode),
                ReceiverType = f.Text(Column.ReceiverType),
                ReceiverLatitude = N(Column.ReceiverLatitude),
                ReceiverLongitude = N(Column.ReceiverLongitude),
                ReceiverElevationM = N(Column.ReceiverElevationM),
                PArrivalSample = N(Column.PArrivalSample),
                PStatus = T(Column.PStatus),
                PWeight = N(Column.PWeight),
                PTravelSec = N(Column.PTravelSec),
                SArrivalSample = N(Column.SArrivalSample),
                SStatus = T(Column.SStatus),
                SWeight = N(Column.SWeight),
                SourceId = T(Column.SourceId),
                SourceOriginTime = origin,
                SourceOriginUncertaintySec = N(Column.SourceOriginUncertaintySec),
                SourceLatitude = N(Column.SourceLatitude),
                SourceLongitude = N(Column.SourceLongitude),
                SourceErrorSec = N(Column.SourceErrorSec),
                SourceGapDeg = N(Column.SourceGapDeg),
                SourceHorizontalUncertaintyKm = N(Column.SourceHorizontalUncertaintyKm),
                SourceDepthKm = N(Column.SourceDepthKm),
                SourceDepthUncertaintyKm = N(Column.SourceDepthUncertaintyKm),
                SourceMagnitude = N(Column.SourceMagnitude),
                SourceMagnitudeType = T(Column.SourceMagnitudeType),
                SourceMagnitudeAuthor = T(Column.SourceMagnitudeAuthor),
                SourceMechanismStrikeDipRake = T(Column.SourceMechanismStrikeDipRake),
                SourceDistanceDeg = N(Column.SourceDistanceDeg),
                SourceDistanceKm = N(Column.SourceDistanceKm),
                BackAzimuthDeg = N(Column.BackAzimuthDeg),
                SnrDb = snr,
                CodaEndSample = N(Column.CodaEndSample),
                TraceStartTime = start,
                TraceCategory = category,
                TraceName = f.Text(Column.TraceName),
                OriginTimeDigits = originDigits,
                StartTimeDigits = startDigits,
                Extra = extra,
            };
        }
        catch (FormatException e)
        {
            throw new InvalidDataException($"{where()}, column '{Columns[column]}': {e.Message}", e);
        }
    }

    /// <summary>
    /// Where each named column sits in <see cref="Columns"/> (the order fields are handed to <see cref="Parse"/>),
    /// looked up by name once: files are read by header name (CSV) or attribute name (HDF5), never by a position
    /// written here.
    /// </summary>
    public static class Column
    {
        public static readonly int NetworkCode = Of("network_code"),
            ReceiverCode = Of("receiver_code"),
            ReceiverType = Of("receiver_type");
        public static readonly int ReceiverLatitude = Of("receiver_latitude"),
            ReceiverLongitude = Of("receiver_longitude");
        public static readonly int ReceiverElevationM = Of("receiver_elevation_m"),
            PArrivalSample = Of("p_arrival_sample"),
            PStatus = Of("p_status");
        public static readonly int PWeight = Of("p_weight"),
            PTravelSec = Of("p_travel_sec"),
            SArrivalSample = Of("s_arrival_sample");
        public static readonly int SStatus = Of("s_status"),
            SWeight = Of("s_weight"),
            SourceId = Of("source_id"),
            SourceOriginTime = Of("source_origin_time");
        public static readonly int SourceOriginUncertaintySec = Of("source_origin_uncertainty_sec"),
            SourceLatitude = Of("source_latitude");
        public static readonly int SourceLongitude = Of("source_longitude"),
            SourceErrorSec = Of("source_error_sec"),
            SourceGapDeg = Of("source_gap_deg");
        public static readonly int SourceHorizontalUncertaintyKm = Of("source_horizontal_uncertainty_km"),
            SourceDepthKm = Of("source_depth_km");
        public static readonly int SourceDepthUncertaintyKm = Of("source_depth_uncertainty_km"),
            SourceMagnitude = Of("source_magnitude");
        public static readonly int SourceMagnitudeType = Of("source_magnitude_type"),
            SourceMagnitudeAuthor = Of("source_magnitude_author");
        public static readonly int SourceMechanismStrikeDipRake = Of("source_mechanism_strike_dip_rake"),
            SourceDistanceDeg = Of("source_distance_deg");
        public static readonly int SourceDistanceKm = Of("source_distance_km"),
            BackAzimuthDeg = Of("back_azimuth_deg"),
            SnrDb = Of("snr_db");
        public static readonly int CodaEndSample = Of("coda_end_sample"),
            TraceStartTime = Of("trace_start_time"),
            TraceCategory = Of("trace_category");
        public static readonly int TraceName = Of("trace_name");

        private static int Of(string name)
        {
            for (var i = 0; i < Columns.Count; i++)
                if (Columns[i] == name)
                    return i;
            throw new InvalidOperationException($"'{name}' is not a STEAD column");
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
        if (!File.Exists(path))
            throw new FileNotFoundException($"STEAD CSV not found: '{path}'", path);
        csv = CsvReader.FromFile(path, SteadCsv.ReaderOptions, FileOptions.SequentialScan);
        try
        {
            csv.ReadHeader();
            var header = csv.Headers.ToArray();
            if (header.Length == 0)
                throw new InvalidDataException($"STEAD CSV '{path}' is empty (no header)");
            positions = new int[SteadCsv.Columns.Count];
            for (var i = 0; i < positions.Length; i++)
            {
                positions[i] = Array.IndexOf(header, SteadCsv.Columns[i]);
                if (positions[i] < 0)
                    throw new InvalidDataException(
                        $"STEAD CSV '{path}' lacks the required column '{SteadCsv.Columns[i]}'"
                    );
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
        var fields = new CsvFields(csv, positions);
        var width = positions.Length + extraPositions.Length;
        while (csv.Read())
        {
            var row = csv.RowNumber;
            if (csv.FieldCount < width)
                throw new InvalidDataException(
                    $"STEAD CSV '{Path}' row {row}: {csv.FieldCount} cells, the header has {width}"
                );
            var extra = new KeyValuePair<string, string>[extraPositions.Length];
            for (var i = 0; i < extra.Length; i++)
                extra[i] = new(ExtraColumns[i], csv.GetString(extraPositions[i]));
            yield return SteadCsv.Parse(fields, extra, () =>
                $"STEAD CSV '{Path}' row {row} ({csv.GetString(positions[SteadCsv.Column.TraceName])})"
            );
        }
    }

    /// <summary>
    /// The current row's fields: numbers, times and arrays are parsed from the row's bytes (widened to characters in
    /// one buffer), not from a string each; two thirds of the fields are numbers.
    /// </summary>
    private sealed class CsvFields(CsvReader csv, int[] positions) : SteadCsv.IFields
    {
        private char[] buffer = new char[256];

        public string Text(int column) => csv.GetString(positions[column]);

        public ReadOnlySpan<char> Chars(int column)
        {
            var bytes = csv.GetSpan(positions[column]);
            if (bytes.Length > buffer.Length)
                buffer = new char[bytes.Length];
            return buffer.AsSpan(0, System.Text.Encoding.UTF8.GetChars(bytes, buffer));
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
        csv = CsvWriter.Create(writer, CsvText.Options, leaveOpen: false);
        cells = [.. SteadCsv.Columns, .. extraColumns];
        csv.WriteRecord(cells);
    }

    public void Write(SteadRecord record)
    {
        SteadCsv.Format(record).CopyTo(cells, 0);
        for (var i = 0; i < extraColumns.Count; i++)
            cells[SteadCsv.Columns.Count + i] = record.ExtraValue(extraColumns[i]) ?? "";
        csv.WriteRecord(cells);
    }

    public void Dispose() => csv.Dispose();
}
