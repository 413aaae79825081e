using System.Diagnostics;
using System.Globalization;
using QuakePrune.Models;
using QuakePrune.Torch;
using static QuakePrune.Torch.torch;
using F = QuakePrune.Torch.torch.nn.functional;

namespace QuakePrune.Training;

/// <summary>
/// One epoch of the classifier's run for <see cref="EpochLoop"/>: a pass over the train split of spectrogram images
/// (cross entropy, the per-step cosine schedule, augmentation drawn from (seed, epoch, step)), then dev F1 at 0.5; the
/// kept checkpoint records the threshold that maximised dev F1.
/// </summary>
internal sealed class ClassifierEpochs(
    Network model,
    IReadOnlyList<(string Name, optim.Optimizer Optimizer)> groups,
    IImageDataSet data,
    TrainOptions options,
    LearningRateSchedule schedule,
    Tensor? classWeights,
    int stepsPerEpoch
) : IEpochTrainer<ClassifierEpochs.Scored, EpochRecord>
{
    /// <summary>The kept epoch's decision threshold: 0.5 until an epoch is kept.</summary>
    public double Threshold { get; private set; } = 0.5;

    internal sealed record Scored(EpochTraining Train, Trainer.SplitScores Dev, ConfusionMatrix Confusion);

    internal sealed record EpochTraining(double Loss, double Accuracy, double ImagesPerSecond, double LearningRate);

    public Scored? TrainAndScore(int epoch)
    {
        var train = TrainEpoch(epoch);
        if (train is null)
            return null;
        var dev = DevPass();
        return new Scored(train, dev, BinaryMetrics.Confusion(dev.Labels, dev.Probabilities, 0.5));
    }

    public double DevScore(Scored scored) => scored.Confusion.F1;

    public ModelInfo KeepBest(Scored scored, int epochs, ModelInfo info)
    {
        Threshold = BinaryMetrics.BestF1Threshold(scored.Dev.Labels, scored.Dev.Probabilities);
        return info.With(TrainingNotes.DecisionThreshold, Threshold.ToString("R", CultureInfo.InvariantCulture))
            .With(TrainingNotes.Epoch, epochs.ToString(CultureInfo.InvariantCulture))
            .With(TrainingNotes.DevF1, scored.Confusion.F1.ToString("R", CultureInfo.InvariantCulture));
    }

    /// <summary>Nothing to do: the classifier's rate follows its per-step schedule whatever dev F1 does.</summary>
    public void Stalled(int epochsWithoutImprovement) { }

    public EpochRecord Record(Scored s, int epochs, double seconds, bool best) =>
        new(
            epochs,
            s.Train.LearningRate,
            s.Train.Loss,
            s.Train.Accuracy,
            s.Dev.Loss,
            s.Confusion.Accuracy,
            s.Confusion.Precision,
            s.Confusion.Recall,
            s.Confusion.F1,
            s.Train.ImagesPerSecond,
            seconds,
            best
        );

    public void WriteCounters(IDictionary<string, string> counters) =>
        counters["threshold"] = TrainingState.Format(Threshold);

    public void ReadCounters(TrainingState.Counters counters) => Threshold = counters.Double("threshold");

    /// <summary>One pass over the train split; null when cancelled.</summary>
    private EpochTraining? TrainEpoch(int epoch)
    {
        model.train();
        var (channels, height, width) = (data.Channels, data.Height, data.Width);
        var device = options.Device;
        double lossSum = 0,
            lr = 0;
        long correct = 0,
            seen = 0;
        var step = 0;
        var clock = Stopwatch.StartNew();
        var distributed = options.Distributed;
        var (rank, world) = (distributed?.Rank ?? 0, distributed?.WorldSize ?? 1);
        var batches = distributed is null
            ? data.Batches(Trainer.TrainSplit, options.BatchSize, true, unchecked((ulong)options.Seed), epoch)
            : DistributedSampler.Batches(
                data,
                Trainer.TrainSplit,
                options.BatchSize,
                unchecked((ulong)options.Seed),
                epoch,
                rank,
                world
            );
        foreach (var batch in batches)
        {
            if (Stopping())
                return null;
            // Each rank draws its own masks: (step, rank) numbers them, and one process keeps its draws.
            if (options.Augment is { } augment)
                Augmentation.Apply(
                    batch.Images,
                    batch.Count,
                    channels,
                    height,
                    width,
                    augment,
                    options.Seed,
                    epoch,
                    step * world + rank
                );
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
                distributed?.AverageGradients();
                foreach (var (_, optimizer) in groups)
                    optimizer.step();
                lossSum += loss.item<double>() * batch.Count;
                correct += logits.argmax(1).eq(y).sum().item<long>();
            }
            seen += batch.Count;
            step++;
            options.OnStep?.Invoke(
                new StepProgress(
                    epoch + 1,
                    options.Epochs,
                    step,
                    stepsPerEpoch,
                    lossSum / seen,
                    (double)correct / seen,
                    seen / clock.Elapsed.TotalSeconds,
                    lr
                )
            );
        }
        if (Stopping())
            return null;
        if (distributed is not null)
        {
            // The epoch's figures over every rank's shard; rank 0's running statistics for the dev pass on every rank.
            var sums = distributed.Sum(lossSum, correct, seen);
            (lossSum, correct, seen) = (sums[0], (long)sums[1], (long)sums[2]);
            distributed.SyncBuffers();
        }
        return new EpochTraining(lossSum / seen, (double)correct / seen, seen / clock.Elapsed.TotalSeconds, lr);
    }

    /// <summary>
    /// Whether the run is cancelled; ranks agree, so that none waits in a collective for one that left.
    /// </summary>
    private bool Stopping() =>
        options.Distributed?.Any(options.Cancellation.IsCancellationRequested)
        ?? options.Cancellation.IsCancellationRequested;

    /// <summary>Labels, p(earthquake) and the mean cross entropy over the dev split, in eval mode.</summary>
    private Trainer.SplitScores DevPass()
    {
        model.eval();
        var labels = new List<long>();
        var probabilities = new List<float>();
        double lossSum = 0;
        using var mode = inference_mode();
        foreach (var batch in data.Batches(Trainer.DevSplit, options.BatchSize, false, 0, 0))
        {
            using var scope = NewDisposeScope();
            var x = tensor(batch.Images, [batch.Count, data.Channels, data.Height, data.Width], options.Device);
            var y = tensor(batch.Labels, [batch.Count], options.Device);
            var logProbabilities = model.forward(x).log_softmax(1);
            lossSum += F.nll_loss(logProbabilities, y, reduction: nn.Reduction.Sum).item<double>();
            probabilities.AddRange(logProbabilities.select(1, 1).exp().cpu().ToArray<float>());
            labels.AddRange(batch.Labels);
        }
        return new Trainer.SplitScores([.. labels], [.. probabilities], lossSum / labels.Count);
    }
}
