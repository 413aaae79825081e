using System.Globalization;
using QuakePrune.Latency;
using QuakePrune.Notebooks.Formatting;
using QuakePrune.Notebooks.Plotting;
using QuakePrune.Pipeline;

namespace QuakePrune.Notebooks.Study;

/// <summary>
/// Pictures for the sixth notebook: what each variant costs in time, here and (projected) on the paper's GPU.
/// </summary>
public static class LatencyPlots
{
    /// <summary>The paper's GTX 1050 measurements (ms per image at batch 1) and Prune90's accuracy.</summary>
    public const double PaperBaselineMs = 22.45,
        PaperPrune90Ms = 3.6,
        PaperPrune90Accuracy = 0.99405;

    /// <summary>
    /// Median latency per variant measured here on every engine the report timed (ours prepared, ours as the plain
    /// module, ONNX Runtime on the exported model; p90 of ours as a thin marker), the GTX 1050 projection of ours, and
    /// the paper's two figures.
    /// </summary>
    public static Figure Latency(BenchReport report, IReadOnlyList<(string Variant, string Model)> variants)
    {
        var results = Ordered(report, variants);
        var names = results.Select(r => r.Variant).ToArray();
        var figure = Figure.Grid(
            1,
            2,
            $"measured here ({report.Machine.Device}, {report.Machine.Threads} threads, batch 1)",
            "GTX 1050: projected, and the paper's measurement"
        );
        AddEngineBars(figure, report, variants, 1, 1, 1);
        figure.Add(
            new Scatter
            {
                Name = "p90 (ours, prepared)",
                Mode = "markers",
                X = names,
                Y = results.Select(r => r.Result.Statistics.P90Ms).ToArray(),
                Marker = new Marker
                {
                    Symbol = "line-ew-open",
                    Size = 18,
                    Color = "#333",
                },
            },
            1,
            1
        );
        figure.WithAxisTitles(null, "ms per image", 1, 1);
        if (results.All(r => r.Result.ProjectedMs is not null))
            figure.Add(
                new Bar
                {
                    Name = "projected (roofline, not measured)",
                    X = names,
                    Y = results.Select(r => r.Result.ProjectedMs!.Value).ToArray(),
                    Marker = new Marker { Color = "#bbbbbb" },
                    Text = results.Select(r => $"{r.Result.ProjectedMs:0.0}").ToArray(),
                    TextPosition = "outside",
                },
                1,
                2
            );
        figure.Add(
            new Scatter
            {
                Name = "paper, GTX 1050 (measured there)",
                Mode = "markers",
                X = new[] { "baseline", "prune90" },
                Y = new[] { PaperBaselineMs, PaperPrune90Ms },
                Marker = new Marker
                {
                    Symbol = "diamond",
                    Size = 12,
                    Color = "#d62728",
                },
            },
            1,
            2
        );
        figure.WithAxisTitles(null, "ms per image", 1, 2);
        return figure.WithSize(1100, 430);
    }

    /// <summary>How the figures name an engine of `bench`.</summary>
    public static string EngineLabel(string engine) =>
        engine switch
        {
            "fast" => "ours, prepared (fast path)",
            "eager" => "ours, plain module (libtorch eager)",
            "onnxruntime" => "ONNX Runtime, exported model",
            _ => engine,
        };

    /// <summary>
    /// One group of bars per model (named as <paramref name="models"/> names them), one bar per engine the report
    /// timed, at <paramref name="batch"/>: the median per item (ms per image or window), labelled.
    /// </summary>
    public static void AddEngineBars(
        Figure figure,
        BenchReport report,
        IReadOnlyList<(string Name, string Model)> models,
        int batch,
        int row,
        int column,
        bool showLegend = true
    )
    {
        foreach (var engine in report.Results.Select(r => r.Engine).Distinct())
        {
            var timed = models
                .Select(m =>
                    (
                        m.Name,
                        Result: report.Results.FirstOrDefault(r =>
                            r.Model == m.Model && r.Batch == batch && r.Engine == engine
                        )
                    )
                )
                .Where(t => t.Result is not null)
                .ToArray();
            var perItem = timed.Select(t => t.Result!.Statistics.MedianMs / batch).ToArray();
            figure.Add(
                new Bar
                {
                    Name = EngineLabel(engine),
                    LegendGroup = engine,
                    ShowLegend = showLegend,
                    X = timed.Select(t => t.Name).ToArray(),
                    Y = perItem,
                    Text = perItem
                        .Select(ms => ms.ToString(ms < 10 ? "0.00" : "0.0", CultureInfo.InvariantCulture))
                        .ToArray(),
                    TextPosition = "outside",
                },
                row,
                column
            );
        }
    }

    /// <summary>
    /// Test accuracy against measured latency, one point per variant, with the paper's Prune90 for reference (its
    /// latency is the GTX 1050's).
    /// </summary>
    public static Figure AccuracyVsLatency(IReadOnlyList<SummaryRow> rows)
    {
        var figure = new Figure();
        var measured = rows.Where(r => r.LatencyMs is not null).ToArray();
        figure.Add(
            new Scatter
            {
                Name = "this run (test accuracy, measured latency)",
                Mode = "markers+text",
                X = measured.Select(r => r.LatencyMs!.Value).ToArray(),
                Y = measured.Select(r => r.Accuracy.Value ?? double.NaN).ToArray(),
                Text = measured.Select(r => r.Variant).ToArray(),
                Marker = new Marker { Size = 10 },
                ErrorY = Intervals.Bars(measured.Select(r => r.Accuracy)),
            }
        );
        figure.Add(
            new Scatter
            {
                Name = "paper Prune90 (GTX 1050)",
                Mode = "markers",
                X = new[] { PaperPrune90Ms },
                Y = new[] { PaperPrune90Accuracy },
                Marker = new Marker
                {
                    Symbol = "diamond",
                    Size = 12,
                    Color = "#d62728",
                },
            }
        );
        figure.XAxis().Type = "log";
        return figure
            .WithTitle("accuracy against latency (batch 1)")
            .WithAxisTitles("ms per image (log scale)", "test accuracy")
            .WithSize(900, 450);
    }

    /// <summary>
    /// The study's summary, one row per variant: size, test scores with 95 % intervals, McNemar's test against the
    /// baseline, latency at batch 1 measured here and projected to the GTX 1050.
    /// </summary>
    public static Table SummaryTable(IReadOnlyList<SummaryRow> rows) =>
        rows.ToTable(
            ("Variant", r => r.Variant),
            ("Parameters", r => r.Params),
            ("MACs (millions)", r => Math.Round(r.Macs / 1e6, 1)),
            ("Test accuracy", r => Intervals.Text(r.Accuracy)),
            ("Test F1", r => Intervals.Text(r.F1)),
            ("p against the baseline (McNemar, Holm)", r =>
                r.PVersusBaseline is null
                    ? ""
                    : $"{Intervals.PValue(r.PVersusBaseline)} ({Intervals.PValue(r.PVersusBaselineHolm)})"
            ),
            ("Latency, batch 1 (ms)", r => Round(r.LatencyMs, 2)),
            ("GTX 1050, projected (ms)", r => Round(r.ProjectedGtx1050Ms, 2)),
            ("Speed-up over the baseline", r => Round(r.Speedup, 1))
        );

    /// <summary>A figure rounded for a table; a variant not timed stays without one.</summary>
    private static double? Round(double? value, int digits) => value is { } v ? Math.Round(v, digits) : null;

    private static (string Variant, BenchResult Result)[] Ordered(
        BenchReport report,
        IReadOnlyList<(string Variant, string Model)> variants
    ) =>
        variants
            .Select(v =>
                (
                    v.Variant,
                    Result: report.Results.FirstOrDefault(r =>
                        r.Model == v.Model && r.Batch == 1 && r.Engine == LatencyStage.Ours
                    )
                )
            )
            .Where(v => v.Result is not null)
            .Select(v => (v.Variant, v.Result!))
            .ToArray();
}
