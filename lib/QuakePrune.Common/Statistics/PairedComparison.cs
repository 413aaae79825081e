namespace QuakePrune.Statistics;

/// <summary>McNemar's test of two models on the same items: <see cref="B"/> items only A gets right, <see cref="C"/>
/// items only B gets right, and the exact two-sided p-value of B against C (items both get right or both get wrong say
/// nothing about which is better).</summary>
public sealed record McNemarResult(int B, int C, double PValue);

/// <summary>
/// Two models scored on the same test items. Pairing is the point: both are judged on the same items (the same
/// resamples, the same discordant pairs), so the item-to-item variation they share cancels out of the comparison.
/// </summary>
public static class PairedComparison
{
    /// <summary>McNemar's test on per-item correctness, A against B (<see cref="McNemarExactP"/>).</summary>
    public static McNemarResult McNemar(IReadOnlyList<bool> aCorrect, IReadOnlyList<bool> bCorrect)
    {
        SameItems(aCorrect, bCorrect);
        int b = 0,
            c = 0;
        for (var i = 0; i < aCorrect.Count; i++)
        {
            if (aCorrect[i] && !bCorrect[i])
                b++;
            else if (!aCorrect[i] && bCorrect[i])
                c++;
        }
        return new McNemarResult(b, c, McNemarExactP(b, c));
    }

    /// <summary>
    /// Exact (binomial) McNemar p-value, two-sided: under the null hypothesis each of the n = b + c discordant items
    /// favours A or B with probability 1/2, and p = min(1, 2 P(X &lt;= min(b, c))) for X ~ Binomial(n, 1/2). The tail
    /// is summed as C(n, k) 2^-n (1 + C(n, k - 1) / C(n, k) + ...), k = min(b, c), with C(n, k) 2^-n taken in log space
    /// and the ratios all at most 1, so n in the thousands neither overflows nor loses digits (a p below ~1e-308
    /// is 0). No discordant item gives 1.
    /// </summary>
    public static double McNemarExactP(int b, int c)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(b);
        ArgumentOutOfRangeException.ThrowIfNegative(c);
        var n = b + c;
        var k = Math.Min(b, c);
        var logChoose = 0.0;
        for (var j = 1; j <= k; j++)
            logChoose += Math.Log(n - j + 1) - Math.Log(j);
        double sum = 1,
            ratio = 1;
        for (var j = k; j >= 1; j--)
        {
            ratio *= j / (double)(n - j + 1);
            sum += ratio;
        }
        return Math.Min(1, 2 * Math.Exp(logChoose - n * Math.Log(2) + Math.Log(sum)));
    }

    /// <summary>
    /// Percentile bootstrap (<see cref="Bootstrap.Percentile"/>) of statistic(A) - statistic(B), both evaluated on the
    /// same resampled indices of the <paramref name="count"/> shared items. A resample where either is undefined is
    /// undefined. An interval that excludes 0 says the difference is larger than the test set's sampling noise.
    /// </summary>
    public static Interval PairedBootstrap(
        int count,
        Func<ReadOnlySpan<int>, double?> statisticA,
        Func<ReadOnlySpan<int>, double?> statisticB,
        BootstrapOptions? options = null
    )
    {
        ArgumentNullException.ThrowIfNull(statisticA);
        ArgumentNullException.ThrowIfNull(statisticB);
        return Bootstrap.Percentile(
            count,
            indices => statisticA(indices) is { } a && statisticB(indices) is { } b ? a - b : null,
            options
        );
    }

    /// <summary>F1(A) - F1(B) over the same resampled items (<see cref="ItemStatistics.F1"/>).</summary>
    public static Interval F1Difference(
        IReadOnlyList<Tally> a,
        IReadOnlyList<Tally> b,
        BootstrapOptions? options = null
    )
    {
        SameItems(a, b);
        return PairedBootstrap(a.Count, ItemStatistics.F1(a), ItemStatistics.F1(b), options);
    }

    /// <summary>
    /// Accuracy(A) - accuracy(B) over the same resampled items (<see cref="ItemStatistics.Accuracy"/>).
    /// </summary>
    public static Interval AccuracyDifference(
        IReadOnlyList<bool> aCorrect,
        IReadOnlyList<bool> bCorrect,
        BootstrapOptions? options = null
    )
    {
        SameItems(aCorrect, bCorrect);
        return PairedBootstrap(
            aCorrect.Count,
            ItemStatistics.Accuracy(aCorrect),
            ItemStatistics.Accuracy(bCorrect),
            options
        );
    }

    /// <summary>
    /// Holm's step-down adjustment (Holm-Bonferroni), controlling the family-wise error rate over m tests without
    /// assuming independence: with the p-values sorted ascending, p(1) &lt;= ... &lt;= p(m), the adjusted p(i) = max
    /// over j &lt;= i of min(1, (m - j + 1) p(j)). Returned in the input order; reject where adjusted &lt;= alpha.
    /// </summary>
    public static double[] Holm(IReadOnlyList<double> pValues)
    {
        ArgumentNullException.ThrowIfNull(pValues);
        if (pValues.Any(p => !(p >= 0 && p <= 1)))
            throw new ArgumentException("Holm: p-values must lie in [0, 1]", nameof(pValues));
        var m = pValues.Count;
        var adjusted = new double[m];
        var running = 0.0;
        var rank = 0;
        foreach (var i in Enumerable.Range(0, m).OrderBy(i => pValues[i]))
        {
            running = Math.Max(running, Math.Min(1, (m - rank) * pValues[i]));
            adjusted[i] = running;
            rank++;
        }
        return adjusted;
    }

    private static void SameItems<T>(IReadOnlyList<T> a, IReadOnlyList<T> b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        if (a.Count != b.Count)
            throw new ArgumentException(
                $"paired comparison: {a.Count} items for A but {b.Count} for B; both must be scored on the same items"
            );
    }
}
