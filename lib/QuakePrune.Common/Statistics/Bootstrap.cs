namespace QuakePrune.Statistics;

/// <summary>How <see cref="Bootstrap"/> resamples. The defaults are the studies' own, so an interval reported once is
/// the interval anyone gets again from the same scores.</summary>
public sealed record BootstrapOptions
{
    /// <summary>The studies' seed.</summary>
    public const ulong DefaultSeed = 20261207;

    /// <summary>Resamples drawn (B).</summary>
    public int Resamples { get; init; } = 1000;

    /// <summary>Coverage of the two-sided interval, in (0, 1): 0.95 gives the 2.5th and 97.5th percentiles.</summary>
    public double Level { get; init; } = 0.95;

    /// <summary>Seed of the project's <see cref="Rng"/> (xoshiro256**, our own code, so its sequence is the same on
    /// every machine and .NET version): same seed and item count, same resamples.</summary>
    public ulong Seed { get; init; } = DefaultSeed;
}

/// <summary>
/// A bootstrap interval. <see cref="Estimate"/> is the statistic on the full test set; <see cref="Lo"/> and
/// <see cref="Hi"/> are percentiles of the statistic over the resamples where it is defined. <see cref="Undefined"/>
/// counts the resamples, of <see cref="Resamples"/>, where it is not (an F1 with nothing to find and nothing found, a
/// mean over no value): they are left out of the percentiles. Each bound is null where nothing defines it.
/// </summary>
public sealed record Interval(double? Estimate, double? Lo, double? Hi, int Resamples, int Undefined);

/// <summary>
/// Percentile bootstrap over test items (Efron): resample the items with replacement, recompute the statistic, and
/// take the (1 - level) / 2 and (1 + level) / 2 percentiles of the recomputed values (linear interpolation between
/// ranks, numpy's default). Items are the unit of resampling (a trace, an image), so a statistic pooled over items,
/// such as F1 from summed counts, keeps the items' correlation.
/// </summary>
public static class Bootstrap
{
    /// <summary>
    /// The interval of <paramref name="statistic"/>, a function of the indices (0 to <paramref name="count"/> - 1) of
    /// one resample, repeats included; null where the statistic is undefined. The estimate is the statistic on the
    /// indices 0 .. count - 1 in order. Each resample draws <paramref name="count"/> indices with replacement from one
    /// seeded <see cref="Rng"/>; the span is reused, so the statistic must not keep it.
    /// </summary>
    public static Interval Percentile(
        int count,
        Func<ReadOnlySpan<int>, double?> statistic,
        BootstrapOptions? options = null
    )
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentNullException.ThrowIfNull(statistic);
        options ??= new BootstrapOptions();
        if (options.Resamples < 1)
            throw new ArgumentOutOfRangeException(
                nameof(options),
                $"bootstrap: {options.Resamples} resamples (at least 1)"
            );
        if (!(options.Level > 0 && options.Level < 1))
            throw new ArgumentOutOfRangeException(
                nameof(options),
                $"bootstrap: level {options.Level} (must lie in (0, 1))"
            );
        var indices = new int[count];
        for (var i = 0; i < count; i++)
            indices[i] = i;
        var estimate = Checked(statistic(indices));
        var rng = new Rng(options.Seed);
        var values = new double[options.Resamples];
        var defined = 0;
        for (var r = 0; r < options.Resamples; r++)
        {
            for (var i = 0; i < count; i++)
                indices[i] = rng.Next(0, count);
            if (Checked(statistic(indices)) is { } value)
                values[defined++] = value;
        }
        var undefined = options.Resamples - defined;
        if (defined == 0)
            return new Interval(estimate, null, null, options.Resamples, undefined);
        Array.Sort(values, 0, defined);
        var sorted = new ArraySegment<double>(values, 0, defined);
        var tail = 100 * (1 - options.Level) / 2;
        return new Interval(
            estimate,
            Percentiles.OfSorted(sorted, tail),
            Percentiles.OfSorted(sorted, 100 - tail),
            options.Resamples,
            undefined
        );
    }

    /// <summary>
    /// F1 = 2 TP / (2 TP + FP + FN) of the counts summed over the resampled items (<see cref="ItemStatistics.F1"/>).
    /// </summary>
    public static Interval F1(IReadOnlyList<Tally> items, BootstrapOptions? options = null) =>
        Percentile(items.Count, ItemStatistics.F1(items), options);

    /// <summary>Fraction of the resampled items that are correct (<see cref="ItemStatistics.Accuracy"/>).</summary>
    public static Interval Accuracy(IReadOnlyList<bool> correct, BootstrapOptions? options = null) =>
        Percentile(correct.Count, ItemStatistics.Accuracy(correct), options);

    /// <summary>
    /// ROC AUC of the resampled items (<see cref="ItemStatistics.RocAuc"/>); undefined where a resample lacks a class.
    /// </summary>
    public static Interval RocAuc(
        IReadOnlyList<long> labels,
        IReadOnlyList<float> scores,
        BootstrapOptions? options = null
    ) => Percentile(labels.Count, ItemStatistics.RocAuc(labels, scores), options);

    /// <summary>
    /// Mean over the resampled items that have a value; NaN is no value
    /// (<see cref="ItemStatistics.Mean(IReadOnlyList{double})"/>).
    /// </summary>
    public static Interval Mean(IReadOnlyList<double> values, BootstrapOptions? options = null) =>
        Percentile(values.Count, ItemStatistics.Mean(values), options);

    /// <summary>
    /// Mean over the resampled items that have a value; null is no value
    /// (<see cref="ItemStatistics.Mean(IReadOnlyList{double?})"/>).
    /// </summary>
    public static Interval Mean(IReadOnlyList<double?> values, BootstrapOptions? options = null) =>
        Percentile(values.Count, ItemStatistics.Mean(values), options);

    private static double? Checked(double? value) =>
        value is double.NaN
            ? throw new InvalidOperationException(
                "bootstrap: the statistic gave NaN; it must give null where it is undefined"
            )
            : value;
}
