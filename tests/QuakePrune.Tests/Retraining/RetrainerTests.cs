using QuakePrune.Models;
using QuakePrune.Pruning;
using QuakePrune.Retraining;
using QuakePrune.Training;

namespace QuakePrune.Tests.Retraining;

public class RetrainerTests
{
    private static RetrainOptions Options(string model, string directory) =>
        new()
        {
            Model = model,
            OutputDirectory = directory,
            Epochs = 3,
            BatchSize = 8,
            Threads = 1,
            Seed = 3,
        };

    [Fact]
    public void Fine_tunes_a_pruned_model_at_a_tenth_of_the_recorded_rate_and_records_scores_before_and_after()
    {
        using var dir = new TempDir();
        using var data = RetrainFixtures.Data(1);
        var baseline = RetrainFixtures.Checkpoint(dir.File("baseline.safetensors"), trainedRate: 0.1);
        var pruned = dir.File("p50.safetensors");
        CheckpointPruning.Prune(baseline, new PruningOptions(0.5), pruned);
        var output = dir.File("ft");

        // Four epochs: the fixture is learnt after three, one to spare for other CPUs' rounding.
        var result = Retrainer.Retrain(Options(pruned, output) with { Epochs = 4 }, data);

        Assert.Equal(0.01, result.LearningRate, 12);
        Assert.Contains("recorded", result.LearningRateSource);
        Assert.Equal("adamw", result.Optimizer);
        Assert.True(File.Exists(Path.Combine(output, "model.safetensors")));
        var history = History.Read(Path.Combine(output, "history.csv"));
        Assert.Equal([1, 2, 3, 4], history.Select(e => e.Epoch));
        Assert.All(history, e => Assert.Equal(0.01, e.LearningRate, 12));

        // Before: the pruned checkpoint exactly as given, scored independently.
        using (var loaded = Checkpoint.Load(pruned))
            Assert.Equal(ModelMetrics.Of(loaded.Model, data), result.Before);
        Assert.Equal(16, result.Before.Dev!.Count);
        Assert.Equal(16, result.Before.Test!.Count);
        // After: the trainer's best checkpoint; the separable fixture is learnt.
        using (var tuned = Checkpoint.Load(result.ModelPath))
            Assert.Equal(ModelMetrics.Of(tuned.Model, data), result.After);
        Assert.True(result.After.Dev!.Accuracy >= result.Before.Dev.Accuracy);
        Assert.True(
            result.After.Dev.Accuracy >= 0.9,
            $"dev accuracy after retraining {result.After.Dev.Accuracy}; history "
                + string.Join(
                    " | ",
                    history.Select(e => $"{e.TrainLoss} {e.TrainAccuracy} {e.DevLoss} {e.DevAccuracy}")
                )
        );
        Assert.True(history[^1].TrainAccuracy >= history[0].TrainAccuracy);

        var saved = RetrainResult.Read(Path.Combine(output, Retrainer.SummaryFileName));
        Assert.Equal(result.Before, saved.Before);
        Assert.Equal(result.After, saved.After);
        Assert.Equal(4, saved.Epochs);
        Assert.Single(saved.Steps);
        Assert.Null(saved.Steps[0].Pruned);
        Assert.Empty(Directory.GetFiles(output, "*.tmp", SearchOption.AllDirectories));
    }

    [Fact]
    public void Iterative_pruning_shrinks_every_group_geometrically_to_the_one_shot_widths()
    {
        using var dir = new TempDir();
        using var data = RetrainFixtures.Data(2);
        var baseline = RetrainFixtures.Checkpoint(dir.File("baseline.safetensors"));
        var output = dir.File("iter");

        var result = Retrainer.Retrain(
            Options(baseline, output) with
            {
                Epochs = 1,
                Ratio = 0.7,
                Steps = 3,
                LearningRate = 0.005,
            },
            data
        );

        var original = DependencyGroups.Of(RetrainFixtures.Architecture());
        Assert.Equal([1, 2, 3], result.Steps.Select(s => s.Step));
        foreach (var step in result.Steps)
        {
            var keep = Math.Pow(0.3, step.Step / 3.0);
            Assert.Equal(keep, step.KeepFraction, 12);
            foreach (var g in original)
                Assert.Equal(PruningPlan.KeepCount(g.Channels, 1 - keep), step.Widths[g.Name]);
            Assert.True(File.Exists(step.Pruned), step.Pruned);
            Assert.Equal(Checkpoint.ReadInfo(step.Pruned!).Architecture, Checkpoint.ReadInfo(step.Model).Architecture);
            Assert.Equal((step.Step, step.Step), (step.FirstEpoch, step.LastEpoch));
        }
        // 32 residual channels: 21, 14, then 10 as one-shot pruning at 0.7 keeps.
        Assert.Equal([21, 14, 10], result.Steps.Select(s => s.Widths["layer2.residual"]));
        Assert.True(result.Steps.Zip(result.Steps.Skip(1)).All(p => p.First.Params > p.Second.Params));

        var oneShot = PruningPlan
            .Create(original, original.ToDictionary(g => g.Name, g => new double[g.Channels]), new PruningOptions(0.7))
            .Apply(RetrainFixtures.Architecture());
        Assert.Equal(oneShot, Checkpoint.ReadInfo(result.ModelPath).Architecture);
        Assert.Equal([1, 2, 3], History.Read(result.HistoryPath).Select(e => e.Epoch));
        Assert.Equal(result.Steps[0].Before, result.Before);
        Assert.Equal(result.Steps[^1].After, result.After);
        Assert.Equal("1/3", Checkpoint.ReadInfo(result.Steps[0].Pruned!).Notes["pruning.step"]);
    }

    [Fact]
    public void Internal_scope_steps_leave_the_stem_and_residual_streams_whole()
    {
        using var dir = new TempDir();
        using var data = RetrainFixtures.Data(3);
        var baseline = RetrainFixtures.Checkpoint(dir.File("baseline.safetensors"));
        var result = Retrainer.Retrain(
            Options(baseline, dir.File("internal")) with
            {
                Epochs = 1,
                Ratio = 0.5,
                Scope = PruningScope.Internal,
                RoundTo = 4,
            },
            data
        );
        var architecture = Checkpoint.ReadInfo(result.ModelPath).Architecture;
        Assert.Equal(8, architecture.Widths["conv1"]);
        Assert.Equal([16, 32], new[] { "layer1.0.conv3", "layer2.0.conv3" }.Select(l => architecture.Widths[l]));
        Assert.Equal([4, 8], new[] { "layer1.0.conv1", "layer2.0.conv1" }.Select(l => architecture.Widths[l]));
        Assert.Equal(8, architecture.Widths["fc.0"]);
        Assert.True(File.Exists(Path.Combine(dir.File("internal"), Retrainer.PrunedFileName)));
    }

    [Fact]
    public void Default_rate_without_a_recorded_one_and_a_given_rate_wins()
    {
        var options = new RetrainOptions { Model = "m", OutputDirectory = "d" };
        Assert.Equal(
            (0.001, "default (no training rate recorded in the checkpoint)"),
            Retrainer.ChooseLearningRate(options, new Dictionary<string, string>())
        );
        var notes = new Dictionary<string, string> { [TrainingNotes.LearningRate] = "0.05" };
        Assert.Equal(0.005, Retrainer.ChooseLearningRate(options, notes).Rate, 12);
        Assert.Equal((0.2, "given"), Retrainer.ChooseLearningRate(options with { LearningRate = 0.2 }, notes));
    }

    [Fact]
    public void Bad_options_and_an_occupied_directory_are_refused()
    {
        using var dir = new TempDir();
        using var data = RetrainFixtures.Data(4, train: 8, dev: 4, test: 0);
        var baseline = RetrainFixtures.Checkpoint(dir.File("baseline.safetensors"));
        var steps = Assert.Throws<ArgumentException>(() =>
            Retrainer.Retrain(Options(baseline, dir.File("a")) with { Steps = 2 }, data)
        );
        Assert.Contains("--steps needs --ratio", steps.Message);
        Assert.Contains(
            "ratio",
            Assert
                .Throws<ArgumentException>(() =>
                    Retrainer.Retrain(Options(baseline, dir.File("a")) with { Ratio = 1 }, data)
                )
                .Message
        );

        var first = Retrainer.Retrain(Options(baseline, dir.File("b")) with { Epochs = 1 }, data);
        Assert.Null(first.Before.Test);
        Assert.Null(first.After.Test);
        var again = Assert.Throws<IOException>(() =>
            Retrainer.Retrain(Options(baseline, dir.File("b")) with { Epochs = 1 }, data)
        );
        Assert.Contains("already holds a run", again.Message);
    }
}
