using System.Globalization;
using System.Text.Json;
using QuakePrune.Models;
using QuakePrune.Spectrograms;
using QuakePrune.Torch;
using QuakePrune.Training;

namespace QuakePrune.Cli.Tests.Commands;

/// <summary>model, train, evaluate and predict, run in-process on a small synthetic data set.</summary>
public sealed class TrainingVerbsTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("quakeprune-cli-").FullName;

    public void Dispose() => Directory.Delete(dir, true);

    private string File(string name) => Path.Combine(dir, name);

    private static void Ok((int Code, string Out, string Err) run) => Assert.True(run.Code == 0, run.Err + run.Out);

    /// <summary>synth -> extract -> spectrogram at 32x32; returns (subset folder, spectrogram file).</summary>
    private (string Subset, string Spectrograms) MakeData()
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
        return (File("subset"), File("spec.h5"));
    }

    /// <summary>A small ResNet checkpoint to start training from (a fresh ResNet50 would make the test slow).</summary>
    private string TinyCheckpoint()
    {
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
        using var model = new Network(architecture);
        var path = File("tiny.safetensors");
        Checkpoint.Save(
            model,
            new ModelInfo(architecture, new ImageSize(32, 32), new Dictionary<string, string>()),
            path
        );
        return path;
    }

    [Fact]
    public void Model_init_writes_resnet50_and_show_prints_its_layers_and_totals()
    {
        var path = File("m.safetensors");
        var init = CliRunner.Run(
            "model",
            "init",
            "--arch",
            "resnet50",
            "--classes",
            "2",
            "--hidden",
            "0",
            "--seed",
            "4",
            "--size",
            "64x64",
            "--out",
            path
        );
        Ok(init);
        Assert.Contains("23,512,130 parameters", init.Out);
        var info = Checkpoint.ReadInfo(path);
        Assert.Equal(ResNetArchitecture.ResNet50(2, 0), info.Architecture);
        Assert.Equal(new ImageSize(64, 64), info.InputSize);

        var show = CliRunner.Run("model", "show", path);
        Ok(show);
        var lines = show.Out.Split('\n');
        Assert.Contains(lines, l =>
            l.StartsWith("Name", StringComparison.Ordinal)
            && l.Contains("Weight")
            && l.Contains("Params")
            && l.Contains("Macs")
        );
        // conv1 at 64x64: 64 x 3 x 7 x 7 weights over a 32x32 output.
        Assert.Contains(lines, l =>
            l.Split(' ', StringSplitOptions.RemoveEmptyEntries)
                is ["conv1", "Conv2d", "64x3x7x7", "64x32x32", "9,408", "9,633,792", _]
        );
        Assert.Contains(lines, l =>
            l.Split(' ', StringSplitOptions.RemoveEmptyEntries) is ["fc", "Linear", "2x2048", "2", "4,098", "4,096", _]
        );
        Assert.Contains("total: 23,512,130 parameters", show.Out);
        Assert.Contains("init.seed: 4", show.Out);

        var hidden = CliRunner.Run("model", "init", "--hidden", "512", "--out", File("h.safetensors"));
        Ok(hidden);
        var headShow = CliRunner.Run("model", "show", File("h.safetensors")).Out.Split('\n');
        Assert.Contains(headShow, l =>
            l.Split(' ', StringSplitOptions.RemoveEmptyEntries) is ["fc.1", "ReLU", "512", ..]
        );
        Assert.Contains(headShow, l =>
            l.Split(' ', StringSplitOptions.RemoveEmptyEntries) is ["fc.3", "Linear", "2x512", "2", ..]
        );
        Assert.Contains(
            "not a known architecture",
            CliRunner.Run("model", "init", "--arch", "vgg", "--out", File("v.safetensors")).Err
        );
    }

    [Fact]
    public void Train_then_evaluate_then_predict_from_spectrograms_and_from_raw_traces()
    {
        var (subset, spectrograms) = MakeData();
        var run = File("run");
        var train = CliRunner.Run(
            "train",
            "--data",
            spectrograms,
            "--out",
            run,
            "--init",
            TinyCheckpoint(),
            "--epochs",
            "2",
            "--batch",
            "8",
            "--optimizer",
            "adamw",
            "--lr",
            "0.003",
            "--augment",
            "--class-weights",
            "balanced",
            "--label-smoothing",
            "0.1",
            "--threads",
            "1"
        );
        Ok(train);
        Assert.Contains("epoch 2:", train.Err);
        Assert.Contains("best dev F1", train.Out);
        Assert.Equal(3, System.IO.File.ReadAllLines(Path.Combine(run, Trainer.HistoryFileName)).Length);
        var model = Path.Combine(run, Trainer.ModelFileName);
        var info = Checkpoint.ReadInfo(model);
        Assert.NotNull(info.Spectrogram());
        Assert.Equal(new ImageSize(32, 32), info.InputSize);

        var again = CliRunner.Run(
            "train",
            "--data",
            spectrograms,
            "--out",
            run,
            "--init",
            TinyCheckpoint(),
            "--epochs",
            "2"
        );
        Assert.Equal(1, again.Code);
        Assert.Contains("--resume", again.Err);
        var hidden = CliRunner.Run(
            "train",
            "--data",
            spectrograms,
            "--out",
            File("other-run"),
            "--init",
            TinyCheckpoint(),
            "--hidden",
            "64"
        );
        Assert.Equal(1, hidden.Code);
        Assert.Contains(
            "train: --hidden shapes a fresh model; with --init the checkpoint's own head is trained",
            hidden.Err
        );
        Assert.False(Directory.Exists(File("other-run")));

        var metrics = File("metrics.json");
        var evaluate = CliRunner.Run(
            "evaluate",
            "--model",
            model,
            "--data",
            spectrograms,
            "--split",
            "test",
            "--out",
            metrics,
            "--threads",
            "1"
        );
        Ok(evaluate);
        Assert.Contains("ROC AUC", evaluate.Out);
        using (var json = JsonDocument.Parse(System.IO.File.ReadAllText(metrics)))
        {
            Assert.Equal("test", json.RootElement.GetProperty("split").GetString());
            Assert.Equal("max F1 on dev", json.RootElement.GetProperty("threshold_source").GetString());
            Assert.Equal(
                6,
                json.RootElement.GetProperty("at_chosen_threshold").GetProperty("accuracy_by_snr").GetArrayLength()
            );
        }

        var fromImages = File("from-images.csv");
        Ok(
            CliRunner.Run(
                "predict",
                "--model",
                model,
                "--data",
                spectrograms,
                "--out",
                fromImages,
                "--threshold",
                "0.5"
            )
        );
        var fromTraces = File("from-traces.csv");
        Ok(
            CliRunner.Run(
                "predict",
                "--model",
                model,
                "--input",
                Path.Combine(subset, "subset"),
                "--out",
                fromTraces,
                "--threshold",
                "0.5"
            )
        );
        var (a, b) = (System.IO.File.ReadAllLines(fromImages), System.IO.File.ReadAllLines(fromTraces));
        Assert.Equal("trace_name,label,p_earthquake,split", a[0]);
        Assert.Equal(a[0], b[0]);
        Assert.Equal(41, a.Length);
        // The same traces, made into images by the model's stored settings, score as the spectrogram file's images.
        var byName = b.Skip(1).Select(l => l.Split(',')).ToDictionary(f => f[0]);
        foreach (var f in a.Skip(1).Select(l => l.Split(',')))
        {
            var other = byName[f[0]];
            Assert.Equal(f[3], other[3]);
            Assert.Equal(
                float.Parse(f[2], CultureInfo.InvariantCulture),
                float.Parse(other[2], CultureInfo.InvariantCulture),
                1e-4f
            );
        }
        Assert.Equal(["dev", "test", "train"], a.Skip(1).Select(l => l.Split(',')[3]).Distinct().Order());
    }

    [Fact]
    public void Train_on_a_subset_folder_computes_its_spectrograms_on_the_fly_and_records_their_settings()
    {
        var (subset, spectrograms) = MakeData();
        var run = File("on-the-fly");
        var train = CliRunner.Run(
            "train",
            "--data",
            subset,
            "--out",
            run,
            "--init",
            TinyCheckpoint(),
            "--epochs",
            "1",
            "--batch",
            "8",
            "--threads",
            "1",
            "--loader-threads",
            "2",
            "--size",
            "32x32",
            "--nperseg",
            "128",
            "--noverlap",
            "64",
            "--dtype",
            "float16"
        );
        Ok(train);
        var model = Path.Combine(run, Trainer.ModelFileName);
        var info = Checkpoint.ReadInfo(model);
        Assert.Equal(
            new SpectrogramSettings
            {
                Size = new ImageSize(32, 32),
                Nperseg = 128,
                Noverlap = 64,
                DType = SpectrogramDType.Float16,
            },
            info.Spectrogram()
        );
        Assert.Equal(new ImageSize(32, 32), info.InputSize);
        // Scoring on the folder computes the images with the settings the model records.
        var evaluate = CliRunner.Run("evaluate", "--model", model, "--data", subset, "--threads", "1");
        Ok(evaluate);
        Assert.Contains("accuracy", evaluate.Out);
        var retrain = CliRunner.Run(
            "retrain",
            "--model",
            model,
            "--ratio",
            "0.5",
            "--data",
            subset,
            "--out",
            File("retrained"),
            "--epochs",
            "1",
            "--batch",
            "8",
            "--threads",
            "1"
        );
        Ok(retrain);
        Assert.Equal(
            info.Spectrogram(),
            Checkpoint.ReadInfo(Path.Combine(File("retrained"), Trainer.ModelFileName)).Spectrogram()
        );

        var beside = CliRunner.Run(
            "train",
            "--data",
            spectrograms,
            "--out",
            File("r"),
            "--size",
            "32x32",
            "--dtype",
            "float16"
        );
        Assert.Equal(1, beside.Code);
        Assert.Contains(
            $"train: --size, --dtype make a subset folder's images on the fly; the spectrogram file '{spectrograms}' holds images made already",
            beside.Err
        );
        var picker = CliRunner.Run(
            "train",
            "--arch",
            "eqt-lite",
            "--data",
            subset,
            "--out",
            File("p"),
            "--size",
            "32x32"
        );
        Assert.Equal(1, picker.Code);
        Assert.Contains("train: --size apply to classifiers, not to the waveform picker eqt-lite", picker.Err);
    }

    [Fact]
    public void Train_resume_on_a_run_without_its_state_is_refused_and_changes_nothing()
    {
        var (_, spectrograms) = MakeData();
        var (run, init) = (File("run"), TinyCheckpoint());
        Ok(
            CliRunner.Run(
                "train",
                "--data",
                spectrograms,
                "--out",
                run,
                "--init",
                init,
                "--epochs",
                "1",
                "--batch",
                "8",
                "--threads",
                "1"
            )
        );
        System.IO.File.Delete(Path.Combine(run, Trainer.StateFileName));
        Dictionary<string, byte[]> Contents() =>
            Directory.EnumerateFiles(run).ToDictionary(f => Path.GetFileName(f), System.IO.File.ReadAllBytes);
        var before = Contents();

        // Another rate and more epochs: what was observed to replace the trained model and its history.
        var resume = CliRunner.Run(
            "train",
            "--data",
            spectrograms,
            "--out",
            run,
            "--init",
            init,
            "--epochs",
            "3",
            "--lr",
            "0.5",
            "--resume",
            "--threads",
            "1"
        );
        Assert.Equal(1, resume.Code);
        Assert.Contains(
            $"train: '{run}' holds a run (model.safetensors, history.csv) but no training state (state.safetensors); "
                + "nothing to resume: use --overwrite instead of --resume to start again, or train into another folder",
            resume.Err
        );
        var after = Contents();
        Assert.Equal(before.Keys.Order(), after.Keys.Order());
        Assert.All(before, file => Assert.Equal(file.Value, after[file.Key]));
    }

    [Fact]
    public void Bad_requests_are_refused_with_a_clear_line()
    {
        var (_, spectrograms) = MakeData();
        var model = TinyCheckpoint();
        // --device cuda is a bad request only where libtorch sees no CUDA device; where it sees one, one epoch trains
        // there.
        var cuda = CliRunner.Run(
            "train",
            "--data",
            spectrograms,
            "--out",
            File("r"),
            "--init",
            model,
            "--device",
            "cuda",
            "--epochs",
            "1"
        );
        if (torch.cuda.is_available())
        {
            Ok(cuda);
            Assert.True(System.IO.File.Exists(Path.Combine(File("r"), Trainer.ModelFileName)));
        }
        else
        {
            Assert.Equal(1, cuda.Code);
            Assert.Contains("no CUDA device", cuda.Err);
        }
        Assert.Contains(
            "neither sgd nor adamw",
            CliRunner.Run("train", "--data", spectrograms, "--out", File("r2"), "--optimizer", "lion").Err
        );
        Assert.Contains(
            "two positive numbers",
            CliRunner
                .Run("train", "--data", spectrograms, "--out", File("r3"), "--init", model, "--class-weights", "1,2,3")
                .Err
        );
        Assert.Contains("either --data", CliRunner.Run("predict", "--model", model, "--out", File("p.csv")).Err);
        Assert.Contains(
            "no spectrogram settings",
            CliRunner.Run("predict", "--model", model, "--input", File("subset/subset"), "--out", File("p.csv")).Err
        );

        Ok(CliRunner.Run("model", "init", "--hidden", "0", "--size", "64x64", "--out", File("big.safetensors")));
        var mismatch = CliRunner.Run("evaluate", "--model", File("big.safetensors"), "--data", spectrograms);
        Assert.Equal(1, mismatch.Code);
        Assert.Contains("images are 3x32x32 but the model takes 3x64x64", mismatch.Err);
    }
}
