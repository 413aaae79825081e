using System.Text.Json;
using QuakePrune.Models;
using QuakePrune.Pruning;
using QuakePrune.Retraining;
using QuakePrune.Statistics;

namespace QuakePrune.Tests.Retraining;

public class VariantReportTests
{
    [Fact]
    public void One_row_per_variant_with_cost_size_scores_before_and_after_and_widths_as_CSV_and_JSON()
    {
        using var dir = new TempDir();
        using var data = RetrainFixtures.Data(8);
        var baseline = RetrainFixtures.Checkpoint(dir.File("baseline.safetensors"));
        var p50 = dir.File("p50.safetensors");
        var p90 = dir.File("p90.safetensors");
        CheckpointPruning.Prune(baseline, new PruningOptions(0.5), p50);
        CheckpointPruning.Prune(baseline, new PruningOptions(0.9, PruningScope.Internal), p90);
        var ft = Retrainer.Retrain(
            new RetrainOptions
            {
                Model = p50,
                OutputDirectory = dir.File("p50-ft"),
                Epochs = 1,
                BatchSize = 8,
                Threads = 1,
            },
            data
        );

        var report = VariantReport.Build(
            [
                new VariantSpec("baseline", baseline),
                new VariantSpec("prune50", p50, dir.File("p50-ft")),
                new VariantSpec("prune90-internal", p90),
            ],
            data
        );

        Assert.Equal(["baseline", "prune50", "prune90-internal"], report.Rows.Select(r => r.Variant));
        Assert.Equal("test", report.Split);
        var prune50 = report.Rows[1];
        Assert.Equal(ft.ModelPath, prune50.Retrained);
        var architecture = Checkpoint.ReadInfo(ft.ModelPath).Architecture;
        var cost = ModelCost.Of(architecture, 16, 16);
        Assert.Equal(
            (cost.Params, cost.Macs, "16x16", new FileInfo(ft.ModelPath).Length),
            (prune50.Params, prune50.Macs, prune50.InputSize, prune50.FileBytes)
        );
        Assert.Equal(ft.Before.Test, prune50.Before);
        Assert.Equal(ft.After.Test, prune50.After);
        Assert.Equal(4, prune50.Widths["stem"]);
        Assert.Null(report.Rows[2].After);
        Assert.Equal(new FileInfo(p90).Length, report.Rows[2].FileBytes);
        // Every group's width by unit (the format changed from ResNet stages to the generic units of the description).
        Assert.Equal(
            "stem 8; layer1 1 1; layer1.residual 16; layer2 1 1; layer2.residual 32; head 1",
            report.Rows[2].WidthsText
        );
        Assert.True(report.Rows[0].Params > prune50.Params && report.Rows[0].Params > report.Rows[2].Params);

        var csv = dir.File("report.csv");
        report.Write(csv);
        var lines = File.ReadAllLines(csv);
        Assert.Equal(VariantReport.Header, lines[0]);
        Assert.Equal(4, lines.Length);
        Assert.All(lines, l => Assert.Equal(47, l.Split(',').Length));
        Assert.EndsWith(",stem 8; layer1 1 1; layer1.residual 16; layer2 1 1; layer2.residual 32; head 1", lines[3]);

        using var json = JsonDocument.Parse(File.ReadAllText(dir.File("report.json")));
        var rows = json.RootElement.GetProperty("rows");
        Assert.Equal(3, rows.GetArrayLength());
        foreach (
            var field in new[]
            {
                "variant",
                "params",
                "macs",
                "input_size",
                "file_bytes",
                "before",
                "after",
                "widths",
                "widths_text",
            }
        )
            Assert.True(rows[1].TryGetProperty(field, out _), field);
        Assert.Equal(prune50.After!.F1, rows[1].GetProperty("after").GetProperty("f1").GetDouble());
        Assert.Equal(JsonValueKind.Null, rows[2].GetProperty("after").ValueKind);
        Assert.Empty(Directory.GetFiles(dir.Path, "*.tmp"));
    }

    [Fact]
    public void Scores_carry_intervals_and_each_final_model_is_tested_paired_against_the_baseline_and_its_reference()
    {
        using var dir = new TempDir();
        using var data = RetrainFixtures.Data(8);
        var baseline = RetrainFixtures.Checkpoint(dir.File("baseline.safetensors"));
        var l2 = dir.File("l2.safetensors");
        var random = dir.File("random.safetensors");
        CheckpointPruning.Prune(baseline, new PruningOptions(0.5), l2);
        CheckpointPruning.Prune(
            baseline,
            new PruningOptions(0.5) { Importance = Importances.Named("random", 3) },
            random
        );
        string Retrain(string model, string output, long seed) =>
            Retrainer
                .Retrain(
                    new RetrainOptions
                    {
                        Model = model,
                        OutputDirectory = dir.File(output),
                        Epochs = 1,
                        BatchSize = 8,
                        Threads = 1,
                        Seed = seed,
                    },
                    data
                )
                .ModelPath;

        var report = VariantReport.Build(
            [
                new VariantSpec("baseline", baseline),
                new VariantSpec("prune50", l2, Retrain(l2, "l2-ft", 1)),
                new VariantSpec(
                    "prune50-random",
                    random,
                    Retrain(random, "random-ft", 1),
                    Reference: "prune50",
                    Replicates: [Retrain(random, "random-ft2", 2)]
                ),
            ],
            data,
            new VariantReportOptions { Recalibration = new RecalibrationOptions(2, 8) }
        );

        foreach (var row in report.Rows)
        foreach (
            var (value, interval) in new[]
            {
                (row.Final.Accuracy, row.Final.AccuracyInterval),
                (row.Final.F1, row.Final.F1Interval),
                (row.Before.RocAuc, row.Before.RocAucInterval),
            }
        )
        {
            Assert.NotNull(interval);
            Assert.Equal(value, interval.Estimate!.Value, 12);
            Assert.InRange(value, interval.Lo!.Value, interval.Hi!.Value);
            Assert.Equal(1000, interval.Resamples);
        }
        var (first, control) = (report.Rows[1], report.Rows[2]);
        Assert.Null(report.Rows[0].VersusBaseline);
        Assert.Null(report.Rows[0].Recalibrated);
        Assert.NotNull(first.Recalibrated);
        Assert.NotNull(first.BeforeAtDevThreshold);
        Assert.InRange(first.DevThreshold!.Value, 0, 1);
        Assert.Equal("baseline", first.VersusBaseline!.Against);
        Assert.Null(first.VersusReference);
        Assert.Equal("prune50", control.VersusReference!.Against);

        // McNemar on the final models' per-image decisions, recomputed here from their own predictions.
        bool[] Correct(string model)
        {
            using var loaded = Checkpoint.Load(model);
            return SplitMetrics.Correct(ModelMetrics.Predict(loaded.Model, data, ["test"])["test"]);
        }
        var expected = PairedComparison.McNemar(Correct(control.Retrained!), Correct(first.Retrained!));
        Assert.Equal(
            (expected.B, expected.C, expected.PValue),
            (
                control.VersusReference.OnlyThisRight,
                control.VersusReference.OnlyOtherRight,
                control.VersusReference.PValue
            )
        );
        var versusBaseline = new[] { first.VersusBaseline!.PValue, control.VersusBaseline!.PValue };
        Assert.Equal(
            PairedComparison.Holm(versusBaseline),
            new[] { first.VersusBaseline.PValueHolm, control.VersusBaseline.PValueHolm }
        );
        Assert.Equal(
            control.Final.Accuracy - first.Final.Accuracy,
            control.VersusReference.AccuracyDifference.Estimate!.Value,
            12
        );

        Assert.Equal(2, control.AcrossSeeds!.Seeds);
        Assert.Null(first.AcrossSeeds);

        var csv = dir.File("report.csv");
        report.Write(csv);
        var header = File.ReadLines(csv).First().Split(',');
        var last = File.ReadLines(csv).Last().Split(',');
        string Field(string name) => last[Array.IndexOf(header, name)];
        Assert.Equal("prune50", Field("reference"));
        Assert.Equal("2", Field("seeds"));
        Assert.Equal(
            control.Final.AccuracyInterval!.Lo,
            double.Parse(Field("after_accuracy_lo"), System.Globalization.CultureInfo.InvariantCulture)
        );
        Assert.NotEqual("", Field("recalibrated_accuracy"));
    }

    [Fact]
    public void A_reference_the_report_lacks_is_refused_before_anything_is_scored()
    {
        using var data = RetrainFixtures.Data(8);
        Assert.Contains(
            "'prune50', which the report lacks",
            Assert
                .Throws<ArgumentException>(() =>
                    VariantReport.Build(
                        [
                            new VariantSpec("baseline", "missing.safetensors"),
                            new VariantSpec("prune50-random", "missing.safetensors", Reference: "prune50"),
                        ],
                        data
                    )
                )
                .Message
        );
    }

    [Theory]
    [InlineData("prune50=a.safetensors", "prune50", "a.safetensors", null)]
    [InlineData("prune50=a.safetensors,ft", "prune50", "a.safetensors", "ft")]
    public void Variant_spec_parses_name_model_and_retrained(
        string text,
        string name,
        string model,
        string? retrained
    ) => Assert.Equal(new VariantSpec(name, model, retrained), VariantSpec.Parse(text));

    [Theory]
    [InlineData("a.safetensors")]
    [InlineData("=a.safetensors")]
    [InlineData("p=a,b,c")]
    [InlineData("p=")]
    public void Bad_variant_spec_is_refused_with_its_text(string text) =>
        Assert.Contains(text, Assert.Throws<ArgumentException>(() => VariantSpec.Parse(text)).Message);
}
