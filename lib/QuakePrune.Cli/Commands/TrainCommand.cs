using System.CommandLine;
using System.Globalization;
using QuakePrune.Models;
using QuakePrune.Outputs;
using QuakePrune.Picking;
using QuakePrune.Torch;
using QuakePrune.Training;

namespace QuakePrune.Cli.Commands;

/// <summary>
/// `quakeprune train`: the ResNet50 baseline (or a retraining from --init) on a spectrogram file, or on a subset folder
/// whose spectrograms are computed on the fly (with the `spectrogram` verb's options); or, with --arch naming a
/// waveform picker (eqtransformer and its variants), that picker on a subset folder's waveforms.
/// </summary>
public static class TrainCommand
{
    public static Command Create()
    {
        var data = new Option<string>("--data")
        {
            Description =
                "Spectrogram file (train and dev splits) from `quakeprune spectrogram`, or the subset folder from `quakeprune extract`: "
                + "a classifier's images are then computed on the fly with the spectrogram options below, a waveform picker reads its waveforms",
            Required = true,
        };
        var arch = new Option<string?>("--arch")
        {
            Description =
                $"Architecture of a fresh model ({string.Join(", ", NetworkBuilders.Members)}; default resnet50 with --hidden); a waveform picker trains on waveforms",
        };
        var output = new Option<string>("--out")
        {
            Description = "Run folder: history.csv, model.safetensors (best dev F1), state.safetensors",
            Required = true,
        };
        var init = new Option<string?>("--init")
        {
            Description = "Start from this checkpoint (its architecture and weights)",
        };
        var resume = new Option<bool>("--resume")
        {
            Description = "Continue the interrupted run in --out (same options)",
        };
        var epochs = new Option<int>("--epochs") { Description = "Epochs", DefaultValueFactory = _ => 10 };
        var batch = new Option<int>("--batch") { Description = "Batch size", DefaultValueFactory = _ => 32 };
        var lr = new Option<double?>("--lr")
        {
            Description = "Peak learning rate (default 0.01 for sgd, 0.001 for adamw and for a waveform picker's Adam)",
        };
        var minLr = new Option<double>("--min-lr")
        {
            Description = "Learning rate at the end of the cosine",
            DefaultValueFactory = _ => 0,
        };
        var optimizer = new Option<string>("--optimizer")
        {
            Description = "sgd (momentum 0.9) or adamw",
            DefaultValueFactory = _ => "sgd",
        };
        var momentum = new Option<double>("--momentum")
        {
            Description = "SGD momentum",
            DefaultValueFactory = _ => 0.9,
        };
        var weightDecay = new Option<double?>("--weight-decay")
        {
            Description = "Weight decay of conv and linear weights (default 1e-4 sgd, 0.05 adamw)",
        };
        var warmup = new Option<double>("--warmup")
        {
            Description = "Linear warm-up in epochs before the cosine",
            DefaultValueFactory = _ => 1,
        };
        var labelSmoothing = new Option<double>("--label-smoothing")
        {
            Description = "Label smoothing of the cross entropy",
            DefaultValueFactory = _ => 0,
        };
        var classWeights = new Option<string?>("--class-weights")
        {
            Description = "Loss weights NOISE,EARTHQUAKE (e.g. 1,2) or balanced",
        };
        var augment = new Option<bool>("--augment")
        {
            Description =
                "Random time shift and frequency/time masks on training images; for a waveform picker, EQTransformer's shift, added noise and channel drop",
        };
        var augmentRates = new Option<string?>("--augment-rates")
        {
            Description =
                "For a waveform picker: the shift, added-noise and channel-drop probabilities S,N,D (implies --augment; "
                + "--augment alone: 0.99,0.3,0.5, EQTransformer's)",
        };
        var patience = new Option<int>("--patience")
        {
            Description = "Stop after N epochs without a better dev F1 (0: never)",
            DefaultValueFactory = _ => 0,
        };
        var labelSigma = new Option<double?>("--label-sigma")
        {
            Description =
                "For a waveform picker: the P and S label Gaussian's sigma in samples, cut at two sigmas (default 10, EQTransformer's)",
        };
        var lossWeights = new Option<string?>("--loss-weights")
        {
            Description =
                "For a waveform picker: the loss's detection, P and S weights D,P,S (default 0.05,0.4,0.55, EQTransformer's)",
        };
        var schedule = new Option<string?>("--schedule")
        {
            Description =
                "For a waveform picker: plateau (EQTransformer's: the rate cut by sqrt(0.1) after 10 epochs without a lower dev loss) "
                + "or cosine (a linear warm-up of --warmup epochs, default 0.5, then a cosine to zero at the last epoch) [default: plateau]",
        };
        var decay = new Option<double?>("--decay")
        {
            Description =
                "For a waveform picker with --schedule cosine: the cosine spans the last EPOCHS epochs, the rate held at --lr before them "
                + "(default: every epoch after the warm-up)",
        };
        var hidden = new Option<int>("--hidden")
        {
            Description = "Hidden head width of a fresh ResNet50 (0: a single Linear)",
            DefaultValueFactory = _ => 512,
        };
        var seed = new Option<long>("--seed")
        {
            Description = "Seed of the weights, the order and augmentation",
            DefaultValueFactory = _ => 1,
        };
        var threads = new Option<int>("--threads")
        {
            Description = "libtorch threads",
            DefaultValueFactory = _ => Environment.ProcessorCount,
        };
        var device = new Option<string>("--device") { Description = "cpu or cuda", DefaultValueFactory = _ => "cpu" };
        var overwrite = new Option<bool>("--overwrite")
        {
            Description = "Replace an earlier run in --out (only the files train writes)",
        };
        var images = new SpectrogramOptions();
        var loaderThreads = new Option<int>("--loader-threads")
        {
            Description = "With a subset folder: threads computing the spectrograms ahead of training",
            DefaultValueFactory = _ => Environment.ProcessorCount,
        };
        var command = new Command("train", "Train the classifier; the checkpoint with the best dev F1 is kept.")
        {
            data,
            arch,
            output,
            init,
            resume,
            epochs,
            batch,
            lr,
            minLr,
            optimizer,
            momentum,
            weightDecay,
            warmup,
            labelSmoothing,
            classWeights,
            augment,
            augmentRates,
            patience,
            labelSigma,
            lossWeights,
            schedule,
            decay,
            hidden,
            seed,
            threads,
            device,
            overwrite,
        };
        foreach (var option in images.All)
            command.Options.Add(option);
        command.Options.Add(loaderThreads);
        var parallel = new DataParallel();
        foreach (var option in parallel.Options)
            command.Options.Add(option);
        command.SetAction(parse => CommandErrors.RunInterruptible("train", cancellation =>
            {
                if (parallel.Launch(parse, "train", threads, parse.GetValue(output)!, cancellation) is { } launched)
                    return launched;
                var architecture = parse.GetValue(arch) is { } member
                    ? NetworkBuilders.Create(member, new NetworkOptions(3, 2, parse.GetValue(hidden)))
                    : null;
                // A waveform picker: a fresh one (--arch eqtransformer...) or one to continue from (--init, e.g. a
                // pruned picker).
                var initPath = parse.GetValue(init);
                if (
                    architecture is not null
                        ? PickingNetwork.IsPicker(architecture)
                        : initPath is not null && IsPickerCheckpoint(initPath)
                )
                {
                    Option[] forClassifiers =
                    [
                        optimizer,
                        momentum,
                        weightDecay,
                        labelSmoothing,
                        classWeights,
                        minLr,
                        hidden,
                        loaderThreads,
                        .. images.All,
                    ];
                    var classifierOnly = forClassifiers
                        .Where(o => parse.GetResult(o) is { Implicit: false })
                        .Select(o => o.Name)
                        .ToArray();
                    if (classifierOnly.Length > 0)
                        throw new ArgumentException(
                            $"train: {string.Join(", ", classifierOnly)} apply to classifiers, not to the waveform picker {parse.GetValue(arch)}"
                        );
                    return TrainPicker(
                        parse,
                        architecture,
                        initPath,
                        new PickerOptions(
                            data,
                            output,
                            resume,
                            epochs,
                            batch,
                            lr,
                            augment,
                            augmentRates,
                            patience,
                            labelSigma,
                            lossWeights,
                            schedule,
                            warmup,
                            decay,
                            seed,
                            threads,
                            device,
                            overwrite,
                            parallel
                        ),
                        cancellation
                    );
                }
                if (
                    parse.GetValue(labelSigma) is not null
                    || parse.GetValue(lossWeights) is not null
                    || parse.GetValue(schedule) is not null
                    || parse.GetValue(augmentRates) is not null
                    || parse.GetValue(decay) is not null
                )
                    throw new ArgumentException(
                        "train: --label-sigma, --loss-weights, --schedule, --decay and --augment-rates apply to waveform pickers (--arch eqtransformer...), not to classifiers"
                    );
                // --init brings its own architecture: a head width given beside it would be ignored in silence.
                if (initPath is not null && parse.GetResult(hidden) is { Implicit: false })
                    throw new ArgumentException(
                        "train: --hidden shapes a fresh model; with --init the checkpoint's own head is trained (drop --hidden, or drop --init)"
                    );
                // A subset folder's images are computed with the spectrogram options; a file carries the settings it
                // was made with.
                var onTheFly = ImageDataSets.IsSubsetFolder(parse.GetValue(data)!);
                if (!onTheFly && images.Given(parse) is { Length: > 0 } spectrogramOptions)
                    throw new ArgumentException(
                        $"train: {string.Join(", ", spectrogramOptions)} make a subset folder's images on the fly; the spectrogram file "
                            + $"'{parse.GetValue(data)}' holds images made already (drop them, or give the subset folder)"
                    );
                var (weights, balanced) = ParseClassWeights(parse.GetValue(classWeights));
                var printer = new ProgressPrinter();
                var requested = Device.Parse(parse.GetValue(device)!);
                using var distributed = parallel.Join(parse, requested);
                var options = new TrainOptions
                {
                    Data = parse.GetValue(data),
                    Spectrogram = onTheFly ? images.Settings(parse) : null,
                    LoaderThreads = EvaluateCommand.Positive(parse.GetValue(loaderThreads), "--loader-threads"),
                    OutputDirectory = parse.GetValue(output)!,
                    Init = parse.GetValue(init),
                    Resume = parse.GetValue(resume),
                    Epochs = parse.GetValue(epochs),
                    BatchSize = parse.GetValue(batch),
                    LearningRate = parse.GetValue(lr),
                    MinLearningRate = parse.GetValue(minLr),
                    Optimizer = parse.GetValue(optimizer)!.Trim().ToLowerInvariant() switch
                    {
                        "sgd" => OptimizerKind.Sgd,
                        "adamw" => OptimizerKind.AdamW,
                        var other => throw new ArgumentException($"--optimizer: '{other}' is neither sgd nor adamw"),
                    },
                    Momentum = parse.GetValue(momentum),
                    WeightDecay = parse.GetValue(weightDecay),
                    WarmupEpochs = parse.GetValue(warmup),
                    LabelSmoothing = parse.GetValue(labelSmoothing),
                    ClassWeights = weights,
                    BalancedClassWeights = balanced,
                    Augment = parse.GetValue(augment) ? new AugmentOptions() : null,
                    Patience = parse.GetValue(patience),
                    Hidden = parse.GetValue(hidden),
                    Architecture = architecture,
                    Seed = parse.GetValue(seed),
                    Threads = parse.GetValue(threads),
                    Device = DataParallel.DeviceOf(requested, distributed),
                    Distributed = distributed,
                    OnStep = printer.Step,
                    OnEpoch = printer.Epoch,
                    Cancellation = cancellation,
                };
                options.Validate();
                // Rank 0 claims the run's folder (and clears it for --overwrite) before any rank looks in it.
                using var outputs = distributed is { IsMain: false }
                    ? null
                    : new OutputSet("train", parse.GetValue(overwrite), [options.Data, options.Init]);
                outputs?.WorkFolder(options.OutputDirectory, Trainer.OutputFiles, options.Resume);
                distributed?.Barrier();
                var result = Trainer.Train(options);
                var c = CultureInfo.InvariantCulture;
                // CommandErrors says what the interruption kept and exits with 128 + the signal.
                if (result.Interrupted)
                    throw new OperationCanceledException(cancellation);
                Console.WriteLine(
                    string.Create(
                        c,
                        $"train: {result.History.Count} epochs{(result.EarlyStopped ? " (early stop)" : "")} in {result.Seconds:F0} s; "
                            + $"best dev F1 {result.BestDevF1:F4} at epoch {result.BestEpoch}, threshold {result.DecisionThreshold:0.####} -> {DataParallel.Written(result.ModelPath, distributed)}"
                    )
                );
                return 0;
            }));
        return command;
    }

    /// <summary>
    /// Whether --init names a picker's checkpoint; a missing or unreadable file is left to the classifier's checks,
    /// which name it.
    /// </summary>
    private static bool IsPickerCheckpoint(string path)
    {
        try
        {
            return File.Exists(path) && PickingCheckpoint.IsPicker(path);
        }
        catch (Exception e)
            when (e is InvalidDataException or IOException or System.Text.Json.JsonException or ArgumentException)
        {
            return false;
        }
    }

    /// <summary>The options a waveform picker's training reads.</summary>
    private sealed record PickerOptions(
        Option<string> Data,
        Option<string> Output,
        Option<bool> Resume,
        Option<int> Epochs,
        Option<int> Batch,
        Option<double?> LearningRate,
        Option<bool> Augment,
        Option<string?> AugmentRates,
        Option<int> Patience,
        Option<double?> LabelSigma,
        Option<string?> LossWeights,
        Option<string?> Schedule,
        Option<double> Warmup,
        Option<double?> Decay,
        Option<long> Seed,
        Option<int> Threads,
        Option<string> Device,
        Option<bool> Overwrite,
        DataParallel Parallel
    );

    private static int TrainPicker(
        ParseResult parse,
        Architecture? architecture,
        string? init,
        PickerOptions o,
        CancellationToken cancellation
    )
    {
        var c = CultureInfo.InvariantCulture;
        var terminal = !Console.IsErrorRedirected;
        var requested = Device.Parse(parse.GetValue(o.Device)!);
        using var distributed = o.Parallel.Join(parse, requested);
        var warmupGiven = parse.GetResult(o.Warmup) is { Implicit: false };
        var options = new WaveformTrainOptions
        {
            // --warmup's default (1 epoch) is the classifier's; a picker keeps its own unless it is given.
            WarmupEpochs = warmupGiven ? parse.GetValue(o.Warmup) : WaveformTrainOptions.DefaultWarmupEpochs,
            DecayEpochs = parse.GetValue(o.Decay),
            Data = parse.GetValue(o.Data)!,
            OutputDirectory = parse.GetValue(o.Output)!,
            Architecture = architecture,
            Init = init,
            Resume = parse.GetValue(o.Resume),
            Epochs = parse.GetValue(o.Epochs),
            BatchSize = parse.GetValue(o.Batch),
            LearningRate = parse.GetValue(o.LearningRate) ?? 1e-3,
            Augmentation =
                parse.GetValue(o.AugmentRates) is { } rates ? WaveformAugmentOptions.Parse(rates)
                : parse.GetValue(o.Augment) ? WaveformAugmentOptions.EqTransformer
                : null,
            Labels = parse.GetValue(o.LabelSigma) is { } sigma ? LabelSettings.WithSigma(sigma) : new LabelSettings(),
            LossWeights = parse.GetValue(o.LossWeights) is { } weights
                ? LossWeights.Parse(weights)
                : LossWeights.EqTransformer,
            Patience = parse.GetValue(o.Patience),
            Schedule = parse.GetValue(o.Schedule)?.Trim().ToLowerInvariant() switch
            {
                null or "plateau" => WaveformSchedule.Plateau,
                "cosine" => WaveformSchedule.Cosine,
                var other => throw new ArgumentException($"train: --schedule '{other}' is neither plateau nor cosine"),
            },
            Seed = parse.GetValue(o.Seed),
            Threads = parse.GetValue(o.Threads),
            Device = DataParallel.DeviceOf(requested, distributed),
            Distributed = distributed,
            OnStep = p =>
            {
                if (terminal)
                    Console.Error.Write(
                        string.Create(
                            c,
                            $"\repoch {p.Epoch}/{p.Epochs} step {p.Step}/{p.Steps} loss {p.Loss:F4} {p.TracesPerSecond:F1} traces/s "
                        )
                    );
            },
            OnEpoch = r =>
            {
                if (terminal)
                    Console.Error.WriteLine();
                Console.Error.WriteLine(
                    string.Create(
                        c,
                        $"epoch {r.Epoch}: train loss {r.TrainLoss:F4} | dev loss {r.DevLoss:F4}{(r.Best ? " (best)" : "")}, at dev thresholds detection F1 {r.DevDetectionF1:F3} "
                            + $"P F1 {r.DevPF1:F3} S F1 {r.DevSF1:F3} | {r.TracesPerSecond:F1} traces/s, {r.Seconds:F1} s, lr {r.LearningRate:G3}"
                    )
                );
            },
            Cancellation = cancellation,
        };
        options.Validate();
        if ((warmupGiven || options.DecayEpochs is not null) && options.Schedule != WaveformSchedule.Cosine)
            throw new ArgumentException(
                "train: --warmup and --decay shape the cosine schedule; give --schedule cosine with them, or drop them"
            );
        // Rank 0 claims the run's folder (and clears it for --overwrite) before any rank looks in it.
        using var outputs = distributed is { IsMain: false }
            ? null
            : new OutputSet(
                "train",
                parse.GetValue(o.Overwrite),
                [.. WaveformDataSet.InputFiles(options.Data), options.Init]
            );
        outputs?.WorkFolder(options.OutputDirectory, WaveformTrainer.OutputFiles, options.Resume);
        distributed?.Barrier();
        var result = WaveformTrainer.Train(options);
        if (result.Interrupted)
            throw new OperationCanceledException(cancellation);
        var t = result.Thresholds;
        Console.WriteLine(
            string.Create(
                c,
                $"train: {result.History.Count} epochs{(result.EarlyStopped ? " (early stop)" : "")} in {result.Seconds:F0} s; lowest dev loss {result.BestDevLoss:F4} "
                    + $"at epoch {result.BestEpoch}; thresholds chosen on dev: detection {t?.Detection:0.##}, P {t?.P:0.##}, S {t?.S:0.##} -> {DataParallel.Written(result.ModelPath, distributed)}"
            )
        );
        return 0;
    }

    private static (double[]? Weights, bool Balanced) ParseClassWeights(string? text)
    {
        if (text is null)
            return (null, false);
        if (text.Trim().Equals("balanced", StringComparison.OrdinalIgnoreCase))
            return (null, true);
        var parts = text.Split(',', StringSplitOptions.TrimEntries);
        var weights = new double[parts.Length];
        for (var i = 0; i < parts.Length; i++)
            if (!double.TryParse(parts[i], NumberStyles.Float, CultureInfo.InvariantCulture, out weights[i]))
                throw new ArgumentException(
                    $"--class-weights: '{text}' is neither NOISE,EARTHQUAKE (two numbers) nor balanced"
                );
        return (weights, false);
    }

    /// <summary>
    /// A redrawn bar per epoch on a terminal; one plain line per epoch when stderr is a file or pipe.
    /// </summary>
    private sealed class ProgressPrinter
    {
        private readonly bool terminal = !Console.IsErrorRedirected;

        public void Step(StepProgress p)
        {
            if (!terminal)
                return;
            var filled = p.Steps == 0 ? 30 : p.Step * 30 / p.Steps;
            Console.Error.Write(
                string.Create(
                    CultureInfo.InvariantCulture,
                    $"\repoch {p.Epoch}/{p.Epochs} [{new string('#', filled)}{new string(' ', 30 - filled)}] {p.Step}/{p.Steps} "
                        + $"loss {p.Loss:F4} acc {p.Accuracy:F3} {p.ImagesPerSecond:F1} img/s lr {p.LearningRate:G3} "
                )
            );
        }

        public void Epoch(EpochRecord r)
        {
            if (terminal)
                Console.Error.WriteLine();
            Console.Error.WriteLine(
                string.Create(
                    CultureInfo.InvariantCulture,
                    $"epoch {r.Epoch}: train loss {r.TrainLoss:F4} acc {r.TrainAccuracy:F4} | dev loss {r.DevLoss:F4} acc {r.DevAccuracy:F4} "
                        + $"F1 {r.DevF1:F4}{(r.Best ? " (best)" : "")} | {r.ImagesPerSecond:F1} img/s, {r.Seconds:F1} s, lr {r.LearningRate:G3}"
                )
            );
        }
    }
}
