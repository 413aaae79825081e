using System.Text.Json;
using System.Text.Json.Serialization;
using QuakePrune.Inference;
using QuakePrune.Models;
using QuakePrune.Spectrograms;
using QuakePrune.Torch;
using QuakePrune.Training;

namespace QuakePrune.Retraining;

/// <summary>
/// Scores of one split at the model's own decision (argmax, i.e. p(earthquake) at least 0.5), so a pruned model is not
/// flattered by a threshold re-tuned after pruning; ROC AUC is threshold-free.
/// </summary>
public sealed record SplitMetrics(string Split, int Count, double Accuracy, double Precision, double Recall, double F1, double RocAuc)
{
    public const double Threshold = 0.5;

    public static SplitMetrics Of(SplitPredictions predictions)
    {
        var c = BinaryMetrics.Confusion(predictions.Labels, predictions.Probabilities, Threshold);
        return new SplitMetrics(predictions.Split, predictions.Labels.Length, c.Accuracy, c.Precision, c.Recall, c.F1,
            BinaryMetrics.RocAuc(predictions.Labels, predictions.Probabilities));
    }
}

/// <summary>A model's scores on dev and test; a split the data set lacks is null.</summary>
public sealed record ModelMetrics(SplitMetrics? Dev, SplitMetrics? Test)
{
    public const string TestSplit = "test";

    /// <summary>Scores <paramref name="model"/> (eval mode, on the device where it lives, through the fast inference path) on the dev and test splits.</summary>
    public static ModelMetrics Of(Network model, IImageDataSet data, int batchSize = 64)
    {
        using var classifier = Classifier(model, data);
        return new(Score(classifier, data, Trainer.DevSplit, batchSize), Score(classifier, data, TestSplit, batchSize));
    }

    /// <summary>One split's scores; null when the data set has no image in it.</summary>
    public static SplitMetrics? Score(Network model, IImageDataSet data, string split, int batchSize = 64)
    {
        if (data.IndicesOf(split).Length == 0) return null;
        using var classifier = Classifier(model, data);
        return Score(classifier, data, split, batchSize);
    }

    private static SplitMetrics? Score(FastClassifier classifier, IImageDataSet data, string split, int batchSize) =>
        data.IndicesOf(split).Length == 0 ? null : SplitMetrics.Of(Evaluation.Predict(classifier, data, split, batchSize));

    /// <summary>The model prepared once for every split it scores.</summary>
    private static FastClassifier Classifier(Network model, IImageDataSet data)
    {
        if (model.Graph.InChannels != data.Channels)
            throw new InvalidDataException($"{data.Source}: {data.Channels}-channel images, but the model takes {model.Graph.InChannels} channels");
        return new FastClassifier(model, new ImageSize(data.Height, data.Width));
    }
}

/// <summary>JSON settings shared by the stage's files: snake_case, indented, NaN written as a literal (AUC of a one-class split).</summary>
internal static class RetrainingJson
{
    public static readonly JsonSerializerOptions Options = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };
}
