using QuakePrune.Models;
using QuakePrune.Torch;

namespace QuakePrune.Training;

/// <summary>
/// The options every training run has, whatever it trains (<see cref="TrainOptions"/> for classifiers,
/// <c>Picking.WaveformTrainOptions</c> for pickers): what <see cref="EpochLoop"/> and the run's folder need.
/// </summary>
public abstract record TrainingRunOptions
{
    /// <summary>
    /// Where history.csv, model.safetensors (the best dev epoch) and state.safetensors (resumable) go.
    /// </summary>
    public required string OutputDirectory { get; init; }

    /// <summary>
    /// Start from this checkpoint (its architecture and weights), as retraining a pruned model does; null: fresh
    /// weights.
    /// </summary>
    public string? Init { get; init; }

    /// <summary>A fresh model of this architecture when there is no <see cref="Init"/>.</summary>
    public Architecture? Architecture { get; init; }

    public int Epochs { get; init; } = 10;
    public int BatchSize { get; init; } = 32;

    /// <summary>Linear warm-up length of a cosine schedule in epochs (may be fractional).</summary>
    public double WarmupEpochs { get; init; } = 1;

    /// <summary>Stop when the dev score has not improved for this many epochs; 0: never.</summary>
    public int Patience { get; init; }

    public long Seed { get; init; } = 1;
    public Device Device { get; init; } = Device.CPU;

    /// <summary>libtorch threads; null: all cores.</summary>
    public int? Threads { get; init; }

    /// <summary>Continue from state.safetensors in the output folder (after an interrupt at any point).</summary>
    public bool Resume { get; init; }

    /// <summary>
    /// This process's rank in a data-parallel run (<see cref="DistributedContext"/>); null: one process. The caller
    /// owns it.
    /// </summary>
    public DistributedContext? Distributed { get; init; }

    /// <summary>Stops the run between steps; the state of the last finished epoch stays resumable.</summary>
    public CancellationToken Cancellation { get; init; }

    /// <summary>Checks the options every run shares; each trainer's Validate checks its own beside them.</summary>
    protected void ValidateRun()
    {
        if (Epochs < 1)
            throw new ArgumentException($"train: epochs must be at least 1, got {Epochs}");
        if (BatchSize < 1)
            throw new ArgumentException($"train: batch size must be at least 1, got {BatchSize}");
        if (!(WarmupEpochs >= 0 && WarmupEpochs <= Epochs))
            throw new ArgumentException($"train: warm-up {WarmupEpochs} epochs must be in [0, epochs]");
        if (Patience < 0)
            throw new ArgumentException($"train: patience must not be negative, got {Patience}");
        if (Threads is < 1)
            throw new ArgumentException($"train: threads must be at least 1, got {Threads}");
    }
}
