using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using QuakePrune.Extract;
using QuakePrune.Models;
using QuakePrune.Picking;
using QuakePrune.Spectrograms;
using QuakePrune.Synth;
using QuakePrune.Training;
using static QuakePrune.Torch.torch;

namespace QuakePrune.Cli.Commands;

/// <summary>
/// `quakeprune bench-train`: the trainer's own steps, as JSON: the median step after two warm-up steps, and images (or
/// traces) per second.
/// <list type="bullet">
/// <item>ResNet50 (the default): host batch, forward, cross entropy, backward, SGD momentum, over random images; the
/// setting of `reference.py train` (a Linear head, SGD lr 0.01 momentum 0.9, no weight decay);
/// environment/bench/train.sh runs both in turn.</item>
/// <item>A waveform picker (<c>--arch eqtransformer</c>...): the waveform trainer's steps (reading the batch from a
/// subset, preprocessing and labels, forward, EQTransformer's loss, backward, Adam) over a synthetic STEAD subset
/// written for the run; the setting of `eqtransformer.py train` (3 x 6000, Adam lr 1e-3 eps 1e-7, the 0.05/0.40/0.55
/// loss), which has its windows in memory: ours also reads them. environment/bench/eqt-train.sh runs both in
/// turn.</item>
/// <item>With <c>--subset DIR</c>, ResNet50 trains on that subset's spectrograms computed on the fly (the study's
/// settings at <c>--size</c>, on <c>--loader-threads</c> threads) instead of random images in memory; with
/// <c>--produce-only</c> as well, nothing trains and the loader's own rate is timed (batches of the train split as
/// training would take them). environment/bench/onthefly.sh sets what is produced against what training
/// consumes.</item>
/// </list>
/// </summary>
public static class BenchTrainCommand
{
    public static Command Create()
    {
        var size = new Option<string>("--size")
        {
            Description = "Image size HEIGHTxWIDTH",
            DefaultValueFactory = _ => "64x64",
        };
        var batch = new Option<int>("--batch") { Description = "Images per step", DefaultValueFactory = _ => 32 };
        var steps = new Option<int>("--steps")
        {
            Description = "Steps, the first two not timed",
            DefaultValueFactory = _ => 6,
        };
        var threads = new Option<int>("--threads") { Description = "libtorch threads", DefaultValueFactory = _ => 2 };
        var hidden = new Option<int>("--hidden")
        {
            Description = "Hidden head width (0: Linear, as the reference)",
            DefaultValueFactory = _ => 0,
        };
        var arch = new Option<string>("--arch")
        {
            Description =
                $"resnet50, or a waveform picker ({string.Join(", ", EqTransformerBuilder.Instance.Members)}) trained on synthetic waveforms",
            DefaultValueFactory = _ => "resnet50",
        };
        var subset = new Option<string?>("--subset")
        {
            Description =
                "ResNet50 on this subset folder's spectrograms, computed on the fly with the study's settings at --size (default: random images in memory)",
        };
        var loaderThreads = new Option<int>("--loader-threads")
        {
            Description = "With --subset: threads computing the spectrograms",
            DefaultValueFactory = _ => Environment.ProcessorCount,
        };
        var produceOnly = new Option<bool>("--produce-only")
        {
            Description = "With --subset: time the batches the on-the-fly loader produces, without training",
        };
        var command = new Command(
            "bench-train",
            "Time training steps of a ResNet50 or a waveform picker through its trainer (JSON: median step, images or traces/s)."
        )
        {
            size,
            batch,
            steps,
            threads,
            hidden,
            arch,
            subset,
            loaderThreads,
            produceOnly,
        };
        var parallel = new DataParallel();
        foreach (var option in parallel.Options)
            command.Options.Add(option);
        command.SetAction(parse =>
            CommandErrors.Run(() =>
            {
                if (parallel.Launch(parse, "bench-train", threads, "", CancellationToken.None) is { } launched)
                    return launched;
                using var distributed = parallel.Join(parse, QuakePrune.Torch.Device.CPU);
                var imageSize = ModelCommand.ParseSize(parse.GetValue(size)!);
                var (batchSize, stepCount) = (
                    EvaluateCommand.Positive(parse.GetValue(batch), "--batch"),
                    parse.GetValue(steps)
                );
                if (stepCount < 3)
                    throw new ArgumentException($"--steps must be at least 3 (two are warm-up), got {stepCount}");
                var threadCount = EvaluateCommand.Positive(parse.GetValue(threads), "--threads");
                var member = parse.GetValue(arch)!;
                if (distributed is not null && member != "resnet50")
                    throw new ArgumentException(
                        "bench-train: --nproc times the classifier's steps (resnet50), not a waveform picker's"
                    );
                var folder = parse.GetValue(subset);
                if (folder is not null && (member != "resnet50" || distributed is not null))
                    throw new ArgumentException(
                        "bench-train: --subset times ResNet50 in one process on spectrograms computed on the fly"
                    );
                if (folder is null && parse.GetValue(produceOnly))
                    throw new ArgumentException("bench-train: --produce-only times the on-the-fly loader of --subset");
                using var images = folder is null
                    ? null
                    : SubsetImageDataSet.Open(
                        folder,
                        new SpectrogramSettings { Size = imageSize },
                        EvaluateCommand.Positive(parse.GetValue(loaderThreads), "--loader-threads")
                    );
                var result =
                    images is not null && parse.GetValue(produceOnly) ? Produce(images, batchSize, stepCount)
                    : member == "resnet50"
                        ? Run(
                            imageSize.Height,
                            imageSize.Width,
                            batchSize,
                            stepCount,
                            threadCount,
                            parse.GetValue(hidden),
                            distributed,
                            images
                        )
                    : RunPicker(member, batchSize, stepCount, threadCount);
                Console.WriteLine(result.ToJsonString(new JsonSerializerOptions { WriteIndented = false }));
                return 0;
            })
        );
        return command;
    }

    /// <summary>
    /// The on-the-fly loader's batches of the train split, shuffled as training takes them, with nothing consuming
    /// them: the median interval between batches after two, and images per second produced.
    /// </summary>
    public static JsonObject Produce(SubsetImageDataSet images, int batch, int steps)
    {
        if (images.IndicesOf(Trainer.TrainSplit).Length < batch * steps)
            throw new ArgumentException(
                $"bench-train: '{images.Source}' has fewer than {batch * steps} train traces ({steps} batches of {batch})"
            );
        var intervals = new List<double>();
        var clock = Stopwatch.StartNew();
        foreach (var _ in images.Batches(Trainer.TrainSplit, batch, true, 1, 0).Take(steps))
        {
            intervals.Add(clock.Elapsed.TotalSeconds);
            clock.Restart();
        }
        var median = MedianAfterWarmup(intervals);
        return new JsonObject
        {
            ["engine"] = "QuakePrune spectrograms on the fly",
            ["threads"] = images.Images.Threads,
            ["what"] = "produce_batch",
            ["batch"] = batch,
            ["size"] = new JsonArray(images.Height, images.Width),
            ["median_s"] = median,
            ["images_per_s"] = batch / median,
        };
    }

    /// <summary>
    /// ResNet50's steps on random images, or on <paramref name="onTheFly"/> (a subset's spectrograms on the fly; the
    /// run stops after <paramref name="steps"/> steps); with <paramref name="distributed"/>, this rank's steps of a
    /// data-parallel run (<paramref name="batch"/> over all ranks) and the share of each step spent all-reducing
    /// gradients.
    /// </summary>
    public static JsonObject Run(
        int height,
        int width,
        int batch,
        int steps,
        int threads,
        int hidden,
        DistributedContext? distributed = null,
        SubsetImageDataSet? onTheFly = null
    )
    {
        if (onTheFly is not null)
            return RunOn(onTheFly, batch, steps, threads, hidden);
        var length = 3 * height * width;
        var count = batch * steps + batch;
        var random = new Random(0);
        var images = new float[(long)count * length];
        for (var i = 0; i < images.Length; i++)
            images[i] = (float)(random.NextDouble() * 2 - 1);
        var labels = Enumerable.Range(0, count).Select(i => (long)(i % 2)).ToArray();
        var splits = Enumerable
            .Range(0, count)
            .Select(i => i < batch * steps ? Trainer.TrainSplit : Trainer.DevSplit)
            .ToArray();
        using var data = new InMemoryImageDataSet(images, 3, height, width, labels, splits, source: "random images");

        var (stepSeconds, allReduceSeconds) = TimeSteps(data, batch, threads, hidden, distributed, stopAfter: null);
        var median = MedianAfterWarmup(stepSeconds);
        var result = new JsonObject
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
        if (distributed is not null)
        {
            // Each step's all-reduce time from the running total; its median beside the median step.
            var perStep = allReduceSeconds
                .Select((total, k) => total - (k == 0 ? 0 : allReduceSeconds[k - 1]))
                .ToList();
            var allReduce = MedianAfterWarmup(perStep);
            result["processes"] = distributed.WorldSize;
            result["rank"] = distributed.Rank;
            result["allreduce_median_s"] = allReduce;
            result["allreduce_share"] = allReduce / median;
        }
        return result;
    }

    /// <summary>
    /// ResNet50's first <paramref name="steps"/> steps on a subset's spectrograms computed on the fly.
    /// </summary>
    private static JsonObject RunOn(SubsetImageDataSet images, int batch, int steps, int threads, int hidden)
    {
        if (images.IndicesOf(Trainer.TrainSplit).Length < batch * steps)
            throw new ArgumentException(
                $"bench-train: '{images.Source}' has fewer than {batch * steps} train traces ({steps} batches of {batch})"
            );
        var (stepSeconds, _) = TimeSteps(images, batch, threads, hidden, distributed: null, stopAfter: steps);
        var median = MedianAfterWarmup(stepSeconds);
        return new JsonObject
        {
            ["engine"] = $"QuakePrune trainer, libtorch {__version__}, spectrograms on the fly",
            ["threads"] = get_num_threads(),
            ["loader_threads"] = images.Images.Threads,
            ["what"] = "train_step",
            ["batch"] = batch,
            ["size"] = new JsonArray(images.Height, images.Width),
            ["hidden"] = hidden,
            ["median_s"] = median,
            ["images_per_s"] = batch / median,
        };
    }

    /// <summary>
    /// One epoch of ResNet50 (SGD, momentum 0.9, constant rate) on <paramref name="data"/>, stopped after
    /// <paramref name="stopAfter"/> steps when given: each step's seconds and the running all-reduce total after it.
    /// </summary>
    private static (List<double> StepSeconds, List<double> AllReduceSeconds) TimeSteps(
        IImageDataSet data,
        int batch,
        int threads,
        int hidden,
        DistributedContext? distributed,
        int? stopAfter
    )
    {
        var directory = Directory.CreateTempSubdirectory("quakeprune-bench-train-").FullName;
        var stepSeconds = new List<double>();
        var allReduceSeconds = new List<double>();
        using var stop = new CancellationTokenSource();
        var clock = Stopwatch.StartNew();
        try
        {
            Trainer.Train(
                new TrainOptions
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
                    Distributed = distributed,
                    Cancellation = stop.Token,
                    OnStep = _ =>
                    {
                        stepSeconds.Add(clock.Elapsed.TotalSeconds);
                        allReduceSeconds.Add(distributed?.AllReduceSeconds ?? 0);
                        if (stepSeconds.Count == stopAfter)
                            stop.Cancel();
                        clock.Restart();
                    },
                },
                data
            );
        }
        finally
        {
            Directory.Delete(directory, true);
        }
        return (stepSeconds, allReduceSeconds);
    }

    /// <summary>
    /// The waveform trainer's steps on a synthetic subset with enough training traces for <paramref name="steps"/>
    /// batches.
    /// </summary>
    public static JsonObject RunPicker(string member, int batch, int steps, int threads)
    {
        var architecture = NetworkBuilders.Create(member, new NetworkOptions());
        PickingNetwork.Require(architecture, "bench-train");
        var directory = Directory.CreateTempSubdirectory("quakeprune-bench-train-").FullName;
        var stepSeconds = new List<double>();
        try
        {
            // Extract puts 80 % of each class in train: draw enough traces that train holds every step's batch.
            var perClass = (batch * steps * 5 / 4 + 1) / 2 + 8;
            var prefix = Path.Combine(directory, "synth");
            SyntheticStead.Write(
                prefix,
                new SynthOptions
                {
                    Traces = 2 * perClass + 16,
                    Seed = 1,
                    Threads = threads,
                }
            );
            var subset = Path.Combine(directory, "subset");
            SubsetExtractor.Extract(
                new ExtractOptions
                {
                    Inputs = [prefix],
                    OutputDirectory = subset,
                    PerClass = perClass,
                }
            );
            var clock = Stopwatch.StartNew();
            WaveformTrainer.Train(
                new WaveformTrainOptions
                {
                    Data = subset,
                    OutputDirectory = Path.Combine(directory, "run"),
                    Architecture = architecture,
                    Epochs = 1,
                    BatchSize = batch,
                    Threads = threads,
                    OnStep = p =>
                    {
                        if (p.Step <= steps)
                            stepSeconds.Add(clock.Elapsed.TotalSeconds);
                        clock.Restart();
                    },
                }
            );
        }
        finally
        {
            Directory.Delete(directory, true);
        }
        var median = MedianAfterWarmup(stepSeconds);
        return new JsonObject
        {
            ["engine"] = $"QuakePrune waveform trainer, libtorch {__version__}",
            ["threads"] = threads,
            ["what"] = "train_step",
            ["arch"] = member,
            ["batch"] = batch,
            ["median_s"] = median,
            ["traces_per_s"] = batch / median,
        };
    }

    private static double MedianAfterWarmup(List<double> stepSeconds)
    {
        var timed = stepSeconds.Skip(2).Order().ToArray();
        return timed.Length % 2 == 1
            ? timed[timed.Length / 2]
            : (timed[timed.Length / 2 - 1] + timed[timed.Length / 2]) / 2;
    }
}
