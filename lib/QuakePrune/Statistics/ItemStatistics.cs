namespace QuakePrune.Statistics;

/// <summary>One test item's counts: a trace or an image can contribute several true positives, false positives and
/// false negatives (a trace's P and S picks, a wrong pick that is both a false positive and a false negative).</summary>
public readonly record struct Tally(int TruePositives, int FalsePositives, int FalseNegatives);

/// <summary>
/// Statistics of a test set as functions of resampled item indices (repeats count again), for
/// <see cref="Bootstrap.Percentile"/> and <see cref="PairedComparison.PairedBootstrap"/>. Each copies its items once and
/// allocates nothing per call. Undefined is null, not 0, as in <c>Picking/PickingMetrics</c>.
/// </summary>
public static class ItemStatistics
{
    /// <summary>F1 = 2 TP / (2 TP + FP + FN) of the counts summed over the indexed items; null when the denominator is 0
    /// (nothing to find and nothing found).</summary>
    public static Func<ReadOnlySpan<int>, double?> F1(IReadOnlyList<Tally> items)
    {
        ArgumentNullException.ThrowIfNull(items);
        var tallies = items.ToArray();
        foreach (var t in tallies)
            if (t.TruePositives < 0 || t.FalsePositives < 0 || t.FalseNegatives < 0)
                throw new ArgumentException($"F1: negative count in {t}", nameof(items));
        return indices =>
        {
            long truePositives = 0, errors = 0;
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
                if (right[i]) count++;
            return indices.Length == 0 ? null : (double)count / indices.Length;
        };
    }

    /// <summary>Mean over the indexed items that have a value, NaN meaning none (an item without a residual, say);
    /// null when no indexed item has one.</summary>
    public static Func<ReadOnlySpan<int>, double?> Mean(IReadOnlyList<double> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        return MeanOf(values.ToArray());
    }

    /// <summary>Mean over the indexed items that have a value, null meaning none; null when no indexed item has one.</summary>
    public static Func<ReadOnlySpan<int>, double?> Mean(IReadOnlyList<double?> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        return MeanOf(values.Select(v => v ?? double.NaN).ToArray());
    }

    private static Func<ReadOnlySpan<int>, double?> MeanOf(double[] values)
    {
        if (values.Any(double.IsInfinity)) throw new ArgumentException("mean: values must be finite (or NaN/null for no value)", nameof(values));
        return indices =>
        {
            var sum = 0.0;
            var count = 0;
            foreach (var i in indices)
            {
                var v = values[i];
                if (double.IsNaN(v)) continue;
                sum += v;
                count++;
            }
            return count == 0 ? null : sum / count;
        };
    }
}
