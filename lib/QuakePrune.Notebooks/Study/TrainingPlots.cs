using QuakePrune.Models;
using QuakePrune.Notebooks.Formatting;
using QuakePrune.Notebooks.Plotting;
using QuakePrune.Training;

namespace QuakePrune.Notebooks.Study;

/// <summary>Pictures for the third notebook: how training went, and where the detector is right and wrong.</summary>
public static class TrainingPlots
{
    /// <summary>
    /// Loss and accuracy per epoch on train and dev, dev F1, and the learning rate; the kept (best dev F1) epoch
    /// marked.
    /// </summary>
    public static Figure Curves(IReadOnlyList<EpochRecord> history)
    {
        var figure = Figure.Grid(1, 3, "loss", "accuracy and dev F1", "learning rate (end of epoch)");
        var epochs = history.Select(r => r.Epoch).ToArray();
        figure.Add(
            new Scatter
            {
                Name = "train loss",
                Mode = "lines+markers",
                X = epochs,
                Y = history.Select(r => r.TrainLoss).ToArray(),
            },
            1,
            1
        );
        figure.Add(
            new Scatter
            {
                Name = "dev loss",
                Mode = "lines+markers",
                X = epochs,
                Y = history.Select(r => r.DevLoss).ToArray(),
            },
            1,
            1
        );
        figure.Add(
            new Scatter
            {
                Name = "train accuracy",
                Mode = "lines+markers",
                X = epochs,
                Y = history.Select(r => r.TrainAccuracy).ToArray(),
            },
            1,
            2
        );
        figure.Add(
            new Scatter
            {
                Name = "dev accuracy",
                Mode = "lines+markers",
                X = epochs,
                Y = history.Select(r => r.DevAccuracy).ToArray(),
            },
            1,
            2
        );
        figure.Add(
            new Scatter
            {
                Name = "dev F1",
                Mode = "lines+markers",
                X = epochs,
                Y = history.Select(r => r.DevF1).ToArray(),
                Line = new Line { Dash = "dot" },
            },
            1,
            2
        );
        var best = history.Where(r => r.Best).ToArray();
        if (best.Length > 0)
            figure.Add(
                new Scatter
                {
                    Name = "kept",
                    Mode = "markers",
                    X = new[] { best[^1].Epoch },
                    Y = new[] { best[^1].DevF1 },
                    Marker = new Marker
                    {
                        Size = 14,
                        Symbol = "star",
                        Color = "#d62728",
                    },
                },
                1,
                2
            );
        figure.Add(
            new Scatter
            {
                Name = "learning rate",
                Mode = "lines+markers",
                ShowLegend = false,
                X = epochs,
                Y = history.Select(r => r.LearningRate).ToArray(),
            },
            1,
            3
        );
        for (var c = 1; c <= 3; c++)
            figure.WithAxisTitles("epoch", null, 1, c);
        return figure.WithSize(1100, 380);
    }

    /// <summary>
    /// The confusion matrix at the dev-chosen threshold, the ROC curve, and the share of earthquakes found per SNR bin.
    /// </summary>
    public static Figure Scores(EvaluationReport report)
    {
        var chosen = report.AtChosenThreshold;
        var figure = Figure.Grid(
            1,
            3,
            $"confusion at threshold {chosen.Threshold:0.###}",
            $"ROC (AUC {report.RocAuc:0.0000})",
            "earthquakes detected per SNR bin"
        );
        var m = chosen.ConfusionMatrix;
        figure.Add(
            new Heatmap
            {
                Z =
                [
                    [m[0][0], m[0][1]],
                    [m[1][0], m[1][1]],
                ],
                X = new[] { "predicted noise", "predicted earthquake" },
                Y = new[] { "noise", "earthquake" },
                ColorScale = "Blues",
                ShowScale = false,
            },
            1,
            1
        );
        for (var t = 0; t < 2; t++)
        for (var p = 0; p < 2; p++)
            figure.Annotate(m[t][p].ToString(), p, t, "x", "y");
        figure.Add(
            new Scatter
            {
                Name = "ROC",
                Mode = "lines",
                ShowLegend = false,
                X = report.RocCurve.Select(p => p.FalsePositiveRate).ToArray(),
                Y = report.RocCurve.Select(p => p.TruePositiveRate).ToArray(),
            },
            1,
            2
        );
        figure.Add(
            new Scatter
            {
                Name = "chance",
                Mode = "lines",
                ShowLegend = false,
                X = new[] { 0.0, 1.0 },
                Y = new[] { 0.0, 1.0 },
                Line = new Line { Dash = "dash", Color = "#999" },
            },
            1,
            2
        );
        figure.WithAxisTitles("false positive rate", "true positive rate", 1, 2);
        var bins = chosen.AccuracyBySnr;
        figure.Add(
            new Bar
            {
                Name = "recall",
                ShowLegend = false,
                X = bins.Select(b => b.Bin).ToArray(),
                Y = bins.Select(b => b.Count == 0 ? 0 : b.Accuracy).ToArray(),
                Text = bins.Select(b => $"n={b.Count}").ToArray(),
                TextPosition = "outside",
            },
            1,
            3
        );
        figure.WithAxisTitles("mean SNR (dB)", "share detected", 1, 3);
        figure.YAxis(1, 3).Range = [0, 1.1];
        return figure.WithSize(1100, 380);
    }

    /// <summary>
    /// The network's size by top-level part (conv1, bn1, layer1..layer4, fc): parameters, and MACs at the input size.
    /// </summary>
    public static Table CostTable(ModelCost cost) =>
        cost
            .Layers.Where(l => l.Params > 0)
            .GroupBy(l => l.Name.Split('.')[0])
            .ToTable(
                ("Part", g => g.Key),
                ("Parameters", g => g.Sum(l => l.Params)),
                ("MACs (millions)", g => Math.Round(g.Sum(l => l.Macs) / 1e6, 1))
            );

    /// <summary>The report's headline scores, one row per decision threshold (dev-chosen, then 0.5).</summary>
    public static Table Table(EvaluationReport report) =>
        new[]
        {
            (Name: $"dev-chosen ({report.ThresholdSource})", Metrics: report.AtChosenThreshold),
            (Name: "0.5", Metrics: report.AtHalf),
        }.ToTable(
            ("Threshold", t => $"{t.Metrics.Threshold:0.###} {t.Name}"),
            ("Split", _ => report.Split),
            ("Images", _ => report.Count),
            ("Accuracy", t => Math.Round(t.Metrics.Accuracy, 4)),
            ("Precision", t => Math.Round(t.Metrics.Precision, 4)),
            ("Recall", t => Math.Round(t.Metrics.Recall, 4)),
            ("F1", t => Math.Round(t.Metrics.F1, 4)),
            ("ROC AUC", _ => Math.Round(report.RocAuc, 4))
        );
}
