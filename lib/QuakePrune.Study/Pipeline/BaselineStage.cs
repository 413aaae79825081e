using QuakePrune.Models;
using QuakePrune.Training;

namespace QuakePrune.Pipeline;

/// <summary>Stage 03: a ResNet50 trained on the spectrogram images, then scored on the held-out test split.</summary>
public static class BaselineStage
{
    /// <summary>
    /// The trainer's settings for the preset: SGD with momentum, warm-up then cosine, best dev F1 kept.
    /// </summary>
    public static TrainOptions Options(Preset preset, StudyPaths paths) =>
        new()
        {
            Data = SpectrogramStage.Images(preset, paths),
            Spectrogram = preset.SpectrogramsOnTheFly ? SpectrogramStage.Settings(preset) : null,
            OutputDirectory = paths.Baseline,
            Hidden = preset.Hidden,
            Epochs = preset.Epochs,
            BatchSize = preset.BatchSize,
            LearningRate = preset.LearningRate,
            Seed = (long)preset.Seed,
            Device = preset.Device,
        };

    /// <summary>
    /// Trains from scratch: a previous baseline of this run is replaced, so a rerun gives the same numbers.
    /// </summary>
    public static TrainResult Train(Preset preset, StudyPaths paths, Action<EpochRecord>? onEpoch = null)
    {
        if (Directory.Exists(paths.Baseline))
            Directory.Delete(paths.Baseline, recursive: true);
        return Trainer.Train(Options(preset, paths) with { OnEpoch = onEpoch });
    }

    /// <summary>
    /// Scores the baseline on the test split (threshold chosen on dev) and writes metrics.json beside it.
    /// </summary>
    public static EvaluationReport Evaluate(Preset preset, StudyPaths paths)
    {
        var report = ModelEvaluation.Evaluate(paths.BaselineModel, SpectrogramStage.Images(preset, paths), "test");
        report.Write(paths.BaselineMetrics);
        return report;
    }
}
