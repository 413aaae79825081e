using QuakePrune.Inference;
using QuakePrune.Models;
using QuakePrune.Spectrograms;
using QuakePrune.Tests.Spectrograms;
using QuakePrune.Torch;
using QuakePrune.Training;
using static QuakePrune.Torch.torch;

namespace QuakePrune.Tests.Training;

public sealed class TrainerTests
{
    /// <summary>
    /// history.csv without its timing columns (images_per_second, seconds), which differ between runs.
    /// </summary>
    private static string[] HistoryWithoutTimings(string path) =>
        File.ReadAllLines(path)
            .Select(line => line.Split(','))
            .Select(f => string.Join(',', f[..9].Append(f[11])))
            .ToArray();

    [Fact]
    public void A_tiny_separable_set_is_fitted_to_full_train_accuracy()
    {
        using var dir = new TempDir();
        using var data = TinyImages.Make(1, ("train", 24), ("dev", 8));
        var result = Trainer.Train(TinyImages.Options(dir.Path, epochs: 12), data);

        Assert.Equal(12, result.History.Count);
        Assert.True(result.History[^1].TrainLoss < result.History[0].TrainLoss, "train loss did not fall");
        Assert.Equal(1.0, result.BestDevF1);
        using var loaded = Checkpoint.Load(result.ModelPath);
        var predictions = Prediction.FromDataSet(
            new TorchClassifier(loaded.Model, loaded.Info.InputSize),
            data,
            "train",
            result.DecisionThreshold
        );
        Assert.All(predictions, p => Assert.Equal(data.Labels[data.TraceNames.ToList().IndexOf(p.TraceName)], p.Label));
        Assert.Equal(result.DecisionThreshold, Evaluation.StoredThreshold(loaded.Info.Notes));
        Assert.Equal(TinyImages.Architecture(), loaded.Info.Architecture);
    }

    [Fact]
    public void A_resumed_run_ends_bit_identical_to_an_uninterrupted_one()
    {
        using var dir = new TempDir();
        using var data = TinyImages.Make(2, ("train", 20), ("dev", 8));
        // Dropout (hidden head), augmentation, momentum and the schedule all carry state across the interruption.
        var options = TinyImages.Options(dir.File("whole"), epochs: 4) with
        {
            Optimizer = OptimizerKind.Sgd,
            LearningRate = 0.05,
            WarmupEpochs = 1,
            WeightDecay = 1e-3,
            Augment = new AugmentOptions(),
        };
        var whole = Trainer.Train(options, data);

        using var stop = new CancellationTokenSource();
        var interruptedOptions = options with
        {
            OutputDirectory = dir.File("resumed"),
            Cancellation = stop.Token,
            OnEpoch = r =>
            {
                if (r.Epoch == 2)
                    stop.Cancel();
            },
        };
        var first = Trainer.Train(interruptedOptions, data);
        Assert.True(first.Interrupted);
        Assert.Equal(2, first.History.Count);
        var resumed = Trainer.Train(options with { OutputDirectory = dir.File("resumed"), Resume = true }, data);

        Assert.False(resumed.Interrupted);
        Assert.Equal(HistoryWithoutTimings(whole.HistoryPath), HistoryWithoutTimings(resumed.HistoryPath));
        Assert.Equal(File.ReadAllBytes(whole.StatePath), File.ReadAllBytes(resumed.StatePath));
        Assert.Equal(File.ReadAllBytes(whole.ModelPath), File.ReadAllBytes(resumed.ModelPath));
        Assert.Equal(
            (whole.BestEpoch, whole.BestDevF1, whole.DecisionThreshold),
            (resumed.BestEpoch, resumed.BestDevF1, resumed.DecisionThreshold)
        );
    }

    [Fact]
    public void A_run_interrupted_in_its_first_epoch_resumes()
    {
        using var dir = new TempDir();
        using var data = TinyImages.Make(4, ("train", 16), ("dev", 4));
        var options = TinyImages.Options(dir.File("whole"), epochs: 2) with { BatchSize = 4 };
        var whole = Trainer.Train(options, data);

        using var stop = new CancellationTokenSource();
        var first = Trainer.Train(
            options with
            {
                OutputDirectory = dir.File("resumed"),
                Cancellation = stop.Token,
                OnStep = _ => stop.Cancel(),
            },
            data
        );
        Assert.True(first.Interrupted);
        Assert.Empty(first.History);
        var resumed = Trainer.Train(options with { OutputDirectory = dir.File("resumed"), Resume = true }, data);
        Assert.False(resumed.Interrupted);
        Assert.Equal(File.ReadAllBytes(whole.ModelPath), File.ReadAllBytes(resumed.ModelPath));
    }

    [Fact]
    public void Resuming_with_other_settings_or_a_damaged_state_is_refused()
    {
        using var dir = new TempDir();
        using var data = TinyImages.Make(3, ("train", 8), ("dev", 4));
        var options = TinyImages.Options(dir.Path, epochs: 1);
        Trainer.Train(options, data);

        var again = Assert.Throws<IOException>(() => Trainer.Train(options, data));
        Assert.Contains("--resume", again.Message);
        var changed = Assert.Throws<InvalidDataException>(() =>
            Trainer.Train(options with { Resume = true, BatchSize = 4 }, data)
        );
        Assert.Contains("batch=8 -> batch=4", changed.Message);
        var rate = Assert.Throws<InvalidDataException>(() =>
            Trainer.Train(options with { Resume = true, LearningRate = 0.02 }, data)
        );
        Assert.Contains("lr=0.01 -> lr=0.02", rate.Message);
        var network = Assert.Throws<InvalidDataException>(() =>
            Trainer.Train(options with { Resume = true, Architecture = TinyImages.Architecture(hidden: 4) }, data)
        );
        Assert.Contains("(architecture: another network)", network.Message);
        using var other = TinyImages.Make(4, ("train", 8), ("dev", 4));
        var otherData = Assert.Throws<InvalidDataException>(() => Trainer.Train(options with { Resume = true }, other));
        Assert.Contains("the run was started on other data", otherData.Message);

        var statePath = Path.Combine(dir.Path, Trainer.StateFileName);
        using (NewDisposeScope())
        {
            var state = Safetensors.LoadTensors(statePath);
            Safetensors.Save(
                statePath,
                state.Tensors.Where(kv => kv.Key != "model.layer2.0.bn1.running_mean"),
                state.Metadata
            );
        }
        var damaged = Assert.Throws<InvalidDataException>(() => Trainer.Train(options with { Resume = true }, data));
        Assert.Contains(statePath, damaged.Message);
        Assert.Contains("layer2.0.bn1.running_mean", damaged.Message);
    }

    [Fact]
    public void Resuming_a_run_without_its_state_is_refused_and_leaves_its_model_and_history_alone()
    {
        using var dir = new TempDir();
        using var data = TinyImages.Make(3, ("train", 8), ("dev", 4));
        var options = TinyImages.Options(dir.Path, epochs: 1);
        var finished = Trainer.Train(options, data);
        File.Delete(finished.StatePath);
        var (model, history) = (File.ReadAllBytes(finished.ModelPath), File.ReadAllBytes(finished.HistoryPath));

        // Another rate and network: what was observed to train over the run.
        var refused = Assert.Throws<IOException>(() =>
            Trainer.Train(
                options with
                {
                    Resume = true,
                    LearningRate = 0.001,
                    Architecture = TinyImages.Architecture(hidden: 4),
                },
                data
            )
        );
        Assert.Equal(
            $"train: '{dir.Path}' holds a run (model.safetensors, history.csv) but no training state (state.safetensors); "
                + "nothing to resume: use --overwrite instead of --resume to start again, or train into another folder",
            refused.Message
        );
        Assert.Equal(model, File.ReadAllBytes(finished.ModelPath));
        Assert.Equal(history, File.ReadAllBytes(finished.HistoryPath));
        Assert.False(File.Exists(finished.StatePath));
    }

    [Fact]
    public void Resuming_on_another_file_of_the_same_name_is_refused_and_on_the_same_content_continues()
    {
        using var subset = new SmallSubset();
        using var dir = new TempDir();
        string Write(string name, SpectrogramDType type) =>
            SpectrogramFile
                .Write(
                    new SpectrogramJob
                    {
                        Subset = subset.Subset,
                        OutputPath = dir.File(name),
                        Settings = new SpectrogramSettings { Size = new ImageSize(16, 16), DType = type },
                        Threads = 1,
                    }
                )
                .OutputPath;
        var (original, replacement) = (
            Write("original.h5", SpectrogramDType.Float32),
            Write("replacement.h5", SpectrogramDType.Float16)
        );
        var data = dir.File("spectrograms.h5");
        File.Copy(original, data);
        using var stop = new CancellationTokenSource();
        var options = TinyImages.Options(dir.File("run"), epochs: 2) with { Data = data };
        Assert.True(
            Trainer.Train(options with { Cancellation = stop.Token, OnEpoch = _ => stop.Cancel() }).Interrupted
        );

        File.Copy(replacement, data, overwrite: true);
        var refused = Assert.Throws<InvalidDataException>(() => Trainer.Train(options with { Resume = true }));
        Assert.StartsWith(
            $"{Path.Combine(dir.File("run"), Trainer.StateFileName)}: the run was started on other data",
            refused.Message
        );
        Assert.Single(History.Read(Path.Combine(dir.File("run"), Trainer.HistoryFileName)));

        File.Copy(original, data, overwrite: true);
        var resumed = Trainer.Train(options with { Resume = true });
        Assert.Equal([1, 2], resumed.History.Select(r => r.Epoch));
    }

    [Fact]
    public void Early_stopping_ends_the_run_after_patience_epochs_without_a_better_dev_f1()
    {
        using var dir = new TempDir();
        // A dev split of noise only: F1 stays 0, so only the first epoch counts as an improvement.
        using var train = TinyImages.Make(4, ("train", 8));
        var dev = TinyImages.Make(5, ("dev", 8));
        var images = new float[16 * TinyImages.Channels * TinyImages.Size * TinyImages.Size];
        train.ReadImages(Enumerable.Range(0, 8).ToArray(), images.AsSpan(0, images.Length / 2));
        dev.ReadImages(Enumerable.Range(0, 8).ToArray(), images.AsSpan(images.Length / 2));
        using var data = new InMemoryImageDataSet(
            images,
            TinyImages.Channels,
            TinyImages.Size,
            TinyImages.Size,
            [.. train.Labels, .. Enumerable.Repeat(0L, 8)],
            [.. train.Splits, .. dev.Splits]
        );

        var result = Trainer.Train(TinyImages.Options(dir.Path, epochs: 10) with { Patience = 2 }, data);

        Assert.True(result.EarlyStopped);
        Assert.Equal(3, result.History.Count);
        Assert.Equal(1, result.BestEpoch);
        Assert.Equal([true, false, false], result.History.Select(r => r.Best));
        Assert.Equal(History.Header, File.ReadLines(result.HistoryPath).First());
        Assert.Equal(4, File.ReadAllLines(result.HistoryPath).Length);
    }

    [Fact]
    public void Init_continues_from_a_checkpoint_and_records_it()
    {
        using var dir = new TempDir();
        using var data = TinyImages.Make(6, ("train", 8), ("dev", 4));
        var first = Trainer.Train(TinyImages.Options(dir.File("a"), epochs: 1), data);
        var second = Trainer.Train(
            TinyImages.Options(dir.File("b"), epochs: 1) with
            {
                Architecture = null,
                Init = first.ModelPath,
            },
            data
        );

        var info = Checkpoint.ReadInfo(second.ModelPath);
        Assert.Equal(TinyImages.Architecture(), info.Architecture);
        Assert.Equal(Trainer.ModelFileName, info.Notes[TrainingNotes.Init]);
        var both = Assert.Throws<ArgumentException>(() =>
            Trainer.Train(TinyImages.Options(dir.File("c"), 1) with { Init = first.ModelPath }, data)
        );
        Assert.Contains("not both", both.Message);
    }

    [Fact]
    public void Cuda_trains_where_present_and_is_a_clear_error_where_not()
    {
        using var dir = new TempDir();
        using var data = TinyImages.Make(8, ("train", 4), ("dev", 4));
        var options = TinyImages.Options(dir.Path, 1) with { Device = Device.CUDA };
        if (cuda.is_available())
        {
            var result = Trainer.Train(options, data);
            Assert.Single(result.History);
            Assert.True(File.Exists(result.ModelPath));
            return;
        }
        var e = Assert.Throws<InvalidOperationException>(() => Trainer.Train(options, data));
        Assert.Contains("no CUDA device", e.Message);
        Assert.False(File.Exists(Path.Combine(dir.Path, Trainer.StateFileName)));
    }
}
