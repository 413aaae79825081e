using QuakePrune.Statistics;

namespace QuakePrune.Tests.Statistics;

public class BootstrapTests
{
    private static bool[] Correct(int right, int total) => Enumerable.Range(0, total).Select(i => i < right).ToArray();

    [Fact]
    public void Same_seed_same_interval_other_seed_other_interval()
    {
        var values = Enumerable.Range(0, 200).Select(i => (double)(i * 37 % 101)).ToArray();
        var first = Bootstrap.Mean(values);
        Assert.Equal(first, Bootstrap.Mean(values));
        Assert.Equal(first, Bootstrap.Mean(values, new BootstrapOptions { Seed = BootstrapOptions.DefaultSeed }));
        Assert.NotEqual(first, Bootstrap.Mean(values, new BootstrapOptions { Seed = 7 }));
    }

    [Fact]
    public void Interval_of_a_seed_is_pinned()
    {
        // The generator is the project's own xoshiro256** and the inputs are integers (sums exact): these bounds must
        // not move with the machine or the .NET version.
        var interval = Bootstrap.Accuracy(Correct(900, 1000));
        Assert.Equal(
            new Interval(0.9, 0.881, 0.917, 1000, 0),
            interval with
            {
                Lo = Math.Round(interval.Lo!.Value, 12),
                Hi = Math.Round(interval.Hi!.Value, 12),
            }
        );
        var mean = Bootstrap.Mean(Enumerable.Range(0, 200).Select(i => (double)(i * 37 % 101)).ToArray());
        Assert.Equal((50.045, 46.0, 53.945375), (mean.Estimate!.Value, mean.Lo!.Value, mean.Hi!.Value));
    }

    [Fact]
    public void Accuracy_of_900_in_1000_matches_the_normal_approximation()
    {
        var interval = Bootstrap.Accuracy(Correct(900, 1000));
        var halfWidth = 1.959964 * Math.Sqrt(0.9 * 0.1 / 1000);
        Assert.Equal(0.9, interval.Estimate);
        Assert.Equal(0.9 - halfWidth, interval.Lo!.Value, 0.004);
        Assert.Equal(0.9 + halfWidth, interval.Hi!.Value, 0.004);
        Assert.Equal((1000, 0), (interval.Resamples, interval.Undefined));
    }

    [Fact]
    public void Accuracy_percentiles_are_the_exact_binomial_quantiles()
    {
        // Resampling n items of which k are right draws Binomial(n, k/n) right ones: the bootstrap distribution of the
        // accuracy is known in closed form, so with many resamples its 2.5th and 97.5th percentiles are the binomial's
        // quantiles over n.
        const int n = 243,
            k = 229;
        var interval = Bootstrap.Accuracy(Correct(k, n), new BootstrapOptions { Resamples = 40_000 });
        double Quantile(double q)
        {
            double p = (double)k / n,
                cumulative = 0;
            for (var x = 0; x <= n; x++)
            {
                cumulative += Math.Exp(LogChoose(n, x) + x * Math.Log(p) + (n - x) * Math.Log(1 - p));
                if (cumulative >= q)
                    return (double)x / n;
            }
            return 1;
        }
        Assert.Equal(Quantile(0.025), interval.Lo!.Value, 1.0 / n);
        Assert.Equal(Quantile(0.975), interval.Hi!.Value, 1.0 / n);
    }

    static double LogChoose(int n, int k) => Enumerable.Range(1, k).Sum(j => Math.Log(n - k + j) - Math.Log(j));

    [Fact]
    public void Roc_auc_estimate_is_the_mann_whitney_statistic_and_a_resample_without_a_class_is_undefined()
    {
        long[] labels = [0, 0, 1, 1, 0, 1, 1, 0];
        float[] scores = [0.1f, 0.4f, 0.35f, 0.8f, 0.4f, 0.4f, 0.9f, 0.2f];
        var interval = Bootstrap.RocAuc(labels, scores);
        Assert.Equal(QuakePrune.Training.BinaryMetrics.RocAuc(labels, scores), interval.Estimate!.Value, 12);
        // Pairs (positive above negative, ties one half): 0.35 beats 0.1, 0.2; 0.4 beats 0.1, 0.2 and ties 0.4 twice;
        // 0.8 and 0.9 beat all four.
        Assert.Equal((2 + 3 + 4 + 4) / 16.0, interval.Estimate.Value, 12);
        Assert.InRange(interval.Undefined, 1, 20); // about 2 x 0.5^8 x 1000 resamples draw one class only
        Assert.True(interval.Lo < interval.Estimate && interval.Estimate < interval.Hi);
        var repeated = QuakePrune.Statistics.ItemStatistics.RocAuc(labels, scores);
        Assert.Equal(1.0, repeated([3, 3, 0, 7])); // repeats count again: 0.8 twice above 0.1 and 0.2
        Assert.Null(repeated([2, 3]));
    }

    [Fact]
    public void Level_sets_the_percentiles()
    {
        var correct = Correct(900, 1000);
        var wide = Bootstrap.Accuracy(correct, new BootstrapOptions { Level = 0.99 });
        var narrow = Bootstrap.Accuracy(correct, new BootstrapOptions { Level = 0.5 });
        var halfWidth = 0.674490 * Math.Sqrt(0.9 * 0.1 / 1000);
        Assert.Equal(0.9 - halfWidth, narrow.Lo!.Value, 0.003);
        Assert.Equal(0.9 + halfWidth, narrow.Hi!.Value, 0.003);
        Assert.True(wide.Lo < narrow.Lo && wide.Hi > narrow.Hi);
    }

    [Fact]
    public void Intervals_contain_their_estimates()
    {
        var rng = new Rng(3);
        var tallies = Enumerable
            .Range(0, 500)
            .Select(_ => new Tally(rng.Next(0, 3), rng.Next(0, 2), rng.Next(0, 2)))
            .ToArray();
        var values = Enumerable.Range(0, 500).Select(_ => rng.Gaussian()).ToArray();
        foreach (
            var interval in new[] { Bootstrap.F1(tallies), Bootstrap.Mean(values), Bootstrap.Accuracy(Correct(37, 50)) }
        )
            Assert.InRange(interval.Estimate!.Value, interval.Lo!.Value, interval.Hi!.Value);
    }

    [Fact]
    public void F1_estimate_is_the_formula_on_the_summed_counts()
    {
        Tally[] tallies = [new(2, 0, 1), new(0, 1, 0), new(1, 1, 1), new(0, 0, 0), new(3, 0, 0), new(0, 0, 2)];
        // TP 6, FP 2, FN 4: 2 * 6 / (12 + 2 + 4)
        var interval = Bootstrap.F1(tallies);
        Assert.Equal(12.0 / 18, interval.Estimate!.Value, 15);
        Assert.Equal(12.0 / 18, ItemStatistics.F1(tallies)([0, 1, 2, 3, 4, 5])!.Value, 15);
        // Repeats count again: item 0 twice and item 5 once, TP 4, FP 0, FN 4.
        Assert.Equal(8.0 / 12, ItemStatistics.F1(tallies)([0, 0, 5])!.Value, 15);
        Assert.Null(ItemStatistics.F1(tallies)([3, 3]));
    }

    [Fact]
    public void Undefined_resamples_are_counted_and_left_out()
    {
        // Defined only when item 0 is drawn: missing it has probability (19/20)^20, about 0.358.
        var nulls = 0;
        var interval = Bootstrap.Percentile(20, indices =>
        {
            if (indices.Contains(0))
                return indices.Length;
            nulls++;
            return null;
        });
        Assert.Equal(nulls, interval.Undefined);
        Assert.InRange(interval.Undefined, 300, 420);
        Assert.Equal((20.0, 20.0, 20.0), (interval.Estimate, interval.Lo, interval.Hi));
    }

    [Fact]
    public void F1_with_one_positive_item_is_undefined_where_the_item_is_missed()
    {
        var tallies = Enumerable.Range(0, 20).Select(i => i == 0 ? new Tally(1, 0, 0) : default).ToArray();
        var interval = Bootstrap.F1(tallies);
        Assert.InRange(interval.Undefined, 300, 420);
        Assert.Equal((1.0, 1.0, 1.0), (interval.Estimate, interval.Lo, interval.Hi));
    }

    [Fact]
    public void Nothing_defined_gives_null_bounds()
    {
        var interval = Bootstrap.F1(new Tally[10], new BootstrapOptions { Resamples = 50 });
        Assert.Equal(new Interval(null, null, null, 50, 50), interval);
        Assert.Equal(
            new Interval(null, null, null, 50, 50),
            Bootstrap.Accuracy([], new BootstrapOptions { Resamples = 50 })
        );
    }

    [Fact]
    public void Mean_skips_items_without_a_value()
    {
        double[] values = [1, double.NaN, 3, double.NaN, 5];
        double?[] nullable = [1, null, 3, null, 5];
        Assert.Equal(3.0, Bootstrap.Mean(values).Estimate);
        Assert.Equal(Bootstrap.Mean(values), Bootstrap.Mean(nullable));
        Assert.Equal(2.0, ItemStatistics.Mean(values)([0, 1, 2, 3])!.Value);
        Assert.Null(ItemStatistics.Mean(values)([1, 3, 3]));
        var interval = Bootstrap.Mean(values);
        Assert.True(interval.Undefined > 0, "some resamples draw only the two items without a value");
        Assert.InRange(interval.Lo!.Value, 1, 3);
        Assert.InRange(interval.Hi!.Value, 3, 5);
    }

    [Fact]
    public void Thousands_of_items_resample_with_sane_bounds()
    {
        // Five thousand traces with P and S each: 1000 resamples of the summed counts (no timing asserted here).
        var rng = new Rng(11);
        var tallies = Enumerable
            .Range(0, 5000)
            .Select(_ =>
            {
                int tp = 0,
                    fp = 0,
                    fn = 0;
                for (var phase = 0; phase < 2; phase++)
                {
                    if (rng.Chance(0.9))
                        tp++;
                    else if (rng.Chance(0.5))
                    {
                        fp++;
                        fn++;
                    }
                    else
                        fn++;
                }
                return new Tally(tp, fp, fn);
            })
            .ToArray();
        var interval = Bootstrap.F1(tallies);
        Assert.Equal(0, interval.Undefined);
        Assert.InRange(interval.Hi!.Value - interval.Lo!.Value, 0.005, 0.02);
        Assert.InRange(interval.Estimate!.Value, interval.Lo.Value, interval.Hi.Value);
    }

    [Fact]
    public void Bad_options_and_statistics_are_refused()
    {
        bool[] correct = [true, false];
        Assert.Throws<ArgumentOutOfRangeException>(() =>
            Bootstrap.Accuracy(correct, new BootstrapOptions { Resamples = 0 })
        );
        Assert.Throws<ArgumentOutOfRangeException>(() =>
            Bootstrap.Accuracy(correct, new BootstrapOptions { Level = 1 })
        );
        Assert.Throws<ArgumentOutOfRangeException>(() =>
            Bootstrap.Accuracy(correct, new BootstrapOptions { Level = double.NaN })
        );
        Assert.Throws<InvalidOperationException>(() => Bootstrap.Percentile(3, _ => double.NaN));
        Assert.Throws<ArgumentException>(() => Bootstrap.F1([new Tally(1, -1, 0)]));
        Assert.Throws<ArgumentException>(() => Bootstrap.Mean([1.0, double.PositiveInfinity]));
    }
}
