using QuakePrune.Picking;
using QuakePrune.Pruning;
using QuakePrune.Spectrograms;
using QuakePrune.Torch;

namespace QuakePrune.Pipeline;

/// <summary>
/// One run of the study at one scale. The three presets are defined here and nowhere else: <c>ci</c> (seconds, for
/// tests), <c>quick</c> (the default: minutes on a 2-core CPU, synthetic data), <c>paper</c> (the real STEAD, 224x224
/// images, a GPU). The EQTransformer study (notebook 07) takes its settings from the <c>Picking...</c> members of the
/// same preset.
/// </summary>
public sealed record Preset
{
    public required string Name { get; init; }

    /// <summary>Synthetic STEAD traces written when no real STEAD is given.</summary>
    public int SynthTraces { get; init; }
    public double SynthNoiseFraction { get; init; } = 0.5;

    /// <summary>Traces of each class drawn into the subset.</summary>
    public int PerClass { get; init; }
    public double MinSnrDb { get; init; } = double.NegativeInfinity;
    public ImageSize ImageSize { get; init; } = new(64, 64);

    /// <summary>
    /// Compute the spectrograms from the subset's waveforms while training, in loader threads, instead of writing them
    /// all to spectrograms.h5 first (100,000 images of 224x224 are 30 GB): the images are the file's, bit for bit.
    /// </summary>
    public bool SpectrogramsOnTheFly { get; init; }
    public int Hidden { get; init; } = 512;
    public int Epochs { get; init; }
    public int BatchSize { get; init; } = 32;
    public double LearningRate { get; init; } = 0.01;
    public int RetrainEpochs { get; init; }

    /// <summary>
    /// Retraining rate as a fraction of the training rate (about a tenth works, Torch-Pruning users report).
    /// </summary>
    public double RetrainRateFactor { get; init; } = 0.1;

    /// <summary>Retrainings of each pruned model, with seeds <see cref="Seed"/>, Seed + 1, ...: more than one reports
    /// the mean and standard deviation across seeds beside the bootstrap interval (which covers the test images'
    /// sampling, not the seed's).</summary>
    public int RetrainSeeds { get; init; } = 1;

    /// <summary>Train batches (of <see cref="BatchSize"/>) that re-estimate a pruned model's batch-norm statistics for
    /// the report's "after BN recalibration" scores; 0: not scored.</summary>
    public int RecalibrationBatches { get; init; } = 20;
    public IReadOnlyList<double> Ratios { get; init; } = [0.5, 0.7, 0.9];

    /// <summary>
    /// Pruning scopes of the L2 variants: full (the paper's: stem and residual streams too) and internal (inside the
    /// blocks and the head).
    /// </summary>
    public IReadOnlyList<PruningScope> Scopes { get; init; } = [PruningScope.Full, PruningScope.Internal];

    /// <summary>
    /// The control experiment (Liu et al., "Rethinking the value of network pruning", 2019): these criteria besides L2,
    /// each at every ratio in full scope, pruned from the same baseline and retrained alike, so the L2 variants can be
    /// compared with random channels, L1 norms and batch-norm scales.
    /// </summary>
    public IReadOnlyList<string> ControlImportances { get; init; } = ["l1", "bn", "random"];

    /// <summary>
    /// Input size of the latency runs: 224x224 as in the paper, whatever size the models were trained at.
    /// </summary>
    public ImageSize BenchSize { get; init; } = new(224, 224);
    public int BenchThreads { get; init; } = 2;
    public int BenchRuns { get; init; } = 100;
    public int BenchWarmup { get; init; } = 10;
    public Device Device { get; init; } = Device.CPU;
    public ulong Seed { get; init; } = 1;

    // ---- the EQTransformer study (notebook 07): waveforms, no spectrograms

    /// <summary>The waveform pickers compared, EQTransformer first (the reference of every speed-up).</summary>
    public IReadOnlyList<string> PickingArchitectures { get; init; } =
    ["eqtransformer", "eqt-gru", "eqt-cnn-bilstm", "eqt-lite"];

    /// <summary>
    /// Earthquakes and noise traces in the pickers' own subset, drawn from the same STEAD; null: the study's subset
    /// (notebook 01's). Only earthquakes teach the P and S heads, so the quick preset draws them as STEAD holds them,
    /// about four to one.
    /// </summary>
    public ClassCounts? PickingSubset { get; init; }

    /// <summary>
    /// Epochs of every picker trained from fresh weights: the same budget for each (the redesigns cost less per epoch).
    /// </summary>
    public int PickingEpochs { get; init; }
    public int PickingBatchSize { get; init; } = 32;

    /// <summary>Adam's rate (EQTransformer's: 0.001).</summary>
    public double PickingLearningRate { get; init; } = 1e-3;

    /// <summary>
    /// How the pickers' rate moves: EQTransformer's plateau cut, or a warm-up and a cosine to zero over the epochs.
    /// </summary>
    public WaveformSchedule PickingSchedule { get; init; } = WaveformSchedule.Plateau;

    /// <summary>
    /// With the cosine schedule: warm-up epochs, and the last epochs over which the rate falls to zero (null: all after
    /// the warm-up).
    /// </summary>
    public double PickingWarmupEpochs { get; init; } = WaveformTrainOptions.DefaultWarmupEpochs;
    public double? PickingDecayEpochs { get; init; }

    /// <summary>The P and S label Gaussian's sigma in samples, cut at two sigmas (EQTransformer's: 10).</summary>
    public double PickingLabelSigma { get; init; } = 10;

    /// <summary>The loss's detection, P and S weights (EQTransformer's: 0.05, 0.40, 0.55).</summary>
    public LossWeights PickingLossWeights { get; init; } = LossWeights.EqTransformer;

    /// <summary>EQTransformer's augmentation (shift, added noise, channel drop) on the training windows.</summary>
    public bool PickingAugment { get; init; }

    /// <summary>Ratios at which the trained EQTransformer is pruned (its convolutions' channels; full scope).</summary>
    public IReadOnlyList<double> PickingPruneRatios { get; init; } = [0.5, 0.7, 0.9];

    /// <summary>Criteria that prune it: L2 norm (the paper's) and, as the control, random channels.</summary>
    public IReadOnlyList<string> PickingPruneImportances { get; init; } = ["l2", "random"];

    /// <summary>
    /// Epochs that retrain each pruned EQTransformer, at <see cref="RetrainRateFactor"/> times the rate.
    /// </summary>
    public int PickingRetrainEpochs { get; init; }

    /// <summary>
    /// Pickers trained side by side, each in its own process (<see cref="PickingStage.TrainAll"/>); 1: one after
    /// another, here.
    /// </summary>
    public int PickingParallelRuns { get; init; } = 1;

    /// <summary>libtorch threads of each picker's training when they train side by side.</summary>
    public int PickingThreadsPerRun { get; init; } = 1;

    /// <summary>Batch sizes the pickers are timed at (the study's: 1 and 64 windows).</summary>
    public IReadOnlyList<int> PickingBenchBatches { get; init; } = [1, 64];
    public int PickingBenchRuns { get; init; } = 20;
    public int PickingBenchWarmup { get; init; } = 3;

    public static readonly Preset Ci = new()
    {
        Name = "ci",
        SynthTraces = 160,
        PerClass = 40,
        ImageSize = new(32, 32),
        Hidden = 32,
        Epochs = 1,
        BatchSize = 16,
        RetrainEpochs = 1,
        RecalibrationBatches = 2,
        Scopes = [PruningScope.Full],
        BenchSize = new(32, 32),
        BenchRuns = 5,
        BenchWarmup = 1,
        PickingSubset = new(8, 8),
        PickingEpochs = 1,
        PickingBatchSize = 8,
        PickingSchedule = WaveformSchedule.Cosine,
        PickingWarmupEpochs = 0,
        PickingDecayEpochs = 1,
        PickingLabelSigma = 20,
        PickingLossWeights = new(0.05, 0.55, 0.40),
        PickingAugment = true,
        PickingPruneRatios = [0.5],
        PickingRetrainEpochs = 1,
        PickingParallelRuns = 2,
        PickingBenchBatches = [1, 2],
        PickingBenchRuns = 2,
        PickingBenchWarmup = 0,
    };

    public static readonly Preset Quick = new()
    {
        Name = "quick",
        SynthTraces = 3000,
        PerClass = 1200,
        ImageSize = new(64, 64),
        Hidden = 512,
        Epochs = 4,
        BatchSize = 32,
        RetrainEpochs = 2,
        BenchRuns = 100,
        BenchWarmup = 10,
        // The pickers' recipe and budget, measured on this preset's data (README, "EQTransformer: picking on
        // waveforms").
        PickingSubset = new(1440, 360),
        PickingEpochs = 6,
        PickingBatchSize = 16,
        PickingSchedule = WaveformSchedule.Cosine,
        PickingWarmupEpochs = 0,
        PickingDecayEpochs = 1,
        PickingLabelSigma = 20,
        PickingLossWeights = new(0.05, 0.55, 0.40),
        PickingAugment = true,
        PickingRetrainEpochs = 2,
        PickingParallelRuns = 2,
        PickingBenchRuns = 10,
        PickingBenchWarmup = 3,
    };

    public static readonly Preset Paper = new()
    {
        Name = "paper",
        SynthTraces = 0,
        PerClass = 50_000,
        ImageSize = new(224, 224),
        SpectrogramsOnTheFly = true,
        Hidden = 512,
        Epochs = 30,
        BatchSize = 64,
        RetrainEpochs = 10,
        BenchRuns = 300,
        BenchWarmup = 30,
        Device = Device.CUDA,
        PickingEpochs = 30,
        PickingBatchSize = 64,
        PickingAugment = true,
        PickingRetrainEpochs = 10,
        PickingBenchRuns = 100,
        PickingBenchWarmup = 10,
    };

    public static IReadOnlyList<Preset> All { get; } = [Ci, Quick, Paper];

    /// <summary>How many earthquakes and noise traces a subset draws.</summary>
    public sealed record ClassCounts(int Earthquakes, int Noise)
    {
        public int Total => Earthquakes + Noise;
    }

    /// <summary>
    /// Every pruned model of the study, in order: L2 in each scope at each ratio (full scope first), then each control
    /// criterion at each ratio in full scope. Every stage loops over this list and no other.
    /// </summary>
    public IReadOnlyList<StudyVariant> Variants =>
        Scopes
            .SelectMany(scope => Ratios.Select(ratio => new StudyVariant(ratio, scope, StudyVariant.Paper)))
            .Concat(
                ControlImportances.SelectMany(importance =>
                    Ratios.Select(ratio => new StudyVariant(ratio, PruningScope.Full, importance))
                )
            )
            .ToArray();

    /// <summary>
    /// A notebook parameter that overrides a preset's count (epochs, runs, threads, seeds): 0 keeps the preset's value;
    /// a negative one is refused, naming the parameter, as the matching command-line option refuses it.
    /// </summary>
    public static int Override(int given, int presetValue, string parameter) =>
        given switch
        {
            0 => presetValue,
            > 0 => given,
            _ => throw new ArgumentException(
                $"notebook parameter {parameter} = {given}: give a positive number, or 0 for the preset's {presetValue}"
            ),
        };

    /// <summary>A notebook parameter that overrides a preset's rate or factor: 0 keeps the preset's value; NaN,
    /// infinite or negative is refused, naming the parameter.</summary>
    public static double Override(double given, double presetValue, string parameter) =>
        given == 0 ? presetValue
        : double.IsFinite(given) && given > 0 ? given
        : throw new ArgumentException(
            string.Create(
                System.Globalization.CultureInfo.InvariantCulture,
                $"notebook parameter {parameter} = {given}: give a positive finite number, or 0 for the preset's {presetValue}"
            )
        );

    public static Preset Named(string name) =>
        All.FirstOrDefault(p => p.Name == name)
        ?? throw new ArgumentException(
            $"unknown preset '{name}' (known: {string.Join(", ", All.Select(p => p.Name))})"
        );
}
