using QuakePrune.Pruning;
using QuakePrune.Torch;
using QuakePrune.Training;

namespace QuakePrune.Retraining;

/// <summary>
/// Fine-tuning a pruned model, or pruning a whole one step by step with fine-tuning between steps. Defaults follow Li
/// et al. (a constant small rate, no warm-up) and the Torch-Pruning practice of a tenth of the original rate.
/// </summary>
public sealed record RetrainOptions
{
    /// <summary>The checkpoint to start from: already pruned, or whole when <see cref="Ratio"/> is given.</summary>
    public required string Model { get; init; }

    /// <summary>
    /// The spectrogram file (train, dev and, when present, test splits), or a subset folder whose images are computed
    /// on the fly with the spectrogram settings <see cref="Model"/> records.
    /// </summary>
    public string? Data { get; init; }

    /// <summary>Where model.safetensors, history.csv and retrain.json go.</summary>
    public required string OutputDirectory { get; init; }

    /// <summary>Fine-tuning epochs per step (fewer than training).</summary>
    public int Epochs { get; init; } = 3;

    /// <summary>
    /// Constant learning rate; null: 0.1 x the rate recorded in the checkpoint
    /// (<see cref="TrainingNotes.LearningRate"/>), else 0.001.
    /// </summary>
    public double? LearningRate { get; init; }

    /// <summary>
    /// Null: fine-tune the model as it is. A ratio: prune to it first (in <see cref="Steps"/> steps).
    /// </summary>
    public double? Ratio { get; init; }

    /// <summary>
    /// Iterative pruning: after step k of K each group keeps round((1 - ratio)^(k/K) x its original width) channels.
    /// </summary>
    public int Steps { get; init; } = 1;

    public PruningScope Scope { get; init; } = PruningScope.Full;

    /// <summary>The criterion that ranks channels when pruning (with <see cref="Ratio"/>).</summary>
    public IImportance Importance { get; init; } = Importances.L2;
    public int MinKeep { get; init; } = 1;
    public int RoundTo { get; init; } = 1;

    /// <summary>Null: the optimiser the checkpoint was trained with (its notes), else SGD.</summary>
    public OptimizerKind? Optimizer { get; init; }

    public int BatchSize { get; init; } = 32;

    /// <summary>
    /// This process's rank in a data-parallel retraining (every rank prunes and scores alike; rank 0 writes); null: one
    /// process.
    /// </summary>
    public Training.DistributedContext? Distributed { get; init; }
    public long Seed { get; init; } = 1;
    public Device Device { get; init; } = Device.CPU;
    public int? Threads { get; init; }
    public Action<StepProgress>? OnStep { get; init; }
    public Action<EpochRecord>? OnEpoch { get; init; }

    public void Validate()
    {
        if (Epochs < 1)
            throw new ArgumentException($"retrain: epochs must be at least 1, got {Epochs}");
        if (Steps < 1)
            throw new ArgumentException($"retrain: steps must be at least 1, got {Steps}");
        if (Steps > 1 && Ratio is null)
            throw new ArgumentException(
                "retrain: --steps needs --ratio (the final fraction removed, reached step by step)"
            );
        if (LearningRate is { } lr && !(lr > 0))
            throw new ArgumentException($"retrain: learning rate must be positive, got {lr}");
        if (BatchSize < 1)
            throw new ArgumentException($"retrain: batch size must be at least 1, got {BatchSize}");
        if (Threads is < 1)
            throw new ArgumentException($"retrain: threads must be at least 1, got {Threads}");
        if (Ratio is { } ratio)
            Pruning(ratio).Validate();
    }

    /// <summary>
    /// The pruning these options ask for at <paramref name="ratio"/> (local ranking: every group loses the same share).
    /// </summary>
    public PruningOptions Pruning(double ratio) =>
        new(ratio, Scope, Ranking.Local, MinKeep, RoundTo) { Importance = Importance };
}
