using System.Globalization;
using QuakePrune.Extract;
using QuakePrune.Latency;
using QuakePrune.Models;
using QuakePrune.Picking;
using QuakePrune.Pruning;
using QuakePrune.Statistics;
using QuakePrune.Synth;
using QuakePrune.Training;

namespace QuakePrune.Pipeline;

/// <summary>
/// One picker of the EQTransformer study: a network trained from fresh weights (<see cref="Architecture"/>:
/// EQTransformer or a redesign of it), or the trained EQTransformer pruned by a criterion at a ratio and retrained
/// (<see cref="Pruning"/>). Its name is its folder's and `prune --out`'s stem: <c>eqt-lite</c>,
/// <c>eqtransformer-prune70</c>, <c>eqtransformer-prune70-random</c>.
/// </summary>
public sealed record Picker(string Name, string? Architecture, StudyVariant? Pruning)
{
    public override string ToString() => Name;
}

/// <summary>
/// One row of the EQTransformer study's comparison: cost, CPU latency, and test scores at thresholds chosen on dev with
/// their 95 % intervals.
/// </summary>
public sealed record PickerComparisonRow(
    string Model,
    long Params,
    long Macs,
    double? LatencyBatch1Ms,
    double? LatencyPerWindowBatchNMs,
    int BatchN,
    double? Speedup,
    Interval DetectionF1,
    Interval PF1,
    Interval SF1,
    Interval PResidualMae,
    Interval SResidualMae
)
{
    /// <summary>
    /// No P and no S pick is right (F1 0 or undefined for both): whatever its detection F1, the picker learned no
    /// phase.
    /// </summary>
    public bool PicksNothing => PF1.Estimate is null or 0 && SF1.Estimate is null or 0;

    /// <summary>Residual MAE in seconds (the residuals are in samples at 100 Hz).</summary>
    public double? PMaeSeconds => PResidualMae.Estimate / Stead.SteadLayout.SamplingRateHz;
    public double? SMaeSeconds => SResidualMae.Estimate / Stead.SteadLayout.SamplingRateHz;
}

/// <summary>A picker's training run: its history (one record per epoch) and how long it took.</summary>
public sealed record TrainedPicker(Picker Picker, IReadOnlyList<WaveformEpochRecord> History, double Seconds)
{
    public double BestDevLoss => History.Count == 0 ? double.NaN : History.Min(r => r.DevLoss);
}

/// <summary>
/// One test trace run through a picker: what the network was fed, its three curves, its picks and the catalogue's.
/// </summary>
public sealed record PickedTrace(
    string TraceName,
    float[] Input,
    float[] Detection,
    float[] P,
    float[] S,
    TracePicks Picks,
    PickThresholds Thresholds,
    TraceTruth Truth
);

/// <summary>
/// Notebook 07 and `pipeline --stages picking`: the EQTransformer study. EQTransformer and each redesign trained on the
/// same waveforms with the same recipe and epochs; the trained EQTransformer pruned by L2 norm and, as the control, at
/// random, at each ratio, and each retrained alike (the ResNet study's rule: a tenth of the rate, a fixed number of
/// epochs); every picker scored on test at thresholds chosen on dev, with 95 % bootstrap intervals over test traces,
/// timed on the CPU at batch 1 and the preset's largest batch, interleaved; one row each in comparison.csv.
/// </summary>
public static class PickingStage
{
    /// <summary>The comparison's file, in the study's picking folder.</summary>
    public const string ComparisonFileName = "comparison.csv";

    /// <summary>
    /// SeisBench's EQTransformer under PyTorch eager as the reference latency. A report cannot run it (it needs PyTorch
    /// and SeisBench's code, neither part of the project), so it is placed at our EQTransformer's batch-1 latency times
    /// the ratio environment/bench/eqtransformer.sh measured with the same weights, 2 threads, interleaved rounds: a
    /// projection from that ratio, labelled so.
    /// </summary>
    public static class PyTorchReference
    {
        /// <summary>
        /// PyTorch eager's batch-1 time over our prepared path's for eqtransformer (`environment/bench/eqtransformer.sh
        /// --rounds 3`, median of the rounds' ratios).
        /// </summary>
        public const double Batch1Ratio = 2.07;

        public static string Label =>
            FormattableString.Invariant(
                $"SeisBench EQTransformer, PyTorch eager ({Batch1Ratio:0.00}x ours, eqtransformer.sh)"
            );

        /// <summary>
        /// The reference's projected batch-1 latency on this machine, from our eqtransformer's row; null without one.
        /// </summary>
        public static double? LatencyMs(IReadOnlyList<PickerComparisonRow> rows) =>
            rows.FirstOrDefault(r => r.Model == "eqtransformer")?.LatencyBatch1Ms is { } ours
                ? ours * Batch1Ratio
                : null;
    }

    /// <summary>
    /// Every picker of the preset in order: the networks trained from fresh weights, then the pruned EQTransformers.
    /// </summary>
    public static IReadOnlyList<Picker> Pickers(Preset preset)
    {
        var reference = preset.PickingArchitectures[0];
        return preset
            .PickingArchitectures.Select(a => new Picker(a, a, null))
            .Concat(
                preset
                    .PickingPruneImportances.SelectMany(importance =>
                        preset.PickingPruneRatios.Select(ratio => new StudyVariant(
                            ratio,
                            PruningScope.Full,
                            importance
                        ))
                    )
                    .Select(v => new Picker($"{reference}-{v.Name}", null, v))
            )
            .ToArray();
    }

    /// <summary>
    /// The pickers' subset: drawn into eqtransformer/subset when the preset says how many of each class, else notebook
    /// 01's.
    /// </summary>
    public static string Subset(Preset preset, StudyPaths paths, string steadPrefixes = "")
    {
        if (preset.PickingSubset is not { } counts)
        {
            if (!File.Exists(Path.Combine(paths.Subset, SubsetExtractor.CsvName)))
                throw new FileNotFoundException(
                    $"the {preset.Name} preset trains the pickers on the study's subset; run notebook 01 (or `pipeline`) first: '{paths.Subset}' has none"
                );
            return paths.Subset;
        }
        SubsetExtractor.Extract(
            new ExtractOptions
            {
                Inputs = SubsetStage.Sources(preset, paths, steadPrefixes),
                OutputDirectory = paths.PickingSubset,
                Earthquakes = counts.Earthquakes,
                Noise = counts.Noise,
                MinSnrDb = double.IsFinite(preset.MinSnrDb) ? preset.MinSnrDb : null,
                Seed = preset.Seed,
                Overwrite = true,
            }
        );
        return paths.PickingSubset;
    }

    /// <summary>The trainer's settings for a picker trained from fresh weights: the preset's recipe.</summary>
    public static WaveformTrainOptions Options(Preset preset, StudyPaths paths, string subset, string architecture) =>
        new()
        {
            Data = subset,
            OutputDirectory = paths.PickingRun(architecture),
            Architecture = NetworkBuilders.Create(architecture, new NetworkOptions()),
            Epochs = preset.PickingEpochs,
            BatchSize = preset.PickingBatchSize,
            LearningRate = preset.PickingLearningRate,
            Schedule = preset.PickingSchedule,
            WarmupEpochs = preset.PickingWarmupEpochs,
            DecayEpochs = preset.PickingDecayEpochs,
            Labels = LabelSettings.WithSigma(preset.PickingLabelSigma),
            LossWeights = preset.PickingLossWeights,
            Augmentation = preset.PickingAugment ? WaveformAugmentOptions.EqTransformer : null,
            Patience = 0,
            Seed = (long)preset.Seed,
            Device = preset.Device,
        };

    /// <summary>
    /// The trainer's settings for a pruned picker: from its pruned checkpoint, on the same data and labels, at the
    /// preset's fraction of the rate (a tenth) for its retraining epochs.
    /// </summary>
    public static WaveformTrainOptions RetrainOptions(Preset preset, StudyPaths paths, string subset, Picker picker) =>
        Options(preset, paths, subset, preset.PickingArchitectures[0]) with
        {
            OutputDirectory = paths.PickingRun(picker.Name),
            Architecture = null,
            Init = paths.PickingPruned(picker.Name),
            Epochs = preset.PickingRetrainEpochs,
            LearningRate = preset.PickingLearningRate * preset.RetrainRateFactor,
        };

    /// <summary>
    /// Trains the pickers: from fresh weights, or (a pruned one) the trained EQTransformer pruned and retrained; an
    /// earlier run of each is replaced, so a rerun gives the same numbers. A pruned picker waits for EQTransformer when
    /// it is trained in the same call, and is pruned from it when it starts. With the preset's
    /// <see cref="Preset.PickingParallelRuns"/> above one, they train side by side, each in its own process
    /// (QuakePrune.PickerTrainer) on one libtorch thread, the next ready picker starting as soon as a core is free (so
    /// the pruned ones fill the time the smaller redesigns leave): a waveform training step gains little from a second
    /// thread, so two one-thread runs on two cores train more traces per second than one on both (README,
    /// EQTransformer's speed gives the figures), and each process's own random generator keeps every run as it would be
    /// alone. Otherwise they train here, one after another, in the order given. Each line of progress goes to
    /// <paramref name="log"/>, prefixed with its picker.
    /// </summary>
    public static IReadOnlyList<TrainedPicker> TrainAll(
        Preset preset,
        StudyPaths paths,
        string subset,
        IReadOnlyList<Picker> pickers,
        Action<string>? log = null
    )
    {
        log ??= _ => { };
        var reference = pickers.ToList().FindIndex(p => p.Architecture == preset.PickingArchitectures[0]);
        if (preset.PickingParallelRuns <= 1)
            return pickers
                .Select(picker =>
                {
                    var options = Prepare(preset, paths, subset, picker);
                    var result = WaveformTrainer.Train(
                        options with
                        {
                            OnEpoch = e => log($"{picker}: {PickerTrainingProcess.Describe(e)}"),
                        }
                    );
                    return new TrainedPicker(picker, result.History, result.Seconds);
                })
                .ToArray();
        var trained = new TrainedPicker[pickers.Count];
        var (started, finished) = (new bool[pickers.Count], new bool[pickers.Count]);
        // Ready: a network trained from fresh weights, or a pruned one once EQTransformer (when trained here) has
        // finished.
        bool Ready(int i) => !started[i] && (pickers[i].Pruning is null || reference < 0 || finished[reference]);
        var lines = new System.Collections.Concurrent.BlockingCollection<string>();
        var running = new List<(Task Task, System.Diagnostics.Process Child, int Index)>();
        try
        {
            while (started.Contains(false) || running.Count > 0)
            {
                for (var index = 0; index < pickers.Count && running.Count < preset.PickingParallelRuns; index++)
                {
                    if (!Ready(index))
                        continue;
                    started[index] = true;
                    var picker = pickers[index];
                    var options = Prepare(preset, paths, subset, picker);
                    var child = StartChild(picker, options, preset, lines);
                    var clock = System.Diagnostics.Stopwatch.StartNew();
                    var slot = index;
                    running.Add(
                        (
                            Task.Run(() =>
                            {
                                child.WaitForExit();
                                if (child.ExitCode != 0)
                                    throw new InvalidOperationException(
                                        $"training {picker} in a separate process ended with exit {child.ExitCode}; its lines are above"
                                    );
                                var history = PickingHistory.Read(
                                    Path.Combine(options.OutputDirectory, Trainer.HistoryFileName)
                                );
                                trained[slot] = new TrainedPicker(picker, history, clock.Elapsed.TotalSeconds);
                            }),
                            child,
                            slot
                        )
                    );
                }
                if (running.Count == 0)
                    throw new InvalidOperationException(
                        "picking: no picker can start; a pruned one waits for an EQTransformer that is not trained"
                    );
                while (lines.TryTake(out var line, 200))
                    log(line);
                foreach (var done in running.Where(r => r.Task.IsCompleted).ToArray())
                {
                    running.Remove(done);
                    done.Task.GetAwaiter().GetResult();
                    finished[done.Index] = true;
                }
            }
            while (lines.TryTake(out var line))
                log(line);
        }
        finally
        {
            foreach (var (_, child, _) in running)
                if (!child.HasExited)
                    child.Kill(entireProcessTree: true);
        }
        return trained;
    }

    /// <summary>
    /// A picker's run: its options, its pruned checkpoint made first when it is a pruned one, its earlier run folder
    /// removed.
    /// </summary>
    private static WaveformTrainOptions Prepare(Preset preset, StudyPaths paths, string subset, Picker picker)
    {
        WaveformTrainOptions options;
        if (picker.Pruning is { } pruning)
        {
            var pruned = paths.PickingPruned(picker.Name);
            Directory.CreateDirectory(Path.GetDirectoryName(pruned)!);
            if (File.Exists(pruned))
                File.Delete(pruned);
            CheckpointPruning.Prune(
                Model(paths, preset.PickingArchitectures[0]),
                pruning.Pruning((long)preset.Seed),
                pruned
            );
            options = RetrainOptions(preset, paths, subset, picker);
        }
        else
            options = Options(preset, paths, subset, picker.Architecture!);
        if (Directory.Exists(options.OutputDirectory))
            Directory.Delete(options.OutputDirectory, recursive: true);
        return options;
    }

    /// <summary>
    /// QuakePrune.PickerTrainer (<see cref="PickerTrainingProcess"/>) training <paramref name="options"/> on the
    /// preset's threads per run; its lines go to <paramref name="lines"/>.
    /// </summary>
    private static System.Diagnostics.Process StartChild(
        Picker picker,
        WaveformTrainOptions options,
        Preset preset,
        System.Collections.Concurrent.BlockingCollection<string> lines
    )
    {
        var request = WaveformTrainingRequest.Of(options with { Threads = preset.PickingThreadsPerRun });
        var start = CommandLineProcess.StartInfo(PickerTrainingProcess.Program, [])
            ?? throw new InvalidOperationException(
                $"pickers train side by side through {PickerTrainingProcess.Program}.dll, which is not built beside the "
                    + "QuakePrune assemblies (build the solution with environment/setup.sh)"
            );
        var child = new System.Diagnostics.Process { StartInfo = start };
        void Forward(object _, System.Diagnostics.DataReceivedEventArgs e)
        {
            if (e.Data is { Length: > 0 } line)
                lines.Add($"{picker}: {line}");
        }
        child.OutputDataReceived += Forward;
        child.ErrorDataReceived += Forward;
        child.Start();
        child.StandardInput.Write(request.ToJson());
        child.StandardInput.Close();
        child.BeginOutputReadLine();
        child.BeginErrorReadLine();
        return child;
    }

    public static string Model(StudyPaths paths, string picker) =>
        Path.Combine(paths.PickingRun(picker), Trainer.ModelFileName);

    /// <summary>
    /// Scores one trained picker on test (thresholds chosen on dev, intervals over test traces) and writes metrics.json
    /// beside it.
    /// </summary>
    public static PickingEvaluationReport Evaluate(Preset preset, StudyPaths paths, string subset, Picker picker)
    {
        var report = PickingEvaluation.Evaluate(
            Model(paths, picker.Name),
            subset,
            "test",
            preset.PickingBatchSize,
            preset.Device
        );
        AtomicFile.Write(paths.PickingMetrics(picker.Name), report.WriteTo);
        return report;
    }

    /// <summary>
    /// Times every trained picker at the preset's batches, interleaved, on the CPU's fixed threads, on our prepared
    /// path (the study's figures) and under ONNX Runtime on the exported model; writes latency.json.
    /// </summary>
    public static BenchReport Bench(Preset preset, StudyPaths paths, Action<string>? log = null)
    {
        var report = LatencyBench.Run(
            new BenchOptions
            {
                Models = Pickers(preset).Select(p => Model(paths, p.Name)).ToArray(),
                Batches = preset.PickingBenchBatches,
                Threads = preset.BenchThreads,
                Warmup = preset.PickingBenchWarmup,
                Runs = preset.PickingBenchRuns,
                Interleave = true,
                Engine = BenchEngine.Fast | BenchEngine.OnnxRuntime,
                Log = log,
            }
        );
        LatencyBench.Write(report, paths.PickingLatency);
        return report;
    }

    /// <summary>
    /// The comparison: one row per picker, latency from <paramref name="latency"/> (batch 1 and the largest batch, per
    /// window).
    /// </summary>
    public static IReadOnlyList<PickerComparisonRow> Compare(
        Preset preset,
        StudyPaths paths,
        IReadOnlyList<PickingEvaluationReport> reports,
        BenchReport latency
    )
    {
        var largest = latency.Options.Batches.Max();
        return Pickers(preset)
            .Select(
                (picker, k) =>
                {
                    var model = Model(paths, picker.Name);
                    var timed = latency.Results.Where(r => r.Model == model && r.Engine == LatencyStage.Ours).ToArray();
                    var one = timed.FirstOrDefault(r => r.Batch == 1);
                    var many = timed.FirstOrDefault(r => r.Batch == largest);
                    var intervals = reports[k].Intervals;
                    return new PickerComparisonRow(
                        picker.Name,
                        timed.FirstOrDefault()?.Params ?? 0,
                        timed.FirstOrDefault()?.Macs ?? 0,
                        one?.Statistics.MedianMs,
                        many is null ? null : many.Statistics.MedianMs / largest,
                        largest,
                        one?.Speedup,
                        intervals.DetectionF1,
                        intervals.PF1,
                        intervals.SF1,
                        intervals.PResidualMae,
                        intervals.SResidualMae
                    );
                }
            )
            .ToArray();
    }

    /// <summary>
    /// comparison.csv: one row per picker; scores as fractions with their 95 % interval (<c>_lo</c>, <c>_hi</c>),
    /// latency in ms (per window at the largest batch, named after it: <c>latency_b64_ms_per_window</c>), residual MAE
    /// in seconds. Empty cells where a value is undefined (no pick at all, say).
    /// </summary>
    public static void WriteComparison(string path, IReadOnlyList<PickerComparisonRow> rows)
    {
        var batch = rows.Select(r => r.BatchN).DefaultIfEmpty(1).Max();
        string[] header =
        [
            "model",
            "params",
            "macs",
            "latency_b1_ms",
            $"latency_b{batch}_ms_per_window",
            "detection_f1",
            "detection_f1_lo",
            "detection_f1_hi",
            "p_f1",
            "p_f1_lo",
            "p_f1_hi",
            "s_f1",
            "s_f1_lo",
            "s_f1_hi",
            "p_mae_s",
            "s_mae_s",
        ];
        static string Number(double? value) => value is { } v ? v.ToString("R", CultureInfo.InvariantCulture) : "";
        static IEnumerable<string> Scores(Interval i) => [Number(i.Estimate), Number(i.Lo), Number(i.Hi)];
        AtomicFile.WriteAllText(
            path,
            CsvText.Write(
                header,
                rows.Select(r =>
                    new[]
                    {
                        r.Model,
                        r.Params.ToString(CultureInfo.InvariantCulture),
                        r.Macs.ToString(CultureInfo.InvariantCulture),
                        Number(r.LatencyBatch1Ms),
                        Number(r.LatencyPerWindowBatchNMs),
                    }
                        .Concat(Scores(r.DetectionF1))
                        .Concat(Scores(r.PF1))
                        .Concat(Scores(r.SF1))
                        .Append(Number(r.PMaeSeconds))
                        .Append(Number(r.SMaeSeconds))
                )
            )
        );
    }

    /// <summary>
    /// Reads comparison.csv back (the report's front page draws the trade-off from it): columns found by name, the
    /// per-window latency column by its batch; speed-ups against the eqtransformer row. Residual MAEs come back in
    /// samples, without their intervals (the file keeps the estimate only).
    /// </summary>
    public static IReadOnlyList<PickerComparisonRow> ReadComparison(string path)
    {
        var lines = File.ReadAllLines(path).Where(l => l.Length > 0).ToArray();
        if (lines.Length == 0)
            throw new InvalidDataException($"{path}: empty; expected a header and one row per picker");
        var header = lines[0].Split(',');
        int At(string column) =>
            Array.IndexOf(header, column) is var i and >= 0
                ? i
                : throw new InvalidDataException(
                    $"{path}: no column '{column}' (a comparison.csv from `pipeline --stages picking` has it)"
                );
        var perWindow = header.FirstOrDefault(h =>
            h.StartsWith("latency_b", StringComparison.Ordinal)
            && h.EndsWith("_ms_per_window", StringComparison.Ordinal)
        ) ?? throw new InvalidDataException($"{path}: no column 'latency_bN_ms_per_window'");
        var batch = int.Parse(perWindow["latency_b".Length..^"_ms_per_window".Length], CultureInfo.InvariantCulture);
        var rows = lines
            .Skip(1)
            .Select(
                (line, i) =>
                {
                    var f = line.Split(','); // model names and numbers: no field holds a comma or a quote
                    if (f.Length != header.Length)
                        throw new InvalidDataException(
                            $"{path}: line {i + 2} has {f.Length} fields, expected {header.Length}"
                        );
                    try
                    {
                        double? D(string column) =>
                            f[At(column)].Length == 0
                                ? null
                                : double.Parse(f[At(column)], CultureInfo.InvariantCulture);
                        Interval Score(string column) => new(D(column), D($"{column}_lo"), D($"{column}_hi"), 0, 0);
                        Interval Mae(string column) =>
                            new(D(column) * Stead.SteadLayout.SamplingRateHz, null, null, 0, 0);
                        return new PickerComparisonRow(
                            f[At("model")],
                            long.Parse(f[At("params")], CultureInfo.InvariantCulture),
                            long.Parse(f[At("macs")], CultureInfo.InvariantCulture),
                            D("latency_b1_ms"),
                            D(perWindow),
                            batch,
                            null,
                            Score("detection_f1"),
                            Score("p_f1"),
                            Score("s_f1"),
                            Mae("p_mae_s"),
                            Mae("s_mae_s")
                        );
                    }
                    catch (FormatException e)
                    {
                        throw new InvalidDataException($"{path}: line {i + 2}: {e.Message}", e);
                    }
                }
            )
            .ToArray();
        var reference = rows.FirstOrDefault(r => r.Model == "eqtransformer")?.LatencyBatch1Ms;
        return rows.Select(r => r with { Speedup = reference / r.LatencyBatch1Ms }).ToArray();
    }

    /// <summary>
    /// The first test earthquake of the subset (else the first test trace) through a trained picker, at the thresholds
    /// its training chose on dev: what notebook 07 draws.
    /// </summary>
    public static PickedTrace Example(StudyPaths paths, string subset, string picker)
    {
        using var loaded = PickingCheckpoint.Load(Model(paths, picker));
        using var data = WaveformDataSet.Open(subset);
        var rows = data.RowsOf("test");
        var row = rows.FirstOrDefault(r => data.Rows[r].Truth.IsEarthquake, rows[0]);
        var batch = data.Epoch(
                new WaveformLoaderOptions
                {
                    Split = "test",
                    BatchSize = 64,
                    Shuffle = false,
                },
                0
            )
            .First(b => b.Rows.Contains(row));
        var index = Array.IndexOf(batch.Rows, row);
        var single = new WaveformBatch(
            1,
            [row],
            [batch.TraceNames[index]],
            batch
                .Inputs.AsSpan(index * WaveformPreprocessing.WindowLength, WaveformPreprocessing.WindowLength)
                .ToArray(),
            batch.Detection.AsSpan(index * WaveformPreprocessing.Samples, WaveformPreprocessing.Samples).ToArray(),
            batch.P.AsSpan(index * WaveformPreprocessing.Samples, WaveformPreprocessing.Samples).ToArray(),
            batch.S.AsSpan(index * WaveformPreprocessing.Samples, WaveformPreprocessing.Samples).ToArray()
        );
        var result = PickingNetwork.Run(loaded.Model, [single]).Single();
        var thresholds = ThresholdSetting.For(loaded.Info, picker).Thresholds;
        return new PickedTrace(
            single.TraceNames[0],
            single.Inputs,
            result.Detection,
            result.P,
            result.S,
            PickingNetwork.Summary(result, 0).Picks(thresholds),
            thresholds,
            data.Rows[row].Truth
        );
    }

    /// <summary>
    /// Scores on data the study never saw: a synthetic STEAD written with another seed (the preset's + 1000), a subset
    /// drawn from it as the pickers' was, and <paramref name="picker"/> scored on its test split (thresholds chosen on
    /// its dev split, as `evaluate` does; the weights never saw either). Null for a run on the real STEAD, which has no
    /// second draw.
    /// </summary>
    public static PickingEvaluationReport? Unseen(
        Preset preset,
        StudyPaths paths,
        string picker,
        string steadPrefixes = ""
    )
    {
        if (preset.SynthTraces == 0 || steadPrefixes.Length > 0)
            return null;
        var prefix = Path.Combine(paths.PickingUnseen, "synthetic");
        var subset = Path.Combine(paths.PickingUnseen, "subset");
        var counts = preset.PickingSubset ?? new Preset.ClassCounts(preset.PerClass, preset.PerClass);
        Directory.CreateDirectory(paths.PickingUnseen);
        // A quarter more traces than the subset draws, in its proportions: enough of each class whatever the draw.
        SyntheticStead.Write(
            prefix,
            new SynthOptions
            {
                Traces = 5 * counts.Total / 4,
                NoiseFraction = (double)counts.Noise / counts.Total,
                Seed = preset.Seed + UnseenSeedOffset,
                Overwrite = true,
            }
        );
        SubsetExtractor.Extract(
            new ExtractOptions
            {
                Inputs = [prefix],
                OutputDirectory = subset,
                Earthquakes = counts.Earthquakes,
                Noise = counts.Noise,
                MinSnrDb = double.IsFinite(preset.MinSnrDb) ? preset.MinSnrDb : null,
                Seed = preset.Seed + UnseenSeedOffset,
                Overwrite = true,
            }
        );
        return PickingEvaluation.Evaluate(Model(paths, picker), subset, "test", preset.PickingBatchSize, preset.Device);
    }

    /// <summary>How far the unseen data's seed lies from the study's.</summary>
    public const ulong UnseenSeedOffset = 1000;

    /// <summary>
    /// The whole stage, as `pipeline --stages picking` runs it: subset, every picker trained (pruned ones after
    /// EQTransformer), scored and timed; writes comparison.csv and returns its rows.
    /// </summary>
    public static IReadOnlyList<PickerComparisonRow> Run(
        Preset preset,
        StudyPaths paths,
        string steadPrefixes = "",
        Action<string>? log = null
    )
    {
        log ??= _ => { };
        var subset = Subset(preset, paths, steadPrefixes);
        log($"07 picking subset -> {subset}");
        var pickers = Pickers(preset);
        TrainAll(preset, paths, subset, pickers, log);
        var reports = pickers.Select(p => Evaluate(preset, paths, subset, p)).ToList();
        foreach (var (picker, report) in pickers.Zip(reports))
            log(
                FormattableString.Invariant(
                    $"07 {picker.Name}: test detection F1 {report.Intervals.DetectionF1.Estimate:0.000}, "
                )
                    + FormattableString.Invariant(
                        $"P F1 {report.Intervals.PF1.Estimate:0.000}, S F1 {report.Intervals.SF1.Estimate:0.000}"
                    )
            );
        var latency = Bench(preset, paths, log);
        var rows = Compare(preset, paths, reports, latency);
        WriteComparison(paths.PickingComparison, rows);
        log($"07 comparison -> {paths.PickingComparison}");
        return rows;
    }
}
