using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using QuakePrune.Models;
using QuakePrune.Training;
using static QuakePrune.Torch.torch;

namespace QuakePrune.Cli.Commands;

/// <summary>
/// `quakeprune bench-train`: the trainer's own steps (host batch, forward, cross entropy, backward, SGD momentum) on a
/// ResNet50 over random images, as JSON: the median step after two warm-up steps, and images/s. The setting matches
/// `reference.py train` (ResNet50 with a Linear head, SGD lr 0.01 momentum 0.9, no weight decay); environment/bench/train.sh
/// runs both in turn.
/// </summary>
public static class BenchTrainCommand
{
    public static Command Create()
    {
        var size = new Option<string>("--size") { Description = "Image size HEIGHTxWIDTH", DefaultValueFactory = _ => "64x64" };
        var batch = new Option<int>("--batch") { Description = "Images per step", DefaultValueFactory = _ => 32 };
        var steps = new Option<int>("--steps") { Description = "Steps, the first two not timed", DefaultValueFactory = _ => 6 };
        var threads = new Option<int>("--threads") { Description = "libtorch threads", DefaultValueFactory = _ => 2 };
        var hidden = new Option<int>("--hidden") { Description = "Hidden head width (0: Linear, as the reference)", DefaultValueFactory = _ => 0 };
        var command = new Command("bench-train", "Time training steps of a ResNet50 through the trainer (JSON: median step, images/s).")
        {
            size, batch, steps, threads, hidden,
        };
        command.SetAction(parse => CommandErrors.Run(() =>
        {
            var imageSize = ModelCommand.ParseSize(parse.GetValue(size)!);
            var (batchSize, stepCount) = (EvaluateCommand.Positive(parse.GetValue(batch), "--batch"), parse.GetValue(steps));
            if (stepCount < 3) throw new ArgumentException($"--steps must be at least 3 (two are warm-up), got {stepCount}");
            var result = Run(imageSize.Height, imageSize.Width, batchSize, stepCount, EvaluateCommand.Positive(parse.GetValue(threads), "--threads"),
                parse.GetValue(hidden));
            Console.WriteLine(result.ToJsonString(new JsonSerializerOptions { WriteIndented = false }));
            return 0;
        }));
        return command;
    }

    public static JsonObject Run(int height, int width, int batch, int steps, int threads, int hidden)
    {
        var length = 3 * height * width;
        var count = batch * steps + batch;
        var random = new Random(0);
        var images = new float[(long)count * length];
        for (var i = 0; i < images.Length; i++) images[i] = (float)(random.NextDouble() * 2 - 1);
        var labels = Enumerable.Range(0, count).Select(i => (long)(i % 2)).ToArray();
        var splits = Enumerable.Range(0, count).Select(i => i < batch * steps ? Trainer.TrainSplit : Trainer.DevSplit).ToArray();
        using var data = new InMemoryImageDataSet(images, 3, height, width, labels, splits, source: "random images");

        var directory = Directory.CreateTempSubdirectory("quakeprune-bench-train-").FullName;
        var stepSeconds = new List<double>();
        var clock = Stopwatch.StartNew();
        try
        {
            Trainer.Train(new TrainOptions
            {
                OutputDirectory = directory,
                Architecture = ResNetArchitecture.ResNet50(2, hidden),
                Optimizer = OptimizerKind.Sgd,
                LearningRate = 0.01,
                Momentum = 0.9,
                WeightDecay = 0,
                WarmupEpochs = 0,
                Epochs = 1,
                BatchSize = batch,
                Threads = threads,
                OnStep = _ =>
                {
                    stepSeconds.Add(clock.Elapsed.TotalSeconds);
                    clock.Restart();
                },
            }, data);
        }
        finally
        {
            Directory.Delete(directory, true);
        }
        var timed = stepSeconds.Skip(2).Order().ToArray();
        var median = timed.Length % 2 == 1 ? timed[timed.Length / 2] : (timed[timed.Length / 2 - 1] + timed[timed.Length / 2]) / 2;
        return new JsonObject
        {
            ["engine"] = $"QuakePrune trainer, libtorch {__version__}",
            ["threads"] = get_num_threads(),
            ["what"] = "train_step",
            ["batch"] = batch,
            ["size"] = new JsonArray(height, width),
            ["hidden"] = hidden,
            ["median_s"] = median,
            ["images_per_s"] = batch / median,
        };
    }
}
