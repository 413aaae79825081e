namespace QuakePrune.Statistics;

/// <summary>One test item's counts: a trace or an image can contribute several true positives, false positives and
/// false negatives (a trace's P and S picks, a wrong pick that is both a false positive and a false
/// negative).</summary>
public readonly record struct Tally(int TruePositives, int FalsePositives, int FalseNegatives);

/// <summary>
/// Statistics of a test set as functions of resampled item indices (repeats count again), for
/// <see cref="Bootstrap.Percentile"/> and <see cref="PairedComparison.PairedBootstrap"/>. Each copies its items once
/// and allocates nothing per call. Undefined is null, not 0, as in <c>Picking/PickingMetrics</c>.
/// </summary>
public static class ItemStatistics
{
    /// <summary>F1 = 2 TP / (2 TP + FP + FN) of the counts summed over the indexed items; null when the denominator is
    /// 0 (nothing to find and nothing found).</summary>
    public static Func<ReadOnlySpan<int>, double?> F1(IReadOnlyList<Tally> items)
    {
        ArgumentNullException.ThrowIfNull(items);
        var tallies = items.ToArray();
        foreach (var t in tallies)
            if (t.TruePositives < 0 || t.FalsePositives < 0 || t.FalseNegatives < 0)
                throw new ArgumentException($"F1: negative count in {t}", nameof(items));
        return indices =>
        {
            long truePositives = 0,
                errors = 0;
            foreach (var i in indices)
            {
                truePositives += tallies[i].TruePositives;
                errors += tallies[i].FalsePositives + (long)tallies[i].FalseNegatives;
            }
            var denominator = 2 * truePositives + errors;
            return denominator == 0 ? null : 2.0 * truePositives / denominator;
        };
    }

    /// <summary>Fraction of the indexed items that are correct; null for no item.</summary>
    public static Func<ReadOnlySpan<int>, double?> Accuracy(IReadOnlyList<bool> correct)
    {
        ArgumentNullException.ThrowIfNull(correct);
        var right = correct.ToArray();
        return indices =>
        {
            var count = 0;
            foreach (var i in indices)
                if (right[i])
                    count++;
            return indices.Length == 0 ? null : (double)count / indices.Length;
        };
    }

    /// <summary>
    /// ROC AUC of the indexed items as the Mann-Whitney statistic (ties count one half, as
    /// <c>Training/BinaryMetrics.RocAuc</c>): the chance that an indexed positive (label 1) scores above an indexed
    /// negative; null when a class is absent. The items are sorted once; each call counts how often each item is drawn
    /// and walks the sorted order, O(n).
    /// </summary>
    public static Func<ReadOnlySpan<int>, double?> RocAuc(IReadOnlyList<long> labels, IReadOnlyList<float> scores)
    {
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(scores);
        if (labels.Count != scores.Count)
            throw new ArgumentException($"ROC AUC: {labels.Count} labels but {scores.Count} scores");
        if (labels.Any(l => l is not (0 or 1)))
            throw new ArgumentException("ROC AUC: labels must be 0 or 1", nameof(labels));
        if (scores.Any(s => !float.IsFinite(s)))
            throw new ArgumentException("ROC AUC: scores must be finite", nameof(scores));
        var order = Enumerable.Range(0, labels.Count).OrderBy(i => scores[i]).ToArray();
        // tieGroupEnd[k]: one past the last position of the tie group that starts at k (only read at group starts).
        var tieGroupEnd = new int[order.Length];
        for (var start = 0; start < order.Length; )
        {
            var end = start;
            while (end < order.Length && scores[order[end]] == scores[order[start]])
                end++;
            tieGroupEnd[start] = end;
            start = end;
        }
        var positive = labels.Select(l => l == 1).ToArray();
        var draws = new int[labels.Count];
        return indices =>
        {
            Array.Clear(draws);
            foreach (var i in indices)
                draws[i]++;
            double pairsAbove = 0,
                negativesBelow = 0,
                positives = 0;
            for (var start = 0; start < order.Length; start = tieGroupEnd[start])
            {
                double groupPositives = 0,
                    groupNegatives = 0;
                for (var k = start; k < tieGroupEnd[start]; k++)
                    if (positive[order[k]])
                        groupPositives += draws[order[k]];
                    else
                        groupNegatives += draws[order[k]];
                pairsAbove += groupPositives * (negativesBelow + 0.5 * groupNegatives);
                negativesBelow += groupNegatives;
                positives += groupPositives;
            }
            return positives == 0 || negativesBelow == 0 ? null : pairsAbove / (positives * negativesBelow);
        };
    }

    /// <summary>Mean over the indexed items that have a value, NaN meaning none (an item without a residual, say);
    /// null when no indexed item has one.</summary>
    public static Func<ReadOnlySpan<int>, double?> Mean(IReadOnlyList<double> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        return MeanOf(values.ToArray());
    }

    /// <summary>
    /// Mean over the indexed items that have a value, null meaning none; null when no indexed item has one.
    /// </summary>
    public static Func<ReadOnlySpan<int>, double?> Mean(IReadOnlyList<double?> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        return MeanOf(values.Select(v => v ?? double.NaN).ToArray());
    }

    private static Func<ReadOnlySpan<int>, double?> MeanOf(double[] values)
    {
        if (values.Any(double.IsInfinity))
            throw new ArgumentException("mean: values must be finite (or NaN/null for no value)", nameof(values));
        return indices =>
        {
            var sum = 0.0;
            var count = 0;
            foreach (var i in indices)
            {
                var v = values[i];
                if (double.IsNaN(v))
                    continue;
                sum += v;
                count++;
            }
            return count == 0 ? null : sum / count;
        };
    }
}
