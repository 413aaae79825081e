using QuakePrune.Models;
using QuakePrune.Picking;
using QuakePrune.Torch;

namespace QuakePrune.Tests.Picking;

/// <summary>
/// The waveform trainer on eqt-lite (the smallest picker) and a 12-trace subset: outputs, thresholds, resume, pick.
/// </summary>
public class WaveformTrainerTests
{
    private static WaveformTrainOptions Options(string subset, string output, int epochs) =>
        new()
        {
            Data = subset,
            OutputDirectory = output,
            Architecture = NetworkBuilders.Create("eqt-lite", new NetworkOptions()),
            Epochs = epochs,
            BatchSize = 4,
            Threads = 2,
            Seed = 3,
        };

    /// <summary>Every state tensor (batch-norm counters included) as doubles.</summary>
    private static Dictionary<string, double[]> Weights(string path)
    {
        using var loaded = Checkpoint.Load(path);
        return loaded
            .Model.state_dict()
            .ToDictionary(
                kv => kv.Key,
                kv =>
                {
                    using var wide = kv.Value.to(ScalarType.Float64);
                    return wide.ToArray<double>();
                }
            );
    }

    [Fact]
    public void A_run_interrupted_after_an_epoch_resumes_to_the_same_weights_and_records_thresholds_chosen_on_dev()
    {
        using var dir = new TempDir();
        var subset = TestSubsets.Make(dir, 12, 21);
        var whole = WaveformTrainer.Train(Options(subset, dir.File("whole"), 2));
        Assert.False(whole.Interrupted);
        Assert.Equal([1, 2], whole.History.Select(r => r.Epoch));
        Assert.All(whole.History, r => Assert.True(double.IsFinite(r.TrainLoss) && double.IsFinite(r.DevLoss)));
        var read = PickingHistory.Read(whole.HistoryPath);
        Assert.Equal(whole.History.Select(r => (r.Epoch, r.Best)), read.Select(r => (r.Epoch, r.Best)));
        Assert.Equal(whole.History.Select(r => r.DevLoss), read.Select(r => r.DevLoss), (x, y) =>
            Math.Abs(x - y) <= 1e-5 * Math.Abs(x)
        );
        var info = Checkpoint.ReadInfo(whole.ModelPath);
        Assert.Equal(whole.Thresholds, PickingNotes.StoredThresholds(info.Notes, whole.ModelPath));
        Assert.Equal(ThresholdSearch.Rule, info.Notes[PickingNotes.ThresholdRule]);
        Assert.Equal("adam", info.Notes[QuakePrune.Training.TrainingNotes.Optimizer]);

        using var stop = new CancellationTokenSource();
        var first = WaveformTrainer.Train(
            Options(subset, dir.File("split"), 2) with
            {
                OnEpoch = _ => stop.Cancel(),
                Cancellation = stop.Token,
            }
        );
        Assert.True(first.Interrupted);
        Assert.Single(first.History);
        Assert.Throws<IOException>(() => WaveformTrainer.Train(Options(subset, dir.File("split"), 2)));
        var changed = Assert.Throws<InvalidDataException>(() =>
            WaveformTrainer.Train(Options(subset, dir.File("split"), 2) with { BatchSize = 3, Resume = true })
        );
        Assert.Contains("batch=4 -> batch=3", changed.Message);
        var resumed = WaveformTrainer.Train(Options(subset, dir.File("split"), 2) with { Resume = true });
        Assert.Equal(2, resumed.History.Count);
        Assert.Equal(whole.BestEpoch, resumed.BestEpoch);
        var (a, b) = (Weights(whole.ModelPath), Weights(resumed.ModelPath));
        Assert.Equal(a.Keys, b.Keys);
        foreach (var key in a.Keys)
            Assert.Equal(a[key], b[key]);
    }

    [Fact]
    public void Resume_refuses_another_subset_in_the_same_folder_other_options_and_a_run_without_its_state()
    {
        using var dir = new TempDir();
        var subset = TestSubsets.Make(dir, 12, 21);
        var other = TestSubsets.Make(dir, 12, 22, name: "other");
        var run = dir.File("run");
        var finished = WaveformTrainer.Train(Options(subset, run, 1));
        var statePath = Path.Combine(run, QuakePrune.Training.Trainer.StateFileName);
        var saved = Directory.CreateDirectory(dir.File("saved")).FullName;
        void CopyFiles(string from, string to)
        {
            foreach (var file in WaveformDataSet.ContentFiles(from))
                File.Copy(file, Path.Combine(to, Path.GetFileName(file)), overwrite: true);
        }

        CopyFiles(subset, saved);
        CopyFiles(other, subset);
        var data = Assert.Throws<InvalidDataException>(() =>
            WaveformTrainer.Train(Options(subset, run, 1) with { Resume = true })
        );
        Assert.StartsWith($"{statePath}: the run was started on other data", data.Message);
        CopyFiles(saved, subset);
        var rate = Assert.Throws<InvalidDataException>(() =>
            WaveformTrainer.Train(Options(subset, run, 1) with { Resume = true, LearningRate = 1e-4 })
        );
        Assert.Contains("lr=0.001 -> lr=0.0001", rate.Message);
        var network = Assert.Throws<InvalidDataException>(() =>
            WaveformTrainer.Train(
                Options(subset, run, 1) with
                {
                    Resume = true,
                    Architecture = NetworkBuilders.Create("eqtransformer", new NetworkOptions()),
                }
            )
        );
        Assert.Contains("(architecture: another network)", network.Message);
        // The same data, options and network: the finished run resumes, with nothing left to train.
        Assert.Single(WaveformTrainer.Train(Options(subset, run, 1) with { Resume = true }).History);

        File.Delete(statePath);
        var (model, history) = (File.ReadAllBytes(finished.ModelPath), File.ReadAllBytes(finished.HistoryPath));
        var stateless = Assert.Throws<IOException>(() =>
            WaveformTrainer.Train(Options(subset, run, 3) with { Resume = true, LearningRate = 1e-2 })
        );
        Assert.Equal(
            $"train: '{run}' holds a run (model.safetensors, history.csv) but no training state (state.safetensors); "
                + "nothing to resume: use --overwrite instead of --resume to start again, or train into another folder",
            stateless.Message
        );
        Assert.Equal(model, File.ReadAllBytes(finished.ModelPath));
        Assert.Equal(history, File.ReadAllBytes(finished.HistoryPath));
    }

    /// <summary>
    /// A pruned picker retrains from its checkpoint: its widths, its weights as the start, its pruning's notes kept.
    /// </summary>
    [Fact]
    public void A_pruned_picker_retrains_from_its_checkpoint_keeping_its_widths_and_notes()
    {
        using var dir = new TempDir();
        var subset = TestSubsets.Make(dir, 12, 21);
        var trained = WaveformTrainer.Train(Options(subset, dir.File("trained"), 1));
        var pruned = dir.File("pruned.safetensors");
        QuakePrune.Pruning.CheckpointPruning.Prune(
            trained.ModelPath,
            new QuakePrune.Pruning.PruningOptions(0.5, QuakePrune.Pruning.PruningScope.Full),
            pruned
        );
        var retrained = WaveformTrainer.Train(
            Options(subset, dir.File("retrained"), 1) with
            {
                Architecture = null,
                Init = pruned,
                LearningRate = 1e-4,
            }
        );
        var info = Checkpoint.ReadInfo(retrained.ModelPath);
        Assert.Equal(Checkpoint.ReadInfo(pruned).Architecture, info.Architecture);
        Assert.Equal("l2", info.Notes[QuakePrune.Pruning.CheckpointPruning.ImportanceNote]);
        Assert.Equal("pruned.safetensors", info.Notes[QuakePrune.Training.TrainingNotes.Init]);
        Assert.NotNull(PickingNotes.StoredThresholds(info.Notes, retrained.ModelPath));
        Assert.Throws<ArgumentException>(() =>
            WaveformTrainer.Train(Options(subset, dir.File("both"), 1) with { Init = pruned })
        );
    }

    [Fact]
    public void Pick_writes_a_row_per_trace_in_subset_order_and_the_curves_it_scored()
    {
        using var dir = new TempDir();
        var subset = TestSubsets.Make(dir, 9, 22);
        var architecture = NetworkBuilders.Create("eqt-lite", new NetworkOptions());
        torch.manual_seed(5);
        using var loaded = new LoadedModel(
            new Network(architecture),
            PickingCheckpoint.Info(architecture, new Dictionary<string, string>())
        );
        using var data = WaveformDataSet.Open(subset);
        var setting = ThresholdSetting.For(loaded.Info, "fresh");
        Assert.Equal(ThresholdSetting.DefaultSource, setting.Source);
        var summary = WaveformPicker.Pick(
            loaded,
            data,
            setting,
            dir.File("picks.csv"),
            dir.File("curves.h5"),
            batchSize: 4
        );
        Assert.Equal(9, summary.Traces);
        var rows = File.ReadAllLines(dir.File("picks.csv")).Skip(1).Select(l => l.Split(',')).ToArray();
        Assert.Equal(data.Rows.Select(r => r.TraceName), rows.Select(r => r[0]));
        Assert.Equal(data.Rows.Select(r => r.Split), rows.Select(r => r[1]));
        using var curves = new CurvesReader(dir.File("curves.h5"));
        var (detection, p, s) = curves.ReadCurves(4);
        var picked = CurveSummary.FromCurves(detection, p, s, rows[4][0]).Picks(setting.Thresholds);
        Assert.Equal(
            picked.DetectionProbability.ToString("R", System.Globalization.CultureInfo.InvariantCulture),
            rows[4][2]
        );
        Assert.Equal(picked.P?.Sample.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "", rows[4][3]);
    }

    [Fact]
    public void The_cosine_schedule_holds_the_rate_then_falls_to_zero_over_its_decay_epochs_and_resumes_on_it()
    {
        using var dir = new TempDir();
        // Enough training traces for several steps an epoch at batch 4: a decay of one step would stay at the peak.
        var subset = TestSubsets.Make(dir, 30, 21);
        var rates = new List<(int Epoch, double Rate)>();
        var cosine = Options(subset, dir.File("cosine"), 2) with
        {
            Schedule = WaveformSchedule.Cosine,
            WarmupEpochs = 0,
            DecayEpochs = 1,
            OnStep = p => rates.Add((p.Epoch, p.LearningRate)),
        };
        var whole = WaveformTrainer.Train(cosine);
        Assert.All(rates.Where(r => r.Epoch == 1), r => Assert.Equal(1e-3, r.Rate, 12));
        var last = rates.Where(r => r.Epoch == 2).Select(r => r.Rate).ToArray();
        Assert.True(last.Length > 1);
        Assert.Equal(1e-3, last[0], 12);
        Assert.Equal(0, last[^1], 12);
        Assert.Equal(
            "cosine, warm-up 0 epochs, decay over the last 1",
            Checkpoint.ReadInfo(whole.ModelPath).Notes[PickingNotes.Schedule]
        );

        using var stop = new CancellationTokenSource();
        WaveformTrainer.Train(
            cosine with
            {
                OutputDirectory = dir.File("split"),
                OnStep = null,
                OnEpoch = _ => stop.Cancel(),
                Cancellation = stop.Token,
            }
        );
        var plateau = Assert.Throws<InvalidDataException>(() =>
            WaveformTrainer.Train(Options(subset, dir.File("split"), 2) with { Resume = true })
        );
        Assert.Contains("schedule=cosine", plateau.Message);
        var resumed = WaveformTrainer.Train(
            cosine with
            {
                OutputDirectory = dir.File("split"),
                OnStep = null,
                Resume = true,
            }
        );
        var (a, b) = (Weights(whole.ModelPath), Weights(resumed.ModelPath));
        foreach (var key in a.Keys)
            Assert.Equal(a[key], b[key]);
        Assert.Throws<ArgumentException>(() => WaveformTrainer.Train(cosine with { DecayEpochs = 3 }));
    }

    [Fact]
    public void Stored_thresholds_are_read_back_and_bad_ones_refused_by_key()
    {
        Assert.Null(PickingNotes.StoredThresholds(new Dictionary<string, string>(), "m"));
        var notes = PickingNotes
            .Of(new ThresholdChoice(new PickThresholds(0.3, 0.25, 0.2), ThresholdSearch.Rule, [], [], []))
            .ToDictionary();
        Assert.Equal(new PickThresholds(0.3, 0.25, 0.2), PickingNotes.StoredThresholds(notes, "m"));
        notes[PickingNotes.PThreshold] = "NaN";
        Assert.Contains(
            PickingNotes.PThreshold,
            Assert.Throws<InvalidDataException>(() => PickingNotes.StoredThresholds(notes, "m")).Message
        );
        notes.Remove(PickingNotes.PThreshold);
        Assert.Contains(
            "only some",
            Assert.Throws<InvalidDataException>(() => PickingNotes.StoredThresholds(notes, "m")).Message
        );
    }

    [Fact]
    public void A_classifier_is_not_a_picker_and_is_refused_by_name()
    {
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
        Assert.False(PickingNetwork.IsPicker(resnet));
        Assert.True(PickingNetwork.IsPicker(NetworkBuilders.Create("eqtransformer", new NetworkOptions())));
        var e = Assert.Throws<InvalidDataException>(() => PickingNetwork.Require(resnet, "resnet.safetensors"));
        Assert.Contains("resnet.safetensors: not a waveform picker", e.Message);
        using var dir = new TempDir();
        var subset = TestSubsets.Make(dir, 6, 23);
        Assert.Throws<InvalidDataException>(() =>
            WaveformTrainer.Train(
                new WaveformTrainOptions
                {
                    Data = subset,
                    OutputDirectory = dir.File("r"),
                    Architecture = resnet,
                }
            )
        );
        Assert.Throws<DirectoryNotFoundException>(() =>
            WaveformTrainer.Train(Options(dir.File("nowhere"), dir.File("r"), 1))
        );
    }
}
