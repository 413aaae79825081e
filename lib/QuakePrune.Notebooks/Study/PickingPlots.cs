using QuakePrune.Notebooks.Formatting;
using QuakePrune.Notebooks.Plotting;
using QuakePrune.Picking;
using QuakePrune.Pipeline;

namespace QuakePrune.Notebooks.Study;

/// <summary>Pictures for notebook 07: how the pickers trained, what one of them sees and says on a trace, and the comparison.</summary>
public static class PickingPlots
{
    /// <summary>Train and dev loss per epoch of every picker, and dev detection, P and S F1 at 0.5.</summary>
    public static Figure Curves(IReadOnlyDictionary<string, IReadOnlyList<WaveformEpochRecord>> histories)
    {
        var figure = Figure.Grid(1, 2, "loss (0.05 detection + 0.40 P + 0.55 S)", "dev F1 at thresholds 0.5");
        foreach (var (model, history) in histories)
        {
            var epochs = history.Select(r => r.Epoch).ToArray();
            figure.Add(new Scatter { Name = $"{model} train", Mode = "lines+markers", X = epochs, Y = history.Select(r => r.TrainLoss).ToArray() }, 1, 1);
            figure.Add(new Scatter { Name = $"{model} dev", Mode = "lines+markers", X = epochs, Y = history.Select(r => r.DevLoss).ToArray(), Line = new Line { Dash = "dot" } }, 1, 1);
            foreach (var (name, pick) in new (string, Func<WaveformEpochRecord, double?>)[] { ("detection", r => r.DevDetectionF1), ("P", r => r.DevPF1), ("S", r => r.DevSF1) })
                figure.Add(new Scatter { Name = $"{model} {name}", Mode = "lines+markers", X = epochs, Y = history.Select(r => pick(r) ?? 0).ToArray() }, 1, 2);
        }
        figure.WithAxisTitles("epoch", null, 1, 1).WithAxisTitles("epoch", null, 1, 2);
        return figure.WithSize(1100, 400);
    }

    /// <summary>One trace: its three preprocessed components (Z, N, E) over the detection, P and S curves, with the picks and the catalogue's.</summary>
    public static Figure Trace(PickedTrace trace)
    {
        const int samples = WaveformPreprocessing.Samples;
        var seconds = Enumerable.Range(0, samples).Select(i => i / 100.0).ToArray();
        var figure = Figure.Grid(2, 1, $"{trace.TraceName}: the network's input (Z, N, E)", "its curves; picks (solid) and catalogue (dashed)");
        for (var c = 0; c < WaveformPreprocessing.Channels; c++)
            figure.Add(new Scatter
            {
                Name = WaveformPreprocessing.ComponentOrder[c].ToString(), Mode = "lines", X = seconds,
                Y = trace.Input.AsSpan(c * samples, samples).ToArray().Select(v => (double)v + 6 * (2 - c)).ToArray(), Line = new Line { Width = 1 },
            }, 1, 1);
        figure.Add(new Scatter { Name = "detection", Mode = "lines", X = seconds, Y = trace.Detection }, 2, 1);
        figure.Add(new Scatter { Name = "P", Mode = "lines", X = seconds, Y = trace.P }, 2, 1);
        figure.Add(new Scatter { Name = "S", Mode = "lines", X = seconds, Y = trace.S }, 2, 1);
        void Mark(string name, double? sample, string color, string dash)
        {
            if (sample is not { } at) return;
            figure.Add(new Scatter { Name = name, Mode = "lines", X = new[] { at / 100, at / 100 }, Y = new[] { 0.0, 1.0 }, Line = new Line { Color = color, Dash = dash } }, 2, 1);
        }
        Mark("P pick", trace.Picks.P?.Sample, "#d62728", "solid");
        Mark("S pick", trace.Picks.S?.Sample, "#2ca02c", "solid");
        Mark("catalogue P", trace.Truth.PSample, "#d62728", "dash");
        Mark("catalogue S", trace.Truth.SSample, "#2ca02c", "dash");
        figure.WithAxisTitles("time (s)", "normalised amplitude (offset)", 1, 1).WithAxisTitles("time (s)", "probability", 2, 1);
        figure.YAxis(2, 1).Range = [0, 1.05];
        return figure.WithSize(1100, 600);
    }

    /// <summary>Latency at batch 1 and per window at the largest batch, beside parameters, for every picker.</summary>
    public static Figure Latency(IReadOnlyList<PickerComparisonRow> rows)
    {
        var figure = Figure.Grid(1, 2, "CPU latency at batch 1 (ms, median)", $"CPU latency per window at batch {rows.FirstOrDefault()?.BatchN} (ms)");
        var names = rows.Select(r => r.Model).ToArray();
        figure.Add(new Bar { Name = "batch 1", ShowLegend = false, X = names, Y = rows.Select(r => r.LatencyBatch1Ms ?? 0).ToArray() }, 1, 1);
        figure.Add(new Bar { Name = "per window", ShowLegend = false, X = names, Y = rows.Select(r => r.LatencyPerWindowBatchNMs ?? 0).ToArray() }, 1, 2);
        return figure.WithSize(1100, 380);
    }

    /// <summary>The study's table: parameters, MACs per 6000-sample window, CPU latency, detection, P and S F1 and residuals (samples).</summary>
    public static Table Table(IReadOnlyList<PickerComparisonRow> rows) => rows.Select(r => new
    {
        r.Model, r.Params, MMACs = Math.Round(r.Macs / 1e6, 1), LatencyB1Ms = Round(r.LatencyBatch1Ms, 2),
        PerWindowMs = Round(r.LatencyPerWindowBatchNMs, 2), BatchN = r.BatchN, SpeedupB1 = Round(r.Speedup, 2),
        DetectionF1 = Round(r.DetectionF1, 3), PF1 = Round(r.PF1, 3), SF1 = Round(r.SF1, 3),
        PResidual = Residual(r.PResidualMean, r.PResidualStd, r.PResidualMae), SResidual = Residual(r.SResidualMean, r.SResidualStd, r.SResidualMae),
    }).ToTable();

    private static double? Round(double? value, int digits) => value is { } v ? Math.Round(v, digits) : null;

    private static string Residual(double? mean, double? std, double? mae) =>
        mean is null ? "-" : FormattableString.Invariant($"{mean:0.0} ± {std:0.0} (MAE {mae:0.0})");
}
