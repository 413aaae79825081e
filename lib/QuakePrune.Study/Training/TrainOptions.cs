using QuakePrune.Spectrograms;

namespace QuakePrune.Training;

public enum OptimizerKind
{
    Sgd,
    AdamW,
}

/// <summary>
/// Random changes to training images: a time shift and SpecAugment-style masks, drawn from (seed, epoch, step).
/// </summary>
public sealed record AugmentOptions
{
    /// <summary>
    /// Largest shift along time as a fraction of the width; the vacated columns become 0 (the z-scored mean).
    /// </summary>
    public double MaxTimeShift { get; init; } = 0.1;

    /// <summary>Frequency masks per image, each up to <see cref="MaxFrequencyMask"/> of the height.</summary>
    public int FrequencyMasks { get; init; } = 1;

    public double MaxFrequencyMask { get; init; } = 0.15;

    /// <summary>Time masks per image, each up to <see cref="MaxTimeMask"/> of the width.</summary>
    public int TimeMasks { get; init; } = 1;

    public double MaxTimeMask { get; init; } = 0.1;

    public void Validate()
    {
        if (MaxTimeShift is < 0 or >= 1)
            throw new ArgumentException($"augment: time shift {MaxTimeShift} must be in [0, 1)");
        if (MaxFrequencyMask is < 0 or > 1 || MaxTimeMask is < 0 or > 1)
            throw new ArgumentException("augment: mask fractions must be in [0, 1]");
        if (FrequencyMasks < 0 || TimeMasks < 0)
            throw new ArgumentException("augment: mask counts must not be negative");
    }
}

/// <summary>Everything one classifier's training run needs; the defaults train the paper's baseline.</summary>
public sealed record TrainOptions : TrainingRunOptions
{
    /// <summary>
    /// The spectrogram file (train and dev splits), or a subset folder whose images <see cref="Spectrogram"/> computes
    /// on the fly (<see cref="ImageDataSets.Open(string, SpectrogramSettings?, int)"/>).
    /// </summary>
    public string? Data { get; init; }

    /// <summary>
    /// The settings that compute a subset folder's images; with a spectrogram file, null or the file's own.
    /// </summary>
    public SpectrogramSettings? Spectrogram { get; init; }

    /// <summary>Threads that compute a subset folder's images ahead of training; 0: every core.</summary>
    public int LoaderThreads { get; init; }

    /// <summary>
    /// Hidden head width of a fresh ResNet50 (0: a single Linear), when there is neither an init nor an architecture.
    /// </summary>
    public int Hidden { get; init; } = 512;

    public OptimizerKind Optimizer { get; init; } = OptimizerKind.Sgd;

    /// <summary>Peak learning rate; null: 0.01 for SGD, 0.001 for AdamW.</summary>
    public double? LearningRate { get; init; }

    /// <summary>The schedule's floor at the end of the cosine.</summary>
    public double MinLearningRate { get; init; }

    public double Momentum { get; init; } = 0.9;
    public bool Nesterov { get; init; }

    /// <summary>Null: 1e-4 for SGD, 0.05 for AdamW.</summary>
    public double? WeightDecay { get; init; }

    /// <summary>Also decay batch-norm weights and biases (off: only conv and linear weights decay).</summary>
    public bool DecayNormAndBias { get; init; }

    public double LabelSmoothing { get; init; }

    /// <summary>
    /// Weights of (noise, earthquake) in the loss; null: none. <see cref="BalancedClassWeights"/>: from the train
    /// counts.
    /// </summary>
    public double[]? ClassWeights { get; init; }

    public bool BalancedClassWeights { get; init; }

    /// <summary>Null: no augmentation.</summary>
    public AugmentOptions? Augment { get; init; }

    /// <summary>Called after each step (progress bars).</summary>
    public Action<StepProgress>? OnStep { get; init; }

    /// <summary>Called after each epoch, once its files are written.</summary>
    public Action<EpochRecord>? OnEpoch { get; init; }

    public double PeakLearningRate => LearningRate ?? (Optimizer == OptimizerKind.Sgd ? 0.01 : 0.001);
    public double EffectiveWeightDecay => WeightDecay ?? (Optimizer == OptimizerKind.Sgd ? 1e-4 : 0.05);

    public void Validate()
    {
        ValidateRun();
        if (!(PeakLearningRate > 0 && double.IsFinite(PeakLearningRate)))
            throw new ArgumentException($"train: learning rate must be positive, got {PeakLearningRate}");
        if (!(MinLearningRate >= 0 && MinLearningRate <= PeakLearningRate))
            throw new ArgumentException($"train: min learning rate {MinLearningRate} must be in [0, lr]");
        if (!(Momentum is >= 0 and < 1))
            throw new ArgumentException($"train: momentum must be in [0, 1), got {Momentum}");
        if (Nesterov && (Optimizer != OptimizerKind.Sgd || Momentum == 0))
            throw new ArgumentException("train: Nesterov needs SGD with momentum");
        if (!(EffectiveWeightDecay >= 0 && double.IsFinite(EffectiveWeightDecay)))
            throw new ArgumentException(
                $"train: weight decay must be a finite number, not negative, got {EffectiveWeightDecay}"
            );
        if (!(LabelSmoothing is >= 0 and < 1))
            throw new ArgumentException($"train: label smoothing must be in [0, 1), got {LabelSmoothing}");
        if (
            ClassWeights is not null
            && (ClassWeights.Length != 2 || ClassWeights.Any(w => !(w > 0 && double.IsFinite(w))))
        )
            throw new ArgumentException("train: class weights must be two positive numbers (noise, earthquake)");
        if (ClassWeights is not null && BalancedClassWeights)
            throw new ArgumentException("train: give class weights or balanced, not both");
        if (Init is not null && Architecture is not null)
            throw new ArgumentException("train: give an initial checkpoint or an architecture, not both");
        if (Hidden < 0)
            throw new ArgumentException($"train: hidden width must not be negative, got {Hidden}");
        if (LoaderThreads < 0)
            throw new ArgumentException($"train: loader threads must not be negative, got {LoaderThreads}");
        Augment?.Validate();
    }
}

/// <summary>Where a run is within an epoch.</summary>
public readonly record struct StepProgress(
    int Epoch,
    int Epochs,
    int Step,
    int Steps,
    double Loss,
    double Accuracy,
    double ImagesPerSecond,
    double LearningRate
);

/// <summary>
/// One row of a classifier's history.csv (<see cref="History"/>): dev accuracy, precision, recall and F1 at 0.5.
/// </summary>
public sealed record EpochRecord(
    int Epoch,
    double LearningRate,
    double TrainLoss,
    double TrainAccuracy,
    double DevLoss,
    double DevAccuracy,
    double DevPrecision,
    double DevRecall,
    double DevF1,
    double ImagesPerSecond,
    double Seconds,
    bool Best
) : EpochRow(Epoch, LearningRate, TrainLoss, DevLoss, Seconds, Best);

/// <summary>How a run ended.</summary>
public sealed record TrainResult(
    string OutputDirectory,
    string ModelPath,
    string StatePath,
    string HistoryPath,
    IReadOnlyList<EpochRecord> History,
    int BestEpoch,
    double BestDevF1,
    double DecisionThreshold,
    bool EarlyStopped,
    bool Interrupted,
    double Seconds
);
