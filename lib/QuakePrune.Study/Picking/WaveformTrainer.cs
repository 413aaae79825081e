using System.Diagnostics;
using System.Globalization;
using QuakePrune.Models;
using QuakePrune.Torch;
using QuakePrune.Training;
using static QuakePrune.Torch.torch;

namespace QuakePrune.Picking;

/// <summary>
/// Everything one waveform training run needs; the defaults follow EQTransformer's trainer where it has one.
/// </summary>
public sealed record WaveformTrainOptions : TrainingRunOptions
{
    /// <summary>
    /// EQTransformer's early stopping (patience 12 on the dev loss) and a half-epoch warm-up for the cosine schedule.
    /// </summary>
    public WaveformTrainOptions()
    {
        Patience = 12;
        WarmupEpochs = DefaultWarmupEpochs;
    }

    /// <summary>The subset folder (`quakeprune extract`'s subset.hdf5 + subset.csv with train and dev rows).</summary>
    public required string Data { get; init; }

    /// <summary>Adam's learning rate (EQTransformer's: 0.001).</summary>
    public double LearningRate { get; init; } = 1e-3;

    /// <summary>
    /// How the rate moves: EQTransformer's cut on a plateau of the dev loss (open-ended training), or a warm-up and a
    /// cosine to zero over the run (a fixed budget of epochs, where it ends at a low rate whatever the dev loss did).
    /// </summary>
    public WaveformSchedule Schedule { get; init; } = WaveformSchedule.Plateau;

    /// <summary>
    /// With <see cref="WaveformSchedule.Cosine"/>: the linear warm-up's length in epochs
    /// (<see cref="TrainingRunOptions.WarmupEpochs"/>).
    /// </summary>
    public const double DefaultWarmupEpochs = 0.5;

    /// <summary>
    /// With <see cref="WaveformSchedule.Cosine"/>: the cosine spans the last this many epochs (may be fractional), the
    /// peak held after the warm-up until then; null: every epoch after the warm-up.
    /// </summary>
    public double? DecayEpochs { get; init; }

    /// <summary>
    /// With <see cref="WaveformSchedule.Plateau"/>: epochs without a lower dev loss after which the rate is multiplied
    /// by sqrt(0.1), down to 0.5e-6 (EQTransformer's ReduceLROnPlateau: patience 12 - 2); 0: never.
    /// </summary>
    public int PlateauPatience { get; init; } = 10;

    /// <summary>Augmentation of the training windows; null: none.</summary>
    public WaveformAugmentOptions? Augmentation { get; init; }

    /// <summary>The shape of the P and S label curves (EQTransformer's by default).</summary>
    public LabelSettings Labels { get; init; } = new();

    /// <summary>The loss's detection, P and S weights (EQTransformer's by default).</summary>
    public LossWeights LossWeights { get; init; } = LossWeights.EqTransformer;

    public Action<WaveformStepProgress>? OnStep { get; init; }
    public Action<WaveformEpochRecord>? OnEpoch { get; init; }

    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(Data))
            throw new ArgumentException("train: give the subset folder (--data)");
        ValidateRun();
        if (!(LearningRate > 0 && double.IsFinite(LearningRate)))
            throw new ArgumentException($"train: learning rate must be positive, got {LearningRate}");
        if (PlateauPatience < 0)
            throw new ArgumentException($"train: plateau patience must not be negative, got {PlateauPatience}");
        if (DecayEpochs is { } decay && !(decay > 0 && decay <= Epochs))
            throw new ArgumentException($"train: decay {decay} epochs must be in (0, epochs]");
        Augmentation?.Validate();
        Labels.Validate();
        LossWeights.Validate();
        if ((Init is null) == (Architecture is null))
            throw new ArgumentException(
                "train: give a picker's architecture or an initial checkpoint (--init), one of them"
            );
        if (Architecture is not null)
            PickingNetwork.Require(Architecture, "train");
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
public readonly record struct WaveformStepProgress(
    int Epoch,
    int Epochs,
    int Step,
    int Steps,
    double Loss,
    double TracesPerSecond,
    double LearningRate
);

/// <summary>
/// One row of a waveform run's history.csv: the losses, and dev detection, P and S F1 at thresholds chosen on dev that
/// epoch (<see cref="ThresholdSearch"/>). Scored where the thresholds were chosen, they are optimistic: they show how
/// learning went, not what a test split gives. At fixed thresholds of 0.5 they said nothing: with labels of sigma 20 a
/// pick's curve peaks near 0.3 to 0.4 long before it passes 0.5.
/// </summary>
public sealed record WaveformEpochRecord(
    int Epoch,
    double LearningRate,
    double TrainLoss,
    double DevLoss,
    double? DevDetectionF1,
    double? DevPF1,
    double? DevSF1,
    double TracesPerSecond,
    double Seconds,
    bool Best
) : EpochRow(Epoch, LearningRate, TrainLoss, DevLoss, Seconds, Best);

/// <summary>
/// How a waveform run ended: the kept epoch (lowest dev loss) and the thresholds chosen on dev for it.
/// </summary>
public sealed record WaveformTrainResult(
    string OutputDirectory,
    string ModelPath,
    string HistoryPath,
    IReadOnlyList<WaveformEpochRecord> History,
    int BestEpoch,
    double BestDevLoss,
    PickThresholds? Thresholds,
    bool EarlyStopped,
    bool Interrupted,
    double Seconds
);

/// <summary>
/// Trains a waveform picker on a subset's train split with EQTransformer's recipe: Adam (learning rate 0.001; Keras's
/// epsilon 1e-7), the loss of <see cref="PickingLoss"/> (0.05 detection, 0.40 P, 0.55 S), the dev loss after every
/// epoch, the rate cut by sqrt(0.1) on a plateau of the dev loss, early stopping, and the checkpoint with the lowest
/// dev loss kept, with detection, P and S thresholds chosen on dev for it (<see cref="ThresholdSearch"/>) in its notes.
/// It runs the classifier trainer's epoch loop (<see cref="EpochLoop"/>; <see cref="WaveformEpochs"/>: what one epoch
/// of a picker does), so a run interrupted at any point resumes from its last finished epoch and ends with the same
/// weights as one never stopped (CPU).
/// </summary>
public static class WaveformTrainer
{
    public const string TrainSplit = "train";
    public const string DevSplit = "dev";

    /// <summary>
    /// The files a run writes in its folder (the same names as the classifier's, so `train --overwrite` treats both
    /// alike).
    /// </summary>
    public static IReadOnlyList<string> OutputFiles => Trainer.OutputFiles;

    /// <summary>Adam's epsilon as Keras (EQTransformer's framework) sets it.</summary>
    public const double AdamEpsilon = 1e-7;
    public static readonly double PlateauFactor = Math.Sqrt(0.1);
    public const double MinLearningRate = 0.5e-6;

    public static WaveformTrainResult Train(WaveformTrainOptions options)
    {
        options.Validate();
        var clock = Stopwatch.StartNew();
        EpochLoop.UseDevice(options);

        using var data = WaveformDataSet.Open(options.Data, options.Labels);
        var trainCount = data.RowsOf(TrainSplit).Length;
        data.RowsOf(DevSplit);

        var loop = EpochLoop.Open(options);
        var (model, initNotes) = CreateModel(options);
        using var disposeModel = model;
        if (options.Device.type != DeviceType.CPU)
            model.to(options.Device);
        var info = PickingCheckpoint.Info(
            model.Architecture,
            new Dictionary<string, string>(initNotes)
            {
                [TrainingNotes.Data] = Path.GetFileName(
                    Path.TrimEndingDirectorySeparator(Path.GetFullPath(options.Data))
                ),
                [TrainingNotes.Seed] = options.Seed.ToString(CultureInfo.InvariantCulture),
                [TrainingNotes.Optimizer] = "adam",
                [TrainingNotes.LearningRate] = options.LearningRate.ToString("R", CultureInfo.InvariantCulture),
                [PickingNotes.Schedule] = Describe(options),
                [PickingNotes.LabelSigma] = options.Labels.PickSigma.ToString("R", CultureInfo.InvariantCulture),
                [PickingNotes.LabelHalfWidth] = options.Labels.PickHalfWidth.ToString(CultureInfo.InvariantCulture),
                [PickingNotes.LossWeights] = options.LossWeights.ToString(),
            }
        );
        var optimizer = new optim.AdamW(
            model.named_parameters(),
            options.LearningRate,
            eps: AdamEpsilon,
            weight_decay: 0
        );
        var stepsPerEpoch = DistributedSampler.StepsPerEpoch(
            trainCount,
            options.BatchSize,
            options.Distributed?.WorldSize ?? 1
        );
        var cosine =
            options.Schedule == WaveformSchedule.Cosine
                ? new LearningRateSchedule(
                    options.LearningRate,
                    0,
                    (int)Math.Round(options.WarmupEpochs * stepsPerEpoch),
                    options.Epochs * stepsPerEpoch,
                    options.DecayEpochs is { } decay ? (int)Math.Round(decay * stepsPerEpoch) : null
                )
                : null;
        var epochs = new WaveformEpochs(model, optimizer, data, options, cosine, stepsPerEpoch);
        var run = loop.Run(
            model,
            [("all", optimizer)],
            info,
            Fingerprint(options, model.Architecture),
            LowestDevLoss,
            PickingHistory.Layout,
            epochs,
            options.OnEpoch
        );
        return new WaveformTrainResult(
            options.OutputDirectory,
            loop.ModelPath,
            loop.HistoryPath,
            run.History,
            run.BestEpoch,
            run.BestScore,
            epochs.Thresholds,
            run.EarlyStopped,
            run.Interrupted,
            clock.Elapsed.TotalSeconds
        );
    }

    /// <summary>The checkpoint kept is the epoch of the lowest dev loss, EQTransformer's choice.</summary>
    private static readonly DevScoreRule LowestDevLoss = new(
        "best_dev_loss",
        HigherIsBetter: false,
        Start: double.PositiveInfinity
    );

    /// <summary>
    /// The picker to train: fresh weights of the architecture, or the initial checkpoint's with its notes.
    /// </summary>
    private static (Network Model, IReadOnlyDictionary<string, string> Notes) CreateModel(WaveformTrainOptions options)
    {
        if (options.Init is not { } init)
            return (new Network(options.Architecture!), new Dictionary<string, string>());
        var loaded = PickingCheckpoint.Load(init);
        return (
            loaded.Model,
            new Dictionary<string, string>(loaded.Info.Notes) { [TrainingNotes.Init] = Path.GetFileName(init) }
        );
    }

    /// <summary>The schedule as the checkpoint's notes and the fingerprint record it.</summary>
    private static string Describe(WaveformTrainOptions o) =>
        o.Schedule == WaveformSchedule.Cosine
            ? FormattableString.Invariant(
                $"cosine, warm-up {o.WarmupEpochs:R} epochs, decay {(o.DecayEpochs is { } d ? $"over the last {d:R}" : "after the warm-up")}"
            )
            : FormattableString.Invariant($"plateau, patience {o.PlateauPatience}");

    /// <summary>What must not change between a run and its resumption.</summary>
    private static string Fingerprint(WaveformTrainOptions o, Architecture architecture) =>
        string.Join(
            ";",
            $"{TrainingState.DataEntry}={Resumption.Sha256(WaveformDataSet.ContentFiles(o.Data))}",
            FormattableString.Invariant($"seed={o.Seed}"),
            FormattableString.Invariant($"epochs={o.Epochs}"),
            FormattableString.Invariant($"batch={o.BatchSize}"),
            FormattableString.Invariant($"lr={o.LearningRate:R}"),
            $"schedule={Describe(o)}",
            FormattableString.Invariant($"patience={o.Patience}"),
            FormattableString.Invariant($"labels={o.Labels.PickSigma:R}/{o.Labels.PickHalfWidth}"),
            $"loss={o.LossWeights}",
            "augment="
                + (
                    o.Augmentation is { } a
                        ? FormattableString.Invariant(
                            $"{a.ShiftProbability:R}/{a.NoiseProbability:R}/{a.DropChannelProbability:R}/{a.MinimumSnrDb:R}"
                        )
                        : "none"
                ),
            "init=" + (o.Init is null ? "none" : Path.GetFileName(o.Init)),
            $"{TrainingState.ArchitectureEntry}={architecture.ToJson()}"
        );
}
