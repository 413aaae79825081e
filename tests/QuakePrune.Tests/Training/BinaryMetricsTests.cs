using QuakePrune.Training;

namespace QuakePrune.Tests.Training;

/// <summary>Metrics against values worked out by hand with sklearn's definitions.</summary>
public sealed class BinaryMetricsTests
{
    private static readonly long[] Labels = [1, 1, 1, 0, 0, 0, 1, 0];
    private static readonly float[] Scores = [0.9f, 0.8f, 0.4f, 0.4f, 0.3f, 0.7f, 0.2f, 0.1f];

    [Fact]
    public void Confusion_precision_recall_f1_at_a_half()
    {
        var c = BinaryMetrics.Confusion(Labels, Scores, 0.5);
        Assert.Equal(new ConfusionMatrix(TruePositives: 2, FalsePositives: 1, TrueNegatives: 3, FalseNegatives: 2), c);
        Assert.Equal(
            [
                [3L, 1L],
                [2L, 2L],
            ],
            c.ToArray()
        );
        Assert.Equal(2.0 / 3, c.Precision, 12);
        Assert.Equal(0.5, c.Recall, 12);
        Assert.Equal(4.0 / 7, c.F1, 12);
        Assert.Equal(5.0 / 8, c.Accuracy, 12);
    }

    [Fact]
    public void A_score_equal_to_the_threshold_is_positive_and_nothing_positive_scores_zero()
    {
        Assert.Equal(3, BinaryMetrics.Confusion(Labels, Scores, 0.4).TruePositives);
        var none = BinaryMetrics.Confusion(Labels, Scores, 2);
        Assert.Equal((0.0, 0.0, 0.0), (none.Precision, none.Recall, none.F1));
    }

    [Fact]
    public void Auc_counts_ties_as_one_half()
    {
        // Positive-negative pairs ordered correctly: 4 + 4 + (2 + one tie at 0.4) + 1 = 11.5 of 16.
        Assert.Equal(11.5 / 16, BinaryMetrics.RocAuc(Labels, Scores), 12);
        Assert.Equal(0.5, BinaryMetrics.RocAuc([1, 0, 1, 0], [0.3f, 0.3f, 0.3f, 0.3f]), 12);
        Assert.Equal(1.0, BinaryMetrics.RocAuc([0, 1], [0.1f, 0.2f]), 12);
        Assert.True(double.IsNaN(BinaryMetrics.RocAuc([1, 1], [0.1f, 0.2f])));
    }

    [Fact]
    public void Roc_curve_has_a_point_per_distinct_score()
    {
        var curve = BinaryMetrics.RocCurve(Labels, Scores);
        Assert.Equal([0, 0, 0, 0.25, 0.5, 0.75, 0.75, 1], curve.Select(p => p.FalsePositiveRate));
        Assert.Equal([0, 0.25, 0.5, 0.5, 0.75, 0.75, 1, 1], curve.Select(p => p.TruePositiveRate));
        Assert.True(double.IsPositiveInfinity(curve[0].Threshold));
        Assert.Equal(0.4f, (float)curve[4].Threshold);
    }

    [Fact]
    public void Threshold_maximises_f1_at_the_middle_of_its_gap()
    {
        // F1 per cut: 0.9 -> 0.4, 0.8 -> 2/3, 0.7 -> 4/7, 0.4 -> 2/3, 0.3 -> 0.6, 0.2 -> 8/11 (best), 0.1 -> 2/3.
        Assert.Equal((0.2 + 0.1) / 2, BinaryMetrics.BestF1Threshold(Labels, Scores), 6);
        // Equal F1 (2/3) at the cuts 0.8 and 0.4: the higher one wins.
        Assert.Equal(
            (0.8 + 0.5) / 2,
            BinaryMetrics.BestF1Threshold([1, 1, 0, 0, 0, 0, 1, 1], [0.9f, 0.8f, 0.5f, 0.5f, 0.5f, 0.5f, 0.4f, 0.4f]),
            6
        );
        // Calling everything positive is best: the cut falls below the lowest score.
        Assert.Equal(0.15, BinaryMetrics.BestF1Threshold([1, 1], [0.3f, 0.6f]), 6);
        Assert.Equal(0.5, BinaryMetrics.BestF1Threshold([0, 0], [0.3f, 0.6f]));
    }

    [Fact]
    public void Snr_bins_count_earthquakes_only()
    {
        long[] labels = [1, 1, 1, 1, 1, 1, 1, 1, 1, 0];
        float[] snr = [-3, 0, 4.9f, 5, 12, 25, 40, 55, float.NaN, float.NaN];
        float[] scores = [0.1f, 0.9f, 0.2f, 0.9f, 0.9f, 0.9f, 0.3f, 0.9f, 0.9f, 0.9f];
        var bins = BinaryMetrics.AccuracyBySnr(labels, scores, snr, 0.5);
        Assert.Equal(["<0", "0-5", "5-10", "10-20", "20-40", ">=40"], bins.Select(b => b.Bin));
        Assert.Equal([1, 2, 1, 1, 1, 2], bins.Select(b => b.Count));
        Assert.Equal([0, 1, 1, 1, 1, 1], bins.Select(b => b.Correct));
        Assert.Equal(0.5, bins[5].Accuracy);
    }

    [Fact]
    public void Bad_inputs_are_named()
    {
        Assert.Contains(
            "2 labels but 1 scores",
            Assert.Throws<ArgumentException>(() => BinaryMetrics.RocAuc([0, 1], [0.5f])).Message
        );
        Assert.Contains(
            "label 2 at row 1",
            Assert.Throws<ArgumentException>(() => BinaryMetrics.Confusion([0, 2], [0.5f, 0.5f], 0.5)).Message
        );
        Assert.Contains(
            "row 0 is NaN",
            Assert.Throws<ArgumentException>(() => BinaryMetrics.RocCurve([0], [float.NaN])).Message
        );
    }

    [Fact]
    public void Schedule_warms_up_linearly_then_follows_a_cosine_to_the_floor()
    {
        var schedule = new LearningRateSchedule(Peak: 0.1, Min: 0.01, WarmupSteps: 4, TotalSteps: 14);
        Assert.Equal(
            [0.025, 0.05, 0.075, 0.1],
            Enumerable.Range(0, 4).Select(schedule.At).Select(v => Math.Round(v, 12))
        );
        Assert.Equal(0.1, schedule.At(4), 12);
        Assert.Equal(0.01 + 0.09 * (1 + Math.Cos(Math.PI * 4 / 9)) / 2, schedule.At(8), 12);
        Assert.Equal(0.01, schedule.At(13), 12);
    }

    [Fact]
    public void Schedule_holds_the_peak_until_its_decay_steps()
    {
        var schedule = new LearningRateSchedule(Peak: 0.1, Min: 0, WarmupSteps: 0, TotalSteps: 10, DecaySteps: 3);
        Assert.All(Enumerable.Range(0, 7), step => Assert.Equal(0.1, schedule.At(step), 12));
        Assert.Equal([0.1, 0.05, 0], Enumerable.Range(7, 3).Select(schedule.At).Select(v => Math.Round(v, 12)));
        Assert.Equal(0.1, new LearningRateSchedule(0.1, 0, 2, 10, DecaySteps: 50).At(2), 12);
    }
}
