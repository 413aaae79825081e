namespace QuakePrune.Statistics;

/// <summary>Percentiles of a sample, as numpy's default (linear interpolation between the closest ranks).</summary>
public static class Percentiles
{
    /// <summary>The <paramref name="percent"/>-th percentile (0..100) of a sorted, non-empty sample.</summary>
    public static double OfSorted(IReadOnlyList<double> sorted, double percent)
    {
        var rank = percent / 100 * (sorted.Count - 1);
        var low = (int)Math.Floor(rank);
        var high = Math.Min(low + 1, sorted.Count - 1);
        return sorted[low] + (rank - low) * (sorted[high] - sorted[low]);
    }
}
