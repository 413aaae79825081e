namespace QuakePrune.Training;

/// <summary>
/// Counts of a binary decision (positive = earthquake = label 1), with the scores sklearn would give.
/// </summary>
public sealed record ConfusionMatrix(long TruePositives, long FalsePositives, long TrueNegatives, long FalseNegatives)
{
    public long Count => TruePositives + FalsePositives + TrueNegatives + FalseNegatives;
    public long Positives => TruePositives + FalseNegatives;
    public long Negatives => TrueNegatives + FalsePositives;

    /// <summary>
    /// sklearn's convention: 0 when nothing is predicted positive (zero_division=0), likewise recall and F1.
    /// </summary>
    public double Precision => Ratio(TruePositives, TruePositives + FalsePositives);
    public double Recall => Ratio(TruePositives, TruePositives + FalseNegatives);
    public double F1 => Ratio(2 * TruePositives, 2 * TruePositives + FalsePositives + FalseNegatives);
    public double Accuracy => Ratio(TruePositives + TrueNegatives, Count);

    /// <summary>
    /// Rows true class (noise, earthquake), columns predicted class, as sklearn.metrics.confusion_matrix with labels
    /// [0, 1].
    /// </summary>
    public long[][] ToArray() =>
        [
            [TrueNegatives, FalsePositives],
            [FalseNegatives, TruePositives],
        ];

    private static double Ratio(long numerator, long denominator) =>
        denominator == 0 ? 0 : (double)numerator / denominator;
}

/// <summary>
/// One point of a ROC curve: the rates when everything scoring at least <see cref="Threshold"/> is called positive.
/// </summary>
public sealed record RocPoint(double FalsePositiveRate, double TruePositiveRate, double Threshold);

/// <summary>Accuracy of one SNR bin (earthquakes only: the fraction detected).</summary>
public sealed record SnrBinAccuracy(string Bin, double LowDb, double HighDb, int Count, int Correct)
{
    public double Accuracy => Count == 0 ? double.NaN : (double)Correct / Count;
}

/// <summary>
/// Binary classification metrics over labels (1 = earthquake, 0 = noise) and scores p(earthquake), written to follow
/// sklearn's definitions: a sample is called positive when its score is at least the threshold.
/// </summary>
public static class BinaryMetrics
{
    /// <summary>SNR bin edges in dB: (-inf, 0), [0, 5), [5, 10), [10, 20), [20, 40), [40, inf).</summary>
    public static IReadOnlyList<double> SnrEdgesDb { get; } = [0, 5, 10, 20, 40];

    public static ConfusionMatrix Confusion(IReadOnlyList<long> labels, IReadOnlyList<float> scores, double threshold)
    {
        Check(labels, scores);
        long tp = 0,
            fp = 0,
            tn = 0,
            fn = 0;
        for (var i = 0; i < labels.Count; i++)
        {
            var positive = scores[i] >= threshold;
            if (labels[i] == 1)
            {
                if (positive)
                    tp++;
                else
                    fn++;
            }
            else if (positive)
                fp++;
            else
                tn++;
        }
        return new ConfusionMatrix(tp, fp, tn, fn);
    }

    /// <summary>
    /// Area under the ROC curve as the Mann-Whitney statistic: the chance that a random earthquake scores above a
    /// random noise trace, ties counting one half (equal to sklearn's roc_auc_score). NaN when a class is absent.
    /// </summary>
    public static double RocAuc(IReadOnlyList<long> labels, IReadOnlyList<float> scores)
    {
        Check(labels, scores);
        var order = Enumerable.Range(0, labels.Count).OrderBy(i => scores[i]).ToArray();
        double positiveRankSum = 0;
        long positives = 0;
        for (var start = 0; start < order.Length; )
        {
            var end = start;
            while (end < order.Length && scores[order[end]] == scores[order[start]])
                end++;
            // Ranks start..end-1 (0-based) are tied: each gets their average, 1-based.
            var averageRank = (start + 1 + end) / 2.0;
            for (var k = start; k < end; k++)
                if (labels[order[k]] == 1)
                {
                    positiveRankSum += averageRank;
                    positives++;
                }
            start = end;
        }
        var negatives = labels.Count - positives;
        if (positives == 0 || negatives == 0)
            return double.NaN;
        return (positiveRankSum - positives * (positives + 1) / 2.0) / ((double)positives * negatives);
    }

    /// <summary>
    /// ROC curve at every distinct score, highest first, starting at (0, 0) with threshold +infinity (sklearn's
    /// roc_curve with drop_intermediate=False). Rates are 0 for an absent class.
    /// </summary>
    public static IReadOnlyList<RocPoint> RocCurve(IReadOnlyList<long> labels, IReadOnlyList<float> scores)
    {
        Check(labels, scores);
        var order = Enumerable.Range(0, labels.Count).OrderByDescending(i => scores[i]).ToArray();
        long positives = labels.Count(l => l == 1),
            negatives = labels.Count - positives;
        var points = new List<RocPoint> { new(0, 0, double.PositiveInfinity) };
        long tp = 0,
            fp = 0;
        for (var start = 0; start < order.Length; )
        {
            var score = scores[order[start]];
            var end = start;
            for (; end < order.Length && scores[order[end]] == score; end++)
                if (labels[order[end]] == 1)
                    tp++;
                else
                    fp++;
            points.Add(
                new RocPoint(
                    negatives == 0 ? 0 : (double)fp / negatives,
                    positives == 0 ? 0 : (double)tp / positives,
                    score
                )
            );
            start = end;
        }
        return points;
    }

    /// <summary>
    /// The threshold maximising F1. Candidates cut between consecutive distinct scores; the chosen threshold is the
    /// midpoint of its gap (0 below the lowest score), so a little drift of new scores does not flip decisions. On
    /// equal F1 the higher threshold wins. Returns 0.5 when there is no earthquake to find.
    /// </summary>
    public static double BestF1Threshold(IReadOnlyList<long> labels, IReadOnlyList<float> scores)
    {
        Check(labels, scores);
        long positives = labels.Count(l => l == 1);
        if (positives == 0)
            return 0.5;
        var distinct = scores.Distinct().OrderByDescending(s => s).ToArray();
        var order = Enumerable.Range(0, labels.Count).OrderByDescending(i => scores[i]).ToArray();
        long tp = 0,
            fp = 0;
        var (bestF1, bestIndex) = (-1.0, 0);
        var k = 0;
        for (var d = 0; d < distinct.Length; d++)
        {
            for (; k < order.Length && scores[order[k]] == distinct[d]; k++)
                if (labels[order[k]] == 1)
                    tp++;
                else
                    fp++;
            var f1 = 2.0 * tp / (2 * tp + fp + (positives - tp));
            if (f1 > bestF1)
                (bestF1, bestIndex) = (f1, d);
        }
        var lower = bestIndex + 1 < distinct.Length ? distinct[bestIndex + 1] : 0f;
        return ((double)distinct[bestIndex] + lower) / 2;
    }

    /// <summary>
    /// Earthquakes binned by SNR (dB; NaN ones skipped): how many, and how many scored at least the threshold.
    /// </summary>
    public static IReadOnlyList<SnrBinAccuracy> AccuracyBySnr(
        IReadOnlyList<long> labels,
        IReadOnlyList<float> scores,
        IReadOnlyList<float> snrDb,
        double threshold
    )
    {
        Check(labels, scores);
        if (snrDb.Count != labels.Count)
            throw new ArgumentException($"metrics: {snrDb.Count} SNR values for {labels.Count} labels", nameof(snrDb));
        var edges = SnrEdgesDb;
        var bins = edges.Count + 1;
        var counts = new int[bins];
        var correct = new int[bins];
        for (var i = 0; i < labels.Count; i++)
        {
            if (labels[i] != 1 || !float.IsFinite(snrDb[i]))
                continue;
            var bin = 0;
            while (bin < edges.Count && snrDb[i] >= edges[bin])
                bin++;
            counts[bin]++;
            if (scores[i] >= threshold)
                correct[bin]++;
        }
        var result = new List<SnrBinAccuracy>(bins);
        for (var b = 0; b < bins; b++)
        {
            var low = b == 0 ? double.NegativeInfinity : edges[b - 1];
            var high = b == edges.Count ? double.PositiveInfinity : edges[b];
            var name =
                b == 0 ? FormattableString.Invariant($"<{high:0.##}")
                : b == edges.Count ? FormattableString.Invariant($">={low:0.##}")
                : FormattableString.Invariant($"{low:0.##}-{high:0.##}");
            result.Add(new SnrBinAccuracy(name, low, high, counts[b], correct[b]));
        }
        return result;
    }

    private static void Check(IReadOnlyList<long> labels, IReadOnlyList<float> scores)
    {
        if (labels.Count != scores.Count)
            throw new ArgumentException($"metrics: {labels.Count} labels but {scores.Count} scores");
        for (var i = 0; i < labels.Count; i++)
        {
            if (labels[i] is not (0 or 1))
                throw new ArgumentException(
                    $"metrics: label {labels[i]} at row {i} is neither 0 (noise) nor 1 (earthquake)"
                );
            if (float.IsNaN(scores[i]))
                throw new ArgumentException($"metrics: score at row {i} is NaN");
        }
    }
}
