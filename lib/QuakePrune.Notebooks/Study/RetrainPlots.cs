using System.Globalization;
using System.Text;
using QuakePrune.Notebooks.Formatting;
using QuakePrune.Notebooks.Plotting;
using QuakePrune.Pipeline;
using QuakePrune.Retraining;
using QuakePrune.Statistics;

namespace QuakePrune.Notebooks.Study;

/// <summary>Pictures for the fifth notebook: what pruning cost in accuracy, and what retraining gave back.</summary>
public static class RetrainPlots
{
    /// <summary>
    /// Test accuracy and F1 of every variant against its parameter count: straight after pruning (p &gt;= 0.5), after
    /// batch-norm recalibration, and after retraining, each with its 95 % bootstrap interval.
    /// </summary>
    public static Figure BeforeAfter(VariantReport report)
    {
        var figure = Figure.Grid(1, 2, $"{report.Split} accuracy", $"{report.Split} F1");
        var pruned = report.Rows.Where(r => r.After is not null).ToArray();
        var recalibrated = pruned.Where(r => r.Recalibrated is not null).ToArray();
        var baseline = report.Rows.Where(r => r.After is null).ToArray();
        foreach (
            var (column, pick) in new (int, Func<SplitMetrics?, Score>)[] { (1, Intervals.Accuracy), (2, Intervals.F1) }
        )
        {
            var first = column == 1;
            Scatter Points(
                string name,
                VariantRow[] rows,
                Func<VariantRow, SplitMetrics?> scores,
                Marker marker,
                string mode = "markers"
            ) =>
                new()
                {
                    Name = name,
                    Mode = mode,
                    ShowLegend = first,
                    X = rows.Select(r => r.Params).ToArray(),
                    Y = rows.Select(r => pick(scores(r)).Value ?? double.NaN).ToArray(),
                    Text = rows.Select(r => r.Variant).ToArray(),
                    Marker = marker,
                    ErrorY = Intervals.Bars(rows.Select(r => pick(scores(r)))),
                };
            figure.Add(
                Points(
                    "after pruning (p ≥ 0.5)",
                    pruned,
                    r => r.Before,
                    new Marker
                    {
                        Symbol = "circle-open",
                        Size = 10,
                        Color = "#d62728",
                    }
                ),
                1,
                column
            );
            if (recalibrated.Length > 0)
                figure.Add(
                    Points(
                        "after BN recalibration",
                        recalibrated,
                        r => r.Recalibrated,
                        new Marker
                        {
                            Symbol = "diamond-open",
                            Size = 10,
                            Color = "#ff7f0e",
                        }
                    ),
                    1,
                    column
                );
            figure.Add(
                Points("after retraining", pruned, r => r.After, new Marker { Size = 10, Color = "#2ca02c" }),
                1,
                column
            );
            figure.Add(
                Points(
                    "baseline",
                    baseline,
                    r => r.Before,
                    new Marker
                    {
                        Symbol = "star",
                        Size = 14,
                        Color = "#1f77b4",
                    },
                    "markers+text"
                ),
                1,
                column
            );
            figure.XAxis(1, column).Type = "log";
            figure.WithAxisTitles("parameters (log scale)", null, 1, column);
        }
        return figure.WithTitle("error bars: 95 % bootstrap intervals over the test images").WithSize(1100, 450);
    }

    private static readonly Dictionary<string, string> CriterionColours = new()
    {
        ["l2"] = "#1f77b4",
        ["l1"] = "#ff7f0e",
        ["bn"] = "#2ca02c",
        ["random"] = "#7f7f7f",
    };

    /// <summary>The colour of a pruning criterion in every figure of the study.</summary>
    public static string CriterionColour(string criterion) => CriterionColours.GetValueOrDefault(criterion, "#9467bd");

    /// <summary>
    /// The control experiment against the ratio pruned, one line per criterion, with 95 % intervals: what each
    /// criterion keeps before retraining (ROC AUC, which no threshold and no shifted logit can hide), after batch-norm
    /// recalibration (accuracy at p &gt;= 0.5), and after retraining. Lines that lie within each other's bars mean the
    /// test set cannot tell the criteria apart.
    /// </summary>
    public static Figure Control(IReadOnlyList<ControlRow> rows)
    {
        var panels = new (string Title, Func<ControlRow, Score> Pick)[]
        {
            ("straight after pruning: ROC AUC", r => Intervals.RocAuc(r.Pruned)),
            ("after BN recalibration: accuracy", r => Intervals.Accuracy(r.Recalibrated)),
            ("after retraining: accuracy", r => Intervals.Accuracy(r.Retrained)),
        };
        var figure = Figure.Grid(1, panels.Length, panels.Select(p => p.Title).ToArray());
        foreach (var (panel, column) in panels.Select((p, i) => (p, i + 1)))
        foreach (var criterion in rows.GroupBy(r => r.Importance))
        {
            var colour = CriterionColour(criterion.Key);
            var ordered = criterion.Where(r => panel.Pick(r).Value is not null).OrderBy(r => r.Ratio).ToArray();
            figure.Add(
                new Scatter
                {
                    Name = criterion.Key,
                    Mode = "lines+markers",
                    ShowLegend = column == 1,
                    X = ordered.Select(r => r.Ratio).ToArray(),
                    Y = ordered.Select(r => panel.Pick(r).Value!.Value).ToArray(),
                    Text = ordered.Select(r => r.Variant).ToArray(),
                    Marker = new Marker { Size = 8, Color = colour },
                    Line = new Line { Color = colour },
                    ErrorY = Intervals.Bars(ordered.Select(panel.Pick)),
                },
                1,
                column
            );
            figure.WithAxisTitles("fraction of channels pruned (full scope)", null, 1, column);
        }
        return figure
            .WithTitle("the control: L2 against L1, batch-norm scale and random channels (95 % intervals)")
            .WithSize(1200, 430);
    }

    /// <summary>
    /// The control experiment as a table, ratio by ratio: each criterion straight after pruning (ROC AUC, accuracy at
    /// 0.5 and at its dev-chosen threshold), after BN recalibration and after retraining, with McNemar's test against
    /// L2 at the same ratio.
    /// </summary>
    public static Table ControlTable(IReadOnlyList<ControlRow> rows) =>
        rows.OrderBy(r => r.Ratio)
            .ToTable(
                ("Ratio pruned", r => r.Ratio),
                ("Criterion", r => r.Importance),
                ("Parameters", r => r.Params),
                ("ROC AUC after pruning", r => Intervals.Text(Intervals.RocAuc(r.Pruned))),
                ("Accuracy after pruning, p ≥ 0.5", r => Intervals.Text(new Score(r.Pruned.Accuracy, null, null))),
                ("Accuracy after pruning, dev-chosen threshold", r =>
                    Intervals.Text(new Score(r.PrunedAtDevThreshold?.Accuracy, null, null))
                ),
                ("ROC AUC after BN recalibration", r => Intervals.Text(Intervals.RocAuc(r.Recalibrated))),
                ("Accuracy after BN recalibration", r => Intervals.Text(Intervals.Accuracy(r.Recalibrated))),
                ("Accuracy after retraining", r => Intervals.Text(Intervals.Accuracy(r.Retrained))),
                ("p against L2 (McNemar, Holm)", r =>
                    r.VersusL2 is { } t ? $"{Intervals.PValue(t.PValue)} ({Intervals.PValue(t.PValueHolm)})" : ""
                )
            );

    /// <summary>
    /// The report as a table: each variant straight after pruning, after BN recalibration and after retraining (the
    /// test split, 95 % intervals), and McNemar's test of its final model against the baseline (raw p, and Holm's over
    /// all variants).
    /// </summary>
    public static Table Table(VariantReport report)
    {
        var seeds = report.Rows.Any(r => r.AcrossSeeds is not null);
        var columns = new List<(string Header, Func<VariantRow, object?> Value)>
        {
            ("Variant", r => r.Variant),
            ("Parameters", r => r.Params),
            ("MACs (millions)", r => Math.Round(r.Macs / 1e6, 1)),
            ("ROC AUC after pruning", r => r.After is null ? "" : Intervals.Text(Intervals.RocAuc(r.Before))),
            ("Accuracy after pruning, p ≥ 0.5", r =>
                r.After is null ? "" : Intervals.Text(new Score(r.Before.Accuracy, null, null))
            ),
            ("Accuracy after BN recalibration", r =>
                r.After is null ? "" : Intervals.Text(Intervals.Accuracy(r.Recalibrated))
            ),
            ("Accuracy (final)", r => Intervals.Text(Intervals.Accuracy(r.Final))),
            ("F1 (final)", r => Intervals.Text(Intervals.F1(r.Final))),
            ("p against the baseline (McNemar, Holm)", r =>
                r.VersusBaseline is { } t ? $"{Intervals.PValue(t.PValue)} ({Intervals.PValue(t.PValueHolm)})" : ""
            ),
        };
        if (seeds)
            columns.Add(
                ("Accuracy over seeds (mean ± sd)", r =>
                    r.AcrossSeeds is { } s
                        ? string.Create(
                            CultureInfo.InvariantCulture,
                            $"{s.AccuracyMean:0.000} ± {s.AccuracySd:0.000} ({s.Seeds} seeds)"
                        )
                        : ""
                )
            );
        return report.Rows.ToTable([.. columns]);
    }

    /// <summary>
    /// In words, what the test set can resolve: how wide a score's interval is, the smallest accuracy difference
    /// McNemar's test can call at all, and which variants differ from the baseline, and which control criteria from L2,
    /// after Holm's adjustment.
    /// </summary>
    public static string Resolution(VariantReport report, IReadOnlyList<ControlRow> control, double alpha = 0.05)
    {
        var count = report.Rows[0].Final.Count;
        var halfWidths = report
            .Rows.Select(r => r.Final.AccuracyInterval)
            .OfType<Interval>()
            .Where(i => i is { Lo: not null, Hi: not null })
            .Select(i => (i.Hi!.Value - i.Lo!.Value) / 2)
            .Order()
            .ToArray();
        var smallest = Enumerable.Range(1, count).FirstOrDefault(b => PairedComparison.McNemarExactP(b, 0) < alpha);
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"{count} {report.Split} images. ");
        if (halfWidths.Length > 0)
            text.Append(
                CultureInfo.InvariantCulture,
                $"A final accuracy's 95 % interval spans ±{100 * halfWidths[halfWidths.Length / 2]:0.0} points (median over the variants; ±{100 * halfWidths[0]:0.0} to ±{100 * halfWidths[^1]:0.0}). "
            );
        if (smallest > 0)
            text.Append(
                CultureInfo.InvariantCulture,
                $"McNemar's test can call a difference at p < {alpha} only from {smallest} discordant images all one way: {100.0 * smallest / count:0.0} points at best."
            );
        text.AppendLine();
        var versusBaseline = report.Rows.Where(r => r.VersusBaseline is not null).ToArray();
        Describe(
            text,
            "Against the baseline",
            versusBaseline.Select(r => (r.Variant, r.VersusBaseline!)).ToArray(),
            alpha
        );
        Describe(
            text,
            "Against L2 at the same ratio",
            control.Where(r => r.VersusL2 is not null).Select(r => (r.Variant, r.VersusL2!)).ToArray(),
            alpha
        );
        return text.ToString();
    }

    private static void Describe(
        StringBuilder text,
        string family,
        IReadOnlyList<(string Variant, PairedTest Test)> tests,
        double alpha
    )
    {
        if (tests.Count == 0)
            return;
        var resolved = tests.Where(t => t.Test.PValueHolm < alpha).ToArray();
        static string Difference((string Variant, PairedTest Test) t) =>
            string.Create(
                CultureInfo.InvariantCulture,
                $"{t.Variant} ({(t.Test.AccuracyDifference.Estimate ?? 0) * 100:+0.0;-0.0} points, {t.Test.OnlyThisRight} vs {t.Test.OnlyOtherRight} discordant images, Holm p {Intervals.PValue(t.Test.PValueHolm)})"
            );
        text.Append(CultureInfo.InvariantCulture, $"{family} ({tests.Count} tests, Holm-adjusted at {alpha}): ");
        text.Append(
            resolved.Length == 0
                ? "no difference the test set can resolve."
                : $"{resolved.Length} resolved: {string.Join("; ", resolved.Select(Difference))}."
        );
        if (resolved.Length > 0 && resolved.Length < tests.Count)
            text.Append(
                CultureInfo.InvariantCulture,
                $" The other {tests.Count - resolved.Length} are within the test set's noise."
            );
        text.AppendLine();
    }

    /// <summary>
    /// How each variant's retraining went: its epochs and learning rate, dev accuracy before and after, and the time it
    /// took.
    /// </summary>
    public static Table RetrainingTable(IReadOnlyList<(string Variant, RetrainResult Result)> retrained) =>
        retrained.ToTable(
            ("Variant", r => r.Variant),
            ("Epochs", r => r.Result.Epochs),
            ("Learning rate", r => r.Result.LearningRate),
            ("Dev accuracy before retraining", r => Round(r.Result.Before.Dev?.Accuracy, 4)),
            ("Dev accuracy after retraining", r => Round(r.Result.After.Dev?.Accuracy, 4)),
            ("Time (s)", r => Math.Round(r.Result.Seconds, 1))
        );

    /// <summary>A score rounded for a table; none (a model not retrained, a split not scored) stays none.</summary>
    private static double? Round(double? value, int digits) => value is { } v ? Math.Round(v, digits) : null;
}
