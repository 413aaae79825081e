using QuakePrune.Notebooks.Formatting;
using QuakePrune.Notebooks.Plotting;
using QuakePrune.Stead;

namespace QuakePrune.Notebooks.Study;

/// <summary>
/// Pictures of a STEAD subset for the first notebook: waveforms with picks, and the distributions that make the task
/// hard or easy.
/// </summary>
public static class SubsetPlots
{
    private static readonly string[] Components = ["E", "N", "Z"];

    /// <summary>The records of a subset folder (subset.csv), with their <c>split</c> column.</summary>
    public static List<SteadRecord> Records(string subsetDirectory) =>
        SteadCsv.ReadAll(Path.Combine(subsetDirectory, "subset.csv"));

    /// <summary>
    /// Three components of one trace of a subset (offset for readability), with its P and S picks and coda end as
    /// vertical lines.
    /// </summary>
    public static Figure Waveform(string subsetDirectory, SteadRecord record)
    {
        float[] waveform;
        using (var pair = SteadPair.Open(Path.Combine(subsetDirectory, "subset")))
            waveform = pair.ReadWaveform(record);
        var seconds = Enumerable.Range(0, SteadLayout.Samples).Select(i => i / SteadLayout.SamplingRateHz).ToArray();
        var scale = Math.Max(1e-12, waveform.Max(v => Math.Abs(v)));
        var figure = new Figure();
        for (var c = 0; c < SteadLayout.Components; c++)
        {
            var offset = 2.0 * (SteadLayout.Components - 1 - c);
            figure.Add(
                new Scatter
                {
                    Name = Components[c],
                    Mode = "lines",
                    X = seconds,
                    Y = Enumerable
                        .Range(0, SteadLayout.Samples)
                        .Select(i => waveform[i * SteadLayout.Components + c] / scale + offset)
                        .ToArray(),
                    Line = new Line { Width = 1 },
                }
            );
        }
        foreach (
            var (sample, label, colour) in new[]
            {
                (record.PArrivalSample, "P", "#d62728"),
                (record.SArrivalSample, "S", "#1f77b4"),
                (record.CodaEndSample, "coda end", "#7f7f7f"),
            }
        )
        {
            if (sample is not { } s)
                continue;
            var t = s / SteadLayout.SamplingRateHz;
            figure.Add(
                new Scatter
                {
                    Name = label,
                    Mode = "lines",
                    X = new[] { t, t },
                    Y = new[] { -1.0, 2.0 * SteadLayout.Components - 1 },
                    Line = new Line { Color = colour, Dash = "dash" },
                }
            );
        }
        var snr = record.MeanSnrDb is { } db ? $", SNR {db:F1} dB" : "";
        var magnitude = record.SourceMagnitude is { } m ? $", M{m:F1} at {record.SourceDistanceKm:F0} km" : "";
        return figure
            .WithTitle($"{record.TraceName} ({(record.IsEarthquake ? "earthquake" : "noise")}{magnitude}{snr})")
            .WithAxisTitles("time (s)", "normalised counts (E, N, Z offset)")
            .WithSize(900, 350);
    }

    /// <summary>Class counts per split, and histograms of SNR, magnitude and distance of the earthquakes.</summary>
    public static Figure Distributions(IReadOnlyList<SteadRecord> records)
    {
        var figure = Figure.Grid(
            2,
            2,
            "traces per split and class",
            "mean SNR (dB)",
            "magnitude",
            "epicentral distance (km)"
        );
        string[] splits = ["train", "dev", "test"];
        foreach (var (label, isEarthquake) in new[] { ("earthquake", true), ("noise", false) })
            figure.Add(
                new Bar
                {
                    Name = label,
                    X = splits,
                    Y = splits
                        .Select(s => records.Count(r => r.IsEarthquake == isEarthquake && r.ExtraValue("split") == s))
                        .ToArray(),
                },
                1,
                1
            );
        var earthquakes = records.Where(r => r.IsEarthquake).ToArray();
        figure.Add(
            new Histogram
            {
                Name = "SNR",
                X = earthquakes.Select(r => r.MeanSnrDb).OfType<double>().ToArray(),
                ShowLegend = false,
            },
            1,
            2
        );
        figure.Add(
            new Histogram
            {
                Name = "magnitude",
                X = earthquakes.Select(r => r.SourceMagnitude).OfType<double>().ToArray(),
                ShowLegend = false,
            },
            2,
            1
        );
        figure.Add(
            new Histogram
            {
                Name = "distance",
                X = earthquakes.Select(r => r.SourceDistanceKm).OfType<double>().ToArray(),
                ShowLegend = false,
            },
            2,
            2
        );
        return figure.WithSize(900, 600);
    }

    /// <summary>
    /// Each split's traces by class, how many distinct events its earthquakes come from, and their median SNR.
    /// </summary>
    public static Table SplitTable(IReadOnlyList<SteadRecord> records) =>
        records
            .GroupBy(r => r.ExtraValue("split"))
            .ToTable(
                ("Split", g => g.Key),
                ("Earthquakes", g => g.Count(r => r.IsEarthquake)),
                ("Noise", g => g.Count(r => !r.IsEarthquake)),
                ("Distinct events", g => g.Where(r => r.IsEarthquake).Select(r => r.SourceId).Distinct().Count()),
                ("Median earthquake SNR (dB)", g =>
                    g.Where(r => r.IsEarthquake)
                        .Select(r => r.MeanSnrDb ?? double.NaN)
                        .Order()
                        .ElementAtOrDefault(g.Count(r => r.IsEarthquake) / 2)
                )
            );
}
