using QuakePrune.Inference;
using QuakePrune.Models;

namespace QuakePrune.Training;

/// <summary>
/// A checkpoint scored on a spectrogram file through the prepared inference path: `quakeprune evaluate` and the
/// notebooks.
/// </summary>
public static class ModelEvaluation
{
    /// <summary>
    /// Scores a spectrogram file, or a subset folder computed on the fly with the model's spectrogram settings.
    /// </summary>
    public static EvaluationReport Evaluate(string modelPath, string dataPath, string split, int batchSize = 64)
    {
        using var loaded = Checkpoint.Load(modelPath);
        using var data = ImageDataSets.OpenFor(dataPath, loaded.Info);
        return Evaluate(loaded, data, split, Path.GetFileName(modelPath), batchSize);
    }

    /// <summary>
    /// Scores <paramref name="split"/> with the threshold chosen on dev (else the one the checkpoint stores).
    /// </summary>
    public static EvaluationReport Evaluate(
        LoadedModel loaded,
        IImageDataSet data,
        string split,
        string modelName,
        int batchSize = 64
    )
    {
        RequireInput(loaded, data);
        using var classifier = new FastClassifier(loaded.Model, loaded.Info.InputSize);
        return Evaluation.Evaluate(
            classifier,
            data,
            split,
            modelName,
            Evaluation.StoredThreshold(loaded.Info.Notes),
            batchSize
        );
    }

    /// <summary>Refuses images of another shape than the model's input, naming both.</summary>
    public static void RequireInput(LoadedModel model, IImageDataSet data)
    {
        var (channels, size) = (model.Model.Graph.InChannels, model.Info.InputSize);
        if (data.Channels != channels || data.Height != size.Height || data.Width != size.Width)
            throw new InvalidDataException(
                $"{data.Source}: images are {data.Channels}x{data.Height}x{data.Width} but the model takes {channels}x{size}"
            );
    }
}
