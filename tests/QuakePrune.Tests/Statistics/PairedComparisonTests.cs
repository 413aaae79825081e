using System.Numerics;
using QuakePrune.Statistics;

namespace QuakePrune.Tests.Statistics;

public class PairedComparisonTests
{
    [Theory]
    [InlineData(10, 2, 0.03857421875)] // 2 (1 + 12 + 66) / 4096 (R: binom.test(2, 12)$p.value = 0.03857)
    [InlineData(2, 10, 0.03857421875)]
    [InlineData(5, 0, 0.0625)]
    [InlineData(7, 7, 1.0)]
    [InlineData(0, 0, 1.0)]
    [InlineData(3, 4, 1.0)]
    public void Exact_McNemar_p_values_are_known_ones(int b, int c, double p) =>
        Assert.Equal(p, PairedComparison.McNemarExactP(b, c), 12);

    [Theory]
    [InlineData(1500, 1400)]
    [InlineData(2000, 1000)]
    [InlineData(1000, 10)]
    [InlineData(2500, 2450)]
    public void Exact_McNemar_p_values_hold_for_thousands_of_discordant_items(int b, int c)
    {
        // Reference from exact integers: 2 sum_{k <= min} C(n, k) / 2^n.
        var n = b + c;
        BigInteger choose = 1,
            tail = 1;
        for (var k = 1; k <= Math.Min(b, c); k++)
        {
            choose = choose * (n - k + 1) / k;
            tail += choose;
        }
        var expected = Math.Min(1, 2 * Math.Exp(BigInteger.Log(tail) - n * Math.Log(2)));
        var actual = PairedComparison.McNemarExactP(b, c);
        Assert.True(expected > 0, "the reference itself underflowed");
        Assert.Equal(1, actual / expected, 9);
    }

    [Fact]
    public void McNemar_counts_the_discordant_items()
    {
        bool[] a = [true, true, true, false, false, true, false, true];
        bool[] b = [true, false, false, true, false, false, false, true];
        // only A right: items 1, 2, 5; only B right: item 3
        Assert.Equal(new McNemarResult(3, 1, 0.625), PairedComparison.McNemar(a, b));
        Assert.Equal(new McNemarResult(1, 3, 0.625), PairedComparison.McNemar(b, a));
        Assert.Throws<ArgumentException>(() => PairedComparison.McNemar(a, b[1..]));
    }

    [Fact]
    public void Holm_matches_a_hand_computed_example()
    {
        // Sorted: 0.005 (x4 = 0.02), 0.01 (x3 = 0.03), 0.03 (x2 = 0.06), 0.04 (x1 = 0.04, raised to 0.06 to stay
        // monotone).
        var adjusted = PairedComparison.Holm([0.01, 0.04, 0.03, 0.005]);
        Assert.Equal([0.03, 0.06, 0.06, 0.02], adjusted.Select(p => Math.Round(p, 12)));
        // Capped at 1; ties get the same value; nothing in, nothing out.
        Assert.Equal([1.0, 0.8, 1.0, 0.8], PairedComparison.Holm([0.5, 0.2, 0.9, 0.2]).Select(p => Math.Round(p, 12)));
        Assert.Empty(PairedComparison.Holm([]));
        Assert.Throws<ArgumentException>(() => PairedComparison.Holm([0.1, 1.5]));
        Assert.Throws<ArgumentException>(() => PairedComparison.Holm([double.NaN]));
    }

    [Fact]
    public void Paired_bootstrap_uses_the_same_items_for_both_models()
    {
        // B is A plus 1 on every item: on shared resamples the difference is exactly -1, however much each mean varies.
        var rng = new Rng(5);
        var a = Enumerable.Range(0, 300).Select(_ => rng.Gaussian() * 10).ToArray();
        var b = a.Select(v => v + 1).ToArray();
        var interval = PairedComparison.PairedBootstrap(a.Length, ItemStatistics.Mean(a), ItemStatistics.Mean(b));
        Assert.Equal(-1, interval.Estimate!.Value, 9);
        Assert.Equal(-1, interval.Lo!.Value, 9);
        Assert.Equal(-1, interval.Hi!.Value, 9);
        var alone = Bootstrap.Mean(a);
        Assert.True(alone.Hi - alone.Lo > 1, "each model's own interval is wide");
    }

    [Fact]
    public void F1_difference_is_estimated_on_the_full_set_and_excludes_zero_when_one_model_is_clearly_better()
    {
        var rng = new Rng(8);
        var a = new Tally[2000];
        var b = new Tally[2000];
        for (var i = 0; i < a.Length; i++)
        {
            var hard = rng.Chance(0.2);
            a[i] = hard ? new Tally(0, 0, 1) : new Tally(1, 0, 0);
            b[i] = hard || rng.Chance(0.1) ? new Tally(0, 1, 1) : new Tally(1, 0, 0);
        }
        var difference = PairedComparison.F1Difference(a, b);
        Assert.Equal(Bootstrap.F1(a).Estimate!.Value - Bootstrap.F1(b).Estimate!.Value, difference.Estimate!.Value, 12);
        Assert.True(difference.Lo > 0, $"{difference}");
        Assert.Equal(difference, PairedComparison.F1Difference(a, b));
        Assert.Equal(new Interval(0, 0, 0, 1000, 0), PairedComparison.F1Difference(a, a));
    }

    [Fact]
    public void Accuracy_difference_and_undefined_pairs()
    {
        bool[] a = [true, true, true, true, false, true, true, true, true, true];
        bool[] b = [true, false, true, true, false, true, false, true, true, true];
        var difference = PairedComparison.AccuracyDifference(a, b);
        Assert.Equal(0.2, difference.Estimate!.Value, 12);
        Assert.InRange(difference.Lo!.Value, 0, 0.2);
        // A resample is undefined when either side is: B's F1 has nothing to count unless item 0 is drawn.
        var tallies = Enumerable.Range(0, 20).Select(i => new Tally(1, 0, 0)).ToArray();
        var sparse = Enumerable.Range(0, 20).Select(i => i == 0 ? new Tally(1, 0, 0) : default).ToArray();
        var paired = PairedComparison.F1Difference(tallies, sparse);
        Assert.Equal(Bootstrap.F1(sparse).Undefined, paired.Undefined);
        Assert.Throws<ArgumentException>(() => PairedComparison.AccuracyDifference(a, b[..9]));
    }
}
