using System.Diagnostics;
using System.Globalization;
using QuakePrune.Models;
using QuakePrune.Torch;
using static QuakePrune.Torch.torch;

namespace QuakePrune.Training;

/// <summary>Keys the trainer adds to a model's notes (its safetensors metadata).</summary>
public static class TrainingNotes
{
    /// <summary>The p(earthquake) threshold that maximised dev F1; predict decides with it.</summary>
    public const string DecisionThreshold = "decision_threshold";

    public const string Data = "training.data";
    public const string Seed = "training.seed";
    public const string Epoch = "training.best_epoch";
    public const string DevF1 = "training.dev_f1";
    public const string Optimizer = "training.optimizer";

    /// <summary>The peak learning rate; retraining starts from a tenth of it.</summary>
    public const string LearningRate = "training.learning_rate";
    public const string Init = "training.init";
}

/// <summary>
/// Trains a ResNet on the train split of a data set, choosing the checkpoint by dev F1: the verb `quakeprune train`,
/// retraining of pruned models (<see cref="TrainOptions.Init"/>) and the third notebook. Every random choice derives
/// from (seed, epoch, step), so a run resumed at an epoch boundary ends with the same weights as one never stopped
/// (CPU). Its epochs run in <see cref="EpochLoop"/> (<see cref="ClassifierEpochs"/>: what one epoch of a classifier
/// does).
/// </summary>
public static class Trainer
{
    public const string HistoryFileName = "history.csv";
    public const string ModelFileName = "model.safetensors";
    public const string StateFileName = "state.safetensors";
    public const string TrainSplit = "train";
    public const string DevSplit = "dev";

    /// <summary>The files a run writes in its folder (and the only ones `train --overwrite` removes there).</summary>
    public static readonly IReadOnlyList<string> OutputFiles = [HistoryFileName, ModelFileName, StateFileName];

    /// <summary>Trains on the spectrogram file or subset folder named by <see cref="TrainOptions.Data"/>.</summary>
    public static TrainResult Train(TrainOptions options)
    {
        if (string.IsNullOrEmpty(options.Data))
            throw new ArgumentException("train: no data given (a spectrogram file or a subset folder)");
        using var data = ImageDataSets.Open(options.Data, options.Spectrogram, options.LoaderThreads);
        return Train(options, data);
    }

    public static TrainResult Train(TrainOptions options, IImageDataSet data)
    {
        options.Validate();
        var clock = Stopwatch.StartNew();
        EpochLoop.UseDevice(options);

        var trainCount = data.IndicesOf(TrainSplit).Length;
        var devRows = data.IndicesOf(DevSplit);
        if (trainCount == 0)
            throw new InvalidDataException($"{data.Source}: no images in split '{TrainSplit}'");
        if (devRows.Length == 0)
            throw new InvalidDataException(
                $"{data.Source}: no images in split '{DevSplit}' (the checkpoint is chosen on it)"
            );

        var loop = EpochLoop.Open(options);
        var (model, info) = CreateModel(options, data);
        using var owner = model;
        var device = options.Device;
        if (device.type != DeviceType.CPU)
            model.to(device);

        var groups = CreateOptimizers(model, options);
        var stepsPerEpoch = DistributedSampler.StepsPerEpoch(
            trainCount,
            options.BatchSize,
            options.Distributed?.WorldSize ?? 1
        );
        var schedule = new LearningRateSchedule(
            options.PeakLearningRate,
            options.MinLearningRate,
            (int)Math.Round(options.WarmupEpochs * stepsPerEpoch),
            options.Epochs * stepsPerEpoch
        );
        using var classWeights = ClassWeights(options, data, device);
        var epochs = new ClassifierEpochs(model, groups, data, options, schedule, classWeights, stepsPerEpoch);
        var run = loop.Run(
            model,
            groups,
            info,
            Fingerprint(options, data, info.Architecture),
            BestDevF1,
            History.Layout,
            epochs,
            options.OnEpoch
        );
        return new TrainResult(
            options.OutputDirectory,
            loop.ModelPath,
            loop.StatePath,
            loop.HistoryPath,
            run.History,
            run.BestEpoch,
            run.BestScore,
            epochs.Threshold,
            run.EarlyStopped,
            run.Interrupted,
            clock.Elapsed.TotalSeconds
        );
    }

    /// <summary>
    /// The checkpoint kept is the epoch of the highest dev F1 at 0.5 (F1 is never below 0, so the first epoch is kept).
    /// </summary>
    private static readonly DevScoreRule BestDevF1 = new("best_dev_f1", HigherIsBetter: true, Start: -1);

    private static (Network Model, ModelInfo Info) CreateModel(TrainOptions options, IImageDataSet data)
    {
        Network model;
        IReadOnlyDictionary<string, string> notes;
        if (options.Init is not null)
        {
            var loaded = Checkpoint.Load(options.Init);
            model = loaded.Model;
            notes = new Dictionary<string, string>(loaded.Info.Notes)
            {
                [TrainingNotes.Init] = Path.GetFileName(options.Init),
            };
        }
        else
        {
            model = new Network(options.Architecture ?? ResNetArchitecture.ResNet50(2, options.Hidden, data.Channels));
            notes = new Dictionary<string, string>();
        }
        var architecture = model.Architecture;
        var (inChannels, classes) = (model.Graph.InChannels, model.Graph.OutputChannels);
        if (inChannels != data.Channels || classes != 2)
        {
            model.Dispose();
            throw new InvalidDataException(
                $"train: the model takes {inChannels} channels into {classes} classes; "
                    + $"{data.Source} has {data.Channels}-channel images and two classes"
            );
        }
        var info = new ModelInfo(architecture, new ImageSize(data.Height, data.Width), notes)
            .WithSpectrogram(data.Settings)
            .With(TrainingNotes.Data, Path.GetFileName(data.Source))
            .With(TrainingNotes.Seed, options.Seed.ToString(CultureInfo.InvariantCulture))
            .With(TrainingNotes.Optimizer, options.Optimizer.ToString().ToLowerInvariant())
            .With(TrainingNotes.LearningRate, options.PeakLearningRate.ToString("R", CultureInfo.InvariantCulture));
        return (model, info);
    }

    /// <summary>
    /// One optimiser per weight-decay group ("decay": conv and linear weights; "no_decay": batch norm and biases).
    /// </summary>
    private static List<(string Name, optim.Optimizer Optimizer)> CreateOptimizers(Network model, TrainOptions options)
    {
        var named = model.named_parameters().ToList();
        var decay = named.Where(p => options.DecayNormAndBias || p.parameter.dim() > 1).ToList();
        var noDecay = named.Where(p => !options.DecayNormAndBias && p.parameter.dim() <= 1).ToList();
        var lr = options.PeakLearningRate;
        optim.Optimizer Make(List<(string, Tensor)> parameters, double weightDecay) =>
            options.Optimizer == OptimizerKind.Sgd
                ? new optim.SGD(parameters, lr, options.Momentum, 0, weightDecay, options.Nesterov)
                : new optim.AdamW(parameters, lr, weight_decay: weightDecay);
        var groups = new List<(string, optim.Optimizer)> { ("decay", Make(decay, options.EffectiveWeightDecay)) };
        if (noDecay.Count > 0)
            groups.Add(("no_decay", Make(noDecay, 0)));
        return groups;
    }

    private static Tensor? ClassWeights(TrainOptions options, IImageDataSet data, Device device)
    {
        double[]? weights = options.ClassWeights;
        if (options.BalancedClassWeights)
        {
            var rows = data.IndicesOf(TrainSplit);
            var earthquakes = rows.Count(i => data.Labels[i] == 1);
            var noise = rows.Length - earthquakes;
            if (earthquakes == 0 || noise == 0)
                throw new InvalidDataException(
                    $"{data.Source}: balanced class weights need both classes in '{TrainSplit}'"
                );
            weights = [rows.Length / (2.0 * noise), rows.Length / (2.0 * earthquakes)];
        }
        return weights is null
            ? null
            : tensor(weights.Select(w => (float)w).ToArray(), [2], device).DetachFromDisposeScope();
    }

    /// <summary>Labels, p(earthquake) and the mean cross entropy over the dev split, in eval mode.</summary>
    public sealed record SplitScores(long[] Labels, float[] Probabilities, double Loss);

    /// <summary>What must not change between a run and its resumption.</summary>
    private static string Fingerprint(TrainOptions o, IImageDataSet data, Architecture architecture) =>
        string.Join(
            ";",
            $"{TrainingState.DataEntry}={data.ContentSha256()}",
            FormattableString.Invariant($"seed={o.Seed}"),
            FormattableString.Invariant($"epochs={o.Epochs}"),
            FormattableString.Invariant($"batch={o.BatchSize}"),
            FormattableString.Invariant($"optimizer={o.Optimizer}"),
            FormattableString.Invariant($"lr={o.PeakLearningRate:R}"),
            FormattableString.Invariant($"min_lr={o.MinLearningRate:R}"),
            FormattableString.Invariant($"warmup={o.WarmupEpochs:R}"),
            FormattableString.Invariant($"momentum={o.Momentum:R}"),
            FormattableString.Invariant($"nesterov={o.Nesterov}"),
            FormattableString.Invariant($"weight_decay={o.EffectiveWeightDecay:R}"),
            FormattableString.Invariant($"decay_all={o.DecayNormAndBias}"),
            FormattableString.Invariant($"label_smoothing={o.LabelSmoothing:R}"),
            "class_weights="
                + (
                    o.BalancedClassWeights ? "balanced"
                    : o.ClassWeights is null ? "none"
                    : string.Join("/", o.ClassWeights.Select(w => w.ToString("R", CultureInfo.InvariantCulture)))
                ),
            "augment="
                + (
                    o.Augment is null
                        ? "none"
                        : FormattableString.Invariant(
                            $"{o.Augment.MaxTimeShift:R}/{o.Augment.FrequencyMasks}/{o.Augment.MaxFrequencyMask:R}/{o.Augment.TimeMasks}/{o.Augment.MaxTimeMask:R}"
                        )
                ),
            FormattableString.Invariant($"patience={o.Patience}"),
            $"{TrainingState.ArchitectureEntry}={architecture.ToJson()}"
        );
}
