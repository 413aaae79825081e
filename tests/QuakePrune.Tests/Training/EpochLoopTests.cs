using QuakePrune.Models;
using QuakePrune.Torch;
using QuakePrune.Training;
using static QuakePrune.Torch.torch;

namespace QuakePrune.Tests.Training;

/// <summary>
/// The epoch loop alone, with a trainer whose dev scores are scripted: what neither trainer's tests reach in a few
/// epochs (a run of stalled epochs, each reported to the trainer, ending in early stopping) and a resume that restores
/// the trainer's own counters and the per-epoch seed.
/// </summary>
public sealed class EpochLoopTests
{
    private sealed record LoopOptions : TrainingRunOptions;

    private sealed record Row(int Epoch, double DevLoss, double Seconds, bool Best, double Draw)
        : EpochRow(Epoch, 0, 0, DevLoss, Seconds, Best);

    private static readonly HistoryFile<Row> Layout = new(
        "epoch,dev_loss,seconds,best,draw",
        "test history",
        r =>
            [
                HistoryCells.Number(r.Epoch),
                HistoryCells.Number(r.DevLoss),
                HistoryCells.Number(r.Seconds),
                HistoryCells.Flag(r.Best),
                HistoryCells.Number(r.Draw),
            ],
        f => new Row(f.Int(0), f.Double(1), f.Double(2), f.Flag(3), f.Double(4))
    );

    private static readonly DevScoreRule Lowest = new(
        "best_dev_loss",
        HigherIsBetter: false,
        Start: double.PositiveInfinity
    );

    /// <summary>
    /// Scores epoch k with scores[k], draws one number from torch's generator, and stops (cancelled) at
    /// <paramref name="stopAt"/>.
    /// </summary>
    private sealed class Scripted(double[] scores, int stopAt = int.MaxValue) : IEpochTrainer<Scripted.Scored, Row>
    {
        public sealed record Scored(double Loss, double Draw);

        public List<int> Stalls { get; } = [];
        public int Kept { get; private set; }

        public Scored? TrainAndScore(int epoch)
        {
            if (epoch >= stopAt)
                return null;
            using var draw = rand(1);
            return new Scored(scores[epoch], draw.ToArray<float>()[0]);
        }

        public double DevScore(Scored scored) => scored.Loss;

        public ModelInfo KeepBest(Scored scored, int epochs, ModelInfo info)
        {
            Kept = epochs;
            return info;
        }

        public void Stalled(int epochsWithoutImprovement) => Stalls.Add(epochsWithoutImprovement);

        public Row Record(Scored scored, int epochs, double seconds, bool best) =>
            new(epochs, scored.Loss, seconds, best, scored.Draw);

        public void WriteCounters(IDictionary<string, string> counters) =>
            counters["kept"] = TrainingState.Format(Kept);

        public void ReadCounters(TrainingState.Counters counters) => Kept = counters.Int("kept");
    }

    private static EpochLoopResult<Row> Run(
        LoopOptions options,
        Scripted trainer,
        string fingerprint = "data_sha256=x;seed=5"
    )
    {
        var loop = EpochLoop.Open(options);
        using var model = new Network(TinyImages.Architecture());
        var optimizer = new optim.AdamW(model.named_parameters(), 0.01);
        var info = new ModelInfo(
            model.Architecture,
            new ImageSize(TinyImages.Size, TinyImages.Size),
            new Dictionary<string, string>()
        );
        return loop.Run(model, [("all", optimizer)], info, fingerprint, Lowest, Layout, trainer, null);
    }

    [Fact]
    public void Stalled_epochs_are_counted_to_the_trainer_until_early_stopping_and_a_resumed_run_ends_as_one_never_stopped()
    {
        using var dir = new TempDir();
        double[] scores = [3, 2, 2.5, 2, 2.7, 1];
        var options = new LoopOptions
        {
            OutputDirectory = dir.File("whole"),
            Epochs = 6,
            Patience = 3,
            Seed = 5,
            Threads = 1,
        };
        var whole = new Scripted(scores);
        var result = Run(options, whole);
        Assert.True(result.EarlyStopped);
        Assert.False(result.Interrupted);
        Assert.Equal([true, true, false, false, false], result.History.Select(r => r.Best));
        Assert.Equal([1, 2, 3], whole.Stalls);
        Assert.Equal((2, 2.0, 2), (result.BestEpoch, result.BestScore, whole.Kept));
        Assert.Equal(
            result.History,
            Layout.Read(Path.Combine(options.OutputDirectory, Trainer.HistoryFileName)),
            RowsAlike
        );

        var split = options with { OutputDirectory = dir.File("split") };
        var first = Run(split, new Scripted(scores, stopAt: 2));
        Assert.True(first.Interrupted);
        Assert.Equal(2, first.History.Count);
        Assert.Throws<InvalidDataException>(() =>
            Run(split with { Resume = true }, new Scripted(scores), "data_sha256=x;seed=6")
        );
        var resumedTrainer = new Scripted(scores);
        var resumed = Run(split with { Resume = true }, resumedTrainer);
        Assert.Equal(result.History, resumed.History, RowsAlike);
        Assert.Equal((result.BestEpoch, result.EarlyStopped), (resumed.BestEpoch, resumed.EarlyStopped));
        Assert.Equal(2, resumedTrainer.Kept);
        Assert.Equal([1, 2, 3], resumedTrainer.Stalls);
    }

    /// <summary>Rows alike but for their timings; the draws compare at the six digits history.csv keeps.</summary>
    private static bool RowsAlike(Row a, Row b) =>
        (a.Epoch, a.DevLoss, a.Best) == (b.Epoch, b.DevLoss, b.Best)
        && Math.Abs(a.Draw - b.Draw) <= 1e-5 * Math.Abs(a.Draw);
}
