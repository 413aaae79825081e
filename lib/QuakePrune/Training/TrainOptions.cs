using QuakePrune.Models;
using QuakePrune.Torch;

namespace QuakePrune.Training;

public enum OptimizerKind { Sgd, AdamW }

/// <summary>Random changes to training images: a time shift and SpecAugment-style masks, drawn from (seed, epoch, step).</summary>
public sealed record AugmentOptions
{
    /// <summary>Largest shift along time as a fraction of the width; the vacated columns become 0 (the z-scored mean).</summary>
    public double MaxTimeShift { get; init; } = 0.1;

    /// <summary>Frequency masks per image, each up to <see cref="MaxFrequencyMask"/> of the height.</summary>
    public int FrequencyMasks { get; init; } = 1;

    public double MaxFrequencyMask { get; init; } = 0.15;

    /// <summary>Time masks per image, each up to <see cref="MaxTimeMask"/> of the width.</summary>
    public int TimeMasks { get; init; } = 1;

    public double MaxTimeMask { get; init; } = 0.1;

    public void Validate()
    {
        if (MaxTimeShift is < 0 or >= 1) throw new ArgumentException($"augment: time shift {MaxTimeShift} must be in [0, 1)");
        if (MaxFrequencyMask is < 0 or > 1 || MaxTimeMask is < 0 or > 1) throw new ArgumentException("augment: mask fractions must be in [0, 1]");
        if (FrequencyMasks < 0 || TimeMasks < 0) throw new ArgumentException("augment: mask counts must not be negative");
    }
}

/// <summary>Everything one training run needs; the defaults train the paper's baseline.</summary>
public sealed record TrainOptions
{
    /// <summary>The spectrogram file (train and dev splits).</summary>
    public string? Data { get; init; }

    /// <summary>Where history.csv, model.safetensors (best dev F1) and state.safetensors (resumable) go.</summary>
    public required string OutputDirectory { get; init; }

    /// <summary>Start from this checkpoint (its architecture and weights), as retraining a pruned model does.</summary>
    public string? Init { get; init; }

    /// <summary>A fresh model of this architecture when there is no <see cref="Init"/>; null: ResNet50 with <see cref="Hidden"/>.</summary>
    public Architecture? Architecture { get; init; }

    /// <summary>Hidden head width of a fresh ResNet50 (0: a single Linear).</summary>
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

    public int Epochs { get; init; } = 10;

    /// <summary>Linear warm-up length in epochs (may be fractional); the learning rate then follows a cosine, per step.</summary>
    public double WarmupEpochs { get; init; } = 1;

    public int BatchSize { get; init; } = 32;
    public double LabelSmoothing { get; init; }

    /// <summary>Weights of (noise, earthquake) in the loss; null: none. <see cref="BalancedClassWeights"/>: from the train counts.</summary>
    public double[]? ClassWeights { get; init; }

    public bool BalancedClassWeights { get; init; }

    /// <summary>Null: no augmentation.</summary>
    public AugmentOptions? Augment { get; init; }

    /// <summary>Stop when dev F1 has not improved for this many epochs; 0: never.</summary>
    public int Patience { get; init; }

    public long Seed { get; init; } = 1;
    public Device Device { get; init; } = Device.CPU;

    /// <summary>libtorch threads; null: all cores.</summary>
    public int? Threads { get; init; }

    /// <summary>Continue from <c>state.safetensors</c> in the output directory.</summary>
    public bool Resume { get; init; }

    /// <summary>Called after each step (progress bars).</summary>
    public Action<StepProgress>? OnStep { get; init; }

    /// <summary>Called after each epoch, once its files are written.</summary>
    public Action<EpochRecord>? OnEpoch { get; init; }

    /// <summary>Stops the run between steps; the state of the last finished epoch stays resumable.</summary>
    public CancellationToken Cancellation { get; init; }

    public double PeakLearningRate => LearningRate ?? (Optimizer == OptimizerKind.Sgd ? 0.01 : 0.001);
    public double EffectiveWeightDecay => WeightDecay ?? (Optimizer == OptimizerKind.Sgd ? 1e-4 : 0.05);

    public void Validate()
    {
        if (Epochs < 1) throw new ArgumentException($"train: epochs must be at least 1, got {Epochs}");
        if (BatchSize < 1) throw new ArgumentException($"train: batch size must be at least 1, got {BatchSize}");
        if (!(PeakLearningRate > 0 && double.IsFinite(PeakLearningRate))) throw new ArgumentException($"train: learning rate must be positive, got {PeakLearningRate}");
        if (!(MinLearningRate >= 0 && MinLearningRate <= PeakLearningRate)) throw new ArgumentException($"train: min learning rate {MinLearningRate} must be in [0, lr]");
        if (!(WarmupEpochs >= 0 && WarmupEpochs <= Epochs)) throw new ArgumentException($"train: warm-up {WarmupEpochs} epochs must be in [0, epochs]");
        if (!(Momentum is >= 0 and < 1)) throw new ArgumentException($"train: momentum must be in [0, 1), got {Momentum}");
        if (Nesterov && (Optimizer != OptimizerKind.Sgd || Momentum == 0)) throw new ArgumentException("train: Nesterov needs SGD with momentum");
        if (!(EffectiveWeightDecay >= 0 && double.IsFinite(EffectiveWeightDecay))) throw new ArgumentException($"train: weight decay must be a finite number, not negative, got {EffectiveWeightDecay}");
        if (!(LabelSmoothing is >= 0 and < 1)) throw new ArgumentException($"train: label smoothing must be in [0, 1), got {LabelSmoothing}");
        if (ClassWeights is not null && (ClassWeights.Length != 2 || ClassWeights.Any(w => !(w > 0 && double.IsFinite(w)))))
            throw new ArgumentException("train: class weights must be two positive numbers (noise, earthquake)");
        if (ClassWeights is not null && BalancedClassWeights) throw new ArgumentException("train: give class weights or balanced, not both");
        if (Patience < 0) throw new ArgumentException($"train: patience must not be negative, got {Patience}");
        if (Threads is < 1) throw new ArgumentException($"train: threads must be at least 1, got {Threads}");
        if (Init is not null && Architecture is not null) throw new ArgumentException("train: give an initial checkpoint or an architecture, not both");
        if (Hidden < 0) throw new ArgumentException($"train: hidden width must not be negative, got {Hidden}");
        Augment?.Validate();
    }
}

/// <summary>Where a run is within an epoch.</summary>
public readonly record struct StepProgress(int Epoch, int Epochs, int Step, int Steps, double Loss, double Accuracy, double ImagesPerSecond, double LearningRate);

/// <summary>One row of history.csv.</summary>
public sealed record EpochRecord(
    int Epoch, double LearningRate, double TrainLoss, double TrainAccuracy, double DevLoss, double DevAccuracy, double DevPrecision,
    double DevRecall, double DevF1, double ImagesPerSecond, double Seconds, bool Best);

/// <summary>How a run ended.</summary>
public sealed record TrainResult(
    string OutputDirectory, string ModelPath, string StatePath, string HistoryPath, IReadOnlyList<EpochRecord> History,
    int BestEpoch, double BestDevF1, double DecisionThreshold, bool EarlyStopped, bool Interrupted, double Seconds);
