using QuakePrune.Models;
using QuakePrune.Spectrograms;
using QuakePrune.Torch;
using QuakePrune.Training;

namespace QuakePrune.Cli.Tests.Commands;

/// <summary>
/// Issue 27 from the command line: `train --nproc 2` (a classifier, a waveform picker) and `retrain --nproc 2` run two
/// ranks that rank 0 writes for; a signal stops them at one step and keeps the finished epochs; the run resumes under
/// another number of processes (its state is the run's, not a rank's); a failing rank fails the launch; launcher
/// options are checked, each named.
/// </summary>
public sealed class DataParallelVerbTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("quakeprune-ddp-").FullName;

    public void Dispose() => Directory.Delete(dir, true);

    private string File(string name) => Path.Combine(dir, name);

    private static void Ok((int Code, string Out, string Err) run) => Assert.True(run.Code == 0, run.Err + run.Out);

    /// <summary>A 32x32 spectrogram file (26 train rows) and a small bottleneck ResNet to start from.</summary>
    private (string Data, string Model) Inputs()
    {
        Ok(CliRunner.Run("synth", "--out", File("syn"), "--traces", "60", "--seed", "5"));
        Ok(CliRunner.Run("extract", "--input", File("syn"), "--out", File("subset"), "--per-class", "20"));
        Ok(
            CliRunner.Run(
                "spectrogram",
                "--subset",
                File("subset"),
                "--out",
                File("spec.h5"),
                "--size",
                "32x32",
                "--threads",
                "2"
            )
        );
        var architecture = ResNetArchitecture.Custom(
            ResNetBlock.Bottleneck,
            8,
            [
                new ResNetStage(
                    16,
                    [
                        [4, 4],
                    ]
                ),
                new ResNetStage(
                    16,
                    [
                        [4, 4],
                    ]
                ),
            ],
            hidden: 8
        );
        using (var model = new Network(architecture))
            Checkpoint.Save(
                model,
                new ModelInfo(architecture, new ImageSize(32, 32), new Dictionary<string, string>()),
                File("tiny.safetensors")
            );
        return (File("spec.h5"), File("tiny.safetensors"));
    }

    [Fact]
    public void Two_processes_stopped_after_an_epoch_resume_in_one_and_finish_the_run()
    {
        var (data, model) = Inputs();
        string[] train =
        [
            "train",
            "--data",
            data,
            "--init",
            model,
            "--out",
            File("run"),
            "--epochs",
            "300",
            "--batch",
            "8",
            "--lr",
            "0.001",
        ];

        // Far more epochs than can pass before the signal lands, so it stops the run mid-way under any load.
        var (exit, text) = ChildCli.RunAndSignal([.. train, "--nproc", "2"], "INT", "[rank 0] epoch 1:", 0);
        Assert.True(exit == 130, $"exit {exit}: {text}");
        Assert.Contains("train: 2 processes on this machine, 2 in all; rendezvous at 127.0.0.1:", text);
        Assert.Matches(
            @"train: interrupted by SIGINT at epoch \d+: the training state and history of epoch \d+ and the best model so far are kept",
            text
        );
        var kept = History.Read(File("run/history.csv")).Count;
        Assert.InRange(kept, 1, 299);

        // One process continues what two started: same options, another world size.
        var (code, output, error) = ChildCli.Run(300, [.. train, "--resume", "--threads", "1"]);
        Assert.True(code == 0, error + output);
        Assert.Equal(Enumerable.Range(1, 300), History.Read(File("run/history.csv")).Select(r => r.Epoch));
        Assert.DoesNotContain(Directory.EnumerateFileSystemEntries(File("run")), e =>
            e.Contains("partial", StringComparison.Ordinal)
        );
    }

    [Fact]
    public void Retrain_runs_as_two_processes_and_rank_0_writes_the_retraining()
    {
        var (data, model) = Inputs();
        var (code, output, error) = ChildCli.Run(
            300,
            "retrain",
            "--model",
            model,
            "--data",
            data,
            "--out",
            File("tuned"),
            "--epochs",
            "1",
            "--batch",
            "8",
            "--lr",
            "0.001",
            "--nproc",
            "2"
        );
        Assert.True(code == 0, error + output);
        Assert.Contains("[rank 0] retrain: ", output);
        Assert.Contains("[rank 1] retrain: ", output);
        foreach (var name in new[] { "model.safetensors", "history.csv", "retrain.json", "state.safetensors" })
            Assert.True(System.IO.File.Exists(Path.Combine(File("tuned"), name)), name);
        Assert.Single(History.Read(Path.Combine(File("tuned"), "history.csv")));
    }

    /// <summary>
    /// Each rank computes the spectrograms of its own shard from the subset's waveforms (issue 27, point 4).
    /// </summary>
    [Fact]
    public void A_classifier_trains_on_a_subset_folder_as_two_processes_each_computing_its_images()
    {
        var (_, model) = Inputs();
        var (code, output, error) = ChildCli.Run(
            300,
            "train",
            "--data",
            File("subset"),
            "--size",
            "32x32",
            "--init",
            model,
            "--out",
            File("on-the-fly"),
            "--epochs",
            "1",
            "--batch",
            "8",
            "--nproc",
            "2"
        );
        Assert.True(code == 0, error + output);
        Assert.Contains("[rank 1] train: 1 epochs", output);
        Assert.Contains("(written by rank 0)", output);
        var info = Checkpoint.ReadInfo(Path.Combine(File("on-the-fly"), "model.safetensors"));
        Assert.Equal(new ImageSize(32, 32), info.Spectrogram()?.Size);
    }

    /// <summary>
    /// With a learning rate too small to move a weight, batch norm's running statistics depend on the rows each
    /// normalisation saw: two ranks under --sync-bn end with those of one process over the combined batches, two
    /// without it with their own.
    /// </summary>
    [Fact]
    public void Two_processes_with_sync_bn_keep_the_running_statistics_of_one_process()
    {
        var (data, model) = Inputs();
        Dictionary<string, float[]> RunningStatistics(string name, params string[] launch)
        {
            var (code, output, error) = ChildCli.Run(
                300,
                [
                    "train",
                    "--data",
                    data,
                    "--init",
                    model,
                    "--out",
                    File(name),
                    "--epochs",
                    "1",
                    "--batch",
                    "8",
                    "--lr",
                    "1e-30",
                    .. launch,
                ]
            );
            Assert.True(code == 0, error + output);
            return Safetensors
                .LoadTensors(Path.Combine(File(name), "model.safetensors"))
                .Tensors.Where(t =>
                    t.Key.EndsWith(".running_mean", StringComparison.Ordinal)
                    || t.Key.EndsWith(".running_var", StringComparison.Ordinal)
                )
                .ToDictionary(t => t.Key, t => t.Value.ToArray<float>());
        }
        var one = RunningStatistics("one", "--threads", "1");
        var synchronised = RunningStatistics("synchronised", "--nproc", "2", "--sync-bn");
        var perProcess = RunningStatistics("per-process", "--nproc", "2");

        static double Distance(float[] a, float[] b) => a.Zip(b).Max(p => Math.Abs(p.First - p.Second));
        Assert.NotEmpty(one);
        foreach (var (name, values) in one)
            Assert.True(Distance(values, synchronised[name]) <= 1e-5, $"{name}: --sync-bn differs from one process");
        Assert.Contains(one, s => Distance(s.Value, perProcess[s.Key]) > 1e-3);
    }

    [Fact]
    public void A_waveform_picker_trains_as_two_processes()
    {
        Inputs();
        var (code, output, error) = ChildCli.Run(
            300,
            "train",
            "--arch",
            "eqt-lite",
            "--data",
            File("subset"),
            "--out",
            File("picker"),
            "--epochs",
            "1",
            "--batch",
            "8",
            "--nproc",
            "2",
            "--sync-bn"
        );
        Assert.True(code == 0, error + output);
        Assert.Contains("; batch norm over every rank's rows (--sync-bn)", error);
        Assert.Contains("[rank 0] train: 1 epochs", output);
        Assert.Single(System.IO.File.ReadAllLines(Path.Combine(File("picker"), "history.csv")).Skip(1));
        Assert.True(System.IO.File.Exists(Path.Combine(File("picker"), "model.safetensors")));
    }

    [Fact]
    public void A_failing_rank_fails_the_launch_with_its_message()
    {
        var (data, model) = Inputs();
        var (code, output, error) = ChildCli.Run(
            120,
            "train",
            "--data",
            data,
            "--init",
            model,
            "--out",
            File("odd"),
            "--epochs",
            "1",
            "--batch",
            "7",
            "--nproc",
            "2"
        );
        Assert.True(code == 1, $"exit {code}: {error}{output}");
        Assert.Contains("] error: train: --batch 7 does not split evenly over 2 processes", error);
        Assert.Contains("failed (exit 1)", error);
    }

    [Theory]
    [InlineData("--nproc 0", "--nproc")]
    [InlineData("--nnodes 2", "--nnodes 2 needs --rdzv HOST:PORT")]
    [InlineData("--nnodes 2 --node-rank 2 --rdzv host:29500", "--node-rank 2 must be below --nnodes 2")]
    [InlineData("--nnodes 2 --rdzv host", "--rdzv 'host' is not HOST:PORT")]
    [InlineData("--nnodes 2 --rdzv host:0", "--rdzv 'host:0' is not HOST:PORT")]
    public void Launcher_options_are_checked_naming_the_option(string options, string expected)
    {
        var (code, output, error) = CliRunner.Run([
            "train",
            "--data",
            File("none.h5"),
            "--out",
            File("run"),
            .. options.Split(' '),
        ]);
        Assert.True(code != 0, output);
        Assert.Contains(expected, error);
        Assert.False(Directory.Exists(File("run")));
    }
}
