using QuakePrune.Extract;
using QuakePrune.Latency;
using QuakePrune.Models;
using QuakePrune.Picking;
using QuakePrune.Training;

namespace QuakePrune.Pipeline;

/// <summary>One row of the EQTransformer study's comparison: cost, CPU latency, and test scores at thresholds chosen on dev.</summary>
public sealed record PickerComparisonRow(
    string Model, long Params, long Macs, double? LatencyBatch1Ms, double? LatencyPerWindowBatchNMs, int BatchN, double? Speedup,
    double? DetectionF1, double? PF1, double? SF1, double? PResidualMean, double? PResidualStd, double? PResidualMae,
    double? SResidualMean, double? SResidualStd, double? SResidualMae);

/// <summary>One test trace run through a picker: what the network was fed, its three curves, its picks and the catalogue's.</summary>
public sealed record PickedTrace(string TraceName, float[] Input, float[] Detection, float[] P, float[] S, TracePicks Picks, PickThresholds Thresholds, TraceTruth Truth);

/// <summary>
/// Notebook 07: the EQTransformer study. Each picker of the preset trained on the same waveforms (the preset's own subset,
/// drawn from the same STEAD as notebook 01's, or that subset), scored on test at thresholds chosen on dev, timed on the CPU at
/// batch 1 and 64, interleaved, and set side by side.
/// </summary>
public static class PickingStage
{
    /// <summary>The pickers' subset: drawn into eqtransformer/subset when the preset says how many per class, else notebook 01's.</summary>
    public static string Subset(Preset preset, StudyPaths paths, string steadPrefixes = "")
    {
        if (preset.PickingPerClass is not { } perClass)
        {
            if (!File.Exists(Path.Combine(paths.Subset, SubsetExtractor.CsvName)))
                throw new FileNotFoundException($"the {preset.Name} preset trains the pickers on the study's subset; run notebook 01 (or `pipeline`) first: '{paths.Subset}' has none");
            return paths.Subset;
        }
        SubsetExtractor.Extract(new ExtractOptions
        {
            Inputs = SubsetStage.Sources(preset, paths, steadPrefixes),
            OutputDirectory = paths.PickingSubset,
            PerClass = perClass,
            MinSnrDb = double.IsFinite(preset.MinSnrDb) ? preset.MinSnrDb : null,
            Seed = preset.Seed,
            Overwrite = true,
        });
        return paths.PickingSubset;
    }

    /// <summary>The trainer's settings for one picker: EQTransformer's recipe at the preset's epochs and batch.</summary>
    public static WaveformTrainOptions Options(Preset preset, StudyPaths paths, string subset, string architecture) => new()
    {
        Data = subset,
        OutputDirectory = paths.PickingRun(architecture),
        Architecture = NetworkBuilders.Create(architecture, new NetworkOptions()),
        Epochs = preset.PickingEpochs,
        BatchSize = preset.PickingBatchSize,
        Seed = (long)preset.Seed,
        Device = preset.Device,
    };

    /// <summary>Trains one picker from scratch (an earlier run of it is replaced, so a rerun gives the same numbers).</summary>
    public static WaveformTrainResult Train(Preset preset, StudyPaths paths, string subset, string architecture, Action<WaveformEpochRecord>? onEpoch = null)
    {
        var options = Options(preset, paths, subset, architecture) with { OnEpoch = onEpoch };
        if (Directory.Exists(options.OutputDirectory)) Directory.Delete(options.OutputDirectory, recursive: true);
        return WaveformTrainer.Train(options);
    }

    public static string Model(StudyPaths paths, string architecture) => Path.Combine(paths.PickingRun(architecture), Trainer.ModelFileName);

    /// <summary>Scores one trained picker on test (thresholds chosen on dev) and writes metrics.json beside it.</summary>
    public static PickingEvaluationReport Evaluate(Preset preset, StudyPaths paths, string subset, string architecture)
    {
        var report = PickingEvaluation.Evaluate(Model(paths, architecture), subset, "test", preset.PickingBatchSize, preset.Device);
        AtomicFile.Write(paths.PickingMetrics(architecture), report.WriteTo);
        return report;
    }

    /// <summary>Times every trained picker at the preset's batches, interleaved, on the CPU's fixed threads; writes latency.json.</summary>
    public static BenchReport Bench(Preset preset, StudyPaths paths, Action<string>? log = null)
    {
        var report = LatencyBench.Run(new BenchOptions
        {
            Models = preset.PickingArchitectures.Select(a => Model(paths, a)).ToArray(),
            Batches = preset.PickingBenchBatches,
            Threads = preset.BenchThreads,
            Warmup = preset.PickingBenchWarmup,
            Runs = preset.PickingBenchRuns,
            Interleave = true,
            Engine = BenchEngine.Eager,
            Log = log,
        });
        LatencyBench.Write(report, paths.PickingLatency);
        return report;
    }

    /// <summary>The comparison table: one row per picker, latency from <paramref name="latency"/> (batch 1 and the largest batch, per window).</summary>
    public static IReadOnlyList<PickerComparisonRow> Compare(Preset preset, StudyPaths paths, IReadOnlyList<PickingEvaluationReport> reports, BenchReport latency)
    {
        var largest = latency.Options.Batches.Max();
        return preset.PickingArchitectures.Select((architecture, k) =>
        {
            var model = Model(paths, architecture);
            var timed = latency.Results.Where(r => r.Model == model).ToArray();
            var one = timed.FirstOrDefault(r => r.Batch == 1);
            var many = timed.FirstOrDefault(r => r.Batch == largest);
            var scores = reports[k].AtChosenThresholds;
            return new PickerComparisonRow(architecture, timed.FirstOrDefault()?.Params ?? 0, timed.FirstOrDefault()?.Macs ?? 0, one?.Statistics.MedianMs,
                many is null ? null : many.Statistics.MedianMs / largest, largest, one?.Speedup, scores.Detection.F1, scores.P.F1, scores.S.F1,
                scores.P.ResidualMean, scores.P.ResidualStd, scores.P.ResidualMae, scores.S.ResidualMean, scores.S.ResidualStd, scores.S.ResidualMae);
        }).ToArray();
    }

    /// <summary>
    /// The first test earthquake of the subset (else the first test trace) through a trained picker, at the thresholds its
    /// training chose on dev: what notebook 07 draws.
    /// </summary>
    public static PickedTrace Example(StudyPaths paths, string subset, string architecture)
    {
        using var loaded = PickingCheckpoint.Load(Model(paths, architecture));
        using var data = WaveformDataSet.Open(subset);
        var rows = data.RowsOf("test");
        var row = rows.FirstOrDefault(r => data.Rows[r].Truth.IsEarthquake, rows[0]);
        var batch = data.Epoch(new WaveformLoaderOptions { Split = "test", BatchSize = 64, Shuffle = false }, 0).First(b => b.Rows.Contains(row));
        var index = Array.IndexOf(batch.Rows, row);
        var single = new WaveformBatch(1, [row], [batch.TraceNames[index]],
            batch.Inputs.AsSpan(index * WaveformPreprocessing.WindowLength, WaveformPreprocessing.WindowLength).ToArray(),
            batch.Detection.AsSpan(index * WaveformPreprocessing.Samples, WaveformPreprocessing.Samples).ToArray(),
            batch.P.AsSpan(index * WaveformPreprocessing.Samples, WaveformPreprocessing.Samples).ToArray(),
            batch.S.AsSpan(index * WaveformPreprocessing.Samples, WaveformPreprocessing.Samples).ToArray());
        var result = PickingNetwork.Run(loaded.Model, [single]).Single();
        var thresholds = ThresholdSetting.For(loaded.Info, architecture).Thresholds;
        return new PickedTrace(single.TraceNames[0], single.Inputs, result.Detection, result.P, result.S,
            PickingNetwork.Summary(result, 0).Picks(thresholds), thresholds, data.Rows[row].Truth);
    }
}
