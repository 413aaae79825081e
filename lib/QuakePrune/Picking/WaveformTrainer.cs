using System.Diagnostics;
using System.Globalization;
using QuakePrune.Models;
using QuakePrune.Torch;
using QuakePrune.Training;
using static QuakePrune.Torch.torch;

namespace QuakePrune.Picking;

/// <summary>Everything one waveform training run needs; the defaults follow EQTransformer's trainer where it has one.</summary>
public sealed record WaveformTrainOptions
{
    /// <summary>The subset folder (`quakeprune extract`'s subset.hdf5 + subset.csv with train and dev rows).</summary>
    public required string Data { get; init; }

    /// <summary>Where history.csv, model.safetensors (lowest dev loss) and state.safetensors (resumable) go.</summary>
    public required string OutputDirectory { get; init; }

    /// <summary>The picker to train from fresh weights (eqtransformer, eqt-gru, eqt-cnn-bilstm, eqt-lite...); null with <see cref="Init"/>.</summary>
    public Architecture? Architecture { get; init; }

    /// <summary>
    /// Start from this picker checkpoint, its architecture and weights (a pruned picker retrained); its notes (the pruning's
    /// provenance) carry over. Null: fresh weights of <see cref="Architecture"/>.
    /// </summary>
    public string? Init { get; init; }

    public int Epochs { get; init; } = 10;
    public int BatchSize { get; init; } = 32;

    /// <summary>Adam's learning rate (EQTransformer's: 0.001).</summary>
    public double LearningRate { get; init; } = 1e-3;

    /// <summary>
    /// How the rate moves: EQTransformer's cut on a plateau of the dev loss (open-ended training), or a warm-up and a cosine
    /// to zero over the run (a fixed budget of epochs, where it ends at a low rate whatever the dev loss did).
    /// </summary>
    public WaveformSchedule Schedule { get; init; } = WaveformSchedule.Plateau;

    /// <summary>With <see cref="WaveformSchedule.Cosine"/>: the linear warm-up's length in epochs (may be fractional).</summary>
    public double WarmupEpochs { get; init; } = DefaultWarmupEpochs;

    public const double DefaultWarmupEpochs = 0.5;

    /// <summary>
    /// With <see cref="WaveformSchedule.Cosine"/>: the cosine spans the last this many epochs (may be fractional), the peak held
    /// after the warm-up until then; null: every epoch after the warm-up.
    /// </summary>
    public double? DecayEpochs { get; init; }

    /// <summary>
    /// With <see cref="WaveformSchedule.Plateau"/>: epochs without a lower dev loss after which the rate is multiplied by
    /// sqrt(0.1), down to 0.5e-6 (EQTransformer's ReduceLROnPlateau: patience 12 - 2); 0: never.
    /// </summary>
    public int PlateauPatience { get; init; } = 10;

    /// <summary>Stop after this many epochs without a lower dev loss (EQTransformer's early stopping, patience 12); 0: never.</summary>
    public int Patience { get; init; } = 12;

    /// <summary>Augmentation of the training windows; null: none.</summary>
    public WaveformAugmentOptions? Augmentation { get; init; }

    /// <summary>The shape of the P and S label curves (EQTransformer's by default).</summary>
    public LabelSettings Labels { get; init; } = new();

    /// <summary>The loss's detection, P and S weights (EQTransformer's by default).</summary>
    public LossWeights LossWeights { get; init; } = LossWeights.EqTransformer;

    public long Seed { get; init; } = 1;
    public Device Device { get; init; } = Device.CPU;

    /// <summary>libtorch threads; null: all cores.</summary>
    public int? Threads { get; init; }

    /// <summary>Continue from state.safetensors in the output folder (after an interrupt at any point).</summary>
    public bool Resume { get; init; }

    public Action<WaveformStepProgress>? OnStep { get; init; }
    public Action<WaveformEpochRecord>? OnEpoch { get; init; }

    /// <summary>Stops the run between steps; the state of the last finished epoch stays resumable.</summary>
    public CancellationToken Cancellation { get; init; }

    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(Data)) throw new ArgumentException("train: give the subset folder (--data)");
        if (Epochs < 1) throw new ArgumentException($"train: epochs must be at least 1, got {Epochs}");
        if (BatchSize < 1) throw new ArgumentException($"train: batch size must be at least 1, got {BatchSize}");
        if (!(LearningRate > 0 && double.IsFinite(LearningRate))) throw new ArgumentException($"train: learning rate must be positive, got {LearningRate}");
        if (PlateauPatience < 0 || Patience < 0) throw new ArgumentException("train: patience must not be negative");
        if (!(WarmupEpochs >= 0 && WarmupEpochs <= Epochs)) throw new ArgumentException($"train: warm-up {WarmupEpochs} epochs must be in [0, epochs]");
        if (DecayEpochs is { } decay && !(decay > 0 && decay <= Epochs)) throw new ArgumentException($"train: decay {decay} epochs must be in (0, epochs]");
        if (Threads is < 1) throw new ArgumentException($"train: threads must be at least 1, got {Threads}");
        Augmentation?.Validate();
        Labels.Validate();
        LossWeights.Validate();
        if ((Init is null) == (Architecture is null)) throw new ArgumentException("train: give a picker's architecture or an initial checkpoint (--init), one of them");
        if (Architecture is not null) PickingNetwork.Require(Architecture, "train");
    }
}

/// <summary>How a waveform picker's learning rate moves (<see cref="WaveformTrainOptions.Schedule"/>).</summary>
public enum WaveformSchedule
{
    /// <summary>EQTransformer's: constant, cut by sqrt(0.1) after a plateau of the dev loss.</summary>
    Plateau,

    /// <summary>Linear warm-up, then a cosine to zero at the last step of the budget, per step.</summary>
    Cosine,
}

/// <summary>Where a run is within an epoch.</summary>
public readonly record struct WaveformStepProgress(int Epoch, int Epochs, int Step, int Steps, double Loss, double TracesPerSecond, double LearningRate);

/// <summary>
/// One row of a waveform run's history.csv: the losses, and dev detection, P and S F1 at thresholds chosen on dev that epoch
/// (<see cref="ThresholdSearch"/>). Scored where the thresholds were chosen, they are optimistic: they show how learning
/// went, not what a test split gives. At fixed thresholds of 0.5 they said nothing: with labels of sigma 20 a pick's curve
/// peaks near 0.3 to 0.4 long before it passes 0.5.
/// </summary>
public sealed record WaveformEpochRecord(
    int Epoch, double LearningRate, double TrainLoss, double DevLoss, double? DevDetectionF1, double? DevPF1, double? DevSF1,
    double TracesPerSecond, double Seconds, bool Best);

/// <summary>How a waveform run ended: the kept epoch (lowest dev loss) and the thresholds chosen on dev for it.</summary>
public sealed record WaveformTrainResult(
    string OutputDirectory, string ModelPath, string HistoryPath, IReadOnlyList<WaveformEpochRecord> History, int BestEpoch, double BestDevLoss,
    PickThresholds? Thresholds, bool EarlyStopped, bool Interrupted, double Seconds);

/// <summary>
/// Trains a waveform picker on a subset's train split with EQTransformer's recipe: Adam (learning rate 0.001; Keras's
/// epsilon 1e-7), the loss of <see cref="PickingLoss"/> (0.05 detection, 0.40 P, 0.55 S), the dev loss after every epoch,
/// the rate cut by sqrt(0.1) on a plateau of the dev loss, early stopping, and the checkpoint with the lowest dev loss kept,
/// with detection, P and S thresholds chosen on dev for it (<see cref="ThresholdSearch"/>) in its notes. It shares the
/// classifier trainer's state file and per-epoch seeds (<see cref="TrainingState"/>): a run interrupted at any point resumes
/// from its last finished epoch and ends with the same weights as one never stopped (CPU).
/// </summary>
public static class WaveformTrainer
{
    public const string TrainSplit = "train";
    public const string DevSplit = "dev";

    /// <summary>The files a run writes in its folder (the same names as the classifier's, so `train --overwrite` treats both alike).</summary>
    public static IReadOnlyList<string> OutputFiles => Trainer.OutputFiles;

    /// <summary>Adam's epsilon as Keras (EQTransformer's framework) sets it.</summary>
    public const double AdamEpsilon = 1e-7;
    public static readonly double PlateauFactor = Math.Sqrt(0.1);
    public const double MinLearningRate = 0.5e-6;

    public static WaveformTrainResult Train(WaveformTrainOptions options)
    {
        options.Validate();
        var clock = Stopwatch.StartNew();
        var device = options.Device;
        if (device.type == DeviceType.CUDA && !cuda.is_available())
            throw new InvalidOperationException("train: --device cuda, but libtorch sees no CUDA device (a CPU-only libtorch or no GPU)");
        set_num_threads(options.Threads ?? Environment.ProcessorCount);
        keep_freed_cpu_memory();

        using var data = WaveformDataSet.Open(options.Data, options.Labels);
        var trainCount = data.RowsOf(TrainSplit).Length;
        data.RowsOf(DevSplit);

        var directory = options.OutputDirectory;
        var (modelPath, statePath, historyPath) = (Path.Combine(directory, Trainer.ModelFileName), Path.Combine(directory, Trainer.StateFileName),
            Path.Combine(directory, Trainer.HistoryFileName));
        var resume = Resumption.FromState(directory, options.Resume);
        Directory.CreateDirectory(directory);

        manual_seed(options.Seed);
        var (model, initNotes) = CreateModel(options);
        using var disposeModel = model;
        if (device.type != DeviceType.CPU) model.to(device);
        var info = PickingCheckpoint.Info(model.Architecture, new Dictionary<string, string>(initNotes)
        {
            [TrainingNotes.Data] = Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(options.Data))),
            [TrainingNotes.Seed] = options.Seed.ToString(CultureInfo.InvariantCulture),
            [TrainingNotes.Optimizer] = "adam",
            [TrainingNotes.LearningRate] = options.LearningRate.ToString("R", CultureInfo.InvariantCulture),
            [PickingNotes.Schedule] = Describe(options),
            [PickingNotes.LabelSigma] = options.Labels.PickSigma.ToString("R", CultureInfo.InvariantCulture),
            [PickingNotes.LabelHalfWidth] = options.Labels.PickHalfWidth.ToString(CultureInfo.InvariantCulture),
            [PickingNotes.LossWeights] = options.LossWeights.ToString(),
        });
        var optimizer = new optim.AdamW(model.named_parameters(), options.LearningRate, eps: AdamEpsilon, weight_decay: 0);
        List<(string, optim.Optimizer)> groups = [("all", optimizer)];
        var fingerprint = Fingerprint(options, model.Architecture);
        var progress = new Progress { LearningRate = options.LearningRate };
        var history = new List<WaveformEpochRecord>();
        if (resume)
        {
            progress = Progress.From(TrainingState.Load(statePath, model, groups, fingerprint));
            if (File.Exists(historyPath)) history = PickingHistory.Read(historyPath).Where(r => r.Epoch <= progress.Epochs).ToList();
        }

        var stepsPerEpoch = (trainCount + options.BatchSize - 1) / options.BatchSize;
        var cosine = options.Schedule == WaveformSchedule.Cosine
            ? new LearningRateSchedule(options.LearningRate, 0, (int)Math.Round(options.WarmupEpochs * stepsPerEpoch), options.Epochs * stepsPerEpoch,
                options.DecayEpochs is { } decay ? (int)Math.Round(decay * stepsPerEpoch) : null)
            : null;
        var interrupted = false;
        TrainingState.KeepOnInterruption(directory, progress.Epochs);
        try
        {
            while (progress.Epochs < options.Epochs && !progress.EarlyStopped)
            {
                var epoch = progress.Epochs;
                var epochClock = Stopwatch.StartNew();
                manual_seed(TrainingState.EpochSeed(options.Seed, epoch));
                var train = TrainEpoch(model, optimizer, data, options, epoch, stepsPerEpoch, step => cosine?.At(epoch * stepsPerEpoch + step) ?? progress.LearningRate);
                if (train is null)
                {
                    interrupted = true;
                    break;
                }
                var dev = PickingNetwork.Summarise(model, data, DevSplit, options.BatchSize, device, options.LossWeights);
                var choice = ThresholdSearch.Choose(dev.Truths, dev.Curves);
                var scores = dev.Score(choice.Thresholds);
                var best = dev.Loss < progress.BestDevLoss;
                progress = progress with { Epochs = epoch + 1 };
                if (best)
                {
                    var notes = PickingNotes.Of(choice).Aggregate(info, (i, note) => i.With(note.Key, note.Value))
                        .With(TrainingNotes.Epoch, (epoch + 1).ToString(CultureInfo.InvariantCulture))
                        .With(PickingNotes.DevLoss, dev.Loss.ToString("R", CultureInfo.InvariantCulture));
                    Checkpoint.Save(model, notes, modelPath);
                    progress = progress with { BestDevLoss = dev.Loss, BestEpoch = epoch + 1, Thresholds = choice.Thresholds, EpochsWithoutImprovement = 0 };
                }
                else
                {
                    var stalled = progress.EpochsWithoutImprovement + 1;
                    progress = progress with { EpochsWithoutImprovement = stalled };
                    if (cosine is null && options.PlateauPatience > 0 && stalled % options.PlateauPatience == 0)
                        progress = progress with { LearningRate = Math.Max(MinLearningRate, progress.LearningRate * PlateauFactor) };
                    if (options.Patience > 0 && stalled >= options.Patience) progress = progress with { EarlyStopped = true };
                }
                var record = new WaveformEpochRecord(epoch + 1, train.LearningRate, train.Loss, dev.Loss, scores.Detection.F1, scores.P.F1, scores.S.F1,
                    train.TracesPerSecond, epochClock.Elapsed.TotalSeconds, best);
                history.Add(record);
                PickingHistory.Write(historyPath, history);
                TrainingState.Save(statePath, model, groups, info, fingerprint, progress.ToCounters());
                TrainingState.KeepOnInterruption(directory, progress.Epochs);
                options.OnEpoch?.Invoke(record);
            }
        }
        finally
        {
            optimizer.DisposeState();
        }
        return new WaveformTrainResult(directory, modelPath, historyPath, history, progress.BestEpoch, progress.BestDevLoss, progress.Thresholds,
            progress.EarlyStopped, interrupted, clock.Elapsed.TotalSeconds);
    }

    /// <summary>The picker to train: fresh weights of the architecture, or the initial checkpoint's with its notes.</summary>
    private static (Network Model, IReadOnlyDictionary<string, string> Notes) CreateModel(WaveformTrainOptions options)
    {
        if (options.Init is not { } init) return (new Network(options.Architecture!), new Dictionary<string, string>());
        var loaded = PickingCheckpoint.Load(init);
        return (loaded.Model, new Dictionary<string, string>(loaded.Info.Notes) { [TrainingNotes.Init] = Path.GetFileName(init) });
    }

    private sealed record EpochTraining(double Loss, double TracesPerSecond, double LearningRate);

    /// <summary>One pass over the train split; null when cancelled.</summary>
    private static EpochTraining? TrainEpoch(Network model, optim.Optimizer optimizer, WaveformDataSet data, WaveformTrainOptions options, int epoch,
        int stepsPerEpoch, Func<int, double> rateAt)
    {
        model.train();
        var loader = new WaveformLoaderOptions
        {
            Split = TrainSplit, BatchSize = options.BatchSize, Shuffle = true, Seed = unchecked((ulong)options.Seed), Augmentation = options.Augmentation,
        };
        double lossSum = 0;
        long seen = 0;
        var step = 0;
        var clock = Stopwatch.StartNew();
        var first = rateAt(0);
        var lr = first;
        foreach (var batch in data.Epoch(loader, epoch))
        {
            if (options.Cancellation.IsCancellationRequested) return null;
            lr = rateAt(step);
            optimizer.lr = lr;
            using (NewDisposeScope())
            {
                var (x, d, p, s) = batch.ToTensors();
                if (options.Device.type != DeviceType.CPU) (x, d, p, s) = (x.to(options.Device), d.to(options.Device), p.to(options.Device), s.to(options.Device));
                optimizer.zero_grad();
                var (ld, lp, ls) = PickingNetwork.Logits(model, x);
                var loss = PickingLoss.Compute(ld, lp, ls, d, p, s, options.LossWeights);
                loss.backward();
                optimizer.step();
                var value = loss.item<double>();
                if (!double.IsFinite(value))
                    throw new InvalidOperationException($"train: the loss became {value} at epoch {epoch + 1}, step {step + 1}; lower the learning rate");
                lossSum += value * batch.Count;
            }
            seen += batch.Count;
            step++;
            options.OnStep?.Invoke(new WaveformStepProgress(epoch + 1, options.Epochs, step, stepsPerEpoch, lossSum / seen, seen / clock.Elapsed.TotalSeconds, lr));
        }
        if (options.Cancellation.IsCancellationRequested) return null;
        return new EpochTraining(lossSum / seen, seen / clock.Elapsed.TotalSeconds, first);
    }

    /// <summary>The schedule as the checkpoint's notes and the fingerprint record it.</summary>
    private static string Describe(WaveformTrainOptions o) => o.Schedule == WaveformSchedule.Cosine
        ? FormattableString.Invariant($"cosine, warm-up {o.WarmupEpochs:R} epochs, decay {(o.DecayEpochs is { } d ? $"over the last {d:R}" : "after the warm-up")}")
        : FormattableString.Invariant($"plateau, patience {o.PlateauPatience}");

    /// <summary>Counters a resumed run picks up.</summary>
    private sealed record Progress
    {
        public int Epochs { get; init; }
        public double BestDevLoss { get; init; } = double.PositiveInfinity;
        public int BestEpoch { get; init; }
        public PickThresholds? Thresholds { get; init; }
        public int EpochsWithoutImprovement { get; init; }
        public double LearningRate { get; init; }
        public bool EarlyStopped { get; init; }

        public Dictionary<string, string> ToCounters()
        {
            var counters = new Dictionary<string, string>
            {
                ["epochs"] = TrainingState.Format(Epochs),
                ["best_dev_loss"] = TrainingState.Format(BestDevLoss),
                ["best_epoch"] = TrainingState.Format(BestEpoch),
                ["epochs_without_improvement"] = TrainingState.Format(EpochsWithoutImprovement),
                ["learning_rate"] = TrainingState.Format(LearningRate),
                ["early_stopped"] = TrainingState.Format(EarlyStopped),
            };
            if (Thresholds is { } t)
            {
                counters["detection_threshold"] = TrainingState.Format(t.Detection);
                counters["p_threshold"] = TrainingState.Format(t.P);
                counters["s_threshold"] = TrainingState.Format(t.S);
            }
            return counters;
        }

        public static Progress From(TrainingState.Counters c)
        {
            var epochs = c.Int("best_epoch");
            return new Progress
            {
                Epochs = c.Int("epochs"),
                BestDevLoss = c.Double("best_dev_loss"),
                BestEpoch = epochs,
                Thresholds = epochs > 0 ? new PickThresholds(c.Double("detection_threshold"), c.Double("p_threshold"), c.Double("s_threshold")) : null,
                EpochsWithoutImprovement = c.Int("epochs_without_improvement"),
                LearningRate = c.Double("learning_rate"),
                EarlyStopped = c.Bool("early_stopped"),
            };
        }
    }

    /// <summary>What must not change between a run and its resumption.</summary>
    private static string Fingerprint(WaveformTrainOptions o, Architecture architecture) => string.Join(";",
        $"{TrainingState.DataEntry}={Resumption.Sha256(WaveformDataSet.ContentFiles(o.Data))}",
        FormattableString.Invariant($"seed={o.Seed}"), FormattableString.Invariant($"epochs={o.Epochs}"), FormattableString.Invariant($"batch={o.BatchSize}"),
        FormattableString.Invariant($"lr={o.LearningRate:R}"), $"schedule={Describe(o)}",
        FormattableString.Invariant($"patience={o.Patience}"),
        FormattableString.Invariant($"labels={o.Labels.PickSigma:R}/{o.Labels.PickHalfWidth}"), $"loss={o.LossWeights}",
        "augment=" + (o.Augmentation is { } a
            ? FormattableString.Invariant($"{a.ShiftProbability:R}/{a.NoiseProbability:R}/{a.DropChannelProbability:R}/{a.MinimumSnrDb:R}")
            : "none"),
        "init=" + (o.Init is null ? "none" : Path.GetFileName(o.Init)),
        $"{TrainingState.ArchitectureEntry}={architecture.ToJson()}");
}
