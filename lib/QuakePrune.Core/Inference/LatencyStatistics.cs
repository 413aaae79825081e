using QuakePrune.Statistics;

namespace QuakePrune.Inference;

/// <summary>
/// Summary of timed runs in milliseconds. Percentiles interpolate linearly (numpy's default); std is the population std
/// (numpy's ddof=0).
/// </summary>
public sealed record LatencyStatistics(
    int Runs,
    double MedianMs,
    double P90Ms,
    double P99Ms,
    double MeanMs,
    double StdMs,
    double MinMs
)
{
    public static LatencyStatistics Of(IReadOnlyCollection<double> milliseconds)
    {
        if (milliseconds.Count == 0)
            throw new ArgumentException("no timed runs to summarise");
        if (milliseconds.Any(m => !double.IsFinite(m) || m < 0))
            throw new ArgumentException("timed runs must be finite and non-negative");
        var sorted = milliseconds.Order().ToArray();
        var mean = sorted.Average();
        var std = Math.Sqrt(sorted.Sum(m => (m - mean) * (m - mean)) / sorted.Length);
        return new LatencyStatistics(
            sorted.Length,
            Percentiles.OfSorted(sorted, 50),
            Percentiles.OfSorted(sorted, 90),
            Percentiles.OfSorted(sorted, 99),
            mean,
            std,
            sorted[0]
        );
    }
}
