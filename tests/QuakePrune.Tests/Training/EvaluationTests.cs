using System.Text.Json;
using QuakePrune.Inference;
using QuakePrune.Training;

namespace QuakePrune.Tests.Training;

public sealed class EvaluationTests
{
    /// <summary>Reads p(earthquake) off each image's first value, so a test sets every score exactly.</summary>
    private sealed class FirstValueClassifier(int imageLength) : IBatchClassifier
    {
        public float[] ProbabilityOfEarthquake(float[] images, int count) =>
            Enumerable.Range(0, count).Select(n => images[n * imageLength]).ToArray();
    }

    /// <summary>1x2x2 images whose first value is the score; SNR for earthquakes.</summary>
    private static InMemoryImageDataSet Scored(
        long[] labels,
        float[] scores,
        string[] splits,
        float[] snr,
        string[]? names = null
    )
    {
        var images = new float[labels.Length * 4];
        for (var i = 0; i < labels.Length; i++)
            images[i * 4] = scores[i];
        return new InMemoryImageDataSet(images, 1, 2, 2, labels, splits, names, snr, source: "scored");
    }

    // Dev: F1 per cut 0.9 -> 1/2, 0.6 -> 2/5, 0.3 -> 2/3, 0.2 -> 6/7 (best), 0.1 -> 3/4, so the threshold is 0.15.
    private static readonly long[] Labels = [1, 0, 1, 1, 0, 1, 0, 1, 0, 1, 0, 0];
    private static readonly float[] Scores =
    [
        0.9f,
        0.6f,
        0.3f,
        0.2f,
        0.1f,
        0.8f,
        0.4f,
        0.35f,
        0.45f,
        0.05f,
        0.6f,
        0.1f,
    ];
    private static readonly string[] Splits =
    [
        "dev",
        "dev",
        "dev",
        "dev",
        "dev",
        "test",
        "test",
        "test",
        "test",
        "test",
        "test",
        "test",
    ];
    private static readonly float[] Snr =
    [
        10,
        float.NaN,
        3,
        15,
        float.NaN,
        25,
        float.NaN,
        7,
        float.NaN,
        -4,
        float.NaN,
        float.NaN,
    ];

    [Fact]
    public void Threshold_is_chosen_on_dev_and_applied_to_test()
    {
        using var data = Scored(Labels, Scores, Splits, Snr);
        var report = Evaluation.Evaluate(
            new FirstValueClassifier(4),
            data,
            "test",
            "m.safetensors",
            storedThreshold: 0.9
        );

        Assert.Equal("max F1 on dev", report.ThresholdSource);
        Assert.Equal(
            BinaryMetrics.BestF1Threshold([1, 0, 1, 1, 0], [0.9f, 0.6f, 0.3f, 0.2f, 0.1f]),
            report.AtChosenThreshold.Threshold
        );
        Assert.Equal(0.15, report.AtChosenThreshold.Threshold, 6);
        Assert.Equal((7, 3, 4), (report.Count, report.Earthquakes, report.Noise));
        // Test at 0.15: TP 0.8, 0.35; FN 0.05; FP 0.4, 0.45, 0.6; TN 0.1.
        Assert.Equal(
            [
                [1L, 3L],
                [1L, 2L],
            ],
            report.AtChosenThreshold.ConfusionMatrix
        );
        Assert.Equal(
            [
                [3L, 1L],
                [2L, 1L],
            ],
            report.AtHalf.ConfusionMatrix
        );
        Assert.Equal(3.0 / 7, report.AtChosenThreshold.Accuracy, 12);
        // Earthquake pairs ranked above noise: 0.8 beats 4, 0.35 beats 1 (0.1), 0.05 beats none: 5 of 12.
        Assert.Equal(5.0 / 12, report.RocAuc, 12);
    }

    [Fact]
    public void Without_dev_the_stored_threshold_then_one_half_decides()
    {
        string[] testOnly = [.. Splits.Select(_ => "test")];
        using var data = Scored(Labels, Scores, testOnly, Snr);
        var stored = Evaluation.Evaluate(new FirstValueClassifier(4), data, "test", "m", storedThreshold: 0.32);
        Assert.Equal(("stored in the model", 0.32), (stored.ThresholdSource, stored.AtChosenThreshold.Threshold));
        var none = Evaluation.Evaluate(new FirstValueClassifier(4), data, "test", "m", storedThreshold: null);
        Assert.Equal(("default", 0.5), (none.ThresholdSource, none.AtChosenThreshold.Threshold));
        Assert.Throws<InvalidDataException>(() =>
            Evaluation.Evaluate(new FirstValueClassifier(4), data, "dev", "m", null)
        );
    }

    [Fact]
    public void Snr_bins_report_the_detected_fraction_of_test_earthquakes()
    {
        using var data = Scored(Labels, Scores, Splits, Snr);
        var bins = Evaluation
            .Evaluate(new FirstValueClassifier(4), data, "test", "m", null)
            .AtChosenThreshold.AccuracyBySnr;
        // Test earthquakes: SNR 25 (0.8, found), 7 (0.35, found), -4 (0.05, missed).
        Assert.Equal([1, 0, 1, 0, 1, 0], bins.Select(b => b.Count));
        Assert.Equal([0, 0, 1, 0, 1, 0], bins.Select(b => b.Correct));
        Assert.True(double.IsNaN(bins[1].Accuracy));
    }

    [Fact]
    public void Json_report_has_every_field()
    {
        using var dir = new TempDir();
        using var data = Scored(Labels, Scores, Splits, Snr);
        var report = Evaluation.Evaluate(new FirstValueClassifier(4), data, "test", "m.safetensors", null);
        var path = dir.File("metrics.json");
        report.Write(path);

        using var json = JsonDocument.Parse(File.ReadAllText(path));
        var root = json.RootElement;
        Assert.Equal(
            [
                "model",
                "data",
                "split",
                "count",
                "earthquakes",
                "noise",
                "roc_auc",
                "threshold_source",
                "at_chosen_threshold",
                "at_half",
                "roc_curve",
            ],
            root.EnumerateObject().Select(p => p.Name)
        );
        foreach (var name in new[] { "at_chosen_threshold", "at_half" })
        {
            var metrics = root.GetProperty(name);
            Assert.Equal(
                ["threshold", "accuracy", "precision", "recall", "f1", "confusion_matrix", "accuracy_by_snr"],
                metrics.EnumerateObject().Select(p => p.Name)
            );
            Assert.Equal(6, metrics.GetProperty("accuracy_by_snr").GetArrayLength());
            Assert.Equal(
                ["bin", "low_db", "high_db", "count", "correct", "accuracy"],
                metrics.GetProperty("accuracy_by_snr")[0].EnumerateObject().Select(p => p.Name)
            );
        }
        Assert.Equal("test", root.GetProperty("split").GetString());
        Assert.Equal(7, root.GetProperty("count").GetInt32());
        Assert.Equal(report.RocAuc, root.GetProperty("roc_auc").GetDouble());
        Assert.Equal(
            ["false_positive_rate", "true_positive_rate", "threshold"],
            root.GetProperty("roc_curve")[1].EnumerateObject().Select(p => p.Name)
        );
        Assert.Contains("threshold 0.15 (max F1 on dev)", report.ToString());
    }

    [Fact]
    public void Predictions_csv_has_the_four_columns_in_file_order()
    {
        using var dir = new TempDir();
        string[] names = [.. Labels.Select((_, i) => i == 3 ? "odd,\"name\"" : $"t{i}")];
        using var data = Scored(Labels, Scores, Splits, Snr, names);
        var rows = Prediction.FromDataSet(new FirstValueClassifier(4), data, null, 0.4, batchSize: 5);
        var path = dir.File("predictions.csv");
        Prediction.WriteCsv(path, rows);

        var lines = File.ReadAllLines(path);
        Assert.Equal("trace_name,label,p_earthquake,split", lines[0]);
        Assert.Equal(13, lines.Length);
        Assert.Equal("t0,1,0.9,dev", lines[1]);
        Assert.Equal("\"odd,\"\"name\"\"\",0,0.2,dev", lines[4]);
        Assert.Equal("t6,1,0.4,test", lines[7]);
        Assert.Equal(
            ["t5", "t6", "t7"],
            Prediction.FromDataSet(new FirstValueClassifier(4), data, "test", 0.5).Take(3).Select(r => r.TraceName)
        );
    }
}
