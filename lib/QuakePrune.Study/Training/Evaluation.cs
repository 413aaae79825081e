using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using QuakePrune.Inference;

namespace QuakePrune.Training;

/// <summary>Labels, p(earthquake) and SNR of one split, in data set row order.</summary>
public sealed record SplitPredictions(
    string Split,
    int[] Rows,
    long[] Labels,
    float[] Probabilities,
    float[] SnrDb,
    string[] TraceNames
);

/// <summary>The scores at one decision threshold.</summary>
public sealed record ThresholdMetrics(
    double Threshold,
    double Accuracy,
    double Precision,
    double Recall,
    double F1,
    long[][] ConfusionMatrix,
    IReadOnlyList<SnrBinAccuracy> AccuracyBySnr
)
{
    public static ThresholdMetrics Of(SplitPredictions p, double threshold)
    {
        var c = BinaryMetrics.Confusion(p.Labels, p.Probabilities, threshold);
        return new ThresholdMetrics(
            threshold,
            c.Accuracy,
            c.Precision,
            c.Recall,
            c.F1,
            c.ToArray(),
            BinaryMetrics.AccuracyBySnr(p.Labels, p.Probabilities, p.SnrDb, threshold)
        );
    }
}

/// <summary>
/// What `quakeprune evaluate` writes: metrics at the dev-chosen threshold and at 0.5, ROC AUC and curve.
/// </summary>
public sealed record EvaluationReport(
    string Model,
    string Data,
    string Split,
    int Count,
    int Earthquakes,
    int Noise,
    double RocAuc,
    string ThresholdSource,
    ThresholdMetrics AtChosenThreshold,
    ThresholdMetrics AtHalf,
    IReadOnlyList<RocPoint> RocCurve
)
{
    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    public void Write(string path) => AtomicFile.WriteAllText(path, ToJson() + "\n");

    public override string ToString()
    {
        var c = AtChosenThreshold;
        var text =
            FormattableString.Invariant(
                $"{Split}: {Count} images ({Earthquakes} earthquakes, {Noise} noise); ROC AUC {RocAuc:0.0000}\n"
            )
            + FormattableString.Invariant(
                $"threshold {c.Threshold:0.####} ({ThresholdSource}): accuracy {c.Accuracy:0.0000}, precision {c.Precision:0.0000}, recall {c.Recall:0.0000}, F1 {c.F1:0.0000}\n"
            )
            + FormattableString.Invariant(
                $"threshold 0.5: accuracy {AtHalf.Accuracy:0.0000}, precision {AtHalf.Precision:0.0000}, recall {AtHalf.Recall:0.0000}, F1 {AtHalf.F1:0.0000}\n"
            )
            + FormattableString.Invariant(
                $"confusion (rows true noise/earthquake, columns predicted): [[{c.ConfusionMatrix[0][0]}, {c.ConfusionMatrix[0][1]}], [{c.ConfusionMatrix[1][0]}, {c.ConfusionMatrix[1][1]}]]\n"
            )
            + "earthquakes detected by SNR (dB): "
            + string.Join(
                ", ",
                c.AccuracyBySnr.Select(b =>
                    b.Count == 0
                        ? $"{b.Bin}: -"
                        : FormattableString.Invariant($"{b.Bin}: {b.Accuracy:0.000} ({b.Count})")
                )
            );
        return text;
    }
}

/// <summary>Runs a classifier over data set splits and scores it.</summary>
public static class Evaluation
{
    /// <summary>
    /// p(earthquake) of every image of a split (file order), in batches through <paramref name="classifier"/>.
    /// </summary>
    public static SplitPredictions Predict(
        IBatchClassifier classifier,
        IImageDataSet data,
        string split,
        int batchSize = 64
    )
    {
        var rows = data.IndicesOf(split);
        if (rows.Length == 0)
            throw new InvalidDataException($"{data.Source}: no images in split '{split}'");
        var probabilities = new List<float>(rows.Length);
        foreach (var batch in data.Batches(split, batchSize, false, 0, 0))
            probabilities.AddRange(classifier.ProbabilityOfEarthquake(batch.Images, batch.Count));
        return new SplitPredictions(
            split,
            rows,
            rows.Select(i => data.Labels[i]).ToArray(),
            [.. probabilities],
            rows.Select(i => data.SnrDb[i]).ToArray(),
            rows.Select(i => data.TraceNames[i]).ToArray()
        );
    }

    /// <summary>
    /// Scores <paramref name="split"/>; the decision threshold maximises F1 on the dev split (when it has images), else
    /// it is the model's stored one or 0.5.
    /// </summary>
    public static EvaluationReport Evaluate(
        IBatchClassifier classifier,
        IImageDataSet data,
        string split,
        string modelName,
        double? storedThreshold,
        int batchSize = 64
    )
    {
        var scores = Predict(classifier, data, split, batchSize);
        double threshold;
        string source;
        if (data.IndicesOf(Trainer.DevSplit).Length > 0)
        {
            var dev = split == Trainer.DevSplit ? scores : Predict(classifier, data, Trainer.DevSplit, batchSize);
            threshold = BinaryMetrics.BestF1Threshold(dev.Labels, dev.Probabilities);
            source = "max F1 on dev";
        }
        else if (storedThreshold is { } stored)
        {
            (threshold, source) = (stored, "stored in the model");
        }
        else
            (threshold, source) = (0.5, "default");
        var earthquakes = scores.Labels.Count(l => l == 1);
        return new EvaluationReport(
            modelName,
            data.Source,
            split,
            scores.Labels.Length,
            earthquakes,
            scores.Labels.Length - earthquakes,
            BinaryMetrics.RocAuc(scores.Labels, scores.Probabilities),
            source,
            ThresholdMetrics.Of(scores, threshold),
            ThresholdMetrics.Of(scores, 0.5),
            BinaryMetrics.RocCurve(scores.Labels, scores.Probabilities)
        );
    }

    /// <summary>The decision threshold a checkpoint's notes carry, if any.</summary>
    public static double? StoredThreshold(IReadOnlyDictionary<string, string> notes) =>
        notes.TryGetValue(TrainingNotes.DecisionThreshold, out var text)
        && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var t)
            ? t is >= 0 and <= 1
                ? t
                : throw new InvalidDataException(
                    $"the checkpoint's decision_threshold '{text}' is not a probability in [0, 1]"
                )
            : null;
}
