using System.Diagnostics;
using System.Globalization;
using QuakePrune.Models;
using QuakePrune.Torch;
using static QuakePrune.Torch.torch;
using F = QuakePrune.Torch.torch.nn.functional;

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
/// retraining of pruned models (<see cref="TrainOptions.Init"/>) and the third notebook. Every random choice derives from
/// (seed, epoch, step), so a run resumed at an epoch boundary ends with the same weights as one never stopped (CPU).
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

    /// <summary>Trains on the spectrogram file named by <see cref="TrainOptions.Data"/>.</summary>
    public static TrainResult Train(TrainOptions options)
    {
        if (string.IsNullOrEmpty(options.Data)) throw new ArgumentException("train: no data given (a spectrogram file)");
        using var data = ImageDataSets.Open(options.Data);
        return Train(options, data);
    }

    public static TrainResult Train(TrainOptions options, IImageDataSet data)
    {
        options.Validate();
        var clock = Stopwatch.StartNew();
        var device = options.Device;
        if (device.type == DeviceType.CUDA && !cuda.is_available())
            throw new InvalidOperationException("train: --device cuda, but libtorch sees no CUDA device (a CPU-only libtorch or no GPU)");
        set_num_threads(options.Threads ?? Environment.ProcessorCount);
        // Without it glibc maps and page-faults fresh pages for every step's activations (~3x slower steps on 2 cores).
        keep_freed_cpu_memory();

        var trainCount = data.IndicesOf(TrainSplit).Length;
        var devRows = data.IndicesOf(DevSplit);
        if (trainCount == 0) throw new InvalidDataException($"{data.Source}: no images in split '{TrainSplit}'");
        if (devRows.Length == 0) throw new InvalidDataException($"{data.Source}: no images in split '{DevSplit}' (the checkpoint is chosen on it)");

        var directory = options.OutputDirectory;
        var (modelPath, statePath, historyPath) =
            (Path.Combine(directory, ModelFileName), Path.Combine(directory, StateFileName), Path.Combine(directory, HistoryFileName));
        var resume = Resumption.FromState(directory, options.Resume);
        Directory.CreateDirectory(directory);

        manual_seed(options.Seed);
        var (model, info) = CreateModel(options, data);
        using var owner = model;
        if (device.type != DeviceType.CPU) model.to(device);

        var groups = CreateOptimizers(model, options);
        var stepsPerEpoch = (trainCount + options.BatchSize - 1) / options.BatchSize;
        var schedule = new LearningRateSchedule(options.PeakLearningRate, options.MinLearningRate,
            (int)Math.Round(options.WarmupEpochs * stepsPerEpoch), options.Epochs * stepsPerEpoch);
        using var classWeights = ClassWeights(options, data, device);

        var progress = new RunProgress();
        var history = new List<EpochRecord>();
        var fingerprint = Fingerprint(options, data, info.Architecture);
        if (resume)
        {
            progress = LoadState(statePath, model, groups, fingerprint);
            if (File.Exists(historyPath)) history = History.Read(historyPath).Where(r => r.Epoch <= progress.Epochs).ToList();
        }

        var interrupted = false;
        TrainingState.KeepOnInterruption(directory, progress.Epochs);
        try
        {
            while (progress.Epochs < options.Epochs && !progress.EarlyStopped)
            {
                var epoch = progress.Epochs;
                var epochClock = Stopwatch.StartNew();
                manual_seed(TrainingState.EpochSeed(options.Seed, epoch));
                var train = TrainEpoch(model, groups, data, options, schedule, classWeights, device, epoch, stepsPerEpoch);
                if (train is null)
                {
                    interrupted = true;
                    break;
                }
                var dev = DevPass(model, data, options.BatchSize, device);
                var confusion = BinaryMetrics.Confusion(dev.Labels, dev.Probabilities, 0.5);
                var best = confusion.F1 > progress.BestDevF1;
                progress = progress with { Epochs = epoch + 1 };
                if (best)
                {
                    var threshold = BinaryMetrics.BestF1Threshold(dev.Labels, dev.Probabilities);
                    progress = progress with { BestDevF1 = confusion.F1, BestEpoch = epoch + 1, Threshold = threshold, EpochsWithoutImprovement = 0 };
                    var notes = info
                        .With(TrainingNotes.DecisionThreshold, threshold.ToString("R", CultureInfo.InvariantCulture))
                        .With(TrainingNotes.Epoch, (epoch + 1).ToString(CultureInfo.InvariantCulture))
                        .With(TrainingNotes.DevF1, confusion.F1.ToString("R", CultureInfo.InvariantCulture));
                    Checkpoint.Save(model, notes, modelPath);
                }
                else progress = progress with { EpochsWithoutImprovement = progress.EpochsWithoutImprovement + 1 };
                if (options.Patience > 0 && progress.EpochsWithoutImprovement >= options.Patience) progress = progress with { EarlyStopped = true };

                var record = new EpochRecord(epoch + 1, train.LearningRate, train.Loss, train.Accuracy, dev.Loss, confusion.Accuracy, confusion.Precision,
                    confusion.Recall, confusion.F1, train.ImagesPerSecond, epochClock.Elapsed.TotalSeconds, best);
                history.Add(record);
                History.Write(historyPath, history);
                SaveState(statePath, model, groups, progress, info, fingerprint);
                TrainingState.KeepOnInterruption(directory, progress.Epochs);
                options.OnEpoch?.Invoke(record);
            }
        }
        finally
        {
            foreach (var (_, optimizer) in groups) optimizer.DisposeState();
        }
        return new TrainResult(directory, modelPath, statePath, historyPath, history, progress.BestEpoch, progress.BestDevF1, progress.Threshold,
            progress.EarlyStopped, interrupted, clock.Elapsed.TotalSeconds);
    }

    private static (Network Model, ModelInfo Info) CreateModel(TrainOptions options, IImageDataSet data)
    {
        Network model;
        IReadOnlyDictionary<string, string> notes;
        if (options.Init is not null)
        {
            var loaded = Checkpoint.Load(options.Init);
            model = loaded.Model;
            notes = new Dictionary<string, string>(loaded.Info.Notes) { [TrainingNotes.Init] = Path.GetFileName(options.Init) };
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
            throw new InvalidDataException($"train: the model takes {inChannels} channels into {classes} classes; " +
                                           $"{data.Source} has {data.Channels}-channel images and two classes");
        }
        var info = new ModelInfo(architecture, new Spectrograms.ImageSize(data.Height, data.Width), data.Settings, notes)
            .With(TrainingNotes.Data, Path.GetFileName(data.Source))
            .With(TrainingNotes.Seed, options.Seed.ToString(CultureInfo.InvariantCulture))
            .With(TrainingNotes.Optimizer, options.Optimizer.ToString().ToLowerInvariant())
            .With(TrainingNotes.LearningRate, options.PeakLearningRate.ToString("R", CultureInfo.InvariantCulture));
        return (model, info);
    }

    /// <summary>One optimiser per weight-decay group ("decay": conv and linear weights; "no_decay": batch norm and biases).</summary>
    private static List<(string Name, optim.Optimizer Optimizer)> CreateOptimizers(Network model, TrainOptions options)
    {
        var named = model.named_parameters().ToList();
        var decay = named.Where(p => options.DecayNormAndBias || p.parameter.dim() > 1).ToList();
        var noDecay = named.Where(p => !options.DecayNormAndBias && p.parameter.dim() <= 1).ToList();
        var lr = options.PeakLearningRate;
        optim.Optimizer Make(List<(string, Tensor)> parameters, double weightDecay) => options.Optimizer == OptimizerKind.Sgd
            ? new optim.SGD(parameters, lr, options.Momentum, 0, weightDecay, options.Nesterov)
            : new optim.AdamW(parameters, lr, weight_decay: weightDecay);
        var groups = new List<(string, optim.Optimizer)> { ("decay", Make(decay, options.EffectiveWeightDecay)) };
        if (noDecay.Count > 0) groups.Add(("no_decay", Make(noDecay, 0)));
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
            if (earthquakes == 0 || noise == 0) throw new InvalidDataException($"{data.Source}: balanced class weights need both classes in '{TrainSplit}'");
            weights = [rows.Length / (2.0 * noise), rows.Length / (2.0 * earthquakes)];
        }
        return weights is null ? null : tensor(weights.Select(w => (float)w).ToArray(), [2], device).DetachFromDisposeScope();
    }

    private sealed record EpochTraining(double Loss, double Accuracy, double ImagesPerSecond, double LearningRate);

    /// <summary>One pass over the train split; null when cancelled.</summary>
    private static EpochTraining? TrainEpoch(Network model, List<(string Name, optim.Optimizer Optimizer)> groups, IImageDataSet data,
        TrainOptions options, LearningRateSchedule schedule, Tensor? classWeights, Device device, int epoch, int stepsPerEpoch)
    {
        model.train();
        var (channels, height, width) = (data.Channels, data.Height, data.Width);
        double lossSum = 0, lr = 0;
        long correct = 0, seen = 0;
        var step = 0;
        var clock = Stopwatch.StartNew();
        foreach (var batch in data.Batches(TrainSplit, options.BatchSize, true, unchecked((ulong)options.Seed), epoch))
        {
            if (options.Cancellation.IsCancellationRequested) return null;
            if (options.Augment is { } augment)
                Augmentation.Apply(batch.Images, batch.Count, channels, height, width, augment, options.Seed, epoch, step);
            lr = schedule.At(epoch * stepsPerEpoch + step);
            using (NewDisposeScope())
            {
                var x = tensor(batch.Images, [batch.Count, channels, height, width], device);
                var y = tensor(batch.Labels, [batch.Count], device);
                foreach (var (_, optimizer) in groups)
                {
                    optimizer.lr = lr;
                    optimizer.zero_grad();
                }
                var logits = model.forward(x);
                var loss = F.cross_entropy(logits, y, classWeights, label_smoothing: options.LabelSmoothing);
                loss.backward();
                foreach (var (_, optimizer) in groups) optimizer.step();
                lossSum += loss.item<double>() * batch.Count;
                correct += logits.argmax(1).eq(y).sum().item<long>();
            }
            seen += batch.Count;
            step++;
            options.OnStep?.Invoke(new StepProgress(epoch + 1, options.Epochs, step, stepsPerEpoch, lossSum / seen, (double)correct / seen,
                seen / clock.Elapsed.TotalSeconds, lr));
        }
        if (options.Cancellation.IsCancellationRequested) return null;
        return new EpochTraining(lossSum / seen, (double)correct / seen, seen / clock.Elapsed.TotalSeconds, lr);
    }

    /// <summary>Labels, p(earthquake) and the mean cross entropy over the dev split, in eval mode.</summary>
    public sealed record SplitScores(long[] Labels, float[] Probabilities, double Loss);

    private static SplitScores DevPass(Network model, IImageDataSet data, int batchSize, Device device)
    {
        model.eval();
        var labels = new List<long>();
        var probabilities = new List<float>();
        double lossSum = 0;
        using var mode = inference_mode();
        foreach (var batch in data.Batches(DevSplit, batchSize, false, 0, 0))
        {
            using var scope = NewDisposeScope();
            var x = tensor(batch.Images, [batch.Count, data.Channels, data.Height, data.Width], device);
            var y = tensor(batch.Labels, [batch.Count], device);
            var logProbabilities = model.forward(x).log_softmax(1);
            lossSum += F.nll_loss(logProbabilities, y, reduction: nn.Reduction.Sum).item<double>();
            probabilities.AddRange(logProbabilities.select(1, 1).exp().cpu().ToArray<float>());
            labels.AddRange(batch.Labels);
        }
        return new SplitScores([.. labels], [.. probabilities], lossSum / labels.Count);
    }

    /// <summary>Counters that a resumed run picks up.</summary>
    private sealed record RunProgress
    {
        public int Epochs { get; init; }
        public double BestDevF1 { get; init; } = -1;
        public int BestEpoch { get; init; }
        public double Threshold { get; init; } = 0.5;
        public int EpochsWithoutImprovement { get; init; }
        public bool EarlyStopped { get; init; }
    }

    /// <summary>What must not change between a run and its resumption.</summary>
    private static string Fingerprint(TrainOptions o, IImageDataSet data, Architecture architecture) => string.Join(";",
        $"{TrainingState.DataEntry}={data.ContentSha256()}",
        FormattableString.Invariant($"seed={o.Seed}"), FormattableString.Invariant($"epochs={o.Epochs}"), FormattableString.Invariant($"batch={o.BatchSize}"),
        FormattableString.Invariant($"optimizer={o.Optimizer}"), FormattableString.Invariant($"lr={o.PeakLearningRate:R}"),
        FormattableString.Invariant($"min_lr={o.MinLearningRate:R}"), FormattableString.Invariant($"warmup={o.WarmupEpochs:R}"),
        FormattableString.Invariant($"momentum={o.Momentum:R}"), FormattableString.Invariant($"nesterov={o.Nesterov}"),
        FormattableString.Invariant($"weight_decay={o.EffectiveWeightDecay:R}"), FormattableString.Invariant($"decay_all={o.DecayNormAndBias}"),
        FormattableString.Invariant($"label_smoothing={o.LabelSmoothing:R}"),
        "class_weights=" + (o.BalancedClassWeights ? "balanced" : o.ClassWeights is null ? "none" : string.Join("/", o.ClassWeights.Select(w => w.ToString("R", CultureInfo.InvariantCulture)))),
        "augment=" + (o.Augment is null ? "none" : FormattableString.Invariant(
            $"{o.Augment.MaxTimeShift:R}/{o.Augment.FrequencyMasks}/{o.Augment.MaxFrequencyMask:R}/{o.Augment.TimeMasks}/{o.Augment.MaxTimeMask:R}")),
        FormattableString.Invariant($"patience={o.Patience}"), $"{TrainingState.ArchitectureEntry}={architecture.ToJson()}");

    private static void SaveState(string path, Network model, List<(string Name, optim.Optimizer Optimizer)> groups, RunProgress progress, ModelInfo info,
        string fingerprint) =>
        TrainingState.Save(path, model, groups, info, fingerprint, new Dictionary<string, string>
        {
            ["epochs"] = TrainingState.Format(progress.Epochs),
            ["best_dev_f1"] = TrainingState.Format(progress.BestDevF1),
            ["best_epoch"] = TrainingState.Format(progress.BestEpoch),
            ["threshold"] = TrainingState.Format(progress.Threshold),
            ["epochs_without_improvement"] = TrainingState.Format(progress.EpochsWithoutImprovement),
            ["early_stopped"] = TrainingState.Format(progress.EarlyStopped),
        });

    private static RunProgress LoadState(string path, Network model, List<(string Name, optim.Optimizer Optimizer)> groups, string fingerprint)
    {
        var counters = TrainingState.Load(path, model, groups, fingerprint);
        return new RunProgress
        {
            Epochs = counters.Int("epochs"),
            BestDevF1 = counters.Double("best_dev_f1"),
            BestEpoch = counters.Int("best_epoch"),
            Threshold = counters.Double("threshold"),
            EpochsWithoutImprovement = counters.Int("epochs_without_improvement"),
            EarlyStopped = counters.Bool("early_stopped"),
        };
    }
}
