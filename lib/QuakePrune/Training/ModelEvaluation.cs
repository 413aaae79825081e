using QuakePrune.Models;

namespace QuakePrune.Training;

/// <summary>A checkpoint file scored on a spectrogram file: what `quakeprune evaluate` and the notebooks run.</summary>
public static class ModelEvaluation
{
    public static EvaluationReport Evaluate(string modelPath, string dataPath, string split, int batchSize = 64)
    {
        using var loaded = Checkpoint.Load(modelPath);
        using var data = ImageDataSets.Open(dataPath);
        var size = loaded.Info.InputSize;
        if (data.Height != size.Height || data.Width != size.Width || data.Channels != loaded.Model.Architecture.InChannels)
            throw new InvalidDataException(
                $"{dataPath}: images are {data.Channels}x{data.Height}x{data.Width} but {modelPath} takes {loaded.Model.Architecture.InChannels}x{size.Height}x{size.Width}");
        using var classifier = new Latency.FastClassifier(loaded.Model, size);
        return Evaluation.Evaluate(classifier, data, split, Path.GetFileName(modelPath), Evaluation.StoredThreshold(loaded.Info.Notes), batchSize);
    }
}
