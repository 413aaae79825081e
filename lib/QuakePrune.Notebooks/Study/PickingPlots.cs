using QuakePrune.Latency;
using QuakePrune.Models;
using QuakePrune.Notebooks.Formatting;
using QuakePrune.Notebooks.Plotting;
using QuakePrune.Picking;
using QuakePrune.Pipeline;
using QuakePrune.Statistics;

namespace QuakePrune.Notebooks.Study;

/// <summary>
/// Pictures for notebook 07: how the pickers trained, what one of them sees and says on a trace, and the comparison.
/// </summary>
public static class PickingPlots
{
    /// <summary>
    /// The networks trained from fresh weights: parameters and multiply-accumulates per 6000-sample window, from each
    /// description.
    /// </summary>
    public static Table CostTable(Preset study) =>
        study
            .PickingArchitectures.Select(a =>
                (
                    Name: a,
                    Cost: ModelCost.Of(
                        NetworkBuilders.Create(a, new NetworkOptions()),
                        [1, WaveformPreprocessing.Channels, WaveformPreprocessing.Samples]
                    )
                )
            )
            .ToTable(
                ("Model", m => m.Name),
                ("Parameters", m => m.Cost.Params),
                ("MACs per window (millions)", m => Math.Round(m.Cost.Macs / 1e6, 1)),
                ("Layers", m => m.Cost.Layers.Count)
            );

    /// <summary>
    /// The picker's scores on data the study never saw beside its test split's, with their 95 % intervals; a line that
    /// says so where the run has no second draw (the real STEAD).
    /// </summary>
    public static Table Unseen(PickingEvaluationReport? unseen, PickingEvaluationReport test)
    {
        if (unseen is null)
            return new[]
            {
                "a run on the real STEAD has no second draw: use a held-out chunk with `quakeprune evaluate`",
            }.ToTable();
        return new[] { ("test split of the study", test), ("second synthetic draw (another seed)", unseen) }.ToTable(
            ("Data", r => r.Item1),
            ("Traces", r => r.Item2.Traces),
            ("Detection F1 [95 %]", r => Score(r.Item2.Intervals.DetectionF1)),
            ("P F1 [95 %]", r => Score(r.Item2.Intervals.PF1)),
            ("S F1 [95 %]", r => Score(r.Item2.Intervals.SF1))
        );
    }

    /// <summary>
    /// Train and dev loss per epoch of every picker, and dev detection, P and S F1 at the thresholds chosen on dev that
    /// epoch.
    /// </summary>
    public static Figure Curves(IReadOnlyDictionary<string, IReadOnlyList<WaveformEpochRecord>> histories)
    {
        var figure = Figure.Grid(1, 2, "loss (weighted binary cross-entropy)", "dev F1 at thresholds chosen on dev");
        foreach (var (model, history) in histories)
        {
            var epochs = history.Select(r => r.Epoch).ToArray();
            figure.Add(
                new Scatter
                {
                    Name = $"{model} train",
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
                    Name = $"{model} dev",
                    Mode = "lines+markers",
                    X = epochs,
                    Y = history.Select(r => r.DevLoss).ToArray(),
                    Line = new Line { Dash = "dot" },
                },
                1,
                1
            );
            foreach (
                var (name, pick) in new (string, Func<WaveformEpochRecord, double?>)[]
                {
                    ("detection", r => r.DevDetectionF1),
                    ("P", r => r.DevPF1),
                    ("S", r => r.DevSF1),
                }
            )
                figure.Add(
                    new Scatter
                    {
                        Name = $"{model} {name}",
                        Mode = "lines+markers",
                        X = epochs,
                        Y = history.Select(r => pick(r) ?? 0).ToArray(),
                    },
                    1,
                    2
                );
        }
        figure.WithAxisTitles("epoch", null, 1, 1).WithAxisTitles("epoch", null, 1, 2);
        return figure.WithSize(1100, 400);
    }

    /// <summary>
    /// One trace: its three preprocessed components (Z, N, E) over the detection, P and S curves, with the picks and
    /// the catalogue's.
    /// </summary>
    public static Figure Trace(PickedTrace trace)
    {
        const int samples = WaveformPreprocessing.Samples;
        var seconds = Enumerable.Range(0, samples).Select(i => i / 100.0).ToArray();
        var figure = Figure.Grid(
            2,
            1,
            $"{trace.TraceName}: the network's input (Z, N, E)",
            "its curves; picks (solid) and catalogue (dashed)"
        );
        for (var c = 0; c < WaveformPreprocessing.Channels; c++)
            figure.Add(
                new Scatter
                {
                    Name = WaveformPreprocessing.ComponentOrder[c].ToString(),
                    Mode = "lines",
                    X = seconds,
                    Y = trace
                        .Input.AsSpan(c * samples, samples)
                        .ToArray()
                        .Select(v => (double)v + 6 * (2 - c))
                        .ToArray(),
                    Line = new Line { Width = 1 },
                },
                1,
                1
            );
        figure.Add(
            new Scatter
            {
                Name = "detection",
                Mode = "lines",
                X = seconds,
                Y = trace.Detection,
            },
            2,
            1
        );
        figure.Add(
            new Scatter
            {
                Name = "P",
                Mode = "lines",
                X = seconds,
                Y = trace.P,
            },
            2,
            1
        );
        figure.Add(
            new Scatter
            {
                Name = "S",
                Mode = "lines",
                X = seconds,
                Y = trace.S,
            },
            2,
            1
        );
        void Mark(string name, double? sample, string color, string dash)
        {
            if (sample is not { } at)
                return;
            figure.Add(
                new Scatter
                {
                    Name = name,
                    Mode = "lines",
                    X = new[] { at / 100, at / 100 },
                    Y = new[] { 0.0, 1.0 },
                    Line = new Line { Color = color, Dash = dash },
                },
                2,
                1
            );
        }
        Mark("P pick", trace.Picks.P?.Sample, "#d62728", "solid");
        Mark("S pick", trace.Picks.S?.Sample, "#2ca02c", "solid");
        Mark("catalogue P", trace.Truth.PSample, "#d62728", "dash");
        Mark("catalogue S", trace.Truth.SSample, "#2ca02c", "dash");
        figure
            .WithAxisTitles("time (s)", "normalised amplitude (offset)", 1, 1)
            .WithAxisTitles("time (s)", "probability", 2, 1);
        figure.YAxis(2, 1).Range = [0, 1.05];
        return figure.WithSize(1100, 600);
    }

    /// <summary>
    /// Every picker's latency at batch 1 and per window at the largest batch on each engine the bench timed (ours
    /// prepared, ONNX Runtime on the exported model), and PyTorch eager on SeisBench's EQTransformer as a marker at
    /// <paramref name="pyTorchMs"/> (batch 1; null: none). A picker is named by its run folder.
    /// </summary>
    public static Figure Latency(BenchReport latency, double? pyTorchMs, string pyTorchLabel)
    {
        var largest = latency.Options.Batches.Max();
        var models = latency
            .Results.Select(r => r.Model)
            .Distinct()
            .Select(m => (Name: Path.GetFileName(Path.GetDirectoryName(m)) ?? m, Model: m))
            .ToArray();
        var figure = Figure.Grid(
            1,
            2,
            "CPU latency at batch 1 (ms, median)",
            $"CPU latency per window at batch {largest} (ms, median / {largest})"
        );
        LatencyPlots.AddEngineBars(figure, latency, models, 1, 1, 1);
        LatencyPlots.AddEngineBars(figure, latency, models, largest, 1, 2, showLegend: false);
        if (pyTorchMs is { } reference)
            figure.Add(
                new Scatter
                {
                    Name = pyTorchLabel,
                    Mode = "markers",
                    X = new[] { "eqtransformer" },
                    Y = new[] { reference },
                    Marker = new Marker
                    {
                        Symbol = "diamond",
                        Size = 12,
                        Color = "#d62728",
                    },
                },
                1,
                1
            );
        return figure.WithAxisTitles(null, "ms", 1, 1).WithAxisTitles(null, "ms per window", 1, 2).WithSize(1100, 430);
    }

    /// <summary>
    /// The trade-off in one picture: detection, P and S F1 (95 % intervals as error bars) against CPU latency at batch
    /// 1, for every picker; the Pareto front of each (no other picker is both faster and better) joined by a line, over
    /// the pickers that learned a phase (one that picks nothing is drawn apart and never on the front); SeisBench's
    /// EQTransformer under PyTorch eager as a dashed line at its latency where one is given.
    /// </summary>
    public static Figure TradeOff(
        IReadOnlyList<PickerComparisonRow> rows,
        double? pytorchLatencyMs = null,
        string pytorchLabel = "SeisBench EQTransformer, PyTorch eager"
    )
    {
        (string Title, Func<PickerComparisonRow, Interval> Score)[] panels =
        [
            ("detection F1", r => r.DetectionF1),
            ("P-pick F1 (within 0.5 s)", r => r.PF1),
            ("S-pick F1 (within 0.5 s)", r => r.SF1),
        ];
        var figure = Figure.Grid(1, 3, panels.Select(p => p.Title).ToArray());
        var groups = rows.GroupBy(Family).ToArray();
        string[] colours = ["#1f77b4", "#d62728", "#7f7f7f", "#2ca02c", "#9467bd"];
        for (var col = 1; col <= panels.Length; col++)
        {
            var score = panels[col - 1].Score;
            for (var g = 0; g < groups.Length; g++)
            {
                var members = groups[g].ToArray();
                figure.Add(
                    new Scatter
                    {
                        Name = groups[g].Key,
                        ShowLegend = col == 1,
                        Mode = "markers",
                        HoverTemplate = "%{text}: F1 %{y:.3f}, %{x:.1f} ms<extra></extra>",
                        X = members.Select(r => r.LatencyBatch1Ms ?? double.NaN).ToArray(),
                        Y = members.Select(r => score(r).Estimate ?? double.NaN).ToArray(),
                        Text = members.Select(r => r.Model).ToArray(),
                        Marker = new Marker
                        {
                            Color = colours[g % colours.Length],
                            Size = 9,
                            Symbol = Symbols[g % Symbols.Length],
                        },
                        ErrorY = new ErrorBars
                        {
                            Array = members
                                .Select(r => score(r) is { Hi: { } hi, Estimate: { } e } ? hi - e : double.NaN)
                                .ToArray(),
                            ArrayMinus = members
                                .Select(r => score(r) is { Lo: { } lo, Estimate: { } e } ? e - lo : double.NaN)
                                .ToArray(),
                            Thickness = 1,
                        },
                    },
                    1,
                    col
                );
            }
            // A picker that learned no phase is not a model to use: it must not set the fast end of the front.
            var front = ParetoFront
                .Of(rows.Select(r => (r.LatencyBatch1Ms, r.PicksNothing ? null : score(r).Estimate)).ToArray())
                .Select(i => rows[i])
                .ToArray();
            figure.Add(
                new Scatter
                {
                    Name = "Pareto front",
                    ShowLegend = col == 1,
                    Mode = "lines",
                    Line = new Line
                    {
                        Color = "#000000",
                        Dash = "dot",
                        Width = 1,
                    },
                    X = front.Select(r => r.LatencyBatch1Ms!.Value).ToArray(),
                    Y = front.Select(r => score(r).Estimate!.Value).ToArray(),
                },
                1,
                col
            );
            if (pytorchLatencyMs is { } reference)
                figure.Add(
                    new Scatter
                    {
                        Name = pytorchLabel,
                        ShowLegend = col == 1,
                        Mode = "lines",
                        Line = new Line { Color = "#ff7f0e", Dash = "dash" },
                        X = new[] { reference, reference },
                        Y = new[] { 0.0, 1.0 },
                    },
                    1,
                    col
                );
            figure.WithAxisTitles("latency, batch 1 (ms, CPU)", col == 1 ? "F1 on test (95 % interval)" : null, 1, col);
            figure.YAxis(1, col).Range = [0, 1.05];
        }
        return figure.WithSize(1200, 520);
    }

    private static readonly string[] Symbols = ["circle", "square", "diamond", "triangle-up", "x"];

    /// <summary>
    /// Which family a picker belongs to in the pictures: a redesign trained from fresh weights, or EQTransformer pruned
    /// by a criterion.
    /// </summary>
    private static string Family(PickerComparisonRow row)
    {
        if (row.PicksNothing)
            return "learned no phase in its retraining (not a model to use)";
        var at = row.Model.IndexOf("-prune", StringComparison.Ordinal);
        if (at < 0)
            return "trained from fresh weights";
        var dash = row.Model.IndexOf('-', at + "-prune".Length);
        return dash < 0 ? "pruned by L2 norm, retrained" : $"pruned by {row.Model[(dash + 1)..]} channels, retrained";
    }

    /// <summary>
    /// The study's table: parameters, MACs per 6000-sample window, CPU latency, detection, P and S F1 with their 95 %
    /// intervals and the picks' mean absolute residual.
    /// </summary>
    public static Table Table(IReadOnlyList<PickerComparisonRow> rows)
    {
        var batch = rows.Select(r => r.BatchN).DefaultIfEmpty(1).Max();
        return rows.ToTable(
            ("Model", r => r.Model),
            ("Parameters", r => r.Params),
            ("MACs per window (millions)", r => Math.Round(r.Macs / 1e6, 1)),
            ("Latency, batch 1 (ms)", r => Round(r.LatencyBatch1Ms, 2)),
            ($"Latency per window, batch {batch} (ms)", r => Round(r.LatencyPerWindowBatchNMs, 2)),
            ("Speed-up, batch 1", r => Round(r.Speedup, 2)),
            ("Detection F1 [95 %]", r => Score(r.DetectionF1)),
            ("P F1 [95 %]", r => Score(r.PF1)),
            ("S F1 [95 %]", r => Score(r.SF1)),
            ("P MAE (s)", r => Seconds(r.PMaeSeconds)),
            ("S MAE (s)", r => Seconds(r.SMaeSeconds)),
            ("Note", r => r.PicksNothing ? "picks nothing: learned no phase (retraining did not recover it)" : "")
        );
    }

    private static double? Round(double? value, int digits) => value is { } v ? Math.Round(v, digits) : null;

    /// <summary>A residual MAE in seconds, or "-" where there is no right pick to measure.</summary>
    private static string Seconds(double? value) =>
        value is { } v ? v.ToString("0.000", System.Globalization.CultureInfo.InvariantCulture) : "-";

    private static string Score(Interval interval) =>
        interval.Estimate is not { } estimate
            ? "-"
            : FormattableString.Invariant($"{estimate:0.000} [{interval.Lo:0.000}, {interval.Hi:0.000}]");
}
