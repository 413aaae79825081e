using System.Globalization;
using System.Text;
using QuakePrune.Latency;
using QuakePrune.Retraining;
using QuakePrune.Training;

namespace QuakePrune.Pipeline;

/// <summary>
/// One line of the study's result: a variant's test scores (after retraining when it was retrained), its cost, and its
/// latency at batch 1 (measured here, and projected to the paper's GTX 1050).
/// </summary>
public sealed record SummaryRow(
    string Variant, long Params, long Macs, string InputSize, double Accuracy, double F1, double? AccuracyBeforeRetraining,
    double? LatencyMs, double? ProjectedGtx1050Ms, double? Speedup);

/// <summary>summary.csv: the table `make report` puts on the index page, one row per variant.</summary>
public static class StudySummary
{
    public const string Header = "variant,params,macs,input_size,accuracy,f1,accuracy_before_retraining,latency_ms,projected_gtx1050_ms,speedup";

    /// <summary>
    /// Joins the variant report with the latency run (matched by checkpoint). A variant that was not timed takes the latency
    /// of a timed one with the same widths (the same network, so the same time: the control's variants and their L2
    /// counterpart); one with no such twin has no latency.
    /// </summary>
    public static IReadOnlyList<SummaryRow> Build(VariantReport report, BenchReport? latency, IReadOnlyList<(string Variant, string Model)> timed)
    {
        BenchResult? Timed(string variant) =>
            timed.Where(t => t.Variant == variant).Select(t => latency?.Results.FirstOrDefault(r => r.Model == t.Model && r.Batch == 1)).FirstOrDefault();
        static bool SameWidths(VariantRow a, VariantRow b) => a.Widths.Count == b.Widths.Count && a.Widths.All(w => b.Widths.TryGetValue(w.Key, out var v) && v == w.Value);
        BenchResult? Timing(VariantRow row) => Timed(row.Variant)
            ?? report.Rows.Where(other => SameWidths(other, row)).Select(other => Timed(other.Variant)).FirstOrDefault(t => t is not null);
        return report.Rows.Select(row =>
        {
            var final = row.After ?? row.Before;
            var timing = Timing(row);
            return new SummaryRow(row.Variant, row.Params, row.Macs, row.InputSize, final.Accuracy, final.F1, row.After is null ? null : row.Before.Accuracy,
                timing?.Statistics.MedianMs, timing?.ProjectedMs, timing?.Speedup);
        }).ToArray();
    }

    public static void Write(string path, IEnumerable<SummaryRow> rows)
    {
        static string N(double? v) => v is { } x ? x.ToString("R", CultureInfo.InvariantCulture) : "";
        AtomicFile.WriteAllText(path, CsvText.Write(Header.Split(','), rows.Select(r => new[]
        {
            r.Variant, r.Params.ToString(CultureInfo.InvariantCulture), r.Macs.ToString(CultureInfo.InvariantCulture), r.InputSize,
            N(r.Accuracy), N(r.F1), N(r.AccuracyBeforeRetraining), N(r.LatencyMs), N(r.ProjectedGtx1050Ms), N(r.Speedup),
        })));
    }

    public static IReadOnlyList<SummaryRow> Read(string path)
    {
        var lines = File.ReadAllLines(path);
        if (lines.Length == 0 || lines[0] != Header) throw new InvalidDataException($"{path}: not a study summary (expected the header '{Header}')");
        static double? N(string s) => s.Length == 0 ? null : double.Parse(s, CultureInfo.InvariantCulture);
        return lines.Skip(1).Where(l => l.Length > 0).Select((line, i) =>
        {
            var f = line.Split(',');
            if (f.Length != 10) throw new InvalidDataException($"{path}: line {i + 2} has {f.Length} fields, expected 10");
            try
            {
                return new SummaryRow(f[0], long.Parse(f[1], CultureInfo.InvariantCulture), long.Parse(f[2], CultureInfo.InvariantCulture), f[3],
                    N(f[4]) ?? double.NaN, N(f[5]) ?? double.NaN, N(f[6]), N(f[7]), N(f[8]), N(f[9]));
            }
            catch (FormatException e)
            {
                throw new InvalidDataException($"{path}: line {i + 2}: {e.Message}", e);
            }
        }).ToArray();
    }

    /// <summary>Builds the summary from the run's report.csv inputs and its latency, and writes summary.csv.</summary>
    public static IReadOnlyList<SummaryRow> Write(StudyPaths paths, VariantReport report, BenchReport latency, IReadOnlyList<(string Variant, string Model)> timed)
    {
        var rows = Build(report, latency, timed);
        Write(paths.Summary, rows);
        return rows;
    }
}
