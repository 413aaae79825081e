using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using QuakePrune.Inference;
using QuakePrune.Models;
using QuakePrune.Torch;
using static QuakePrune.Torch.torch;

namespace QuakePrune.Latency;

/// <summary>
/// Which forward a benchmark times: the prepared <see cref="InferenceModel"/>, the plain module, or both.
/// </summary>
/// <summary>
/// What runs the forward passes timed: our prepared inference path, the plain module, ONNX Runtime on the exported
/// model; any together.
/// </summary>
[Flags]
public enum BenchEngine
{
    Fast = 1,
    Eager = 2,
    Both = Fast | Eager,
    OnnxRuntime = 4,
}

/// <summary>What <see cref="LatencyBench.Run"/> measures and how.</summary>
public sealed record BenchOptions
{
    public required IReadOnlyList<string> Models { get; init; }

    /// <summary>Input size; null: each model's stored input size.</summary>
    public ImageSize? Size { get; init; }
    public IReadOnlyList<int> Batches { get; init; } = [1];
    public int Threads { get; init; } = DefaultThreads;
    public Device Device { get; init; } = Device.CPU;
    public int Warmup { get; init; } = 10;
    public int Runs { get; init; } = 100;

    /// <summary>
    /// When set, time each model and batch for at least this many seconds instead of a fixed number of runs.
    /// </summary>
    public double? Seconds { get; init; }

    /// <summary>A B A B rounds, so drift on a shared machine hits every model alike.</summary>
    public bool Interleave { get; init; }
    public BenchEngine Engine { get; init; } = BenchEngine.Fast;

    /// <summary>
    /// Lets the fast engine run a model with fewer threads than <see cref="Threads"/> where that measured faster at
    /// prepare time. Off by default: the study's CPU figures are at one fixed thread count, and switching counts
    /// between interleaved models costs time.
    /// </summary>
    public bool TuneThreads { get; init; }

    /// <summary>Forces the fast engine's path; null: the fastest measured at prepare time.</summary>
    public InferencePath? Path { get; init; }

    /// <summary>A calibrated projection to a GPU, or null.</summary>
    public GpuProjection? Projection { get; init; }

    /// <summary>Progress lines (model loading, chosen paths).</summary>
    public Action<string>? Log { get; init; }

    public static int DefaultThreads => Math.Min(2, Environment.ProcessorCount);

    public void Validate()
    {
        if (Models.Count == 0)
            throw new ArgumentException("bench: no models given (--model A.safetensors ...)");
        if (Batches.Count == 0 || Batches.Any(b => b < 1))
            throw new ArgumentException($"bench: batch sizes must be positive, got [{string.Join(", ", Batches)}]");
        if (Threads < 1)
            throw new ArgumentException($"bench: threads must be at least 1, got {Threads}");
        if (Warmup < 0)
            throw new ArgumentException($"bench: warm-up runs must be 0 or more, got {Warmup}");
        if (Seconds is null && Runs < 1)
            throw new ArgumentException($"bench: runs must be at least 1, got {Runs}");
        if (Seconds is { } s && !(s > 0))
            throw new ArgumentException($"bench: seconds must be positive, got {s}");
    }
}

/// <summary>
/// One timed configuration. <see cref="Threads"/>: the intra-op threads the forward ran with (the fast engine may use
/// fewer than the fixed count when that measured faster). <see cref="Macs"/> is per image; <see cref="Speedup"/> is
/// against the first model at the same batch and engine. <see cref="LayerThreads"/> (direct oneDNN path only): how many
/// layers run on each thread count, none above <see cref="Threads"/>.
/// </summary>
public sealed record BenchResult(
    string Model,
    int Batch,
    string Engine,
    string Path,
    int Threads,
    ImageSize Size,
    int Runs,
    LatencyStatistics Statistics,
    double ImagesPerSecond,
    long Params,
    long Macs,
    long FileBytes,
    double Speedup,
    double? ProjectedMs,
    IReadOnlyDictionary<int, int>? LayerThreads = null
);

/// <summary>The machine a benchmark ran on, as recorded with every figure.</summary>
public sealed record BenchMachine(
    string Cpu,
    int LogicalCpus,
    int? PhysicalCores,
    int Threads,
    string Libtorch,
    bool OneDnn,
    string Device,
    string? Gpu,
    string Os,
    string Runtime,
    string LoadAverageBefore,
    string LoadAverageAfter,
    DateTime StartedUtc,
    string? OneDnnVersion = null,
    string? GpuClocks = null
);

public sealed record BenchReport(
    BenchMachine Machine,
    BenchOptions Options,
    IReadOnlyList<BenchResult> Results,
    GpuProjection? Projection
);

/// <summary>
/// Batch latency of checkpoints, side by side: eval mode, no autograd, a fixed thread count, warm-up runs, then timed
/// runs (each one a full forward, CUDA synchronised); median, p90, p99, mean and std; optionally a roofline projection
/// to a GPU, always labelled as projected. The verb `quakeprune bench` and the sixth notebook call this.
/// </summary>
public static class LatencyBench
{
    private sealed class Subject(
        string model,
        int batch,
        string engine,
        string path,
        int threads,
        ImageSize size,
        Action forward,
        IReadOnlyDictionary<int, int>? layerThreads = null
    )
    {
        public int Threads { get; } = threads;
        public string Model { get; } = model;
        public int Batch { get; } = batch;
        public string Engine { get; } = engine;
        public string Path { get; } = path;
        public ImageSize Size { get; } = size;
        public IReadOnlyDictionary<int, int>? LayerThreads { get; } = layerThreads;
        public List<double> Times { get; } = [];

        public double Call(Device device)
        {
            var clock = Stopwatch.StartNew();
            using (NewDisposeScope())
            {
                forward();
                if (device.type == DeviceType.CUDA)
                    cuda.synchronize(device.index);
            }
            return clock.Elapsed.TotalMilliseconds;
        }

        public void Record(double ms) => Times.Add(ms);
    }

    public static BenchReport Run(BenchOptions options)
    {
        options.Validate();
        var log = options.Log ?? (_ => { });
        if (options.Device.type == DeviceType.CUDA && !cuda.is_available())
            throw new ArgumentException("bench: --device cuda asked for, but libtorch sees no CUDA device");
        // Every checkpoint's header first, so a missing or corrupt file fails before minutes of preparing the others.
        foreach (var path in options.Models)
            Checkpoint.ReadInfo(path);
        set_num_threads(options.Threads);
        // Activations reuse freed heap memory instead of faulting in fresh pages on every call.
        keep_freed_cpu_memory();
        var loadBefore = LoadAverage();
        var started = DateTime.UtcNow;
        var projection = options.Projection;

        var owned = new List<IDisposable>();
        try
        {
            var subjects = new List<Subject>();
            var facts =
                new Dictionary<string, (long Params, long Macs, long FileBytes, Models.Architecture Architecture)>();
            foreach (var path in options.Models)
            {
                var loaded = Checkpoint.Load(path, options.Device);
                owned.Add(loaded);
                var model = loaded.Model;
                model.eval();
                if (!TakesImages(model.Architecture))
                {
                    AddWindowed(subjects, facts, owned, path, loaded, options);
                    continue;
                }
                var size = options.Size ?? loaded.Info.InputSize;
                facts[path] = (
                    model.parameter_count(),
                    ModelCost.Of(model.Architecture, size.Height, size.Width).Macs,
                    new FileInfo(path).Length,
                    model.Architecture
                );
                foreach (var batch in options.Batches)
                {
                    var input = RandomImages(model.Graph.InputShapeAt(batch, size.Height, size.Width), options.Device);
                    owned.Add(input);
                    if (options.Engine.HasFlag(BenchEngine.Fast))
                    {
                        var fast = InferenceModel.Prepare(
                            model,
                            new InferenceOptions
                            {
                                Size = size,
                                Batch = batch,
                                Path = options.Path,
                                TuneThreads = options.TuneThreads,
                            }
                        );
                        owned.Add(fast);
                        log(
                            $"{path}: batch {batch} at {size}: fast path {fast.Path} ("
                                + string.Join(
                                    ", ",
                                    fast.Trials.Select(t =>
                                        $"{t.Path}/{t.Threads}t {t.MedianMs:F2} ms, max |diff| {t.MaxAbsDiff:G2}"
                                    )
                                )
                                + ")"
                        );
                        subjects.Add(
                            new Subject(
                                path,
                                batch,
                                "fast",
                                PathName(fast.Path),
                                fast.Threads ?? options.Threads,
                                size,
                                () => fast.Forward(input),
                                LayerThreads(fast)
                            )
                        );
                    }
                    if (options.Engine.HasFlag(BenchEngine.Eager))
                        subjects.Add(new Subject(path, batch, "eager", "module", options.Threads, size, () =>
                            {
                                using var mode = inference_mode();
                                model.forward(input);
                            }));
                    if (options.Engine.HasFlag(BenchEngine.OnnxRuntime))
                        AddOnnxRuntime(subjects, owned, path, loaded, batch, size, input, options);
                }
            }

            Measure(subjects, options);

            var results = new List<BenchResult>();
            foreach (var s in subjects)
            {
                var stats = LatencyStatistics.Of(s.Times);
                var first = subjects.First(f => f.Batch == s.Batch && f.Engine == s.Engine);
                var f = facts[s.Model];
                var projected = projection?.ProjectMs(
                    ForBatch(ModelCost.Of(f.Architecture, CostShape(f.Architecture, s.Size)), s.Batch)
                );
                results.Add(
                    new BenchResult(
                        s.Model,
                        s.Batch,
                        s.Engine,
                        s.Path,
                        s.Threads,
                        s.Size,
                        stats.Runs,
                        stats,
                        s.Batch * 1000.0 / stats.MedianMs,
                        f.Params,
                        f.Macs,
                        f.FileBytes,
                        LatencyStatistics.Of(first.Times).MedianMs / stats.MedianMs,
                        projected,
                        s.LayerThreads
                    )
                );
            }
            var machine = new BenchMachine(
                CpuModel(),
                Environment.ProcessorCount,
                PhysicalCores(),
                get_num_threads(),
                __version__,
                backends.mkldnn.is_available(),
                options.Device.ToString(),
                options.Device.type == DeviceType.CUDA ? cuda.get_device_name(Math.Max(0, options.Device.index)) : null,
                RuntimeInformation.OSDescription,
                RuntimeInformation.FrameworkDescription,
                loadBefore,
                LoadAverage(),
                started,
                OneDnn.Version,
                options.Device.type == DeviceType.CUDA ? GpuClocks(Math.Max(0, options.Device.index)) : null
            );
            return new BenchReport(machine, options, results, projection);
        }
        finally
        {
            for (var k = owned.Count - 1; k >= 0; k--)
                owned[k].Dispose();
        }
    }

    /// <summary>
    /// A network that does not take images (a waveform picker's [batch, 3, 6000] window, fixed by its description): the
    /// plain module at its own input shape, every output computed. The fast path is the image networks' (folded
    /// convolutions on oneDNN), so such a network is timed eagerly whatever the engine asked. Its size reads 1xT: one
    /// row of T samples.
    /// </summary>
    private static void AddWindowed(
        List<Subject> subjects,
        Dictionary<string, (long Params, long Macs, long FileBytes, Models.Architecture Architecture)> facts,
        List<IDisposable> owned,
        string path,
        LoadedModel loaded,
        BenchOptions options
    )
    {
        if (options.Size is not null)
            throw new ArgumentException(
                $"bench: {path} takes a fixed window, not images; --size applies to image models"
            );
        var model = loaded.Model;
        var shape = loaded.Info.InputShape;
        facts[path] = (
            model.parameter_count(),
            ModelCost.Of(model.Architecture, shape).Macs,
            new FileInfo(path).Length,
            model.Architecture
        );
        foreach (var batch in options.Batches)
        {
            var input = RandomImages([batch, .. shape[1..]], options.Device);
            owned.Add(input);
            var window = new ImageSize(1, (int)shape[^1]);
            if (options.Engine.HasFlag(BenchEngine.Fast))
            {
                var fast = InferenceModel.Prepare(
                    model,
                    new InferenceOptions
                    {
                        Batch = batch,
                        Path = options.Path,
                        TuneThreads = options.TuneThreads,
                    }
                );
                owned.Add(fast);
                options.Log?.Invoke(
                    $"{path}: batch {batch}: fast path {fast.Path} ("
                        + string.Join(
                            ", ",
                            fast.Trials.Select(t =>
                                $"{t.Path}/{t.Threads}t {t.MedianMs:F2} ms, max |diff| {t.MaxAbsDiff:G2}"
                            )
                        )
                        + ")"
                );
                subjects.Add(
                    new Subject(
                        path,
                        batch,
                        "fast",
                        PathName(fast.Path),
                        fast.Threads ?? options.Threads,
                        window,
                        () =>
                        {
                            foreach (var output in fast.ForwardAll(input))
                                output.Dispose();
                        },
                        LayerThreads(fast)
                    )
                );
            }
            if (options.Engine.HasFlag(BenchEngine.Eager))
                subjects.Add(new Subject(path, batch, "eager", "module", options.Threads, window, () =>
                    {
                        using var mode = inference_mode();
                        foreach (var output in model.ForwardAll(input))
                            output.Dispose();
                    }));
            if (options.Engine.HasFlag(BenchEngine.OnnxRuntime))
                AddOnnxRuntime(subjects, owned, path, loaded, batch, window, input, options);
        }
    }

    /// <summary>
    /// How many of the direct oneDNN path's steps run on each thread count (null on the other paths).
    /// </summary>
    private static Dictionary<int, int>? LayerThreads(InferenceModel fast) =>
        fast.OneDnnSteps.Count == 0
            ? null
            : fast
                .OneDnnSteps.GroupBy(step => step.Threads)
                .OrderByDescending(g => g.Key)
                .ToDictionary(g => g.Key, g => g.Count());

    /// <summary>
    /// The model exported and run by ONNX Runtime on the same input, at the bench's thread count (CPU only).
    /// </summary>
    private static void AddOnnxRuntime(
        List<Subject> subjects,
        List<IDisposable> owned,
        string path,
        LoadedModel loaded,
        int batch,
        ImageSize size,
        Tensor input,
        BenchOptions options
    )
    {
        if (options.Device.type != DeviceType.CPU)
            throw new ArgumentException("bench: --engine onnxruntime times the CPU; drop --device cuda for it");
        var runner = new OnnxRuntimeRunner(loaded, input, options.Threads);
        owned.Add(runner);
        options.Log?.Invoke(
            $"{path}: batch {batch} at {size}: ONNX Runtime, all graph optimisations, {options.Threads} threads"
        );
        subjects.Add(new Subject(path, batch, "onnxruntime", "onnxruntime", options.Threads, size, runner.Run));
    }

    /// <summary>
    /// Whether a network takes images [N, C, H, W] (the others take a window fixed by their description).
    /// </summary>
    private static bool TakesImages(Models.Architecture architecture) => architecture.Graph.InputShape.Length == 4;

    /// <summary>
    /// The input a cost is taken at: a windowed network's own, or an image network's at this size (batch 1).
    /// </summary>
    private static long[] CostShape(Models.Architecture architecture, ImageSize size) =>
        TakesImages(architecture)
            ? architecture.Graph.InputShapeAt(1, size.Height, size.Width)
            : architecture.Graph.InputShape.ToArray();

    private static void Measure(List<Subject> subjects, BenchOptions options)
    {
        var times = Measure(
            subjects.Count,
            k => subjects[k].Call(options.Device),
            options.Warmup,
            options.Runs,
            options.Seconds,
            options.Interleave
        );
        for (var k = 0; k < subjects.Count; k++)
            foreach (var ms in times[k])
                subjects[k].Record(ms);
    }

    /// <summary>
    /// Calls every subject <paramref name="warmup"/> times untimed, then until it has <paramref name="runs"/> timed
    /// calls (or, with <paramref name="seconds"/>, that much timed wall clock). Interleaved: round after round over the
    /// subjects still running (warm-up rounds first), so drift on a shared machine hits each alike; otherwise one
    /// subject after the other. <paramref name="call"/> runs subject k once and returns its milliseconds; the result
    /// holds each subject's timed calls.
    /// </summary>
    public static IReadOnlyList<double>[] Measure(
        int subjects,
        Func<int, double> call,
        int warmup,
        int runs,
        double? seconds,
        bool interleave
    )
    {
        var times = Enumerable.Range(0, subjects).Select(_ => new List<double>()).ToArray();
        var totals = new double[subjects];
        bool Done(int k) => seconds is { } limit ? totals[k] >= limit * 1000 : times[k].Count >= runs;
        void Timed(int k)
        {
            var ms = call(k);
            times[k].Add(ms);
            totals[k] += ms;
        }
        if (interleave)
        {
            for (var round = 0; round < warmup; round++)
            for (var k = 0; k < subjects; k++)
                call(k);
            while (Enumerable.Range(0, subjects).Any(k => !Done(k)))
                for (var k = 0; k < subjects; k++)
                    if (!Done(k))
                        Timed(k);
        }
        else
        {
            for (var k = 0; k < subjects; k++)
            {
                for (var round = 0; round < warmup; round++)
                    call(k);
                while (!Done(k))
                    Timed(k);
            }
        }
        return times;
    }

    /// <summary>The name a path has on the command line and in reports: onednn, mkldnn, channels-last, plain.</summary>
    public static string PathName(InferencePath path) =>
        path switch
        {
            InferencePath.OneDnn => "onednn",
            InferencePath.Mkldnn => "mkldnn",
            InferencePath.ChannelsLast => "channels-last",
            _ => "plain",
        };

    /// <summary>The path named <paramref name="name"/> (see <see cref="PathName"/>); null for "auto".</summary>
    public static InferencePath? ParsePath(string name) =>
        name.ToLowerInvariant() switch
        {
            "auto" => null,
            "onednn" => InferencePath.OneDnn,
            "mkldnn" => InferencePath.Mkldnn,
            "channels-last" => InferencePath.ChannelsLast,
            "plain" => InferencePath.Plain,
            _ => throw new ArgumentException(
                $"--path must be auto, onednn, mkldnn, channels-last or plain, got '{name}'"
            ),
        };

    /// <summary>
    /// A batch of N images: N times the arithmetic and activation traffic; the weights are read once.
    /// </summary>
    public static ModelCost ForBatch(ModelCost cost, int batch) =>
        batch == 1
            ? cost
            : cost with
            {
                Layers = cost
                    .Layers.Select(l => l with { Macs = l.Macs * batch, ActivationBytes = l.ActivationBytes * batch })
                    .ToArray(),
            };

    private static Tensor RandomImages(long[] shape, Device device)
    {
        var random = new Random((int)(shape[0] * 7919 + shape[^2] * 31 + shape[^1]));
        var values = new float[shape.Aggregate(1L, (a, b) => a * b)];
        for (var k = 0; k < values.Length; k++)
            values[k] = (float)(random.NextDouble() * 2 - 1);
        using var scope = NewDisposeScope();
        return tensor(values, shape, device.type == DeviceType.CPU ? null : device).DetachFromDisposeScope();
    }

    private static string CpuModel()
    {
        try
        {
            var line = File.ReadLines("/proc/cpuinfo")
                .FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal));
            if (line is not null)
                return line[(line.IndexOf(':') + 1)..].Trim();
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return RuntimeInformation.ProcessArchitecture.ToString();
    }

    /// <summary>Physical cores per /proc/cpuinfo (sockets x "cpu cores"), or null where it does not say.</summary>
    private static int? PhysicalCores()
    {
        try
        {
            var lines = File.ReadAllLines("/proc/cpuinfo");
            var sockets = lines.Where(l => l.StartsWith("physical id", StringComparison.Ordinal)).Distinct().Count();
            var perSocket = lines.FirstOrDefault(l => l.StartsWith("cpu cores", StringComparison.Ordinal));
            return
                perSocket is not null
                && int.TryParse(
                    perSocket[(perSocket.IndexOf(':') + 1)..].Trim(),
                    CultureInfo.InvariantCulture,
                    out var cores
                )
                ? Math.Max(1, sockets) * cores
                : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>
    /// The GPU's SM and memory clocks, current and maximum, from nvidia-smi at the end of the run (a GPU figure carries
    /// only as far as its clocks); null where nvidia-smi is absent or answers nothing usable.
    /// </summary>
    private static string? GpuClocks(int index)
    {
        try
        {
            using var process = Process.Start(
                new ProcessStartInfo(
                    "nvidia-smi",
                    [
                        "--query-gpu=clocks.sm,clocks.max.sm,clocks.mem,clocks.max.mem",
                        "--format=csv,noheader,nounits",
                        "-i",
                        index.ToString(CultureInfo.InvariantCulture),
                    ]
                )
                {
                    RedirectStandardOutput = true,
                    RedirectStandardError = true,
                }
            );
            if (process is null)
                return null;
            var output = process.StandardOutput.ReadToEnd();
            return process.WaitForExit(10_000) && process.ExitCode == 0 ? ParseGpuClocks(output) : null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;
        }
    }

    /// <summary>
    /// nvidia-smi's "sm, max sm, mem, max mem" (MHz, no units) as "SM 1392 MHz (max 1911), memory 3504 MHz (max 3504)";
    /// null if not four numbers.
    /// </summary>
    public static string? ParseGpuClocks(string line)
    {
        var parts = line.Trim().Split(',', StringSplitOptions.TrimEntries);
        var mhz = parts
            .Select(p => int.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : (int?)null)
            .ToArray();
        return mhz.Length == 4 && mhz.All(v => v is not null)
            ? $"SM {mhz[0]} MHz (max {mhz[1]}), memory {mhz[2]} MHz (max {mhz[3]})"
            : null;
    }

    private static string LoadAverage()
    {
        try
        {
            return string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return "unknown";
        }
    }

    // ---- output

    private static string Number(double value) => value.ToString("0.####", CultureInfo.InvariantCulture);

    public static JsonObject ToJson(BenchReport report)
    {
        var m = report.Machine;
        var o = report.Options;
        var machine = new JsonObject
        {
            ["cpu"] = m.Cpu,
            ["logical_cpus"] = m.LogicalCpus,
            ["physical_cores"] = m.PhysicalCores,
            ["threads"] = m.Threads,
            ["libtorch"] = m.Libtorch,
            ["onednn"] = m.OneDnn,
            ["onednn_version"] = m.OneDnnVersion,
            ["device"] = m.Device,
            ["gpu"] = m.Gpu,
            ["gpu_clocks"] = m.GpuClocks,
            ["os"] = m.Os,
            ["runtime"] = m.Runtime,
            ["load_average_before"] = m.LoadAverageBefore,
            ["load_average_after"] = m.LoadAverageAfter,
            ["started_utc"] = m.StartedUtc.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture),
            ["warmup"] = o.Warmup,
            ["runs"] = o.Seconds is null ? o.Runs : null,
            ["seconds"] = o.Seconds,
            ["interleave"] = o.Interleave,
            ["fewer_threads_allowed"] = o.TuneThreads,
            ["timing"] =
                "wall clock per forward (input ready, output disposed"
                + (m.Device.StartsWith("cuda") ? ", device synchronised" : "")
                + "); eval mode, inference mode, fixed thread count",
        };
        var results = new JsonArray();
        foreach (var r in report.Results)
        {
            var row = new JsonObject
            {
                ["model"] = r.Model,
                ["batch"] = r.Batch,
                ["engine"] = r.Engine,
                ["path"] = r.Path,
                ["threads"] = r.Threads,
                ["size"] = r.Size.ToString(),
                ["runs"] = r.Runs,
                ["median_ms"] = r.Statistics.MedianMs,
                ["p90_ms"] = r.Statistics.P90Ms,
                ["p99_ms"] = r.Statistics.P99Ms,
                ["mean_ms"] = r.Statistics.MeanMs,
                ["std_ms"] = r.Statistics.StdMs,
                ["images_per_s"] = r.ImagesPerSecond,
                ["params"] = r.Params,
                ["macs"] = r.Macs,
                ["file_bytes"] = r.FileBytes,
                ["speedup"] = r.Speedup,
            };
            if (r.LayerThreads is { } layers)
                row["layer_threads"] = new JsonObject(
                    layers.Select(kv =>
                        KeyValuePair.Create(kv.Key.ToString(CultureInfo.InvariantCulture), (JsonNode?)kv.Value)
                    )
                );
            if (report.Projection is not null)
                row[ProjectedColumn(report)] = r.ProjectedMs;
            results.Add(row);
        }
        JsonObject? projection = report.Projection is { } p
            ? new JsonObject
            {
                ["label"] = "projected, not measured",
                ["column"] = ProjectedColumn(report),
                ["gpu"] = p.Gpu.Name,
                ["peak_flops"] = p.Gpu.PeakFlops,
                ["bytes_per_second"] = p.Gpu.BytesPerSecond,
                ["efficiency"] = p.Efficiency,
                ["overhead_ms_per_layer"] = p.OverheadMsPerLayer,
                ["calibration"] = p.Calibration,
                ["method"] =
                    "sum over layers of max(2 * MACs / peak FLOP/s, (weight + activation bytes) / bandwidth), divided by the efficiency, "
                    + "plus the per-layer overhead times the layers launched; batch N multiplies MACs and activation bytes by N",
            }
            : null;
        var json = new JsonObject { ["machine"] = machine, ["results"] = results };
        if (projection is not null)
            json["projection"] = projection;
        return json;
    }

    /// <summary>
    /// The column of projected latencies, e.g. projected_gtx1050_ms: named after the GPU so it never reads as a
    /// measurement.
    /// </summary>
    public static string ProjectedColumn(BenchReport report) =>
        $"projected_{(report.Projection ?? throw new ArgumentException("the report has no projection")).Gpu.Key}_ms";

    public static string ToCsv(BenchReport report)
    {
        var header =
            "model,batch,engine,path,threads,size,runs,median_ms,p90_ms,p99_ms,mean_ms,std_ms,images_per_s,params,macs,file_bytes,speedup"
            + (report.Projection is null ? "" : "," + ProjectedColumn(report));
        return CsvText.Write(
            header.Split(','),
            report.Results.Select(r =>
            {
                var s = r.Statistics;
                string[] cells =
                [
                    r.Model,
                    r.Batch.ToString(CultureInfo.InvariantCulture),
                    r.Engine,
                    r.Path,
                    r.Threads.ToString(CultureInfo.InvariantCulture),
                    r.Size.ToString(),
                    r.Runs.ToString(CultureInfo.InvariantCulture),
                    Number(s.MedianMs),
                    Number(s.P90Ms),
                    Number(s.P99Ms),
                    Number(s.MeanMs),
                    Number(s.StdMs),
                    Number(r.ImagesPerSecond),
                    r.Params.ToString(CultureInfo.InvariantCulture),
                    r.Macs.ToString(CultureInfo.InvariantCulture),
                    r.FileBytes.ToString(CultureInfo.InvariantCulture),
                    Number(r.Speedup),
                ];
                return report.Projection is null ? cells : [.. cells, r.ProjectedMs is { } p ? Number(p) : ""];
            })
        );
    }

    /// <summary>A fixed-width table for the terminal; projected figures are labelled as such.</summary>
    public static string ToTable(BenchReport report)
    {
        var m = report.Machine;
        var text = new StringBuilder();
        text.AppendLine(
            $"{m.Cpu}, {m.Threads} of {m.LogicalCpus} threads, libtorch {m.Libtorch}, {m.Device}{(m.Gpu is null ? "" : $" ({m.Gpu}{(m.GpuClocks is null ? "" : ", " + m.GpuClocks)})")}, "
                + $"load average {m.LoadAverageBefore} -> {m.LoadAverageAfter}"
        );
        var projected = report.Projection is not null;
        var header =
            $"{"model", -36} {"batch", 5} {"engine", -11} {"path", -13} {"thr", 3} {"median", 9} {"p90", 9} {"p99", 9} {"mean", 9} {"std", 8} {"img/s", 9} "
            + $"{"params", 11} {"GMACs", 7} {"MB", 7} {"speedup", 7}"
            + (projected ? $" {"projected " + report.Projection!.Gpu.Key, 18}" : "");
        text.AppendLine(header);
        var names = ShortNames(report.Results.Select(r => r.Model).Distinct().ToArray());
        foreach (var r in report.Results)
        {
            var s = r.Statistics;
            var name = names[r.Model];
            if (name.Length > 36)
                name = "..." + name[^33..];
            text.Append(
                CultureInfo.InvariantCulture,
                $"{name, -36} {r.Batch, 5} {r.Engine, -11} {r.Path, -13} {r.Threads, 3} {s.MedianMs, 9:F3} {s.P90Ms, 9:F3} {s.P99Ms, 9:F3} {s.MeanMs, 9:F3} {s.StdMs, 8:F3} "
                    + $"{r.ImagesPerSecond, 9:F1} {r.Params, 11} {r.Macs / 1e9, 7:F3} {r.FileBytes / 1e6, 7:F1} {r.Speedup, 6:F2}x"
            );
            if (projected)
                text.Append(CultureInfo.InvariantCulture, $" {r.ProjectedMs, 15:F2} ms");
            text.AppendLine();
        }
        text.AppendLine(
            "times in ms (wall clock per forward, "
                + (report.Options.Seconds is { } sec ? $"{sec} s" : $"{report.Options.Runs} runs")
                + $" after {report.Options.Warmup} warm-up{(report.Options.Interleave ? ", interleaved" : "")}); speedup against the first model at the same batch and engine"
        );
        foreach (var r in report.Results.Where(r => r.LayerThreads is not null && r.LayerThreads.Count > 1))
            text.AppendLine(
                $"{names[r.Model]} (batch {r.Batch}): onednn runs each layer on the thread count that measured faster, at most {r.Threads}: "
                    + string.Join(", ", r.LayerThreads!.Select(kv => $"{kv.Value} on {kv.Key}"))
            );
        if (report.Projection is { } p)
            text.AppendLine(
                $"projected = roofline projection to {p.Gpu.Name}, NOT measured (efficiency {p.Efficiency:F3}, "
                    + $"{p.OverheadMsPerLayer * 1000:F1} us per layer; calibrated on {p.Calibration})"
            );
        return text.ToString();
    }

    /// <summary>
    /// Each path's shortest ending (file name, then parent folders) that no other path shares:
    /// retrained/prune90/model.safetensors becomes prune90/model.safetensors.
    /// </summary>
    public static Dictionary<string, string> ShortNames(IReadOnlyList<string> paths)
    {
        var parts = paths.Select(p => p.Split('/', '\\', StringSplitOptions.RemoveEmptyEntries)).ToArray();
        string Ending(int i, int count) => string.Join('/', parts[i][Math.Max(0, parts[i].Length - count)..]);
        var names = new Dictionary<string, string>();
        for (var i = 0; i < paths.Count; i++)
        {
            var count = 1;
            while (
                count < parts[i].Length
                && Enumerable.Range(0, paths.Count).Any(j => j != i && Ending(j, count) == Ending(i, count))
            )
                count++;
            names[paths[i]] = Ending(i, count);
        }
        return names;
    }

    /// <summary>
    /// Writes the JSON to <paramref name="path"/> and the CSV beside it (same name, .csv), each to a temporary name
    /// first.
    /// </summary>
    public static (string Json, string Csv) Write(BenchReport report, string path)
    {
        var csv = System.IO.Path.ChangeExtension(path, ".csv");
        if (string.Equals(System.IO.Path.GetFullPath(csv), System.IO.Path.GetFullPath(path), StringComparison.Ordinal))
            throw new ArgumentException(
                $"bench: --out {path} must not end in .csv (the CSV is written beside the JSON)"
            );
        Write(report, path, csv);
        return (path, csv);
    }

    /// <summary>Writes the JSON and the CSV to the paths given.</summary>
    public static void Write(BenchReport report, string jsonPath, string csvPath)
    {
        AtomicFile.WriteAllText(
            jsonPath,
            ToJson(report).ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n"
        );
        AtomicFile.WriteAllText(csvPath, ToCsv(report));
    }
}
