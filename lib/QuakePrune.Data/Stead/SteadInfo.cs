using System.Globalization;
using System.Text;

namespace QuakePrune.Stead;

/// <summary>
/// A summary of STEAD inputs: counts per category and receiver type, value ranges, traces missing from either file.
/// </summary>
public sealed record SteadInfoReport
{
    public required IReadOnlyList<string> Inputs { get; init; }
    public long Rows { get; init; }
    public required SortedDictionary<string, long> PerCategory { get; init; }
    public required SortedDictionary<string, long> PerReceiverType { get; init; }
    public (double Min, double Max)? SnrDb { get; init; }
    public (double Min, double Max)? Magnitude { get; init; }
    public (double Min, double Max)? DistanceKm { get; init; }

    /// <summary>CSV rows whose trace the HDF5 lacks: the count and up to ten names.</summary>
    public long MissingFromHdf5 { get; init; }
    public required List<string> MissingFromHdf5Examples { get; init; }

    /// <summary>HDF5 traces no CSV row describes.</summary>
    public long MissingFromCsv { get; init; }
    public required List<string> MissingFromCsvExamples { get; init; }

    public override string ToString()
    {
        var text = new StringBuilder();
        var c = CultureInfo.InvariantCulture;
        text.AppendLine(c, $"inputs: {string.Join(", ", Inputs)}");
        text.AppendLine(c, $"rows: {Rows}");
        foreach (var (k, v) in PerCategory)
            text.AppendLine(c, $"  {k}: {v}");
        text.AppendLine("receiver types:");
        foreach (var (k, v) in PerReceiverType)
            text.AppendLine(c, $"  {k}: {v}");
        static string Range((double Min, double Max)? r) =>
            r is { } x ? string.Create(CultureInfo.InvariantCulture, $"{x.Min:G6} .. {x.Max:G6}") : "none";
        text.AppendLine(c, $"snr_db (mean of components): {Range(SnrDb)}");
        text.AppendLine(c, $"source_magnitude: {Range(Magnitude)}");
        text.AppendLine(c, $"source_distance_km: {Range(DistanceKm)}");
        text.AppendLine(c, $"in CSV, missing from HDF5: {MissingFromHdf5}{Examples(MissingFromHdf5Examples)}");
        text.Append(c, $"in HDF5, missing from CSV: {MissingFromCsv}{Examples(MissingFromCsvExamples)}");
        return text.ToString();
    }

    private static string Examples(List<string> names) =>
        names.Count == 0 ? "" : " (e.g. " + string.Join(", ", names) + ")";
}

public static class SteadInfo
{
    /// <summary>Reads every input pair's CSV and lists its HDF5's traces (names only; no waveform is read).</summary>
    public static SteadInfoReport Describe(IReadOnlyList<string> inputs)
    {
        var perCategory = new SortedDictionary<string, long>(StringComparer.Ordinal);
        var perType = new SortedDictionary<string, long>(StringComparer.Ordinal);
        (double, double)? snr = null,
            magnitude = null,
            distance = null;
        static (double, double)? Widen((double, double)? range, double? value) =>
            value is not { } v || !double.IsFinite(v) ? range
            : range is { } r ? (Math.Min(r.Item1, v), Math.Max(r.Item2, v))
            : (v, v);
        long rows = 0,
            missingHdf5 = 0,
            missingCsv = 0;
        List<string> missingHdf5Examples = [],
            missingCsvExamples = [];
        foreach (var prefix in inputs)
        {
            var (hdf5, csv) = SteadPair.Paths(prefix);
            if (!File.Exists(csv))
                throw new FileNotFoundException($"stead info: CSV file '{csv}' not found", csv);
            if (!File.Exists(hdf5))
                throw new FileNotFoundException($"stead info: HDF5 file '{hdf5}' not found", hdf5);
            var names = new HashSet<string>(StringComparer.Ordinal);
            foreach (var r in SteadCsv.Read(csv))
            {
                rows++;
                names.Add(r.TraceName);
                var category = SteadCsv.FormatCategory(r.TraceCategory);
                perCategory[category] = perCategory.GetValueOrDefault(category) + 1;
                perType[r.ReceiverType] = perType.GetValueOrDefault(r.ReceiverType) + 1;
                snr = Widen(snr, r.MeanSnrDb);
                magnitude = Widen(magnitude, r.SourceMagnitude);
                distance = Widen(distance, r.SourceDistanceKm);
            }
            // Only the names are listed: no trace is opened.
            using var reader = SteadTraceReader.Open(hdf5);
            foreach (var name in reader.TraceNames())
            {
                if (names.Remove(name))
                    continue;
                missingCsv++;
                if (missingCsvExamples.Count < 10)
                    missingCsvExamples.Add(name);
            }
            missingHdf5 += names.Count;
            missingHdf5Examples.AddRange(names.Order(StringComparer.Ordinal).Take(10 - missingHdf5Examples.Count));
        }
        return new SteadInfoReport
        {
            Inputs = inputs,
            Rows = rows,
            PerCategory = perCategory,
            PerReceiverType = perType,
            SnrDb = snr,
            Magnitude = magnitude,
            DistanceKm = distance,
            MissingFromHdf5 = missingHdf5,
            MissingFromHdf5Examples = missingHdf5Examples,
            MissingFromCsv = missingCsv,
            MissingFromCsvExamples = missingCsvExamples,
        };
    }
}
