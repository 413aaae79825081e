using System.Diagnostics;
using System.Text.Json;
using QuakePrune.Spectrograms;

namespace QuakePrune.Pipeline;

/// <summary>
/// Stage 02: every trace of the subset becomes a 3-channel spectrogram image, in one HDF5 file; or, where the preset
/// computes them on the fly (<see cref="Preset.SpectrogramsOnTheFly"/>), the subset is checked and the images' settings
/// and counts are recorded, and the later stages compute the images from the subset as they read them.
/// </summary>
public static class SpectrogramStage
{
    /// <summary>
    /// The study's spectrogram settings: scipy conventions, standard preprocessing, z-score, the preset's image size.
    /// </summary>
    public static SpectrogramSettings Settings(Preset preset) => new() { Size = preset.ImageSize };

    public static SpectrogramSummary Run(Preset preset, StudyPaths paths) =>
        preset.SpectrogramsOnTheFly
            ? RecordOnTheFly(preset, paths)
            : SpectrogramFile.Write(
                new SpectrogramJob
                {
                    Subset = paths.Subset,
                    OutputPath = paths.Spectrograms,
                    Settings = Settings(preset),
                    Overwrite = true,
                }
            );

    /// <summary>
    /// Where the stages after 02 read their images: spectrograms.h5, or the subset folder, whose images are computed on
    /// the fly with the preset's settings (training) or with those the model records (scoring).
    /// </summary>
    public static string Images(Preset preset, StudyPaths paths) =>
        preset.SpectrogramsOnTheFly ? paths.Subset : paths.Spectrograms;

    /// <summary>
    /// The study's images as stage 02 made them: the file, or the subset computed on the fly with the preset's
    /// settings.
    /// </summary>
    public static ISpectrogramImages Open(Preset preset, StudyPaths paths) =>
        preset.SpectrogramsOnTheFly
            ? SubsetSpectrograms.Open(paths.Subset, Settings(preset), Environment.ProcessorCount)
            : SpectrogramFile.Open(paths.Spectrograms);

    /// <summary>
    /// Opens the subset as the later stages will (which checks its files, columns and the settings) and writes
    /// spectrograms.json: the settings as the file's attributes would hold them, and the images per split and class.
    /// </summary>
    private static SpectrogramSummary RecordOnTheFly(Preset preset, StudyPaths paths)
    {
        var clock = Stopwatch.StartNew();
        var settings = Settings(preset);
        using var images = SubsetSpectrograms.Open(paths.Subset, settings, Environment.ProcessorCount);
        var counts = images.SplitCounts();
        var record = new Dictionary<string, object>
        {
            ["subset"] = paths.Subset,
            ["on_the_fly"] = true,
            ["count"] = images.Count,
            ["settings"] = settings.ToMap(),
            ["splits"] = counts.ToDictionary(
                c => c.Split,
                c => new Dictionary<string, int> { ["earthquake"] = c.Earthquakes, ["noise"] = c.Noise }
            ),
        };
        AtomicFile.WriteAllText(
            paths.SpectrogramSettings,
            JsonSerializer.Serialize(record, new JsonSerializerOptions { WriteIndented = true }) + "\n"
        );
        return new SpectrogramSummary
        {
            OutputPath = paths.SpectrogramSettings,
            Count = images.Count,
            ImageShape = [images.Channels, images.Height, images.Width],
            DType = settings.DType,
            Splits = counts,
            SkippedNonFinite = [],
            Threads = images.Threads,
            Seconds = clock.Elapsed.TotalSeconds,
            OnTheFly = true,
        };
    }
}
