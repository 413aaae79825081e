using System.Text.Json;
using QuakePrune.Models;
using QuakePrune.Picking;

namespace QuakePrune.Cli.Tests.Commands;

/// <summary>
/// train --arch eqt-lite, pick, evaluate and bench for a waveform picker, run in-process on a small synthetic subset.
/// </summary>
public sealed class PickingVerbsTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("quakeprune-cli-picking-").FullName;

    public void Dispose() => Directory.Delete(dir, true);

    private string File(string name) => Path.Combine(dir, name);

    private static void Ok((int Code, string Out, string Err) run) => Assert.True(run.Code == 0, run.Err + run.Out);

    /// <summary>synth -> extract: 24 traces (about 19 train, 2 dev, 3 test).</summary>
    private string MakeSubset()
    {
        Ok(CliRunner.Run("synth", "--out", File("syn"), "--traces", "30", "--seed", "7"));
        Ok(CliRunner.Run("extract", "--input", File("syn"), "--out", File("subset"), "--per-class", "12"));
        return File("subset");
    }

    private string[] Train(string subset, string run, params string[] extra) =>
        [
            "train",
            "--arch",
            "eqt-lite",
            "--data",
            subset,
            "--out",
            run,
            "--epochs",
            "1",
            "--batch",
            "8",
            "--threads",
            "2",
            .. extra,
        ];

    [Fact]
    public void Train_pick_evaluate_and_bench_a_waveform_picker()
    {
        var subset = MakeSubset();
        var run = File("run");
        var train = CliRunner.Run(Train(subset, run));
        Ok(train);
        Assert.Contains("thresholds chosen on dev", train.Out);
        var model = Path.Combine(run, "model.safetensors");
        Assert.True(System.IO.File.Exists(Path.Combine(run, "history.csv")));
        Assert.NotNull(PickingNotes.StoredThresholds(Checkpoint.ReadInfo(model).Notes, model));

        // The quick preset's schedule and a chosen augmentation, recorded in the checkpoint.
        var cosine = File("cosine");
        Ok(
            CliRunner.Run(
                Train(
                    subset,
                    cosine,
                    "--schedule",
                    "cosine",
                    "--warmup",
                    "0",
                    "--decay",
                    "1",
                    "--augment-rates",
                    "0.99,0,0"
                )
            )
        );
        Assert.Equal(
            "cosine, warm-up 0 epochs, decay over the last 1",
            Checkpoint.ReadInfo(Path.Combine(cosine, "model.safetensors")).Notes[PickingNotes.Schedule]
        );

        // A second run into the same folder is refused without --overwrite or --resume; --resume of a finished run
        // trains nothing more.
        Assert.Contains("--overwrite", CliRunner.Run(Train(subset, run)).Err);
        Ok(CliRunner.Run(Train(subset, run, "--resume")));
        Assert.Equal(2, System.IO.File.ReadAllLines(Path.Combine(run, "history.csv")).Length);

        var picks = File("picks.csv");
        var curves = File("curves.h5");
        var pick = CliRunner.Run(
            "pick",
            "--model",
            model,
            "--subset",
            subset,
            "--out",
            picks,
            "--curves",
            curves,
            "--batch",
            "5",
            "--threads",
            "2"
        );
        Ok(pick);
        Assert.Contains("from the checkpoint", pick.Out);
        var lines = System.IO.File.ReadAllLines(picks);
        Assert.Equal(string.Join(",", PicksCsvWriter.Columns), lines[0]);
        Assert.Equal(24, lines.Length - 1);
        using (var reader = new CurvesReader(curves))
            Assert.Equal(lines.Skip(1).Select(l => l.Split(',')[0]), reader.TraceNames);
        Assert.Contains("--overwrite", CliRunner.Run("pick", "--model", model, "--subset", subset, "--out", picks).Err);
        var given = CliRunner.Run(
            "pick",
            "--model",
            model,
            "--subset",
            subset,
            "--out",
            picks,
            "--overwrite",
            "--p-threshold",
            "1"
        );
        Ok(given);
        Assert.Contains("given on the command line", given.Out);

        var metrics = File("metrics.json");
        var evaluate = CliRunner.Run(
            "evaluate",
            "--model",
            model,
            "--data",
            subset,
            "--out",
            metrics,
            "--threads",
            "2"
        );
        Ok(evaluate);
        Assert.Contains("P within 50 samples", evaluate.Out);
        using (var json = JsonDocument.Parse(System.IO.File.ReadAllText(metrics)))
        {
            Assert.Equal("test", json.RootElement.GetProperty("split").GetString());
            Assert.Contains("chosen on dev", json.RootElement.GetProperty("threshold_source").GetString());
            Assert.True(json.RootElement.GetProperty("at_chosen_thresholds").TryGetProperty("detection", out _));
        }

        var bench = CliRunner.Run(
            "bench",
            "--model",
            model,
            "--batch",
            "1,2",
            "--interleave",
            "--runs",
            "1",
            "--warmup",
            "0",
            "--out",
            File("bench.json")
        );
        Ok(bench);
        Assert.Contains("fast", bench.Out);
        Assert.Contains("1x6000", System.IO.File.ReadAllText(File("bench.csv")));
        Assert.Contains(
            "fixed window",
            CliRunner.Run("bench", "--model", model, "--size", "32x32", "--out", File("b2.json")).Err
        );
    }

    [Fact]
    public void Bad_picker_requests_are_refused_with_a_clear_line()
    {
        var subset = MakeSubset();
        var lite = File("lite.safetensors");
        var architecture = NetworkBuilders.Create("eqt-lite", new NetworkOptions());
        using (var model = new Network(architecture))
            Checkpoint.Save(
                model,
                PickingCheckpoint.Info(
                    architecture,
                    new Dictionary<string, string>
                    {
                        [PickingNotes.DetectionThreshold] = "NaN",
                        [PickingNotes.PThreshold] = "0.5",
                        [PickingNotes.SThreshold] = "0.5",
                    }
                ),
                lite
            );

        var missing = CliRunner.Run("pick", "--model", lite, "--subset", File("nowhere"), "--out", File("p.csv"));
        Assert.Equal(1, missing.Code);
        Assert.Contains("not found", missing.Err);
        Assert.Contains(
            "not a threshold in [0, 1]",
            CliRunner.Run("pick", "--model", lite, "--subset", subset, "--out", File("p.csv")).Err
        );
        Assert.Contains(
            "not a finite number",
            CliRunner
                .Run("pick", "--model", lite, "--subset", subset, "--out", File("p.csv"), "--s-threshold", "nan")
                .Err
        );
        Assert.Contains(
            "outside [0, 1]",
            CliRunner
                .Run("pick", "--model", lite, "--subset", subset, "--out", File("p.csv"), "--p-threshold", "1.5")
                .Err
        );
        Assert.False(System.IO.File.Exists(File("p.csv")));

        // A classifier is not a picker: pick names what it takes instead; train refuses classifier options for a
        // picker.
        var resnet = ResNetArchitecture.Custom(
            ResNetBlock.Bottleneck,
            8,
            [
                new ResNetStage(
                    16,
                    [
                        [4, 4],
                    ]
                ),
            ],
            hidden: 0
        );
        using (var model = new Network(resnet))
            Checkpoint.Save(
                model,
                new ModelInfo(resnet, new ImageSize(32, 32), new Dictionary<string, string>()),
                File("resnet.safetensors")
            );
        Assert.Contains(
            "not a waveform picker",
            CliRunner.Run("pick", "--model", File("resnet.safetensors"), "--subset", subset, "--out", File("p.csv")).Err
        );
        Assert.Contains("apply to classifiers", CliRunner.Run(Train(subset, File("r"), "--optimizer", "sgd")).Err);
        Assert.Contains("give --schedule cosine", CliRunner.Run(Train(subset, File("r"), "--warmup", "1")).Err);
        Assert.Contains(
            "neither plateau nor cosine",
            CliRunner.Run(Train(subset, File("r"), "--schedule", "step")).Err
        );
        Assert.Contains(
            "decay 5 epochs",
            CliRunner.Run(Train(subset, File("r"), "--schedule", "cosine", "--decay", "5")).Err
        );
        Assert.Contains(
            "three probabilities",
            CliRunner.Run(Train(subset, File("r"), "--augment-rates", "0.5,0.5")).Err
        );
        Assert.Contains(
            "apply to waveform pickers",
            CliRunner.Run("train", "--data", File("s.h5"), "--out", File("r"), "--schedule", "cosine").Err
        );
        Assert.False(Directory.Exists(File("r")));
        Assert.Contains("not found", CliRunner.Run(Train(File("nowhere"), File("r2"))).Err);
        // The subset is an input: an output inside it is refused.
        Assert.Contains(
            "input",
            CliRunner
                .Run(
                    "pick",
                    "--model",
                    lite,
                    "--subset",
                    subset,
                    "--out",
                    Path.Combine(subset, "subset.csv"),
                    "--overwrite"
                )
                .Err
        );
    }
}
