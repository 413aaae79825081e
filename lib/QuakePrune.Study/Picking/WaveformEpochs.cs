using System.Diagnostics;
using System.Globalization;
using QuakePrune.Models;
using QuakePrune.Torch;
using QuakePrune.Training;
using static QuakePrune.Torch.torch;

namespace QuakePrune.Picking;

/// <summary>
/// One epoch of a picker's run for <see cref="EpochLoop"/>: a pass over the train split of waveforms with
/// <see cref="PickingLoss"/>, then the dev loss and thresholds chosen on dev (<see cref="ThresholdSearch"/>), which the
/// kept checkpoint records. Without a cosine schedule the rate is cut by <see cref="WaveformTrainer.PlateauFactor"/> on
/// a plateau of the dev loss, so the current rate is a counter a resumed run needs back.
/// </summary>
internal sealed class WaveformEpochs(
    Network model,
    optim.Optimizer optimizer,
    WaveformDataSet data,
    WaveformTrainOptions options,
    LearningRateSchedule? cosine,
    int stepsPerEpoch
) : IEpochTrainer<WaveformEpochs.Scored, WaveformEpochRecord>
{
    /// <summary>The plateau schedule's current rate.</summary>
    public double LearningRate { get; private set; } = options.LearningRate;

    /// <summary>The kept epoch's thresholds; null until an epoch is kept.</summary>
    public PickThresholds? Thresholds { get; private set; }

    internal sealed record Scored(EpochTraining Train, SplitCurves Dev, ThresholdChoice Choice, PickingScores Scores);

    internal sealed record EpochTraining(double Loss, double TracesPerSecond, double LearningRate);

    public Scored? TrainAndScore(int epoch)
    {
        var train = TrainEpoch(epoch);
        if (train is null)
            return null;
        var dev = PickingNetwork.Summarise(
            model,
            data,
            WaveformTrainer.DevSplit,
            options.BatchSize,
            options.Device,
            options.LossWeights
        );
        var choice = ThresholdSearch.Choose(dev.Truths, dev.Curves);
        return new Scored(train, dev, choice, dev.Score(choice.Thresholds));
    }

    public double DevScore(Scored scored) => scored.Dev.Loss;

    public ModelInfo KeepBest(Scored scored, int epochs, ModelInfo info)
    {
        Thresholds = scored.Choice.Thresholds;
        return PickingNotes
            .Of(scored.Choice)
            .Aggregate(info, (i, note) => i.With(note.Key, note.Value))
            .With(TrainingNotes.Epoch, epochs.ToString(CultureInfo.InvariantCulture))
            .With(PickingNotes.DevLoss, scored.Dev.Loss.ToString("R", CultureInfo.InvariantCulture));
    }

    public void Stalled(int epochsWithoutImprovement)
    {
        if (cosine is null && options.PlateauPatience > 0 && epochsWithoutImprovement % options.PlateauPatience == 0)
            LearningRate = Math.Max(WaveformTrainer.MinLearningRate, LearningRate * WaveformTrainer.PlateauFactor);
    }

    public WaveformEpochRecord Record(Scored s, int epochs, double seconds, bool best) =>
        new(
            epochs,
            s.Train.LearningRate,
            s.Train.Loss,
            s.Dev.Loss,
            s.Scores.Detection.F1,
            s.Scores.P.F1,
            s.Scores.S.F1,
            s.Train.TracesPerSecond,
            seconds,
            best
        );

    public void WriteCounters(IDictionary<string, string> counters)
    {
        counters["learning_rate"] = TrainingState.Format(LearningRate);
        if (Thresholds is not { } t)
            return;
        counters["detection_threshold"] = TrainingState.Format(t.Detection);
        counters["p_threshold"] = TrainingState.Format(t.P);
        counters["s_threshold"] = TrainingState.Format(t.S);
    }

    public void ReadCounters(TrainingState.Counters counters)
    {
        LearningRate = counters.Double("learning_rate");
        Thresholds =
            counters.Int("best_epoch") > 0
                ? new PickThresholds(
                    counters.Double("detection_threshold"),
                    counters.Double("p_threshold"),
                    counters.Double("s_threshold")
                )
                : null;
    }

    /// <summary>One pass over the train split; null when cancelled.</summary>
    private EpochTraining? TrainEpoch(int epoch)
    {
        model.train();
        var loader = new WaveformLoaderOptions
        {
            Split = WaveformTrainer.TrainSplit,
            BatchSize = options.BatchSize,
            Shuffle = true,
            Seed = unchecked((ulong)options.Seed),
            Augmentation = options.Augmentation,
            Shard = options.Distributed is { } rank ? (rank.Rank, rank.WorldSize) : null,
        };
        double RateAt(int step) => cosine?.At(epoch * stepsPerEpoch + step) ?? LearningRate;
        double lossSum = 0;
        long seen = 0;
        var step = 0;
        var clock = Stopwatch.StartNew();
        var first = RateAt(0);
        var distributed = options.Distributed;
        foreach (var batch in data.Epoch(loader, epoch))
        {
            if (Stopping())
                return null;
            var lr = RateAt(step);
            optimizer.lr = lr;
            using (NewDisposeScope())
            {
                var (x, d, p, s) = batch.ToTensors();
                if (options.Device.type != DeviceType.CPU)
                    (x, d, p, s) = (
                        x.to(options.Device),
                        d.to(options.Device),
                        p.to(options.Device),
                        s.to(options.Device)
                    );
                optimizer.zero_grad();
                var (ld, lp, ls) = PickingNetwork.Logits(model, x);
                var loss = PickingLoss.Compute(ld, lp, ls, d, p, s, options.LossWeights);
                loss.backward();
                distributed?.AverageGradients();
                optimizer.step();
                var value = loss.item<double>();
                if (!double.IsFinite(value))
                    throw new InvalidOperationException(
                        $"train: the loss became {value} at epoch {epoch + 1}, step {step + 1}; lower the learning rate"
                    );
                lossSum += value * batch.Count;
            }
            seen += batch.Count;
            step++;
            options.OnStep?.Invoke(
                new WaveformStepProgress(
                    epoch + 1,
                    options.Epochs,
                    step,
                    stepsPerEpoch,
                    lossSum / seen,
                    seen / clock.Elapsed.TotalSeconds,
                    lr
                )
            );
        }
        if (Stopping())
            return null;
        if (distributed is not null)
        {
            // The epoch's loss over every rank's shard; rank 0's running statistics for the dev pass on every rank.
            var sums = distributed.Sum(lossSum, seen);
            (lossSum, seen) = (sums[0], (long)sums[1]);
            distributed.SyncBuffers();
        }
        return new EpochTraining(lossSum / seen, seen / clock.Elapsed.TotalSeconds, first);
    }

    /// <summary>
    /// Whether the run is cancelled; ranks agree, so that none waits in a collective for one that left.
    /// </summary>
    private bool Stopping() =>
        options.Distributed?.Any(options.Cancellation.IsCancellationRequested)
        ?? options.Cancellation.IsCancellationRequested;
}
