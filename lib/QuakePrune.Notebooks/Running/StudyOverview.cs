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
/// paper's points beside ours) and the results table, each column saying its unit and the input size it was measured at.
/// Built from a run's summary.csv and, beside it, latency.json (which records where and at what size latency was timed).
/// </summary>
public static class StudyOverview
{
    const double PaperPrune90Accuracy = LatencyPlots.PaperPrune90Accuracy;

    /// <summary>What the latency figures were measured at, from latency.json.</summary>
    public sealed record LatencySetting(string InputSize, int Threads, string Device, string Cpu);

    /// <summary>The HTML for the index page, or null when the notebooks did not get as far as writing summary.csv.</summary>
    public static string? Html(string summaryPath)
    {
        if (!File.Exists(summaryPath)) return null;
        var rows = StudySummary.Read(summaryPath);
        var latencyPath = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(summaryPath))!, "latency.json");
        var latency = File.Exists(latencyPath) ? ReadLatencySetting(latencyPath) : null;
        var inputSize = rows.Select(r => r.InputSize).Distinct().SingleOrDefault() ?? "the model's input size";
        var latencyAt = latency is null ? "" : $" at {latency.InputSize}, {latency.Threads} threads on {latency.Cpu} ({latency.Device})";
        return $"""
            <h2>The study at a glance</h2>
            <p>Every variant after retraining (filled) and straight after pruning (open): test accuracy, measured on
            {WebUtility.HtmlEncode(inputSize)} spectrogram images, against parameters and against latency at batch 1{WebUtility.HtmlEncode(latencyAt)}.
            The paper's Prune90 (99.405 %, 3.6 ms) and baseline (22.45 ms) were measured on its GTX 1050; our GTX 1050 column is a
            roofline projection calibrated on those two figures, not a measurement.</p>
            <div class="qp-glance">
            <div>{AccuracyAgainstParameters(rows).ToHtmlFragment()}</div>
            <div>{AccuracyAgainstLatency(rows, latency).ToHtmlFragment()}</div>
            </div>
            <h2>Results</h2>
            <p>One row per variant (<a href="summary.csv">summary.csv</a>). Accuracy and F1 on the test split, which no training
            step sees, at p &ge; 0.5 for pruned models.</p>
            {ResultsTable(rows, inputSize, latency).Html}
            """;
    }

    /// <summary>The results with headers a person reads: units, and the size each figure was measured at.</summary>
    public static Table ResultsTable(IReadOnlyList<SummaryRow> rows, string inputSize, LatencySetting? latency)
    {
        var at = latency is null ? "" : $", {latency.InputSize}, {latency.Threads} threads";
        string[] names =
        [
            "Variant", "Parameters (millions)", $"MACs per image (millions, at {inputSize})", $"Test accuracy ({inputSize})",
            $"Test F1 ({inputSize})", "Accuracy straight after pruning", $"Latency here (ms, batch 1{at})", "Speed-up over the baseline here",
            $"GTX 1050 (ms, batch 1{(latency is null ? "" : $", {latency.InputSize}")}, projected)",
        ];
        static string F(double? value, string format) => value is { } v && double.IsFinite(v) ? v.ToString(format, CultureInfo.InvariantCulture) : "";
        var cells = rows.Select(r => new[]
        {
            r.Variant, F(r.Params / 1e6, "0.###"), F(r.Macs / 1e6, "0.#"), F(r.Accuracy * 100, "0.00' %'"), F(r.F1, "0.0000"),
            F(r.AccuracyBeforeRetraining * 100, "0.00' %'"), F(r.LatencyMs, "0.00"), F(r.Speedup, "0.0'x'"), F(r.ProjectedGtx1050Ms, "0.00"),
        }).ToList();
        return TableFormatter.Render(names, null, cells, "");
    }

    /// <summary>Test accuracy against parameters (log scale), with the paper's Prune90 accuracy as a line.</summary>
    public static Figure AccuracyAgainstParameters(IReadOnlyList<SummaryRow> rows)
    {
        var figure = new Figure();
        figure.Add(new Scatter
        {
            Name = "after retraining", Mode = "markers+text", X = rows.Select(r => r.Params / 1e6).ToArray(), Y = rows.Select(r => r.Accuracy).ToArray(),
            Text = rows.Select(r => r.Variant).ToArray(), TextPosition = "top center", Marker = new Marker { Size = 10, Color = "#1f77b4" },
        });
        var pruned = rows.Where(r => r.AccuracyBeforeRetraining is not null).ToArray();
        figure.Add(new Scatter
        {
            Name = "straight after pruning", Mode = "markers", X = pruned.Select(r => r.Params / 1e6).ToArray(),
            Y = pruned.Select(r => r.AccuracyBeforeRetraining!.Value).ToArray(), Marker = new Marker { Size = 9, Symbol = "circle-open", Color = "#1f77b4" },
        });
        figure.Add(PaperAccuracyLine(rows.Select(r => r.Params / 1e6)));
        figure.XAxis().Type = "log";
        return Glance(figure.WithTitle("test accuracy against parameters").WithAxisTitles("parameters (millions, log scale)", "test accuracy"));
    }

    /// <summary>
    /// Test accuracy against latency at batch 1 (log scale): measured here, projected to the GTX 1050, and the paper's two
    /// GTX 1050 measurements (its baseline's accuracy is not among the paper's figures used here, so it is a vertical line).
    /// </summary>
    public static Figure AccuracyAgainstLatency(IReadOnlyList<SummaryRow> rows, LatencySetting? latency)
    {
        var figure = new Figure();
        var timed = rows.Where(r => r.LatencyMs is not null).ToArray();
        figure.Add(new Scatter
        {
            Name = latency is null ? "measured here" : $"measured here ({latency.InputSize})", Mode = "markers+text",
            X = timed.Select(r => r.LatencyMs!.Value).ToArray(), Y = timed.Select(r => r.Accuracy).ToArray(), Text = timed.Select(r => r.Variant).ToArray(),
            TextPosition = "top center",
            Marker = new Marker { Size = 10, Color = "#1f77b4" },
        });
        var projected = rows.Where(r => r.ProjectedGtx1050Ms is not null).ToArray();
        figure.Add(new Scatter
        {
            Name = "GTX 1050, projected", Mode = "markers", X = projected.Select(r => r.ProjectedGtx1050Ms!.Value).ToArray(),
            Y = projected.Select(r => r.Accuracy).ToArray(), Marker = new Marker { Size = 9, Symbol = "diamond-open", Color = "#7f7f7f" },
        });
        figure.Add(new Scatter
        {
            Name = "paper Prune90, GTX 1050", Mode = "markers", X = new[] { LatencyPlots.PaperPrune90Ms }, Y = new[] { PaperPrune90Accuracy },
            Marker = new Marker { Size = 13, Symbol = "star", Color = "#d62728" },
        });
        var accuracies = rows.Select(r => r.Accuracy).Append(PaperPrune90Accuracy).Where(double.IsFinite).ToArray();
        figure.Add(new Scatter
        {
            Name = "paper baseline, GTX 1050 (22.45 ms)", Mode = "lines", X = new[] { LatencyPlots.PaperBaselineMs, LatencyPlots.PaperBaselineMs },
            Y = new[] { accuracies.Min(), accuracies.Max() }, Line = new Line { Color = "#d62728", Dash = "dot" },
        });
        figure.XAxis().Type = "log";
        return Glance(figure.WithTitle("test accuracy against latency (batch 1)").WithAxisTitles("ms per image (log scale)", "test accuracy"));
    }

    /// <summary>Two figures side by side on a page: legend under the plot, so the plot keeps the width.</summary>
    static Figure Glance(Figure figure)
    {
        figure.Layout.Legend = new Legend { Orientation = "h", X = 0, Y = -0.25, YAnchor = "top" };
        figure.Layout.Margin = new Margin { B = 40, R = 20 };
        return figure.WithSize(540, 480);
    }

    static Scatter PaperAccuracyLine(IEnumerable<double> xs)
    {
        var range = xs.Where(double.IsFinite).ToArray();
        return new Scatter
        {
            Name = "paper Prune90: 99.405 %", Mode = "lines", X = new[] { range.Min(), range.Max() }, Y = new[] { PaperPrune90Accuracy, PaperPrune90Accuracy },
            Line = new Line { Color = "#d62728", Dash = "dot" },
        };
    }

    /// <summary>Where and at what size latency.json's batch-1 figures were timed.</summary>
    public static LatencySetting ReadLatencySetting(string latencyPath)
    {
        var json = JsonNode.Parse(File.ReadAllText(latencyPath)) as JsonObject
                   ?? throw new InvalidDataException($"{latencyPath}: not a JSON object");
        var machine = json["machine"] as JsonObject ?? throw new InvalidDataException($"{latencyPath}: no 'machine'");
        var size = (json["results"] as JsonArray)?.OfType<JsonObject>().FirstOrDefault(r => r["batch"]?.GetValue<int>() == 1)?["size"]?.GetValue<string>()
                   ?? throw new InvalidDataException($"{latencyPath}: no result at batch 1");
        return new LatencySetting(size, machine["threads"]?.GetValue<int>() ?? 0, machine["device"]?.GetValue<string>() ?? "?", machine["cpu"]?.GetValue<string>() ?? "?");
    }
}
