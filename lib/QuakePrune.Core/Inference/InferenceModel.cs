using System.Diagnostics;
using QuakePrune.Models;
using QuakePrune.Torch;
using static QuakePrune.Torch.torch;

namespace QuakePrune.Inference;

/// <summary>How the prepared model runs its convolutions and keeps its activations.</summary>
public enum InferencePath
{
    /// <summary>
    /// oneDNN primitives called directly (no ATen between the layers of a run of convolutions, poolings, upsamplings
    /// and crops), built once per input shape: bias, ReLU and the residual sum fused into the convolutions, each layer
    /// on the thread count (up to the current one) that measured fastest.
    /// </summary>
    OneDnn,

    /// <summary>
    /// libtorch's oneDNN convolutions on weights reordered once; activations stay in oneDNN's blocked layout from input
    /// to head.
    /// </summary>
    Mkldnn,

    /// <summary>libtorch's conv2d on NHWC (channels-last) activations and weights; the CUDA/cuDNN path.</summary>
    ChannelsLast,

    /// <summary>libtorch's conv2d on NCHW activations.</summary>
    Plain,
}

/// <summary>What <see cref="InferenceModel.Prepare"/> tunes and checks for.</summary>
public sealed record InferenceOptions
{
    /// <summary>
    /// Input size an image network's path is measured and checked at (callers pass the checkpoint's input size); a
    /// waveform network's window is its own.
    /// </summary>
    public ImageSize Size { get; init; } = new(224, 224);
    public int Batch { get; init; } = 1;

    /// <summary>Forces one path; null measures every path this device offers and keeps the fastest.</summary>
    public InferencePath? Path { get; init; }

    /// <summary>Timed forwards per candidate path (after two warm-up runs); the median decides.</summary>
    public int TuningRuns { get; init; } = 5;

    /// <summary>
    /// Largest accepted |optimised - plain| relative to the plain output's largest magnitude (at least 1).
    /// </summary>
    public double Tolerance { get; init; } = 1e-4;

    /// <summary>Seed of the random inputs of the correctness check.</summary>
    public int Seed { get; init; } = 20240601;

    /// <summary>
    /// On the CPU, also time the chosen path with fewer intra-op threads than libtorch's current count (halving down to
    /// 1) and keep the fastest: a small (pruned) model loses more to thread synchronisation per layer than it gains.
    /// The current count stays the ceiling.
    /// </summary>
    public bool TuneThreads { get; init; } = true;

    /// <summary>
    /// False: no timing at all, the most specialised path this device offers for the model is taken (still checked
    /// against the module): for callers that prepare often and run little, such as scoring a dev split after every
    /// epoch, where timing every path costs more than the scoring.
    /// </summary>
    public bool TimePaths { get; init; } = true;

    /// <summary>
    /// The layers whose values <see cref="InferenceModel.ForwardAll"/> returns, in this order (default: the network's
    /// outputs): a picker's logits, before its sigmoids.
    /// </summary>
    public IReadOnlyList<string>? Outputs { get; init; }
}

/// <summary>
/// One candidate as measured at prepare time: a path at an intra-op thread count; with several paths, the lower of the
/// medians of two passes over them (the second in reverse order). A path over four times the fastest before it is timed
/// once and not again.
/// </summary>
public sealed record PathTrial(InferencePath Path, int Threads, double MedianMs, double MaxAbsDiff);

/// <summary>
/// An eval-mode <see cref="Network"/> prepared once for fast inference, from its description: every batch norm folded
/// into the convolution before it (bias = beta - mean * gamma / sqrt(var + eps)), residual sums and ReLUs fused into
/// the convolutions they follow (<see cref="InferencePlan"/>), no autograd (inference mode), and the fastest of the
/// available paths, measured at prepare time. On the CPU the candidates are oneDNN's primitives called directly for
/// every run of convolutions, poolings, upsamplings and crops (<see cref="OneDnnSegment"/>: bias, ReLU and the residual
/// sum fused, per-layer thread counts; where libdnnl.so.2 loads), libtorch's oneDNN path (images only: weights
/// reordered once, activations kept in oneDNN's layout as long as the layers allow), channels-last (images only) and
/// plain; on CUDA channels-last and plain, with cuDNN's autotuner on. Layers the plan has no fused form for
/// (recurrences, attention) run their own forward. Image networks [N, C, H, W] and waveform networks [N, C, T] (every
/// output) alike. Each candidate's output is checked against the plain module on random inputs before it may be chosen.
/// Not thread-safe: call <see cref="Forward"/> from one thread at a time.
/// </summary>
public sealed class InferenceModel : IDisposable
{
    private readonly InferencePlan plan;
    private readonly Device device;

    /// <summary>The runs of steps the direct oneDNN path takes over (none: it cannot).</summary>
    private readonly IReadOnlyList<OneDnnSegment> segments;

    /// <summary>
    /// The first step the mkldnn path runs on dense tensors (every one before it runs on oneDNN tensors).
    /// </summary>
    private readonly int mkldnnSteps;

    /// <summary>
    /// The direct oneDNN path's networks, one per segment, input shape and thread ceiling, built on first use.
    /// </summary>
    private readonly Dictionary<(int Segment, long N, long H, long W, int Threads), OneDnnNetwork> networks = [];

    /// <summary>
    /// The ones whose per-layer thread counts were tuned at prepare time (the prepared shape's), in segment order.
    /// </summary>
    private readonly List<OneDnnNetwork> tuned = [];

    /// <summary>
    /// Set while <see cref="TuneNetworks"/> runs a forward: each segment's network tunes its threads over this many
    /// runs.
    /// </summary>
    private int? tuningRuns;
    private bool disposed;

    public InferencePath Path { get; private set; }

    /// <summary>
    /// Intra-op threads each <see cref="Forward"/> runs with (libtorch's count is set for the call and restored after);
    /// null: whatever it is.
    /// </summary>
    public int? Threads { get; private set; }
    public Architecture Architecture { get; }
    public Device Device => device;

    /// <summary>
    /// Every candidate tried at prepare time: its median latency at the tuning shape and its largest deviation from the
    /// plain module.
    /// </summary>
    public IReadOnlyList<PathTrial> Trials { get; private set; } = [];

    /// <summary>
    /// The direct oneDNN path's steps at the prepared shape (implementation, threads, tuned times); empty on other
    /// paths.
    /// </summary>
    public IReadOnlyList<OneDnnStep> OneDnnSteps =>
        Path == InferencePath.OneDnn ? tuned.SelectMany(network => network.Steps).ToArray() : [];

    private InferenceModel(Network model, Device device, IReadOnlyList<string>? outputs)
    {
        Architecture = model.Architecture;
        this.device = device;
        plan = InferencePlan.Build(model, outputs);
        segments = device.type == DeviceType.CPU ? OneDnnNetwork.Segments(plan) : [];
        mkldnnSteps = plan.Steps.TakeWhile(s => s.RunsOnMkldnn).Count();
    }

    /// <summary>
    /// Folds, prepares, checks and (unless <see cref="InferenceOptions.Path"/> forces one) times every path this device
    /// offers, keeping the fastest. The model must be in eval mode; it is not modified and may be disposed afterwards.
    /// </summary>
    /// <exception cref="InvalidOperationException">an optimised path does not reproduce the plain model within the
    /// tolerance.</exception>
    public static InferenceModel Prepare(Network model, InferenceOptions? options = null)
    {
        options ??= new InferenceOptions();
        if (model.training)
            throw new ArgumentException(
                "InferenceModel.Prepare needs an eval-mode model (call eval() first): BatchNorm folding uses the running statistics"
            );
        if (options.Batch < 1 || options.TuningRuns < 1 || !(options.Tolerance > 0))
            throw new ArgumentException(
                $"inference options: batch {options.Batch} and tuning runs {options.TuningRuns} must be positive, tolerance {options.Tolerance} too"
            );
        var parameter = model.parameters().First();
        var device = parameter.device;
        var ceiling = get_num_threads();
        var tuneThreads = options.TuneThreads && options.TimePaths && device.type == DeviceType.CPU && ceiling > 1;
        using var mode = inference_mode();
        var prepared = new InferenceModel(model, device, options.Outputs);
        try
        {
            var candidates = Candidates(device);
            if (prepared.segments.Count == 0)
                candidates = candidates.Where(p => p != InferencePath.OneDnn).ToArray();
            if (prepared.mkldnnSteps == 0 || model.Graph.InputShape.Length != 4)
                candidates = candidates.Where(p => p != InferencePath.Mkldnn).ToArray();
            // Channels-last is a layout of images: a waveform network has none.
            if (model.Graph.InputShape.Length != 4)
                candidates = candidates.Where(p => p != InferencePath.ChannelsLast).ToArray();
            if (options.Path is { } forced && !candidates.Contains(forced))
                throw new ArgumentException(
                    $"inference path {forced} is not available on {device} for this model (available: {string.Join(", ", candidates)})"
                );
            if (options.Path is { } only)
                candidates = [only];
            else if (!options.TimePaths)
                candidates = [candidates[0]];
            using var input = RandomInput(model.Graph, options, device);
            var reference = (
                options.Outputs is { } wanted ? model.ForwardNodes(input, wanted) : model.ForwardAll(input)
            )
                .Select(output => output.to(ScalarType.Float32))
                .ToArray();
            using var references = new DisposeAll(reference);
            var scale = Math.Max(1.0, reference.Max(Largest));
            var timed = candidates.Length > 1 || tuneThreads;
            // Checked at every path and thread count: a different split of the work may sum in a different order.
            PathTrial Trial(InferencePath path, int threads, double hopelessMs = double.PositiveInfinity)
            {
                prepared.Threads = threads == ceiling ? null : threads;
                double diff;
                var outputs = prepared.ForwardAll(input);
                using (new DisposeAll(outputs))
                    diff = outputs.Zip(reference, MaxAbsDiff).Max();
                if (!(diff <= options.Tolerance * scale))
                    throw new InvalidOperationException(
                        $"inference path {path} at {threads} thread(s) deviates from the plain model by {diff:G3} (allowed {options.Tolerance * scale:G3}) "
                            + $"on a random input [{string.Join(", ", input.shape)}]"
                    );
                return new PathTrial(
                    path,
                    threads,
                    timed ? prepared.MedianMs(input, options.TuningRuns, hopelessMs) : double.NaN,
                    diff
                );
            }
            var trials = new List<PathTrial>();
            foreach (var path in candidates)
            {
                prepared.Switch(path);
                if (path == InferencePath.OneDnn)
                    prepared.TuneNetworks(input, options.TuningRuns);
                trials.Add(
                    Trial(path, ceiling, trials.Count == 0 ? double.PositiveInfinity : 4 * trials.Min(t => t.MedianMs))
                );
            }
            if (candidates.Length > 1)
            {
                // A second pass in reverse order, each path keeping its lower median, so that a slow spell on a shared
                // machine during one path's turn does not decide; a path already over twice the fastest is not timed
                // again.
                var fastest = trials.Min(t => t.MedianMs);
                for (var k = candidates.Length - 1; k >= 0; k--)
                {
                    if (trials[k].MedianMs > 2 * fastest)
                        continue;
                    prepared.Switch(candidates[k]);
                    trials[k] = trials[k] with
                    {
                        MedianMs = Math.Min(trials[k].MedianMs, prepared.MedianMs(input, options.TuningRuns)),
                    };
                }
            }
            var best = timed ? trials.MinBy(t => t.MedianMs)! : trials[0];
            prepared.Switch(best.Path);
            if (tuneThreads)
            {
                for (var threads = ceiling / 2; threads >= 1; threads /= 2)
                    trials.Add(Trial(best.Path, threads));
                best = trials.Where(t => t.Path == best.Path).MinBy(t => t.MedianMs)!;
            }
            prepared.Threads = best.Threads == ceiling ? null : best.Threads;
            prepared.Trials = trials;
            if (best.Path != InferencePath.OneDnn)
                prepared.DropNetworks();
            return prepared;
        }
        catch
        {
            prepared.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The only output (logits [N, classes] for a classifier; dense, float32) for an input [N, C, ...] (dense, float32,
    /// on the model's device).
    /// </summary>
    public Tensor Forward(Tensor images)
    {
        var outputs = ForwardAll(images);
        if (outputs.Length == 1)
            return outputs[0];
        foreach (var output in outputs)
            output.Dispose();
        throw new InvalidOperationException($"the network has {outputs.Length} outputs: call ForwardAll");
    }

    /// <summary>
    /// Every output, in the description's order (or <see cref="InferenceOptions.Outputs"/>' values, in its order).
    /// </summary>
    public Tensor[] ForwardAll(Tensor images)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        var graph = Architecture.Graph;
        if (images.dim() != graph.InputShape.Length || images.shape[1] != graph.InChannels)
            throw new ArgumentException(
                $"inference expects input [N, {graph.InChannels}{string.Concat(Enumerable.Repeat(", ...", graph.InputShape.Length - 2))}] "
                    + $"(images [N, C, H, W]), got [{string.Join(", ", images.shape)}]"
            );
        using var mode = inference_mode();
        var outer = get_num_threads();
        var own = Threads is { } threads && threads != outer;
        if (own)
            set_num_threads(Threads!.Value);
        try
        {
            return Run(images);
        }
        finally
        {
            if (own)
                set_num_threads(outer);
        }
    }

    /// <summary>
    /// Runs the plan on the current path: the direct oneDNN segments or the leading mkldnn steps where chosen, the rest
    /// on strided tensors.
    /// </summary>
    private Tensor[] Run(Tensor images)
    {
        var values = new Tensor?[plan.Slots];
        var onMkldnn = false;
        var segment = 0;
        Tensor? ownInput = null;
        try
        {
            switch (Path)
            {
                case InferencePath.Mkldnn:
                    using (var dense = images.is_contiguous() ? images.alias() : images.contiguous())
                        values[0] = ownInput = dense.to_mkldnn();
                    onMkldnn = true;
                    break;
                case InferencePath.ChannelsLast:
                    values[0] = ownInput = images.contiguous(MemoryFormat.ChannelsLast);
                    break;
                default:
                    values[0] = images;
                    break;
            }
            for (var k = 0; k < plan.Steps.Length; k++)
            {
                if (Path == InferencePath.OneDnn && segment < segments.Count && segments[segment].Start == k)
                {
                    var run = segments[segment];
                    var output = RunSegment(segment++, values[run.Source]!);
                    foreach (
                        var s in Enumerable.Range(run.Start, run.End - run.Start).SelectMany(j => plan.ReleasedAfter[j])
                    )
                    {
                        values[s]?.Dispose();
                        values[s] = null;
                    }
                    values[run.Output] = output;
                    k = run.End - 1;
                    continue;
                }
                if (onMkldnn && k == mkldnnSteps)
                {
                    ToDense(values);
                    onMkldnn = false;
                }
                var step = plan.Steps[k];
                var first = step.Inputs[0];
                var released = plan.ReleasedAfter[k];
                var y = step.Run(
                    step.Inputs.Select(s => values[s]!).ToArray(),
                    onMkldnn,
                    mayOverwrite: released.Contains(first) && step.Inputs.Count(s => s == first) == 1
                );
                foreach (var s in released)
                {
                    if (!ReferenceEquals(values[s], y))
                        values[s]!.Dispose();
                    values[s] = null;
                }
                values[step.Output] = y;
            }
            if (onMkldnn)
                ToDense(values);
            var outputs = plan.Outputs.Select(s => values[s]!).ToArray();
            foreach (var s in plan.Outputs)
                values[s] = null;
            return outputs;
        }
        finally
        {
            for (var s = 1; s < values.Length; s++)
                values[s]?.Dispose();
            ownInput?.Dispose();
        }
    }

    /// <summary>Every live value (the input aside) converted from oneDNN's layout to a dense tensor.</summary>
    private static void ToDense(Tensor?[] values)
    {
        for (var s = 1; s < values.Length; s++)
        {
            if (values[s] is not { } value)
                continue;
            values[s] = value.to_dense();
            value.Dispose();
        }
    }

    /// <summary>
    /// Class probabilities (softmax over the logits), row-major [N, classes], for images [N, C, H, W] on the model's
    /// device: the call evaluate and predict make per batch.
    /// </summary>
    public float[] ProbabilitiesOf(Tensor images)
    {
        using var logits = Forward(images);
        using var probabilities = logits.softmax(1);
        using var cpu = probabilities.device.type == DeviceType.CPU ? probabilities.alias() : probabilities.to(CPU);
        return cpu.ToArray<float>();
    }

    /// <summary>
    /// Loads a checkpoint onto <paramref name="device"/> (default CPU) and prepares it at the checkpoint's input size
    /// (unless <paramref name="options"/> says otherwise); the loaded module is released once folded. Also returns what
    /// the checkpoint records.
    /// </summary>
    public static (InferenceModel Model, ModelInfo Info) FromCheckpoint(
        string path,
        Device? device = null,
        InferenceOptions? options = null
    )
    {
        using var loaded = Checkpoint.Load(path, device);
        loaded.Model.eval();
        return (Prepare(loaded.Model, options ?? new InferenceOptions { Size = loaded.Info.InputSize }), loaded.Info);
    }

    /// <summary>
    /// Logits, row-major [batch, classes], for images given as row-major float32 [batch, C, height, width].
    /// </summary>
    public float[] Run(ReadOnlySpan<float> images, int batch, int height, int width)
    {
        using var input = tensor(
            images,
            Architecture.Graph.InputShapeAt(batch, height, width),
            device.type == DeviceType.CPU ? null : device
        );
        using var logits = Forward(input);
        using var cpu = logits.device.type == DeviceType.CPU ? logits.alias() : logits.to(CPU);
        return cpu.ToArray<float>();
    }

    /// <summary>A direct oneDNN segment's output (dense, of its input's rank) for its input value.</summary>
    private Tensor RunSegment(int segment, Tensor input)
    {
        // oneDNN reads the buffer as float32 of this shape: another type would be read past its end.
        if (input.dtype != ScalarType.Float32)
            throw new ArgumentException($"inference expects float32 input, got {input.dtype}");
        using var dense = input.is_contiguous() ? input.alias() : input.contiguous();
        // A waveform [N, C, T] is the image [N, C, 1, T] to oneDNN.
        long[] shape = dense.dim() == 3 ? [dense.shape[0], dense.shape[1], 1, dense.shape[2]] : dense.shape;
        var key = (segment, shape[0], shape[2], shape[3], get_num_threads());
        if (!networks.TryGetValue(key, out var network))
            networks[key] = network = new OneDnnNetwork(plan, segments[segment], shape, key.Item5);
        var produced = network.OutputShape;
        var output = empty(dense.dim() == 3 ? [produced[0], produced[1], produced[3]] : produced);
        if (tuningRuns is { } runs)
        {
            network.TuneThreads(dense.data_ptr(), output.data_ptr(), runs);
            tuned.Add(network);
        }
        network.Run(dense.data_ptr(), output.data_ptr());
        return output;
    }

    /// <summary>
    /// Chooses each step's thread count of every segment's network for this input's shape by timing (see
    /// <see cref="OneDnnNetwork.TuneThreads"/>), in one forward.
    /// </summary>
    private void TuneNetworks(Tensor images, int runs)
    {
        tuned.Clear();
        tuningRuns = runs;
        try
        {
            foreach (var output in ForwardAll(images))
                output.Dispose();
        }
        finally
        {
            tuningRuns = null;
        }
    }

    /// <summary>
    /// Frees the oneDNN networks (their primitives and activation buffers) when another path was chosen.
    /// </summary>
    private void DropNetworks()
    {
        foreach (var network in networks.Values)
            network.Dispose();
        networks.Clear();
        tuned.Clear();
    }

    /// <summary>
    /// Puts each convolution's weights in the layout the path runs it in: the mkldnn segment's in oneDNN's, the rest
    /// strided.
    /// </summary>
    private void Switch(InferencePath path)
    {
        if (path is InferencePath.Mkldnn or InferencePath.OneDnn && device.type != DeviceType.CPU)
            throw new ArgumentException($"the oneDNN paths run on the CPU only, the model is on {device}");
        for (var k = 0; k < plan.Steps.Length; k++)
        {
            if (
                plan.Steps[k] is not ConvStep conv
                || (path == InferencePath.OneDnn && segments.Any(s => s.Contains(k)))
            )
                continue;
            conv.Conv.Prepare(
                path switch
                {
                    InferencePath.Mkldnn => k < mkldnnSteps ? InferencePath.Mkldnn : InferencePath.Plain,
                    InferencePath.OneDnn => InferencePath.Plain,
                    _ => path,
                }
            );
        }
        if (device.type == DeviceType.CUDA)
            backends.cudnn.set_benchmark(true);
        Path = path;
    }

    /// <summary>
    /// Median of <paramref name="runs"/> timed forwards after two warm-up ones. A path whose first forward here (the
    /// caller's check has warmed it up) already takes over <paramref name="hopelessMs"/> cannot be chosen: that one
    /// time is returned, since timing such a path in full (channels-last and plain on a CPU with oneDNN, tens of times
    /// slower) would be most of a prepare's cost.
    /// </summary>
    private double MedianMs(Tensor input, int runs, double hopelessMs = double.PositiveInfinity)
    {
        var times = new List<double>();
        for (var k = 0; k < runs + 2; k++)
        {
            var clock = Stopwatch.StartNew();
            using (new DisposeAll(ForwardAll(input)))
                if (device.type == DeviceType.CUDA)
                    cuda.synchronize(device.index);
            var ms = clock.Elapsed.TotalMilliseconds;
            if (k == 0 && ms > hopelessMs)
                return ms;
            if (k >= 2)
                times.Add(ms);
        }
        return LatencyStatistics.Of(times).MedianMs;
    }

    /// <summary>The candidate paths on a device, most specialised first.</summary>
    public static InferencePath[] Candidates(Device device) =>
        device.type != DeviceType.CPU
            ? [InferencePath.ChannelsLast, InferencePath.Plain]
            : new[] { InferencePath.OneDnn, InferencePath.Mkldnn, InferencePath.ChannelsLast, InferencePath.Plain }
                .Where(p =>
                    p switch
                    {
                        InferencePath.OneDnn => OneDnn.IsAvailable,
                        InferencePath.Mkldnn => backends.mkldnn.is_available(),
                        _ => true,
                    }
                )
                .ToArray();

    private static Tensor RandomInput(NetworkGraph graph, InferenceOptions options, Device device)
    {
        long[] shape =
            graph.InputShape.Length == 4
                ? graph.InputShapeAt(options.Batch, options.Size.Height, options.Size.Width)
                : [options.Batch, .. graph.InputShape[1..]];
        var random = new Random(options.Seed);
        var values = new float[shape.Aggregate(1L, (a, b) => a * b)];
        for (var k = 0; k < values.Length; k++)
            values[k] = (float)(random.NextDouble() * 2 - 1);
        return tensor(values, shape, device);
    }

    /// <summary>Disposes every output of a forward.</summary>
    private sealed class DisposeAll(IEnumerable<Tensor> tensors) : IDisposable
    {
        public void Dispose()
        {
            foreach (var t in tensors)
                t.Dispose();
        }
    }

    private static double MaxAbsDiff(Tensor a, Tensor b)
    {
        using var difference = a.sub(b);
        return Largest(difference);
    }

    /// <summary>The largest magnitude in <paramref name="t"/>.</summary>
    private static double Largest(Tensor t)
    {
        using var magnitude = t.abs();
        using var largest = magnitude.max();
        return largest.item<double>();
    }

    public void Dispose()
    {
        if (disposed)
            return;
        disposed = true;
        DropNetworks();
        plan.Dispose();
    }
}
