using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using QuakePrune.Models;
using QuakePrune.Pruning;
using QuakePrune.Torch;
using QuakePrune.Training;
using static QuakePrune.Torch.torch;

namespace QuakePrune.Retraining;

/// <summary>One prune-and-fine-tune step (a plain fine-tune is a single step without pruning).</summary>
/// <param name="KeepFraction">Fraction of each pruned group's original channels kept after this step (1 when nothing
/// was pruned).</param>
/// <param name="FirstEpoch">This step's epochs in the run's history.csv: FirstEpoch..LastEpoch.</param>
public sealed record RetrainStep(
    int Step,
    double KeepFraction,
    double Ratio,
    long Params,
    long Macs,
    IReadOnlyDictionary<string, int> Widths,
    string? Pruned,
    string Model,
    ModelMetrics Before,
    ModelMetrics After,
    int BestEpoch,
    int FirstEpoch,
    int LastEpoch,
    double Seconds
);

/// <summary>
/// What retrain.json holds: scores immediately after pruning (before) and after fine-tuning, and each step.
/// </summary>
public sealed record RetrainResult(
    string Source,
    string Data,
    string OutputDirectory,
    string ModelPath,
    string HistoryPath,
    int Epochs,
    double LearningRate,
    string LearningRateSource,
    string Optimizer,
    double? Ratio,
    ModelMetrics Before,
    ModelMetrics After,
    IReadOnlyList<RetrainStep> Steps,
    double Seconds
)
{
    public string ToJson() => JsonSerializer.Serialize(this, RetrainingJson.Options);

    public static RetrainResult Read(string path)
    {
        try
        {
            return JsonSerializer.Deserialize<RetrainResult>(File.ReadAllText(path), RetrainingJson.Options)
                ?? throw new InvalidDataException($"{path}: empty retraining summary");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: not a retraining summary ({e.Message})", e);
        }
    }
}

/// <summary>
/// `quakeprune retrain` and the fifth notebook: scores a pruned model, fine-tunes it with the trainer at a constant
/// small rate, scores it again. With a ratio it prunes first, in K steps when asked: step k keeps round((1 - r)^(k/K) x
/// width) channels of every pruned group's original width (the kept fraction shrinks geometrically, so each step
/// removes the same share of what is left), fine-tuning after every step.
/// </summary>
public static class Retrainer
{
    public const string SummaryFileName = "retrain.json";
    public const string PrunedFileName = "pruned.safetensors";

    /// <summary>
    /// What a retraining of <paramref name="steps"/> steps writes in its folder (and all `retrain --overwrite` removes
    /// there).
    /// </summary>
    public static IReadOnlyList<string> OutputEntries(int steps) =>
        [
            .. Trainer.OutputFiles,
            SummaryFileName,
            PrunedFileName,
            .. Enumerable.Range(1, Math.Max(steps, 1)).Select(k => $"step{k}"),
        ];

    public const double DefaultLearningRate = 0.001;
    public const double RateFactor = 0.1;

    public static RetrainResult Retrain(RetrainOptions options)
    {
        if (string.IsNullOrEmpty(options.Data))
            throw new ArgumentException("retrain: no data given (a spectrogram file or a subset folder)");
        options.Validate();
        using var data = ImageDataSets.OpenFor(options.Data, Checkpoint.ReadInfo(options.Model));
        return Retrain(options, data);
    }

    public static RetrainResult Retrain(RetrainOptions options, IImageDataSet data)
    {
        options.Validate();
        var clock = Stopwatch.StartNew();
        var directory = options.OutputDirectory;
        var summaryPath = Path.Combine(directory, SummaryFileName);
        if (File.Exists(summaryPath) || File.Exists(Path.Combine(directory, Trainer.StateFileName)))
            throw new IOException($"retrain: '{directory}' already holds a run; choose another output directory");
        Directory.CreateDirectory(directory);

        var device = options.Device;
        set_num_threads(options.Threads ?? Environment.ProcessorCount);
        var sourceInfo = Checkpoint.ReadInfo(options.Model);
        var (lr, lrSource) = ChooseLearningRate(options, sourceInfo.Notes);
        var optimizer = options.Optimizer ?? RecordedOptimizer(sourceInfo.Notes) ?? OptimizerKind.Sgd;
        var originalGroups = DependencyGroups.Of(sourceInfo.Architecture);

        var steps = new List<RetrainStep>();
        var history = new List<EpochRecord>();
        var writes = options.Distributed?.IsMain ?? true;
        var current = options.Model;
        for (var k = 1; k <= options.Steps; k++)
        {
            var stepClock = Stopwatch.StartNew();
            var stepDirectory = options.Steps == 1 ? directory : Path.Combine(directory, $"step{k}");
            Directory.CreateDirectory(stepDirectory);
            var keepFraction = options.Ratio is { } r ? Math.Pow(1 - r, (double)k / options.Steps) : 1;
            string? pruned = null;
            ModelMetrics before;
            Architecture architecture;
            // Pruning reads weights on the host; scoring runs where training will.
            using (var loaded = Checkpoint.Load(current))
            {
                if (options.Ratio is null)
                {
                    if (device.type != DeviceType.CPU)
                        loaded.Model.to(device);
                    before = ModelMetrics.Of(loaded.Model, data, options.BatchSize);
                    architecture = loaded.Info.Architecture;
                }
                else
                {
                    var keepCounts = KeepCounts(originalGroups, 1 - keepFraction, options);
                    var (model, _) = Pruner.PruneTo(loaded.Model, keepCounts, options.Importance);
                    using (model)
                    {
                        pruned = Path.Combine(stepDirectory, PrunedFileName);
                        // --ratio is of the given model's widths; a given model that was pruned already also gets the
                        // total since the unpruned one.
                        var info = CheckpointPruning.RecordCumulative(
                            CheckpointPruning
                                .Record(
                                    loaded.Info with
                                    {
                                        Architecture = model.Architecture,
                                    },
                                    options.Model,
                                    options.Pruning(1 - keepFraction)
                                )
                                .With("pruning.step", FormattableString.Invariant($"{k}/{options.Steps}")),
                            sourceInfo,
                            1 - keepFraction
                        );
                        // Rank 0 writes the pruned model every rank then trains from.
                        if (writes)
                            Checkpoint.Save(model, info, pruned);
                        options.Distributed?.Barrier();
                        if (device.type != DeviceType.CPU)
                            model.to(device);
                        before = ModelMetrics.Of(model, data, options.BatchSize);
                        architecture = model.Architecture;
                    }
                    current = pruned;
                }
            }

            var trained = Trainer.Train(
                new TrainOptions
                {
                    OutputDirectory = stepDirectory,
                    Init = current,
                    Optimizer = optimizer,
                    LearningRate = lr,
                    MinLearningRate = lr,
                    WarmupEpochs = 0,
                    Epochs = options.Epochs,
                    BatchSize = options.BatchSize,
                    Seed = options.Seed + k - 1,
                    Device = options.Device,
                    Threads = options.Threads,
                    Distributed = options.Distributed,
                    OnStep = options.OnStep,
                    OnEpoch = options.OnEpoch,
                },
                data
            );
            current = trained.ModelPath;
            ModelMetrics after;
            using (var tuned = Checkpoint.Load(current, device))
                after = ModelMetrics.Of(tuned.Model, data, options.BatchSize);

            var first = history.Count + 1;
            history.AddRange(trained.History.Select(e => e with { Epoch = e.Epoch + first - 1 }));
            var size = sourceInfo.InputSize;
            var cost = ModelCost.Of(architecture, size.Height, size.Width);
            steps.Add(
                new RetrainStep(
                    k,
                    keepFraction,
                    1 - keepFraction,
                    cost.Params,
                    cost.Macs,
                    Widths(architecture),
                    pruned,
                    current,
                    before,
                    after,
                    trained.BestEpoch,
                    first,
                    history.Count,
                    stepClock.Elapsed.TotalSeconds
                )
            );
        }

        var modelPath = Path.Combine(directory, Trainer.ModelFileName);
        var historyPath = Path.Combine(directory, Trainer.HistoryFileName);
        if (options.Steps > 1 && writes)
        {
            CopyAtomically(current, modelPath);
            History.Write(historyPath, history);
        }
        var result = new RetrainResult(
            options.Model,
            data.Source,
            directory,
            modelPath,
            historyPath,
            options.Epochs,
            lr,
            lrSource,
            optimizer.ToString().ToLowerInvariant(),
            options.Ratio,
            steps[0].Before,
            steps[^1].After,
            steps,
            clock.Elapsed.TotalSeconds
        );
        if (writes)
            AtomicFile.WriteAllText(summaryPath, result.ToJson() + "\n");
        return result;
    }

    /// <summary>
    /// Channels each in-scope group keeps when a fraction <paramref name="ratio"/> of its original width is removed.
    /// </summary>
    public static Dictionary<string, int> KeepCounts(
        IReadOnlyList<ChannelGroup> originalGroups,
        double ratio,
        RetrainOptions options
    )
    {
        var pruning = options.Pruning(ratio);
        return originalGroups
            .Where(pruning.Covers)
            .ToDictionary(g => g.Name, g => PruningPlan.KeepCount(g.Channels, ratio, options.MinKeep, options.RoundTo));
    }

    /// <summary>Every group's width, by group name.</summary>
    public static Dictionary<string, int> Widths(Architecture architecture) =>
        DependencyGroups.Of(architecture).ToDictionary(g => g.Name, g => g.Channels);

    public static (double Rate, string Source) ChooseLearningRate(
        RetrainOptions options,
        IReadOnlyDictionary<string, string> notes
    )
    {
        if (options.LearningRate is { } given)
            return (given, "given");
        if (
            notes.TryGetValue(TrainingNotes.LearningRate, out var text)
            && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var trained)
            && trained > 0
        )
            return (RateFactor * trained, FormattableString.Invariant($"0.1 x the recorded training rate {trained:R}"));
        return (DefaultLearningRate, "default (no training rate recorded in the checkpoint)");
    }

    private static OptimizerKind? RecordedOptimizer(IReadOnlyDictionary<string, string> notes) =>
        notes.TryGetValue(TrainingNotes.Optimizer, out var text)
        && Enum.TryParse<OptimizerKind>(text, ignoreCase: true, out var kind)
            ? kind
            : null;

    private static void CopyAtomically(string source, string target) =>
        AtomicFile.Write(target, partial => File.Copy(source, partial));
}
