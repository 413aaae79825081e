using QuakePrune.Notebooks.Formatting;
using QuakePrune.Notebooks.Plotting;
using QuakePrune.Pipeline;
using QuakePrune.Spectrograms;
using QuakePrune.Stead;

namespace QuakePrune.Notebooks.Study;

/// <summary>
/// Pictures for the second notebook: a trace beside its three spectrograms, and what each class looks like on average.
/// </summary>
public static class SpectrogramPlots
{
    /// <summary>
    /// The vertical component over time, then the E, N, Z spectrograms in dB at native resolution (after
    /// preprocessing).
    /// </summary>
    public static Figure TraceAndSpectrogram(string subsetDirectory, SteadRecord record, SpectrogramSettings settings)
    {
        float[] trace;
        using (var pair = SteadPair.Open(Path.Combine(subsetDirectory, "subset")))
            trace = pair.ReadWaveform(record);
        var computer = new SpectrogramComputer(settings with { Size = null });
        var decibels = computer.ComputeDecibels(trace, record.TraceName);
        var (frequencies, times) = (computer.Frequencies(), computer.Times());
        var figure = Figure.Grid(4, 1, $"{record.TraceName}: Z component", "E (dB)", "N (dB)", "Z (dB)");
        figure.Add(
            new Scatter
            {
                Name = "Z",
                Mode = "lines",
                ShowLegend = false,
                Line = new Line { Width = 1 },
                X = Enumerable.Range(0, SteadLayout.Samples).Select(i => i / SteadLayout.SamplingRateHz).ToArray(),
                Y = Enumerable
                    .Range(0, SteadLayout.Samples)
                    .Select(i => trace[i * SteadLayout.Components + 2])
                    .ToArray(),
            }
        );
        var plane = computer.FrequencyCount * computer.FrameCount;
        for (var c = 0; c < SpectrogramComputer.Components; c++)
        {
            var rows = Enumerable
                .Range(0, computer.FrequencyCount)
                .Select(f =>
                    Enumerable
                        .Range(0, computer.FrameCount)
                        .Select(t => (double)decibels[c * plane + f * computer.FrameCount + t])
                        .ToArray()
                )
                .ToArray();
            figure.Add(
                new Heatmap
                {
                    Z = rows,
                    X = times,
                    Y = frequencies,
                    ShowScale = c == 0,
                },
                c + 2,
                1
            );
            figure.WithAxisTitles(c == 2 ? "time (s)" : null, "Hz", c + 2, 1);
        }
        return figure.WithSize(900, 1000);
    }

    /// <summary>
    /// The mean network input of each class, channel by channel (normalised and resized as the CNN sees it).
    /// </summary>
    public static Figure ClassMeans(Preset preset, StudyPaths paths)
    {
        using var images = SpectrogramStage.Open(preset, paths);
        return ClassMeans(images);
    }

    /// <summary>The mean image of each class of <paramref name="images"/>, channel by channel.</summary>
    public static Figure ClassMeans(ISpectrogramImages images)
    {
        var figure = Figure.Grid(2, 3, "earthquake E", "earthquake N", "earthquake Z", "noise E", "noise N", "noise Z");
        var plane = images.Height * images.Width;
        foreach (var (label, row) in new[] { (1L, 1), (0L, 2) })
        {
            var indices = Enumerable.Range(0, images.Labels.Count).Where(i => images.Labels[i] == label).ToArray();
            if (indices.Length == 0)
                continue;
            var mean = images.MeanImage(indices);
            for (var c = 0; c < images.Channels; c++)
            {
                var rows = Enumerable
                    .Range(0, images.Height)
                    .Select(y =>
                        Enumerable
                            .Range(0, images.Width)
                            .Select(x => (double)mean[c * plane + y * images.Width + x])
                            .ToArray()
                    )
                    .ToArray();
                figure.Add(new Heatmap { Z = rows, ShowScale = false }, row, c + 1);
            }
        }
        return figure.WithSize(900, 550);
    }

    /// <summary>
    /// The settings as the spectrogram file records them (its keys, so a reader can match them to the file's
    /// attributes).
    /// </summary>
    public static Table SettingsTable(SpectrogramSettings settings) =>
        settings.ToMap().ToTable(("Setting", p => p.Key), ("Value", p => p.Value));

    /// <summary>The images written per split, by class, and the shape of each.</summary>
    public static Table SplitTable(SpectrogramSummary images) =>
        images.Splits.ToTable(
            ("Split", s => s.Split),
            ("Earthquakes", s => s.Earthquakes),
            ("Noise", s => s.Noise),
            ("Images", s => s.Total),
            ("Image shape", _ => string.Join("x", images.ImageShape))
        );
}
