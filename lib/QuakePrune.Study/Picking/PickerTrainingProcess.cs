using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using QuakePrune.Models;
using QuakePrune.Torch;

namespace QuakePrune.Picking;

/// <summary>
/// A waveform training run as it crosses into a separate process: the options of <see cref="WaveformTrainOptions"/>
/// that are data (not callbacks, cancellation or a rank's context), as JSON. The architecture travels as its own JSON,
/// the one a checkpoint records.
/// </summary>
public sealed record WaveformTrainingRequest
{
    public required string Data { get; init; }
    public required string OutputDirectory { get; init; }
    public string? Init { get; init; }
    public string? Architecture { get; init; }
    public int Epochs { get; init; }
    public int BatchSize { get; init; }
    public double LearningRate { get; init; }
    public WaveformSchedule Schedule { get; init; }
    public double WarmupEpochs { get; init; }
    public double? DecayEpochs { get; init; }
    public int Patience { get; init; }
    public int PlateauPatience { get; init; }
    public long Seed { get; init; }
    public int? Threads { get; init; }
    public required string Device { get; init; }
    public WaveformAugmentOptions? Augmentation { get; init; }
    public required LabelSettings Labels { get; init; }
    public required LossWeights LossWeights { get; init; }

    public static WaveformTrainingRequest Of(WaveformTrainOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Distributed is not null || options.Resume)
            throw new ArgumentException("a picker trained in a separate process starts afresh, on one process");
        return new()
        {
            Data = options.Data,
            OutputDirectory = options.OutputDirectory,
            Init = options.Init,
            Architecture = options.Architecture?.ToJson(),
            Epochs = options.Epochs,
            BatchSize = options.BatchSize,
            LearningRate = options.LearningRate,
            Schedule = options.Schedule,
            WarmupEpochs = options.WarmupEpochs,
            DecayEpochs = options.DecayEpochs,
            Patience = options.Patience,
            PlateauPatience = options.PlateauPatience,
            Seed = options.Seed,
            Threads = options.Threads,
            Device = options.Device.ToString(),
            Augmentation = options.Augmentation,
            Labels = options.Labels,
            LossWeights = options.LossWeights,
        };
    }

    public WaveformTrainOptions ToOptions() =>
        new()
        {
            Data = Data,
            OutputDirectory = OutputDirectory,
            Init = Init,
            Architecture = Architecture is null ? null : Models.Architecture.FromJson(Architecture),
            Epochs = Epochs,
            BatchSize = BatchSize,
            LearningRate = LearningRate,
            Schedule = Schedule,
            WarmupEpochs = WarmupEpochs,
            DecayEpochs = DecayEpochs,
            Patience = Patience,
            PlateauPatience = PlateauPatience,
            Seed = Seed,
            Threads = Threads,
            Device = Torch.Device.Parse(Device),
            Augmentation = Augmentation,
            Labels = Labels,
            LossWeights = LossWeights,
        };

    public string ToJson() => JsonSerializer.Serialize(this);

    /// <summary>
    /// A request as <see cref="ToJson"/> wrote it; anything else is refused, naming where it came from.
    /// </summary>
    public static WaveformTrainingRequest FromJson(string json, string source)
    {
        try
        {
            return JsonSerializer.Deserialize<WaveformTrainingRequest>(json)
                ?? throw new InvalidDataException($"{source}: the training request is null");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{source}: not a waveform training request: {e.Message}", e);
        }
    }
}

/// <summary>
/// The program QuakePrune.PickerTrainer: one picker trained in its own process, so pickers train side by side (each
/// process has its own libtorch random generator and thread count; <see cref="Pipeline.PickingStage.TrainAll"/> starts
/// them). It reads a <see cref="WaveformTrainingRequest"/> from standard input, writes a line per epoch to standard
/// error, and stops at the next step on SIGINT or SIGTERM, keeping the finished epochs, as `quakeprune train` does.
/// </summary>
public static class PickerTrainingProcess
{
    /// <summary>The program's assembly name, as <see cref="CommandLineProcess.StartInfo"/> finds it.</summary>
    public const string Program = "QuakePrune.PickerTrainer";

    /// <summary>
    /// Exit 0 when the run finished, 1 on an error (its message on <paramref name="log"/>), 128 + the signal when
    /// stopped.
    /// </summary>
    public static int Run(TextReader input, TextWriter log)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(log);
        using var stop = new CancellationTokenSource();
        var signal = 0;
        void Stop(PosixSignalContext context)
        {
            context.Cancel = true;
            signal = context.Signal == PosixSignal.SIGINT ? 2 : 15;
            stop.Cancel();
        }
        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
        using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
        try
        {
            var request = WaveformTrainingRequest.FromJson(input.ReadToEnd(), "standard input");
            var options = request.ToOptions() with
            {
                OnEpoch = e => log.WriteLine(Describe(e)),
                Cancellation = stop.Token,
            };
            options.Validate();
            var result = WaveformTrainer.Train(options);
            if (result.Interrupted)
            {
                log.WriteLine($"stopped by signal {signal}; the finished epochs are kept in {options.OutputDirectory}");
                return 128 + signal;
            }
            return 0;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            log.WriteLine($"error: {e.Message}");
            return 1;
        }
    }

    /// <summary>An epoch as the picking stage logs it.</summary>
    public static string Describe(WaveformEpochRecord e) =>
        string.Create(
            CultureInfo.InvariantCulture,
            $"epoch {e.Epoch}: train loss {e.TrainLoss:0.0000} | dev loss {e.DevLoss:0.0000}{(e.Best ? " (best)" : "")} | {e.TracesPerSecond:0.0} traces/s, {e.Seconds:0.0} s"
        );
}
