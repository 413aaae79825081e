using QuakePrune.Notebooks.Formatting;
using QuakePrune.Notebooks.Plotting;
using QuakePrune.Pipeline;
using QuakePrune.Retraining;

namespace QuakePrune.Notebooks.Study;

/// <summary>Pictures for the fifth notebook: what pruning cost in accuracy, and what retraining gave back.</summary>
public static class RetrainPlots
{
    /// <summary>Test accuracy and F1 of every variant against its parameter count: straight after pruning, and after retraining.</summary>
    public static Figure BeforeAfter(VariantReport report)
    {
        var figure = Figure.Grid(1, 2, $"{report.Split} accuracy", $"{report.Split} F1");
        var pruned = report.Rows.Where(r => r.After is not null).ToArray();
        var baseline = report.Rows.Where(r => r.After is null).ToArray();
        foreach (var (column, pick) in new (int, Func<SplitMetrics, double>)[] { (1, m => m.Accuracy), (2, m => m.F1) })
        {
            var first = column == 1;
            figure.Add(new Scatter
            {
                Name = "after pruning", Mode = "markers", ShowLegend = first, X = pruned.Select(r => r.Params).ToArray(),
                Y = pruned.Select(r => pick(r.Before)).ToArray(), Text = pruned.Select(r => r.Variant).ToArray(),
                Marker = new Marker { Symbol = "circle-open", Size = 10, Color = "#d62728" },
            }, 1, column);
            figure.Add(new Scatter
            {
                Name = "after retraining", Mode = "markers+text", ShowLegend = first, X = pruned.Select(r => r.Params).ToArray(),
                Y = pruned.Select(r => pick(r.After!)).ToArray(), Text = pruned.Select(r => r.Variant).ToArray(),
                Marker = new Marker { Size = 10, Color = "#2ca02c" },
            }, 1, column);
            figure.Add(new Scatter
            {
                Name = "baseline", Mode = "markers+text", ShowLegend = first, X = baseline.Select(r => r.Params).ToArray(),
                Y = baseline.Select(r => pick(r.Before)).ToArray(), Text = baseline.Select(r => r.Variant).ToArray(),
                Marker = new Marker { Symbol = "star", Size = 14, Color = "#1f77b4" },
            }, 1, column);
            figure.XAxis(1, column).Type = "log";
            figure.WithAxisTitles("parameters (log scale)", null, 1, column);
        }
        return figure.WithSize(1100, 450);
    }

    private static readonly Dictionary<string, string> CriterionColours = new()
    {
        ["l2"] = "#1f77b4", ["l1"] = "#ff7f0e", ["bn"] = "#2ca02c", ["random"] = "#7f7f7f",
    };

    /// <summary>
    /// The control experiment: test accuracy and F1 against the ratio pruned, one line per criterion after retraining (filled)
    /// and straight after pruning (open, dotted). Lines that lie on each other mean the criterion did not matter.
    /// </summary>
    public static Figure Control(IReadOnlyList<ControlRow> rows)
    {
        var figure = Figure.Grid(1, 2, "test accuracy", "test F1");
        foreach (var (column, pick) in new (int, Func<SplitMetrics, double>)[] { (1, m => m.Accuracy), (2, m => m.F1) })
        foreach (var criterion in rows.GroupBy(r => r.Importance))
        {
            var colour = CriterionColours.GetValueOrDefault(criterion.Key, "#9467bd");
            var ordered = criterion.OrderBy(r => r.Ratio).ToArray();
            var retrained = ordered.Where(r => r.Retrained is not null).ToArray();
            figure.Add(new Scatter
            {
                Name = $"{criterion.Key}, retrained", Mode = "lines+markers", ShowLegend = column == 1, X = retrained.Select(r => r.Ratio).ToArray(),
                Y = retrained.Select(r => pick(r.Retrained!)).ToArray(), Marker = new Marker { Size = 9, Color = colour }, Line = new Line { Color = colour },
            }, 1, column);
            figure.Add(new Scatter
            {
                Name = $"{criterion.Key}, pruned", Mode = "lines+markers", ShowLegend = column == 1, X = ordered.Select(r => r.Ratio).ToArray(),
                Y = ordered.Select(r => pick(r.Pruned)).ToArray(), Marker = new Marker { Symbol = "circle-open", Size = 9, Color = colour },
                Line = new Line { Color = colour, Dash = "dot", Width = 1 },
            }, 1, column);
            figure.WithAxisTitles("fraction of channels pruned (full scope)", null, 1, column);
        }
        return figure.WithTitle("the control: L2 against L1, batch-norm scale and random channels, retrained alike").WithSize(1100, 450);
    }

    /// <summary>The control experiment as a table, ratio by ratio: each criterion's test accuracy and F1 straight after pruning and after retraining.</summary>
    public static Table ControlTable(IReadOnlyList<ControlRow> rows) => rows.OrderBy(r => r.Ratio).ToTable(
        ("Ratio pruned", r => r.Ratio), ("Criterion", r => r.Importance), ("Parameters", r => r.Params),
        ("Accuracy after pruning (test)", r => Math.Round(r.Pruned.Accuracy, 4)), ("F1 after pruning (test)", r => Math.Round(r.Pruned.F1, 4)),
        ("Accuracy after retraining (test)", r => Round(r.Retrained?.Accuracy, 4)), ("F1 after retraining (test)", r => Round(r.Retrained?.F1, 4)));

    /// <summary>The report as a table: before and after retraining, side by side (the baseline, not retrained, has no after).</summary>
    public static Table Table(VariantReport report) => report.Rows.ToTable(
        ("Variant", r => r.Variant), ("Parameters", r => r.Params), ("MACs (millions)", r => Math.Round(r.Macs / 1e6, 1)), ("File (KiB)", r => r.FileBytes / 1024),
        ($"Accuracy after pruning ({report.Split})", r => Math.Round(r.Before.Accuracy, 4)), ($"F1 after pruning ({report.Split})", r => Math.Round(r.Before.F1, 4)),
        ($"Accuracy after retraining ({report.Split})", r => Round(r.After?.Accuracy, 4)), ($"F1 after retraining ({report.Split})", r => Round(r.After?.F1, 4)));

    /// <summary>How each variant's retraining went: its epochs and learning rate, dev accuracy before and after, and the time it took.</summary>
    public static Table RetrainingTable(IReadOnlyList<(string Variant, RetrainResult Result)> retrained) => retrained.ToTable(
        ("Variant", r => r.Variant), ("Epochs", r => r.Result.Epochs), ("Learning rate", r => r.Result.LearningRate),
        ("Dev accuracy before retraining", r => Round(r.Result.Before.Dev?.Accuracy, 4)), ("Dev accuracy after retraining", r => Round(r.Result.After.Dev?.Accuracy, 4)),
        ("Time (s)", r => Math.Round(r.Result.Seconds, 1)));

    /// <summary>A score rounded for a table; none (a model not retrained, a split not scored) stays none.</summary>
    private static double? Round(double? value, int digits) => value is { } v ? Math.Round(v, digits) : null;
}
