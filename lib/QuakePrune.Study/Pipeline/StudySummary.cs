using System.Globalization;
using QuakePrune.Latency;
using QuakePrune.Models;
using QuakePrune.Pruning;
using QuakePrune.Retraining;
using QuakePrune.Statistics;

namespace QuakePrune.Pipeline;

/// <summary>
/// A score and its 95 % bootstrap interval over the test images (bounds null where none was computed).
/// </summary>
public readonly record struct Score(double? Value, double? Lo, double? Hi)
{
    public static Score Of(double value, Interval? interval) => new(value, interval?.Lo, interval?.Hi);
}

/// <summary>
/// One line of the study's result: a variant's test scores (after retraining when it was retrained) with their
/// intervals, its scores straight after pruning (at p &gt;= 0.5, at the dev-chosen threshold, threshold-free as ROC
/// AUC, and after batch-norm recalibration), McNemar's test against the baseline and against its reference (L2 at the
/// same ratio and scope, for a control criterion), the spread over retraining seeds, its cost, and its latency at batch
/// 1 (measured here, and projected to the paper's GTX 1050). <see cref="Criterion"/> and <see cref="Scope"/> come from
/// the pruned checkpoint (empty for the baseline).
/// </summary>
public sealed record SummaryRow(
    string Variant,
    string Criterion,
    string Scope,
    long Params,
    long Macs,
    string InputSize,
    Score Accuracy,
    Score F1,
    Score Auc,
    Score AccuracyPruned,
    Score AucPruned,
    double? AccuracyPrunedDevThreshold,
    Score AccuracyRecalibrated,
    double? PVersusBaseline,
    double? PVersusBaselineHolm,
    string Reference,
    double? PVersusReference,
    double? PVersusReferenceHolm,
    int Seeds,
    double? AccuracySeedMean,
    double? AccuracySeedSd,
    double? LatencyMs,
    double? ProjectedGtx1050Ms,
    double? Speedup
);

/// <summary>
/// summary.csv: the table `make report` puts on the index page, one row per variant. Columns are read by name.
/// </summary>
public static class StudySummary
{
    static string N(double? v) => v is { } x ? x.ToString("R", CultureInfo.InvariantCulture) : "";

    static IEnumerable<(string Name, Func<SummaryRow, string> Value)> Scored(
        string name,
        Func<SummaryRow, Score> score
    ) => [(name, r => N(score(r).Value)), ($"{name}_lo", r => N(score(r).Lo)), ($"{name}_hi", r => N(score(r).Hi))];

    static readonly (string Name, Func<SummaryRow, string> Value)[] Columns =
    [
        ("variant", r => r.Variant),
        ("criterion", r => r.Criterion),
        ("scope", r => r.Scope),
        ("params", r => r.Params.ToString(CultureInfo.InvariantCulture)),
        ("macs", r => r.Macs.ToString(CultureInfo.InvariantCulture)),
        ("input_size", r => r.InputSize),
        .. Scored("accuracy", r => r.Accuracy),
        .. Scored("f1", r => r.F1),
        .. Scored("auc", r => r.Auc),
        .. Scored("accuracy_pruned", r => r.AccuracyPruned),
        .. Scored("auc_pruned", r => r.AucPruned),
        ("accuracy_pruned_dev_threshold", r => N(r.AccuracyPrunedDevThreshold)),
        .. Scored("accuracy_recalibrated", r => r.AccuracyRecalibrated),
        ("p_vs_baseline", r => N(r.PVersusBaseline)),
        ("p_vs_baseline_holm", r => N(r.PVersusBaselineHolm)),
        ("reference", r => r.Reference),
        ("p_vs_reference", r => N(r.PVersusReference)),
        ("p_vs_reference_holm", r => N(r.PVersusReferenceHolm)),
        ("seeds", r => r.Seeds.ToString(CultureInfo.InvariantCulture)),
        ("accuracy_seed_mean", r => N(r.AccuracySeedMean)),
        ("accuracy_seed_sd", r => N(r.AccuracySeedSd)),
        ("latency_ms", r => N(r.LatencyMs)),
        ("projected_gtx1050_ms", r => N(r.ProjectedGtx1050Ms)),
        ("speedup", r => N(r.Speedup)),
    ];

    public static string Header { get; } = string.Join(',', Columns.Select(c => c.Name));

    /// <summary>
    /// Joins the variant report with the latency run (matched by checkpoint). A variant that was not timed takes the
    /// latency of a timed one with the same widths (the same network, so the same time: the control's variants and
    /// their L2 counterpart); one with no such twin has no latency.
    /// </summary>
    public static IReadOnlyList<SummaryRow> Build(
        VariantReport report,
        BenchReport? latency,
        IReadOnlyList<(string Variant, string Model)> timed
    )
    {
        BenchResult? Timed(string variant) =>
            timed
                .Where(t => t.Variant == variant)
                .Select(t =>
                    latency?.Results.FirstOrDefault(r =>
                        r.Model == t.Model && r.Batch == 1 && r.Engine == LatencyStage.Ours
                    )
                )
                .FirstOrDefault();
        static bool SameWidths(VariantRow a, VariantRow b) =>
            a.Widths.Count == b.Widths.Count
            && a.Widths.All(w => b.Widths.TryGetValue(w.Key, out var v) && v == w.Value);
        BenchResult? Timing(VariantRow row) =>
            Timed(row.Variant)
            ?? report
                .Rows.Where(other => SameWidths(other, row))
                .Select(other => Timed(other.Variant))
                .FirstOrDefault(t => t is not null);
        return report
            .Rows.Select(row =>
            {
                var final = row.Final;
                var timing = Timing(row);
                var notes = Checkpoint.ReadInfo(row.Model).Notes;
                var pruned = row.After is not null;
                return new SummaryRow(
                    row.Variant,
                    notes.GetValueOrDefault(CheckpointPruning.ImportanceNote, ""),
                    notes.GetValueOrDefault("pruning.scope", ""),
                    row.Params,
                    row.Macs,
                    row.InputSize,
                    Score.Of(final.Accuracy, final.AccuracyInterval),
                    Score.Of(final.F1, final.F1Interval),
                    Score.Of(final.RocAuc, final.RocAucInterval),
                    pruned ? Score.Of(row.Before.Accuracy, row.Before.AccuracyInterval) : default,
                    pruned ? Score.Of(row.Before.RocAuc, row.Before.RocAucInterval) : default,
                    pruned ? row.BeforeAtDevThreshold?.Accuracy : null,
                    row.Recalibrated is { } r ? Score.Of(r.Accuracy, r.AccuracyInterval) : default,
                    row.VersusBaseline?.PValue,
                    row.VersusBaseline?.PValueHolm,
                    row.VersusReference?.Against ?? "",
                    row.VersusReference?.PValue,
                    row.VersusReference?.PValueHolm,
                    row.AcrossSeeds?.Seeds ?? (pruned ? 1 : 0),
                    row.AcrossSeeds?.AccuracyMean,
                    row.AcrossSeeds?.AccuracySd,
                    timing?.Statistics.MedianMs,
                    timing?.ProjectedMs,
                    timing?.Speedup
                );
            })
            .ToArray();
    }

    public static void Write(string path, IEnumerable<SummaryRow> rows) =>
        AtomicFile.WriteAllText(
            path,
            CsvText.Write(
                Columns.Select(c => c.Name).ToArray(),
                rows.Select(r => Columns.Select(c => c.Value(r)).ToArray())
            )
        );

    public static IReadOnlyList<SummaryRow> Read(string path)
    {
        var lines = File.ReadAllLines(path);
        if (lines.Length == 0 || lines[0] != Header)
            throw new InvalidDataException($"{path}: not a study summary (expected the header '{Header}')");
        var at = Columns.Select((c, i) => (c.Name, i)).ToDictionary(c => c.Name, c => c.i);
        return lines
            .Skip(1)
            .Where(l => l.Length > 0)
            .Select(
                (line, i) =>
                {
                    var f = line.Split(','); // no field of the summary holds a comma, a quote or a line break
                    if (f.Length != Columns.Length)
                        throw new InvalidDataException(
                            $"{path}: line {i + 2} has {f.Length} fields, expected {Columns.Length}"
                        );
                    try
                    {
                        double? D(string name) =>
                            f[at[name]].Length == 0 ? null : double.Parse(f[at[name]], CultureInfo.InvariantCulture);
                        Score S(string name) => new(D(name), D($"{name}_lo"), D($"{name}_hi"));
                        return new SummaryRow(
                            f[at["variant"]],
                            f[at["criterion"]],
                            f[at["scope"]],
                            long.Parse(f[at["params"]], CultureInfo.InvariantCulture),
                            long.Parse(f[at["macs"]], CultureInfo.InvariantCulture),
                            f[at["input_size"]],
                            S("accuracy"),
                            S("f1"),
                            S("auc"),
                            S("accuracy_pruned"),
                            S("auc_pruned"),
                            D("accuracy_pruned_dev_threshold"),
                            S("accuracy_recalibrated"),
                            D("p_vs_baseline"),
                            D("p_vs_baseline_holm"),
                            f[at["reference"]],
                            D("p_vs_reference"),
                            D("p_vs_reference_holm"),
                            int.Parse(f[at["seeds"]], CultureInfo.InvariantCulture),
                            D("accuracy_seed_mean"),
                            D("accuracy_seed_sd"),
                            D("latency_ms"),
                            D("projected_gtx1050_ms"),
                            D("speedup")
                        );
                    }
                    catch (FormatException e)
                    {
                        throw new InvalidDataException($"{path}: line {i + 2}: {e.Message}", e);
                    }
                }
            )
            .ToArray();
    }

    /// <summary>Builds the summary from the run's report.csv inputs and its latency, and writes summary.csv.</summary>
    public static IReadOnlyList<SummaryRow> Write(
        StudyPaths paths,
        VariantReport report,
        BenchReport latency,
        IReadOnlyList<(string Variant, string Model)> timed
    )
    {
        var rows = Build(report, latency, timed);
        Write(paths.Summary, rows);
        return rows;
    }
}
