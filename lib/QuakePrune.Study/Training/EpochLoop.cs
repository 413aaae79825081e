using System.Diagnostics;
using QuakePrune.Models;
using QuakePrune.Torch;
using static QuakePrune.Torch.torch;

namespace QuakePrune.Training;

/// <summary>
/// How a run's dev score chooses its best epoch: the state counter that keeps it, its direction and its value before
/// any epoch.
/// </summary>
public sealed record DevScoreRule(string Counter, bool HigherIsBetter, double Start)
{
    public bool Improves(double score, double best) => HigherIsBetter ? score > best : score < best;
}

/// <summary>
/// What a trainer supplies to <see cref="EpochLoop"/>: the parts of an epoch that differ between trainers (its data,
/// loss, dev scoring, history row and checkpoint notes), and the counters of its own that a resumed run needs back.
/// </summary>
/// <typeparam name="TScored">One epoch trained and scored on dev, as the trainer keeps it until its history row is
/// made.</typeparam>
public interface IEpochTrainer<TScored, out TRecord>
    where TScored : class
{
    /// <summary>
    /// One pass over the train split (at epoch index <paramref name="epoch"/>), then the dev split scored; null when
    /// cancelled.
    /// </summary>
    TScored? TrainAndScore(int epoch);

    /// <summary>The number the best checkpoint and early stopping follow (<see cref="DevScoreRule"/>).</summary>
    double DevScore(TScored scored);

    /// <summary>
    /// The epoch is the best so far: keeps what its checkpoint decides with, and returns the checkpoint's notes.
    /// </summary>
    ModelInfo KeepBest(TScored scored, int epochs, ModelInfo info);

    /// <summary>
    /// The epoch did not improve on the best, the <paramref name="epochsWithoutImprovement"/>-th in a row.
    /// </summary>
    void Stalled(int epochsWithoutImprovement);

    TRecord Record(TScored scored, int epochs, double seconds, bool best);

    void WriteCounters(IDictionary<string, string> counters);
    void ReadCounters(TrainingState.Counters counters);
}

/// <summary>How an <see cref="EpochLoop"/> ended: the rows of every finished epoch and the kept one.</summary>
public sealed record EpochLoopResult<TRecord>(
    IReadOnlyList<TRecord> History,
    int BestEpoch,
    double BestScore,
    bool EarlyStopped,
    bool Interrupted
);

/// <summary>
/// The resumable epoch loop both trainers run (<see cref="Trainer"/>, <c>Picking.WaveformTrainer</c>): it owns the
/// run's folder (a resume refused where it cannot continue, <see cref="Resumption"/>), the per-epoch seed, the best
/// checkpoint on the dev score, early stopping, history.csv and state.safetensors after every epoch, and what an
/// interruption keeps. Every random choice of an epoch derives from (seed, epoch), so a run resumed at an epoch
/// boundary ends as one never stopped (CPU).
/// </summary>
public sealed class EpochLoop
{
    private readonly TrainingRunOptions options;

    private EpochLoop(TrainingRunOptions options, bool resuming)
    {
        this.options = options;
        Resuming = resuming;
    }

    public string ModelPath => Path.Combine(options.OutputDirectory, Trainer.ModelFileName);
    public string StatePath => Path.Combine(options.OutputDirectory, Trainer.StateFileName);
    public string HistoryPath => Path.Combine(options.OutputDirectory, Trainer.HistoryFileName);

    /// <summary>Whether the run continues from the state in its folder.</summary>
    public bool Resuming { get; }

    /// <summary>
    /// Refuses a CUDA device libtorch cannot see and sets libtorch's threads, before a trainer reads its data.
    /// </summary>
    public static void UseDevice(TrainingRunOptions options)
    {
        if (options.Device.type == DeviceType.CUDA && !cuda.is_available())
            throw new InvalidOperationException(
                "train: --device cuda, but libtorch sees no CUDA device (a CPU-only libtorch or no GPU)"
            );
        set_num_threads(options.Threads ?? Environment.ProcessorCount);
        // Without it glibc maps and page-faults fresh pages for every step's activations (~3x slower steps on 2 cores).
        keep_freed_cpu_memory();
    }

    /// <summary>
    /// Checks the run's folder (<see cref="Resumption.FromState"/>) and creates it, then seeds torch's generator with
    /// the run's seed: the trainer creates its fresh weights next.
    /// </summary>
    public static EpochLoop Open(TrainingRunOptions options)
    {
        var resuming = Resumption.FromState(options.OutputDirectory, options.Resume);
        Directory.CreateDirectory(options.OutputDirectory);
        manual_seed(options.Seed);
        return new EpochLoop(options, resuming);
    }

    /// <summary>
    /// Trains <paramref name="model"/> epoch after epoch until the run's epochs are done, early stopping ends it or it
    /// is cancelled; a resumed run first loads its state (refused when <paramref name="fingerprint"/> differs) and
    /// history. The optimisers' state is freed at the end.
    /// </summary>
    public EpochLoopResult<TRecord> Run<TScored, TRecord>(
        Network model,
        IReadOnlyList<(string Name, optim.Optimizer Optimizer)> groups,
        ModelInfo info,
        string fingerprint,
        DevScoreRule rule,
        HistoryFile<TRecord> historyFile,
        IEpochTrainer<TScored, TRecord> trainer,
        Action<TRecord>? onEpoch
    )
        where TScored : class
        where TRecord : EpochRow
    {
        var progress = new Progress { BestScore = rule.Start };
        var history = new List<TRecord>();
        if (Resuming)
        {
            var counters = TrainingState.Load(StatePath, model, groups, fingerprint);
            progress = Progress.From(counters, rule);
            trainer.ReadCounters(counters);
            if (File.Exists(HistoryPath))
                history = historyFile.Read(HistoryPath).Where(r => r.Epoch <= progress.Epochs).ToList();
        }
        var distributed = options.Distributed;
        distributed?.Attach(model);
        // Only rank 0 writes the run's files; the others wait for it at the end of each epoch.
        var writes = distributed?.IsMain ?? true;

        var interrupted = false;
        TrainingState.KeepOnInterruption(options.OutputDirectory, progress.Epochs);
        try
        {
            while (progress.Epochs < options.Epochs && !progress.EarlyStopped)
            {
                var epoch = progress.Epochs;
                var epochClock = Stopwatch.StartNew();
                // Ranks other than 0 draw their own dropout masks.
                manual_seed(TrainingState.EpochSeed(options.Seed, epoch) ^ (distributed?.Rank ?? 0));
                var scored = trainer.TrainAndScore(epoch);
                if (scored is null)
                {
                    interrupted = true;
                    break;
                }
                var score = distributed?.FromMain(trainer.DevScore(scored)) ?? trainer.DevScore(scored);
                var best = rule.Improves(score, progress.BestScore);
                progress = progress with { Epochs = epoch + 1 };
                if (best)
                {
                    var notes = trainer.KeepBest(scored, epoch + 1, info);
                    if (writes)
                        Checkpoint.Save(model, notes, ModelPath);
                    progress = progress with { BestScore = score, BestEpoch = epoch + 1, EpochsWithoutImprovement = 0 };
                }
                else
                {
                    progress = progress with { EpochsWithoutImprovement = progress.EpochsWithoutImprovement + 1 };
                    trainer.Stalled(progress.EpochsWithoutImprovement);
                }
                if (options.Patience > 0 && progress.EpochsWithoutImprovement >= options.Patience)
                    progress = progress with { EarlyStopped = true };

                var record = trainer.Record(scored, epoch + 1, epochClock.Elapsed.TotalSeconds, best);
                history.Add(record);
                var counters = progress.ToCounters(rule);
                trainer.WriteCounters(counters);
                if (writes)
                {
                    historyFile.Write(HistoryPath, history);
                    TrainingState.Save(StatePath, model, groups, info, fingerprint, counters);
                }
                distributed?.Barrier();
                TrainingState.KeepOnInterruption(options.OutputDirectory, progress.Epochs);
                onEpoch?.Invoke(record);
            }
        }
        finally
        {
            foreach (var (_, optimizer) in groups)
                optimizer.DisposeState();
        }
        return new EpochLoopResult<TRecord>(
            history,
            progress.BestEpoch,
            progress.BestScore,
            progress.EarlyStopped,
            interrupted
        );
    }

    /// <summary>The counters every run saves in its state and a resumed run picks up.</summary>
    private sealed record Progress
    {
        public int Epochs { get; init; }
        public double BestScore { get; init; }
        public int BestEpoch { get; init; }
        public int EpochsWithoutImprovement { get; init; }
        public bool EarlyStopped { get; init; }

        public Dictionary<string, string> ToCounters(DevScoreRule rule) =>
            new()
            {
                ["epochs"] = TrainingState.Format(Epochs),
                [rule.Counter] = TrainingState.Format(BestScore),
                ["best_epoch"] = TrainingState.Format(BestEpoch),
                ["epochs_without_improvement"] = TrainingState.Format(EpochsWithoutImprovement),
                ["early_stopped"] = TrainingState.Format(EarlyStopped),
            };

        public static Progress From(TrainingState.Counters c, DevScoreRule rule) =>
            new()
            {
                Epochs = c.Int("epochs"),
                BestScore = c.Double(rule.Counter),
                BestEpoch = c.Int("best_epoch"),
                EpochsWithoutImprovement = c.Int("epochs_without_improvement"),
                EarlyStopped = c.Bool("early_stopped"),
            };
    }
}
