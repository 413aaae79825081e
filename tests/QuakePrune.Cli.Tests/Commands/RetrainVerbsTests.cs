using System.Text.Json;
using QuakePrune.Models;

namespace QuakePrune.Cli.Tests.Commands;

/// <summary>
/// retrain, sensitivity and report, run in-process on a small synthetic spectrogram file and a tiny ResNet.
/// </summary>
public sealed class RetrainVerbsTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("quakeprune-cli-").FullName;

    public void Dispose() => Directory.Delete(dir, true);

    private string Path(string name) => System.IO.Path.Combine(dir, name);

    private string Spectrograms()
    {
        Assert.Equal(0, CliRunner.Run("synth", "--out", Path("syn"), "--traces", "60", "--seed", "3").Code);
        Assert.Equal(
            0,
            CliRunner.Run("extract", "--input", Path("syn"), "--out", Path("subset"), "--per-class", "20").Code
        );
        var run = CliRunner.Run(
            "spectrogram",
            "--subset",
            Path("subset"),
            "--out",
            Path("spec.h5"),
            "--size",
            "32x32",
            "--threads",
            "1"
        );
        Assert.True(run.Code == 0, run.Err);
        return Path("spec.h5");
    }

    private string Baseline()
    {
        var architecture = ResNetArchitecture.Custom(
            ResNetBlock.Bottleneck,
            8,
            [
                new ResNetStage(
                    16,
                    [
                        [8, 8],
                    ]
                ),
                new ResNetStage(
                    32,
                    [
                        [8, 8],
                    ]
                ),
            ],
            hidden: 10
        );
        using var model = new Network(architecture);
        var path = Path("baseline.safetensors");
        Checkpoint.Save(
            model,
            new ModelInfo(architecture, new ImageSize(32, 32), new Dictionary<string, string>()),
            path
        );
        return path;
    }

    [Fact]
    public void Retrain_prunes_step_by_step_then_sensitivity_and_report_tabulate_the_variants()
    {
        var data = Spectrograms();
        var baseline = Baseline();

        var retrain = CliRunner.Run(
            "retrain",
            "--model",
            baseline,
            "--data",
            data,
            "--out",
            Path("iter"),
            "--ratio",
            "0.5",
            "--steps",
            "2",
            "--epochs",
            "1",
            "--batch",
            "8",
            "--threads",
            "1"
        );
        Assert.True(retrain.Code == 0, retrain.Err);
        Assert.Contains("learning rate 0.001 (default", retrain.Out);
        Assert.Contains("step 1/2: keep 0.707", retrain.Out);
        Assert.Contains("step 2/2: keep 0.5", retrain.Out);
        Assert.True(File.Exists(Path("iter/step1/pruned.safetensors")));
        Assert.Equal(4, Checkpoint.ReadInfo(Path("iter/model.safetensors")).Architecture.Widths["conv1"]);
        using (var summary = JsonDocument.Parse(File.ReadAllText(Path("iter/retrain.json"))))
        {
            Assert.Equal(2, summary.RootElement.GetProperty("steps").GetArrayLength());
            foreach (var when in new[] { "before", "after" })
            foreach (var split in new[] { "dev", "test" })
                Assert.True(
                    summary.RootElement.GetProperty(when).GetProperty(split).GetProperty("accuracy").GetDouble()
                        is >= 0
                            and <= 1
                );
        }

        var sensitivity = CliRunner.Run(
            "sensitivity",
            "--model",
            baseline,
            "--data",
            data,
            "--ratios",
            "0.5,0.9",
            "--scope",
            "full",
            "--out",
            Path("sensitivity.csv"),
            "--threads",
            "1"
        );
        Assert.True(sensitivity.Code == 0, sensitivity.Err);
        var lines = File.ReadAllLines(Path("sensitivity.csv"));
        // Header, the reference row, then stem, layer1, layer1.residual, layer2, layer2.residual, head at two ratios.
        Assert.Equal(2 + 6 * 2, lines.Length);
        Assert.StartsWith("none,0,", lines[1]);

        var prune = CliRunner.Run(
            "prune",
            "--model",
            baseline,
            "--ratio",
            "0.9",
            "--scope",
            "internal",
            "--out",
            Path("p90i.safetensors")
        );
        Assert.True(prune.Code == 0, prune.Err);
        var report = CliRunner.Run(
            "report",
            "--baseline",
            baseline,
            "--data",
            data,
            "--out",
            Path("report.csv"),
            "--threads",
            "1",
            "--recalibrate-bn",
            "2",
            "--variant",
            $"prune50={Path("iter/step2/pruned.safetensors")},{Path("iter")}",
            "--variant",
            $"prune90-internal={Path("p90i.safetensors")}"
        );
        Assert.True(report.Code == 0, report.Err);
        var rows = File.ReadAllLines(Path("report.csv"));
        Assert.Equal(4, rows.Length);
        Assert.StartsWith("baseline,", rows[1]);
        Assert.StartsWith("prune50,", rows[2]);
        Assert.True(File.Exists(Path("report.json")));
        // Intervals, the recalibrated scores and McNemar's test against the baseline, for every variant but the
        // baseline.
        var header = rows[0].Split(',');
        string Field(int row, string name) => rows[row].Split(',')[Array.IndexOf(header, name)];
        Assert.All(new[] { 2, 3 }, row =>
            Assert.NotEqual("", Field(row, "recalibrated_accuracy") + Field(row, "p_vs_baseline"))
        );
        Assert.Equal(("", ""), (Field(1, "recalibrated_accuracy"), Field(1, "p_vs_baseline")));
        Assert.NotEqual("", Field(1, "before_accuracy_lo"));
        Assert.Contains(" [", report.Out);
    }

    [Theory]
    [InlineData("retrain", "--steps", "2", "--steps needs --ratio")]
    [InlineData("retrain", "--scope", "everything", "--scope must be one of internal, full")]
    [InlineData("retrain", "--importance", "random", "retrain: --importance shapes pruning and needs --ratio")]
    [InlineData("retrain", "--round-to", "8", "retrain: --round-to shapes pruning and needs --ratio")]
    [InlineData("retrain", "--group-reduction", "max", "retrain: --group-reduction shapes pruning and needs --ratio")]
    [InlineData(
        "retrain",
        "--group-reduction",
        "median",
        "--group-reduction must be one of sum, mean, max, got 'median'"
    )]
    [InlineData("sensitivity", "--ratios", "0.5,x", "--ratios: 'x' is not a number")]
    [InlineData("sensitivity", "--ratios", "0.5,1", "pruning ratio must be in [0, 1)")]
    [InlineData("report", "--variant", "prune50", "variant 'prune50' is not NAME=MODEL")]
    [InlineData("report", "--recalibrate-bn", "-1", "--recalibrate-bn must be 0 (off) or a number of batches, got -1")]
    public void Bad_options_give_one_clear_line(string verb, string option, string value, string expected)
    {
        var baseline = Baseline();
        var run = CliRunner.Run(
            verb,
            verb == "report" ? "--baseline" : "--model",
            baseline,
            "--data",
            Path("missing.h5"),
            "--out",
            Path("out"),
            option,
            value
        );
        Assert.Equal(1, run.Code);
        Assert.Contains(expected, run.Err);
        Assert.False(File.Exists(Path("out")) || Directory.Exists(Path("out")));
    }

    [Fact]
    public void Missing_data_file_is_named()
    {
        var run = CliRunner.Run("retrain", "--model", Baseline(), "--data", Path("missing.h5"), "--out", Path("out"));
        Assert.Equal(1, run.Code);
        Assert.Contains("missing.h5", run.Err);
    }
}
