using QuakePrune.Spectrograms;

namespace QuakePrune.Pipeline;

/// <summary>Stage 02: every trace of the subset becomes a 3-channel spectrogram image, in one HDF5 file.</summary>
public static class SpectrogramStage
{
    /// <summary>The study's spectrogram settings: scipy conventions, standard preprocessing, z-score, the preset's image size.</summary>
    public static SpectrogramSettings Settings(Preset preset) => new() { Size = preset.ImageSize };

    public static SpectrogramSummary Run(Preset preset, StudyPaths paths) =>
        SpectrogramFile.Write(
            new SpectrogramJob
            {
                Subset = paths.Subset,
                OutputPath = paths.Spectrograms,
                Settings = Settings(preset),
                Overwrite = true,
            }
        );
}
