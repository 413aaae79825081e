using System.Diagnostics;
using QuakePrune.Models;
using QuakePrune.Spectrograms;
using QuakePrune.Torch;
using QuakePrune.Torch.Modules;
using static QuakePrune.Torch.torch;
using F = QuakePrune.Torch.torch.nn.functional;

namespace QuakePrune.Latency;

/// <summary>How the prepared model runs its convolutions and keeps its activations.</summary>
public enum InferencePath
{
    /// <summary>
    /// oneDNN primitives called directly (no ATen between layers), built once per input shape: bias, ReLU and the residual
    /// sum fused into the convolutions, each layer on the thread count (up to the current one) that measured fastest.
    /// </summary>
    OneDnn,
    /// <summary>libtorch's oneDNN convolutions on weights reordered once; activations stay in oneDNN's blocked layout from input to head.</summary>
    Mkldnn,
    /// <summary>libtorch's conv2d on NHWC (channels-last) activations and weights; the CUDA/cuDNN path.</summary>
    ChannelsLast,
    /// <summary>libtorch's conv2d on NCHW activations.</summary>
    Plain,
}

/// <summary>What <see cref="InferenceModel.Prepare"/> tunes and checks for.</summary>
public sealed record InferenceOptions
{
    /// <summary>Input size the path is measured and checked at (callers pass the checkpoint's input size).</summary>
    public ImageSize Size { get; init; } = new(224, 224);
    public int Batch { get; init; } = 1;
    /// <summary>Forces one path; null measures every path this device offers and keeps the fastest.</summary>
    public InferencePath? Path { get; init; }
    /// <summary>Timed forwards per candidate path (after two warm-up runs); the median decides.</summary>
    public int TuningRuns { get; init; } = 5;
    /// <summary>Largest accepted |optimised - plain| relative to the plain output's largest magnitude (at least 1).</summary>
    public double Tolerance { get; init; } = 1e-4;
    /// <summary>Seed of the random inputs of the correctness check.</summary>
    public int Seed { get; init; } = 20240601;
    /// <summary>
    /// On the CPU, also time the chosen path with fewer intra-op threads than libtorch's current count (halving down to 1)
    /// and keep the fastest: a small (pruned) model loses more to thread synchronisation per layer than it gains.
    /// The current count stays the ceiling.
    /// </summary>
    public bool TuneThreads { get; init; } = true;
}

/// <summary>
/// One candidate as measured at prepare time: a path at an intra-op thread count; with several paths, the lower of the
/// medians of two passes over them (the second in reverse order). A path over four times the fastest before it is timed
/// once and not again.
/// </summary>
public sealed record PathTrial(InferencePath Path, int Threads, double MedianMs, double MaxAbsDiff);

/// <summary>
/// An eval-mode <see cref="ResNet"/> prepared once for fast inference: every BatchNorm folded into its convolution
/// (bias = beta - mean * gamma / sqrt(var + eps)), no autograd (inference mode), and the fastest of the
/// available paths, measured at prepare time. On the CPU the candidates are oneDNN's primitives called directly
/// (bias, ReLU and the residual sum fused, per-layer thread counts; where libdnnl.so.2 loads), libtorch's oneDNN path
/// (weights reordered once, activations kept in oneDNN's layout, ReLU and the residual add in place), channels-last and
/// plain; on CUDA channels-last and plain, with cuDNN's autotuner on.
/// Each candidate's output is checked against the plain module on random inputs before it may be chosen.
/// Not thread-safe: call <see cref="Forward"/> from one thread at a time.
/// </summary>
public sealed class InferenceModel : IDisposable
{
    private readonly FoldedConv stem;
    private readonly FoldedBlock[] blocks;
    private readonly Tensor[] headWeights;
    private readonly Tensor[] headBiases;
    private readonly Device device;
    /// <summary>The direct oneDNN path's networks, one per input shape and thread ceiling, built on first use.</summary>
    private readonly Dictionary<(long N, long H, long W, int Threads), OneDnnNetwork> networks = [];
    /// <summary>The one whose per-layer thread counts were tuned at prepare time (the prepared shape's).</summary>
    private OneDnnNetwork? tuned;
    private bool disposed;

    public InferencePath Path { get; private set; }
    /// <summary>Intra-op threads each <see cref="Forward"/> runs with (libtorch's count is set for the call and restored after); null: whatever it is.</summary>
    public int? Threads { get; private set; }
    public ResNetArchitecture Architecture { get; }
    public Device Device => device;
    /// <summary>Every candidate tried at prepare time: its median latency at the tuning shape and its largest deviation from the plain module.</summary>
    public IReadOnlyList<PathTrial> Trials { get; private set; } = [];
    /// <summary>The direct oneDNN path's steps at the prepared shape (implementation, threads, tuned times); empty on other paths.</summary>
    public IReadOnlyList<OneDnnStep> OneDnnSteps => Path == InferencePath.OneDnn && tuned is not null ? tuned.Steps : [];

    private InferenceModel(ResNet model, Device device)
    {
        Architecture = model.Architecture;
        this.device = device;
        stem = FoldedConv.Of(model, "conv1", "bn1", relu: true);
        var list = new List<FoldedBlock>();
        for (var s = 0; s < Architecture.Stages.Count; s++)
        for (var b = 0; b < Architecture.Stages[s].Blocks.Count; b++)
        {
            var p = $"layer{s + 1}.{b}";
            list.Add(new FoldedBlock(
                FoldedConv.Of(model, $"{p}.conv1", $"{p}.bn1", relu: true),
                FoldedConv.Of(model, $"{p}.conv2", $"{p}.bn2", relu: true),
                FoldedConv.Of(model, $"{p}.conv3", $"{p}.bn3", relu: false),
                b == 0 ? FoldedConv.Of(model, $"{p}.downsample.0", $"{p}.downsample.1", relu: false) : null));
        }
        blocks = list.ToArray();
        string[] head = Architecture.Hidden == 0 ? ["fc"] : ["fc.0", "fc.3"];
        headWeights = head.Select(n => Keep(((Linear)model.get_submodule(n)).weight.detach())).ToArray();
        headBiases = head.Select(n => Keep(((Linear)model.get_submodule(n)).bias!.detach())).ToArray();
    }

    /// <summary>
    /// Folds, prepares, checks and (unless <see cref="InferenceOptions.Path"/> forces one) times every path this device
    /// offers, keeping the fastest. The model must be in eval mode; it is not modified and may be disposed afterwards.
    /// </summary>
    /// <exception cref="InvalidOperationException">an optimised path does not reproduce the plain model within the tolerance.</exception>
    public static InferenceModel Prepare(ResNet model, InferenceOptions? options = null)
    {
        options ??= new InferenceOptions();
        if (model.training) throw new ArgumentException("InferenceModel.Prepare needs an eval-mode model (call eval() first): BatchNorm folding uses the running statistics");
        if (options.Batch < 1 || options.TuningRuns < 1 || !(options.Tolerance > 0))
            throw new ArgumentException($"inference options: batch {options.Batch} and tuning runs {options.TuningRuns} must be positive, tolerance {options.Tolerance} too");
        var parameter = model.parameters().First();
        var device = parameter.device;
        var ceiling = get_num_threads();
        var tuneThreads = options.TuneThreads && device.type == DeviceType.CPU && ceiling > 1;
        using var mode = inference_mode();
        var prepared = new InferenceModel(model, device);
        try
        {
            var candidates = Candidates(device);
            if (!OneDnnNetwork.Supports(prepared.stem, prepared.blocks))
                candidates = candidates.Where(p => p != InferencePath.OneDnn).ToArray();
            if (options.Path is { } forced && !candidates.Contains(forced))
                throw new ArgumentException($"inference path {forced} is not available on {device} for this model (available: {string.Join(", ", candidates)})");
            if (options.Path is { } only) candidates = [only];
            using var input = RandomInput(model.Architecture.InChannels, options, device);
            using var reference = model.forward(input).to(ScalarType.Float32);
            var scale = Math.Max(1.0, reference.abs().max().item<double>());
            var timed = candidates.Length > 1 || tuneThreads;
            // Checked at every path and thread count: a different split of the work may sum in a different order.
            PathTrial Trial(InferencePath path, int threads, double hopelessMs = double.PositiveInfinity)
            {
                prepared.Threads = threads == ceiling ? null : threads;
                double diff;
                using (var output = prepared.Forward(input)) diff = MaxAbsDiff(output, reference);
                if (!(diff <= options.Tolerance * scale))
                    throw new InvalidOperationException(
                        $"inference path {path} at {threads} thread(s) deviates from the plain model by {diff:G3} (allowed {options.Tolerance * scale:G3}) " +
                        $"on a random {options.Batch}x{model.Architecture.InChannels}x{options.Size} input");
                return new PathTrial(path, threads, timed ? prepared.MedianMs(input, options.TuningRuns, hopelessMs) : double.NaN, diff);
            }
            var trials = new List<PathTrial>();
            foreach (var path in candidates)
            {
                prepared.Switch(path);
                if (path == InferencePath.OneDnn) prepared.TuneNetwork(input, options.TuningRuns);
                trials.Add(Trial(path, ceiling, trials.Count == 0 ? double.PositiveInfinity : 4 * trials.Min(t => t.MedianMs)));
            }
            if (candidates.Length > 1)
            {
                // A second pass in reverse order, each path keeping its lower median, so that a slow spell on a shared
                // machine during one path's turn does not decide; a path already over twice the fastest is not timed again.
                var fastest = trials.Min(t => t.MedianMs);
                for (var k = candidates.Length - 1; k >= 0; k--)
                {
                    if (trials[k].MedianMs > 2 * fastest) continue;
                    prepared.Switch(candidates[k]);
                    trials[k] = trials[k] with { MedianMs = Math.Min(trials[k].MedianMs, prepared.MedianMs(input, options.TuningRuns)) };
                }
            }
            var best = timed ? trials.MinBy(t => t.MedianMs)! : trials[0];
            prepared.Switch(best.Path);
            if (tuneThreads)
            {
                for (var threads = ceiling / 2; threads >= 1; threads /= 2) trials.Add(Trial(best.Path, threads));
                best = trials.Where(t => t.Path == best.Path).MinBy(t => t.MedianMs)!;
            }
            prepared.Threads = best.Threads == ceiling ? null : best.Threads;
            prepared.Trials = trials;
            if (best.Path != InferencePath.OneDnn) prepared.DropNetworks();
            return prepared;
        }
        catch
        {
            prepared.Dispose();
            throw;
        }
    }

    /// <summary>Logits [N, classes] (dense, float32) for images [N, C, H, W] (dense, float32, on the model's device).</summary>
    public Tensor Forward(Tensor images)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        if (images.dim() != 4 || images.shape[1] != Architecture.InChannels)
            throw new ArgumentException($"inference expects images [N, {Architecture.InChannels}, H, W], got [{string.Join(", ", images.shape)}]");
        using var mode = inference_mode();
        var outer = get_num_threads();
        var own = Threads is { } threads && threads != outer;
        if (own) set_num_threads(Threads!.Value);
        try
        {
            return Logits(images);
        }
        finally
        {
            if (own) set_num_threads(outer);
        }
    }

    private Tensor Logits(Tensor images)
    {
        var features = Path switch
        {
            InferencePath.OneDnn => FeaturesOneDnn(images),
            InferencePath.Mkldnn => FeaturesMkldnn(images),
            _ => FeaturesStrided(images),
        };
        var x = features;
        for (var k = 0; k < headWeights.Length; k++)
        {
            var next = F.linear(x, headWeights[k], headBiases[k]);
            x.Dispose();
            x = k < headWeights.Length - 1 ? next.relu_() : next;
        }
        return x;
    }

    /// <summary>
    /// Class probabilities (softmax over the logits), row-major [N, classes], for images [N, C, H, W] on the model's device:
    /// the call evaluate and predict make per batch.
    /// </summary>
    public float[] ProbabilitiesOf(Tensor images)
    {
        using var logits = Forward(images);
        using var probabilities = logits.softmax(1);
        using var cpu = probabilities.device.type == DeviceType.CPU ? probabilities.alias() : probabilities.to(CPU);
        return cpu.ToArray<float>();
    }

    /// <summary>
    /// Loads a checkpoint onto <paramref name="device"/> (default CPU) and prepares it at the checkpoint's input size (unless
    /// <paramref name="options"/> says otherwise); the loaded module is released once folded. Also returns what the checkpoint records.
    /// </summary>
    public static (InferenceModel Model, ModelInfo Info) FromCheckpoint(string path, Device? device = null, InferenceOptions? options = null)
    {
        using var loaded = Checkpoint.Load(path, device);
        loaded.Model.eval();
        return (Prepare(loaded.Model, options ?? new InferenceOptions { Size = loaded.Info.InputSize }), loaded.Info);
    }

    /// <summary>Logits, row-major [batch, classes], for images given as row-major float32 [batch, C, height, width].</summary>
    public float[] Run(ReadOnlySpan<float> images, int batch, int height, int width)
    {
        using var input = tensor(images, [batch, Architecture.InChannels, height, width], device.type == DeviceType.CPU ? null : device);
        using var logits = Forward(input);
        using var cpu = logits.device.type == DeviceType.CPU ? logits.alias() : logits.to(CPU);
        return cpu.ToArray<float>();
    }

    /// <summary>Pooled features [N, width] through the direct oneDNN network for this input shape.</summary>
    private Tensor FeaturesOneDnn(Tensor images)
    {
        // oneDNN reads the buffer as float32 of this shape: another type would be read past its end.
        if (images.dtype != ScalarType.Float32) throw new ArgumentException($"inference expects float32 images, got {images.dtype}");
        using var dense = images.is_contiguous() ? images.alias() : images.contiguous();
        var network = Network(dense);
        var features = empty([network.InputShape[0], network.Features]);
        network.Run(dense.data_ptr(), features.data_ptr());
        return features;
    }

    /// <summary>Chooses each step's thread count of the network for this input's shape by timing (see <see cref="OneDnnNetwork.TuneThreads"/>).</summary>
    private void TuneNetwork(Tensor images, int runs)
    {
        using var dense = images.contiguous();
        tuned = Network(dense);
        using var features = empty([tuned.InputShape[0], tuned.Features]);
        tuned.TuneThreads(dense.data_ptr(), features.data_ptr(), runs);
    }

    /// <summary>Frees the oneDNN networks (their primitives and activation buffers) when another path was chosen.</summary>
    private void DropNetworks()
    {
        foreach (var network in networks.Values) network.Dispose();
        networks.Clear();
        tuned = null;
    }

    private OneDnnNetwork Network(Tensor images)
    {
        var key = (images.shape[0], images.shape[2], images.shape[3], get_num_threads());
        if (!networks.TryGetValue(key, out var network))
            networks[key] = network = new OneDnnNetwork(stem, blocks, images.shape, key.Item4);
        return network;
    }

    /// <summary>Pooled features [N, width] through libtorch's oneDNN path: the only conversions are at the input and before the head.</summary>
    private Tensor FeaturesMkldnn(Tensor images)
    {
        using var dense = images.is_contiguous() ? images.alias() : images.contiguous();
        using var input = dense.to_mkldnn();
        using var pooled = PooledFeatures(input, static (conv, x) => conv.Mkldnn(x));
        using var features = pooled.to_dense();
        return features.flatten(1);
    }

    /// <summary>Pooled features [N, width] through libtorch's conv2d on strided (NCHW or NHWC) activations.</summary>
    private Tensor FeaturesStrided(Tensor images)
    {
        using var input = images.contiguous(Path == InferencePath.ChannelsLast ? MemoryFormat.ChannelsLast : MemoryFormat.Contiguous);
        using var pooled = PooledFeatures(input, static (conv, x) => conv.Strided(x));
        return pooled.flatten(1);
    }

    /// <summary>Stem, max-pool, every bottleneck (residual add and ReLU in place) and the global average pool, each convolution run by <paramref name="conv"/>.</summary>
    private Tensor PooledFeatures(Tensor input, Func<FoldedConv, Tensor, Tensor> conv)
    {
        Tensor x;
        using (var y = conv(stem, input))
            x = F.max_pool2d(y, (3, 3), (2, 2), (1, 1), (1, 1));
        foreach (var block in blocks)
        {
            var identity = block.Downsample is { } downsample ? conv(downsample, x) : x;
            var a = conv(block.Conv1, x);
            var b = conv(block.Conv2, a);
            a.Dispose();
            var c = conv(block.Conv3, b);
            b.Dispose();
            c.add_(identity).relu_();
            if (!ReferenceEquals(identity, x)) identity.Dispose();
            x.Dispose();
            x = c;
        }
        using (x)
            return F.adaptive_avg_pool2d(x, (1, 1));
    }

    private void Switch(InferencePath path)
    {
        if (path is InferencePath.Mkldnn or InferencePath.OneDnn && device.type != DeviceType.CPU)
            throw new ArgumentException($"the oneDNN paths run on the CPU only, the model is on {device}");
        if (path != InferencePath.OneDnn)
            foreach (var conv in AllConvs()) conv.Prepare(path);
        if (device.type == DeviceType.CUDA) backends.cudnn.set_benchmark(true);
        Path = path;
    }

    private IEnumerable<FoldedConv> AllConvs() => blocks.SelectMany(b => b.Convolutions).Prepend(stem);

    /// <summary>
    /// Median of <paramref name="runs"/> timed forwards after two warm-up ones. A path whose first forward here (the caller's
    /// check has warmed it up) already takes over <paramref name="hopelessMs"/> cannot be chosen: that one time is returned,
    /// since timing such a path in full (channels-last and plain on a CPU with oneDNN, tens of times slower) would be most
    /// of a prepare's cost.
    /// </summary>
    private double MedianMs(Tensor input, int runs, double hopelessMs = double.PositiveInfinity)
    {
        var times = new List<double>();
        for (var k = 0; k < runs + 2; k++)
        {
            var clock = Stopwatch.StartNew();
            using (Forward(input))
                if (device.type == DeviceType.CUDA) cuda.synchronize(device.index);
            var ms = clock.Elapsed.TotalMilliseconds;
            if (k == 0 && ms > hopelessMs) return ms;
            if (k >= 2) times.Add(ms);
        }
        return LatencyStatistics.Of(times).MedianMs;
    }

    /// <summary>The candidate paths on a device, most specialised first.</summary>
    public static InferencePath[] Candidates(Device device) => device.type != DeviceType.CPU
        ? [InferencePath.ChannelsLast, InferencePath.Plain]
        : new[] { InferencePath.OneDnn, InferencePath.Mkldnn, InferencePath.ChannelsLast, InferencePath.Plain }
            .Where(p => p switch
            {
                InferencePath.OneDnn => OneDnn.IsAvailable,
                InferencePath.Mkldnn => backends.mkldnn.is_available(),
                _ => true,
            }).ToArray();

    private static Tensor RandomInput(int channels, InferenceOptions options, Device device)
    {
        var random = new Random(options.Seed);
        var values = new float[(long)options.Batch * channels * options.Size.Height * options.Size.Width];
        for (var k = 0; k < values.Length; k++) values[k] = (float)(random.NextDouble() * 2 - 1);
        return tensor(values, [options.Batch, channels, options.Size.Height, options.Size.Width], device);
    }

    private static double MaxAbsDiff(Tensor a, Tensor b)
    {
        using var difference = a.sub(b);
        using var magnitude = difference.abs();
        using var largest = magnitude.max();
        return largest.item<double>();
    }

    private static Tensor Keep(Tensor t) => t.DetachFromDisposeScope();

    public void Dispose()
    {
        if (disposed) return;
        disposed = true;
        DropNetworks();
        foreach (var conv in AllConvs()) conv.Dispose();
        foreach (var t in headWeights.Concat(headBiases)) t.Dispose();
    }
}
