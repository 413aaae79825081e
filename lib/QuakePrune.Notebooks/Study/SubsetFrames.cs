using System.Globalization;
using CsvHelper;
using Microsoft.Data.Analysis;
using QuakePrune.Stead;

namespace QuakePrune.Notebooks.Study;

/// <summary>
/// A subset's metadata (subset.csv: STEAD's 35 columns, then <c>split</c>) as a Microsoft.Data.Analysis DataFrame, one
/// typed column per field: numbers as double, the two times as DateTime, the rest (source_id, the bracketed SNR and
/// coda lists, codes and names) as text. DataFrame.LoadCsv cannot read the file itself: it guesses types from the first
/// ten rows (source_id is a number in some rows and text in others), and even told the types it fails on STEAD's
/// missing-value marker <c>None</c>. So the rows are read with CsvHelper and each column filled by its type, None as
/// null.
/// </summary>
public static class SubsetFrames
{
    static readonly HashSet<string> Numbers =
    [
        "receiver_latitude",
        "receiver_longitude",
        "receiver_elevation_m",
        "p_arrival_sample",
        "p_weight",
        "p_travel_sec",
        "s_arrival_sample",
        "s_weight",
        "source_origin_uncertainty_sec",
        "source_latitude",
        "source_longitude",
        "source_error_sec",
        "source_gap_deg",
        "source_horizontal_uncertainty_km",
        "source_depth_km",
        "source_depth_uncertainty_km",
        "source_magnitude",
        "source_distance_deg",
        "source_distance_km",
        "back_azimuth_deg",
    ];

    static readonly HashSet<string> Times = ["source_origin_time", "trace_start_time"];

    /// <summary>STEAD's marker for a missing value.</summary>
    const string Missing = "None";

    /// <summary>A subset folder's subset.csv as a DataFrame.</summary>
    public static DataFrame Metadata(string subsetDirectory) => Read(Path.Combine(subsetDirectory, "subset.csv"));

    /// <summary>A STEAD metadata CSV (with any extra columns, as text) as a DataFrame.</summary>
    public static DataFrame Read(string csvPath)
    {
        if (!File.Exists(csvPath))
            throw new FileNotFoundException($"STEAD CSV not found: '{csvPath}'", csvPath);
        using var csv = CsvReader.FromFile(csvPath, new CsvReaderOptions { HasHeader = true, TrimWhitespace = false });
        csv.ReadHeader();
        var header = csv.Headers.ToArray();
        var missing = SteadCsv.Columns.Where(c => !header.Contains(c)).ToList();
        if (missing.Count > 0)
            throw new InvalidDataException($"STEAD CSV '{csvPath}' lacks the column(s) {string.Join(", ", missing)}");
        var numbers = header.Select(h => Numbers.Contains(h) ? new List<double?>() : null).ToArray();
        var times = header.Select(h => Times.Contains(h) ? new List<DateTime?>() : null).ToArray();
        var texts = header.Select(h => Numbers.Contains(h) || Times.Contains(h) ? null : new List<string?>()).ToArray();
        while (csv.Read())
        {
            if (csv.FieldCount < header.Length)
                throw new InvalidDataException(
                    $"STEAD CSV '{csvPath}' row {csv.RowNumber}: {csv.FieldCount} cells, the header has {header.Length}"
                );
            for (var j = 0; j < header.Length; j++)
            {
                var text = csv.GetString(j);
                var value = text.Length == 0 || text == Missing ? null : text;
                if (numbers[j] is { } n)
                    n.Add(
                        value is null ? null : Parse(value, csvPath, csv.RowNumber, header[j], "a number", ParseNumber)
                    );
                else if (times[j] is { } t)
                    t.Add(
                        value is null
                            ? null
                            : Parse(value, csvPath, csv.RowNumber, header[j], "a time (yyyy-MM-dd HH:mm:ss)", ParseTime)
                    );
                else
                    texts[j]!.Add(value);
            }
        }
        return new DataFrame(
            header.Select(
                (name, j) =>
                    numbers[j] is { } n ? new DoubleDataFrameColumn(name, n)
                    : times[j] is { } t ? new PrimitiveDataFrameColumn<DateTime>(name, t)
                    : (DataFrameColumn)new StringDataFrameColumn(name, texts[j]!)
            )
        );
    }

    static T Parse<T>(string text, string path, long row, string column, string what, Func<string, T> parse)
    {
        try
        {
            return parse(text);
        }
        catch (FormatException e)
        {
            throw new InvalidDataException(
                $"STEAD CSV '{path}' row {row}, column '{column}': '{text}' is not {what}",
                e
            );
        }
    }

    static double ParseNumber(string text) => double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture);

    static DateTime ParseTime(string text) =>
        DateTime.ParseExact(
            text,
            ["yyyy-MM-dd HH:mm:ss", "yyyy-MM-dd HH:mm:ss.FFFFFFF"],
            CultureInfo.InvariantCulture,
            DateTimeStyles.None
        );
}
