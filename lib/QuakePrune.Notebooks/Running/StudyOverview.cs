using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using QuakePrune.Notebooks.Formatting;
using QuakePrune.Notebooks.Plotting;
using QuakePrune.Notebooks.Study;
using QuakePrune.Pipeline;

namespace QuakePrune.Notebooks.Running;

/// <summary>
/// The report's front page: the study at a glance (accuracy against parameters and against latency, every variant, the
/// paper's points beside ours) and the results table, each column saying its unit and the input size it was measured
/// at. Built from a run's summary.csv and, beside it, latency.json (which records where and at what size latency was
/// timed).
/// </summary>
public static class StudyOverview
{
    const double PaperPrune90Accuracy = LatencyPlots.PaperPrune90Accuracy;

    /// <summary>What the latency figures were measured at, from latency.json.</summary>
    public sealed record LatencySetting(string InputSize, int Threads, string Device, string Cpu);

    /// <summary>
    /// The HTML for the index page, or null when the notebooks did not get as far as writing summary.csv.
    /// </summary>
    public static string? Html(string summaryPath)
    {
        if (!File.Exists(summaryPath))
            return null;
        var rows = StudySummary.Read(summaryPath);
        var latencyPath = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(summaryPath))!, "latency.json");
        var latency = File.Exists(latencyPath) ? ReadLatencySetting(latencyPath) : null;
        var inputSize = rows.Select(r => r.InputSize).Distinct().SingleOrDefault() ?? "the model's input size";
        var latencyAt = latency is null
            ? ""
            : $" at {latency.InputSize}, {latency.Threads} threads on {latency.Cpu} ({latency.Device})";
        return $"""
            <h2>The study at a glance</h2>
            <p>Every variant's test accuracy after retraining, with its 95 % bootstrap interval over the test images, measured on
            {WebUtility.HtmlEncode(
                inputSize
            )} spectrogram images, against parameters and against latency at batch 1{WebUtility.HtmlEncode(latencyAt)}.
            Hover a point for its name; the legend groups the variants by criterion and scope (click an entry to hide it). The
            control's variants have the widths, and so the parameters and the latency, of their L2 counterpart: each criterion's points
            are moved a few percent sideways so that none hides another.
            The paper's Prune90 (99.405 %, 3.6 ms) and baseline (22.45 ms) were measured on its GTX 1050; our GTX 1050 column is a
            roofline projection calibrated on those two figures, not a measurement.</p>
            <div class="qp-glance">
            <div>{AccuracyAgainstParameters(rows).ToHtmlFragment()}</div>
            <div>{AccuracyAgainstLatency(rows, latency).ToHtmlFragment()}</div>
            </div>
            <h2>Results</h2>
            <p>One row per variant (<a href="summary.csv">summary.csv</a>, with every interval's bounds as <code>_lo</code> and
            <code>_hi</code> columns). Scores are on the test split, which no training step sees, at p &ge; 0.5, each with its 95 %
            interval; "after pruning" scores the pruned model before any retraining, threshold-free (ROC AUC) and after re-estimating
            its batch-norm statistics on training batches. The p-values are McNemar's exact test of each final model against the
            baseline on the same images (Holm-adjusted over all variants in brackets).</p>
            {ResultsTable(rows, inputSize, latency).Html}
            {PickingHtml(ComparisonPath(summaryPath))}
            """;
    }

    /// <summary>
    /// Where the EQTransformer study's comparison.csv lies in the run folder of <paramref name="summaryPath"/>.
    /// </summary>
    public static string ComparisonPath(string summaryPath) =>
        Path.Combine(
            Path.GetDirectoryName(Path.GetFullPath(summaryPath))!,
            "eqtransformer",
            PickingStage.ComparisonFileName
        );

    /// <summary>
    /// The EQTransformer study's trade-off and table, from comparison.csv; empty when notebook 07 did not write it.
    /// </summary>
    static string PickingHtml(string comparisonPath)
    {
        if (!File.Exists(comparisonPath))
            return "";
        var all = PickingStage.ReadComparison(comparisonPath);
        // The front page publishes models; a picker that learned no phase is a finding, said in words, its row in the
        // CSV and notebook 07.
        var rows = all.Where(r => !r.PicksNothing).ToArray();
        var none = all.Where(r => r.PicksNothing).Select(r => r.Model).ToArray();
        var omitted =
            none.Length == 0
                ? ""
                : $"""
                    <p>Not drawn: {WebUtility.HtmlEncode(
                        string.Join(", ", none)
                    )}. Each learned no phase in its retraining (P and S F1 0); its detection F1
                    is what calling every trace an earthquake scores. Their rows are in comparison.csv and notebook 07.</p>
                    """;
        var figure = PickingPlots.TradeOff(
            rows,
            PickingStage.PyTorchReference.LatencyMs(all),
            PickingStage.PyTorchReference.Label
        );
        return $"""
            <h2>The EQTransformer study at a glance</h2>
            <p>Each picker that learned its phases: its detection, P-pick and S-pick F1 on the test traces (a pick counts within 0.5 s of the catalogue's),
            with its 95 % bootstrap interval, against its CPU latency at batch 1: EQTransformer, its three redesigns trained from
            fresh weights, and EQTransformer pruned by L2 norm and at random (the control), each retrained at a tenth of the rate.
            The dotted line is each score's Pareto front (no picker is both faster and better); the dashed one places SeisBench's
            EQTransformer under PyTorch eager by the ratio environment/bench/eqtransformer.sh measured. One row per picker in
            <a href="comparison.csv">comparison.csv</a>; notebook 07 says what the test set can resolve.</p>
            {figure.ToHtmlFragment()}
            {omitted}
            {PickingPlots.Table(rows).Html}
            """;
    }

    /// <summary>
    /// The results with headers a person reads: units, intervals, and the size each figure was measured at.
    /// </summary>
    public static Table ResultsTable(IReadOnlyList<SummaryRow> rows, string inputSize, LatencySetting? latency)
    {
        var at = latency is null ? "" : $", {latency.InputSize}, {latency.Threads} threads";
        string[] names =
        [
            "Variant",
            "Parameters (millions)",
            $"MACs per image (millions, at {inputSize})",
            $"Test accuracy, % ({inputSize})",
            $"Test F1 ({inputSize})",
            "ROC AUC after pruning",
            "Accuracy after pruning, %",
            "Accuracy after BN recalibration, %",
            "p against the baseline (Holm)",
            $"Latency here (ms, batch 1{at})",
            "Speed-up over the baseline here",
            $"GTX 1050 (ms, batch 1{(latency is null ? "" : $", {latency.InputSize}")}, projected)",
        ];
        static string F(double? value, string format) =>
            value is { } v && double.IsFinite(v) ? v.ToString(format, CultureInfo.InvariantCulture) : "";
        static Score Percent(Score s) => new(s.Value * 100, s.Lo * 100, s.Hi * 100);
        var cells = rows.Select(r =>
                new[]
                {
                    r.Variant,
                    F(r.Params / 1e6, "0.###"),
                    F(r.Macs / 1e6, "0.#"),
                    Intervals.Text(Percent(r.Accuracy), "0.0"),
                    Intervals.Text(r.F1),
                    Intervals.Text(r.AucPruned),
                    F(r.AccuracyPruned.Value * 100, "0.0"),
                    Intervals.Text(Percent(r.AccuracyRecalibrated), "0.0"),
                    r.PVersusBaseline is null
                        ? ""
                        : $"{Intervals.PValue(r.PVersusBaseline)} ({Intervals.PValue(r.PVersusBaselineHolm)})",
                    F(r.LatencyMs, "0.00"),
                    F(r.Speedup, "0.0'x'"),
                    F(r.ProjectedGtx1050Ms, "0.00"),
                }
            )
            .ToList();
        return TableFormatter.Render(names, null, cells, "");
    }

    /// <summary>
    /// The legend groups of the front page: the baseline, L2 (the paper's criterion) in each scope, and each control
    /// criterion; the colours are notebook 05's.
    /// </summary>
    static IEnumerable<(string Name, string Group, string Colour, string Symbol, SummaryRow[] Rows)> Groups(
        IEnumerable<SummaryRow> rows
    ) =>
        rows.GroupBy(r => (r.Criterion, r.Scope))
            .Select(g =>
                g.Key.Criterion.Length == 0 ? ("baseline", "baseline", "#1f77b4", "star", g.ToArray())
                : g.Key.Criterion == StudyVariant.Paper
                    ? (
                        $"L2, {g.Key.Scope} scope",
                        "L2 (the paper's criterion)",
                        RetrainPlots.CriterionColour(g.Key.Criterion),
                        g.Key.Scope == "full" ? "circle" : "square",
                        g.ToArray()
                    )
                : (
                    $"{CriterionName(g.Key.Criterion)}, {g.Key.Scope} scope",
                    "controls: other channels, same widths",
                    RetrainPlots.CriterionColour(g.Key.Criterion),
                    "circle",
                    g.ToArray()
                )
            );

    static string CriterionName(string criterion) =>
        criterion switch
        {
            "l1" => "L1 norm",
            "bn" => "batch-norm scale",
            _ => criterion,
        };

    /// <summary>
    /// One point per variant of a group, named on hover, with the accuracy's 95 % interval as error bars. The control's
    /// variants share their L2 counterpart's widths, so on an axis of cost they would hide each other: each group's
    /// points are moved sideways by a few percent (a factor 1.06 per step, alternating), and the hover gives the true
    /// value.
    /// </summary>
    static IEnumerable<Scatter> GroupTraces(
        IEnumerable<SummaryRow> rows,
        Func<SummaryRow, double?> x,
        Func<double, string> xHover
    )
    {
        var titled = new HashSet<string>();
        foreach (var ((name, group, colour, symbol, members), index) in Groups(rows).Select((g, i) => (g, i)))
        {
            var shown = members
                .Where(r => x(r) is { } v && double.IsFinite(v) && r.Accuracy.Value is not null)
                .ToArray();
            if (shown.Length == 0)
                continue;
            var shift = Math.Pow(1.06, index % 2 == 0 ? index / 2 : -(index + 1) / 2);
            yield return new Scatter
            {
                Name = name,
                LegendGroup = group,
                LegendGroupTitle = titled.Add(group) ? new Title { Text = group } : null,
                Mode = "markers",
                X = shown.Select(r => x(r)!.Value * shift).ToArray(),
                Y = shown.Select(r => r.Accuracy.Value!.Value).ToArray(),
                Text = shown.Select(r => $"{r.Variant}<br>{xHover(x(r)!.Value)}").ToArray(),
                HoverTemplate = "%{text}<br>accuracy %{y:.4f}<extra></extra>",
                Marker = new Marker
                {
                    Size = 11,
                    Color = colour,
                    Symbol = symbol,
                },
                ErrorY = Intervals.Bars(shown.Select(r => r.Accuracy)),
            };
        }
    }

    /// <summary>Test accuracy against parameters (log scale), with the paper's Prune90 accuracy as a line.</summary>
    public static Figure AccuracyAgainstParameters(IReadOnlyList<SummaryRow> rows)
    {
        var figure = new Figure();
        foreach (
            var trace in GroupTraces(
                rows,
                r => r.Params / 1e6,
                v => string.Create(CultureInfo.InvariantCulture, $"{v:0.###} million parameters")
            )
        )
            figure.Add(trace);
        figure.Add(PaperAccuracyLine(rows.Select(r => r.Params / 1e6)));
        figure.XAxis().Type = "log";
        return Glance(
            figure
                .WithTitle("test accuracy against parameters")
                .WithAxisTitles("parameters (millions, log scale)", "test accuracy")
        );
    }

    /// <summary>
    /// Test accuracy against latency at batch 1 (log scale): measured here, projected to the GTX 1050, and the paper's
    /// two GTX 1050 measurements (its baseline's accuracy is not among the paper's figures used here, so it is a
    /// vertical line).
    /// </summary>
    public static Figure AccuracyAgainstLatency(IReadOnlyList<SummaryRow> rows, LatencySetting? latency)
    {
        var figure = new Figure();
        var where = latency is null ? "measured here" : $"measured here ({latency.InputSize})";
        foreach (
            var trace in GroupTraces(
                rows,
                r => r.LatencyMs,
                v => string.Create(CultureInfo.InvariantCulture, $"{v:0.00} ms {where}")
            )
        )
            figure.Add(trace);
        var projected = rows.Where(r => r.ProjectedGtx1050Ms is not null && r.Accuracy.Value is not null).ToArray();
        figure.Add(
            new Scatter
            {
                Name = "GTX 1050, projected",
                LegendGroup = "paper",
                LegendGroupTitle = new Title { Text = "the paper's GPU" },
                Mode = "markers",
                X = projected.Select(r => r.ProjectedGtx1050Ms!.Value).ToArray(),
                Y = projected.Select(r => r.Accuracy.Value!.Value).ToArray(),
                Text = projected.Select(r => r.Variant).ToArray(),
                HoverTemplate = "%{text}<br>accuracy %{y:.4f}<br>%{x:.2f} ms, GTX 1050 projected<extra></extra>",
                Marker = new Marker
                {
                    Size = 9,
                    Symbol = "diamond-open",
                    Color = "#7f7f7f",
                },
            }
        );
        figure.Add(
            new Scatter
            {
                Name = "paper Prune90, GTX 1050",
                LegendGroup = "paper",
                Mode = "markers",
                X = new[] { LatencyPlots.PaperPrune90Ms },
                Y = new[] { PaperPrune90Accuracy },
                Marker = new Marker
                {
                    Size = 13,
                    Symbol = "star",
                    Color = "#d62728",
                },
            }
        );
        var accuracies = rows.Select(r => r.Accuracy.Value ?? double.NaN)
            .Append(PaperPrune90Accuracy)
            .Where(double.IsFinite)
            .ToArray();
        figure.Add(
            new Scatter
            {
                Name = "paper baseline, GTX 1050 (22.45 ms)",
                LegendGroup = "paper",
                Mode = "lines",
                X = new[] { LatencyPlots.PaperBaselineMs, LatencyPlots.PaperBaselineMs },
                Y = new[] { accuracies.Min(), accuracies.Max() },
                Line = new Line { Color = "#d62728", Dash = "dot" },
            }
        );
        figure.XAxis().Type = "log";
        return Glance(
            figure
                .WithTitle("test accuracy against latency (batch 1)")
                .WithAxisTitles("ms per image (log scale)", "test accuracy")
        );
    }

    /// <summary>
    /// Two figures side by side on a page, at a 15-point font: the legend under the plot, so the plot keeps the width.
    /// </summary>
    static Figure Glance(Figure figure)
    {
        figure.Layout.Font = new Font { Size = 15 };
        figure.Layout.Legend = new Legend
        {
            Orientation = "h",
            X = 0,
            Y = -0.22,
            YAnchor = "top",
        };
        figure.Layout.Margin = new Margin { B = 40, R = 20 };
        return figure.WithSize(620, 720);
    }

    static Scatter PaperAccuracyLine(IEnumerable<double> xs)
    {
        var range = xs.Where(double.IsFinite).ToArray();
        return new Scatter
        {
            Name = "paper Prune90: 99.405 %",
            Mode = "lines",
            X = new[] { range.Min(), range.Max() },
            Y = new[] { PaperPrune90Accuracy, PaperPrune90Accuracy },
            Line = new Line { Color = "#d62728", Dash = "dot" },
        };
    }

    /// <summary>Where and at what size latency.json's batch-1 figures were timed.</summary>
    public static LatencySetting ReadLatencySetting(string latencyPath)
    {
        var json =
            JsonNode.Parse(File.ReadAllText(latencyPath)) as JsonObject
            ?? throw new InvalidDataException($"{latencyPath}: not a JSON object");
        var machine = json["machine"] as JsonObject ?? throw new InvalidDataException($"{latencyPath}: no 'machine'");
        var size = (json["results"] as JsonArray)
            ?.OfType<JsonObject>()
            .FirstOrDefault(r => r["batch"]?.GetValue<int>() == 1)
            ?["size"]?.GetValue<string>()
            ?? throw new InvalidDataException($"{latencyPath}: no result at batch 1");
        return new LatencySetting(
            size,
            machine["threads"]?.GetValue<int>() ?? 0,
            machine["device"]?.GetValue<string>() ?? "?",
            machine["cpu"]?.GetValue<string>() ?? "?"
        );
    }
}
