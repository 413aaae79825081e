using System.Text.Json;
using System.Text.Json.Serialization;
using QuakePrune.Inference;
using QuakePrune.Models;
using QuakePrune.Statistics;
using QuakePrune.Torch;
using QuakePrune.Training;

namespace QuakePrune.Retraining;

/// <summary>
/// Scores of one split at the model's own decision (argmax, i.e. p(earthquake) at least 0.5), so a pruned model is not
/// flattered by a threshold re-tuned after pruning; ROC AUC is threshold-free. Each score carries its 95 % percentile
/// bootstrap interval over the split's images (<see cref="Bootstrap"/>, the studies' seed and 1,000 resamples): what
/// the split's size can resolve.
/// </summary>
public sealed record SplitMetrics(
    string Split,
    int Count,
    double Accuracy,
    double Precision,
    double Recall,
    double F1,
    double RocAuc,
    Interval? AccuracyInterval = null,
    Interval? F1Interval = null,
    Interval? RocAucInterval = null
)
{
    public const double Threshold = 0.5;

    public static SplitMetrics Of(SplitPredictions predictions) => At(predictions, Threshold);

    /// <summary>The scores at another decision threshold (a dev-chosen one); ROC AUC does not depend on it.</summary>
    public static SplitMetrics At(SplitPredictions predictions, double threshold)
    {
        var (labels, probabilities) = (predictions.Labels, predictions.Probabilities);
        var c = BinaryMetrics.Confusion(labels, probabilities, threshold);
        var tallies = labels.Select((label, i) => Outcome(label, probabilities[i] >= threshold)).ToArray();
        return new SplitMetrics(
            predictions.Split,
            labels.Length,
            c.Accuracy,
            c.Precision,
            c.Recall,
            c.F1,
            BinaryMetrics.RocAuc(labels, probabilities),
            Bootstrap.Accuracy(Correct(predictions, threshold)),
            Bootstrap.F1(tallies),
            Bootstrap.RocAuc(labels, probabilities)
        );
    }

    /// <summary>
    /// Per image, whether the decision at <paramref name="threshold"/> is right: what paired tests compare.
    /// </summary>
    public static bool[] Correct(SplitPredictions predictions, double threshold = Threshold) =>
        predictions.Labels.Select((label, i) => predictions.Probabilities[i] >= threshold == (label == 1)).ToArray();

    private static Tally Outcome(long label, bool calledEarthquake) =>
        (label == 1, calledEarthquake) switch
        {
            (true, true) => new Tally(1, 0, 0),
            (false, true) => new Tally(0, 1, 0),
            (true, false) => new Tally(0, 0, 1),
            _ => new Tally(0, 0, 0),
        };
}

/// <summary>A model's scores on dev and test; a split the data set lacks is null.</summary>
public sealed record ModelMetrics(SplitMetrics? Dev, SplitMetrics? Test)
{
    public const string TestSplit = "test";

    /// <summary>
    /// Scores <paramref name="model"/> (eval mode, on the device where it lives, through the fast inference path) on
    /// the dev and test splits.
    /// </summary>
    public static ModelMetrics Of(Network model, IImageDataSet data, int batchSize = 64)
    {
        using var classifier = Classifier(model, data);
        return new(Score(classifier, data, Trainer.DevSplit, batchSize), Score(classifier, data, TestSplit, batchSize));
    }

    /// <summary>One split's scores; null when the data set has no image in it.</summary>
    public static SplitMetrics? Score(Network model, IImageDataSet data, string split, int batchSize = 64)
    {
        if (data.IndicesOf(split).Length == 0)
            return null;
        using var classifier = Classifier(model, data);
        return Score(classifier, data, split, batchSize);
    }

    private static SplitMetrics? Score(FastClassifier classifier, IImageDataSet data, string split, int batchSize) =>
        data.IndicesOf(split).Length == 0
            ? null
            : SplitMetrics.Of(Evaluation.Predict(classifier, data, split, batchSize));

    /// <summary>
    /// The model's probabilities on each of <paramref name="splits"/> that has images, the model prepared once for all.
    /// </summary>
    public static IReadOnlyDictionary<string, SplitPredictions> Predict(
        Network model,
        IImageDataSet data,
        IReadOnlyList<string> splits,
        int batchSize = 64
    )
    {
        using var classifier = Classifier(model, data);
        return splits
            .Where(split => data.IndicesOf(split).Length > 0)
            .Distinct()
            .ToDictionary(split => split, split => Evaluation.Predict(classifier, data, split, batchSize));
    }

    /// <summary>The model prepared once for every split it scores.</summary>
    private static FastClassifier Classifier(Network model, IImageDataSet data)
    {
        if (model.Graph.InChannels != data.Channels)
            throw new InvalidDataException(
                $"{data.Source}: {data.Channels}-channel images, but the model takes {model.Graph.InChannels} channels"
            );
        return new FastClassifier(model, new ImageSize(data.Height, data.Width));
    }
}

/// <summary>
/// JSON settings shared by the stage's files: snake_case, indented, NaN written as a literal (AUC of a one-class
/// split).
/// </summary>
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
