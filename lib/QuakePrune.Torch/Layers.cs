using static QuakePrune.Torch.torch;
using F = QuakePrune.Torch.torch.nn.functional;

namespace QuakePrune.Torch.Modules
{
    /// <summary>
    /// A convolution's or linear layer's weight and optional bias, registered and initialised as PyTorch's
    /// reset_parameters does for both: the weight Kaiming-uniform with a = sqrt(5), the bias uniform within
    /// 1/sqrt(fan_in) (0 when fan_in is 0).
    /// </summary>
    internal static class DefaultInitialisation
    {
        public static void RegisterWeightAndBias(
            nn.Module module,
            long[] weightShape,
            bool bias,
            ScalarType dtype,
            Device? device
        )
        {
            var w = module.register_parameter("weight", empty(weightShape, dtype, device));
            nn.init.kaiming_uniform_(w, a: Math.Sqrt(5));
            if (!bias)
                return;
            var b = module.register_parameter("bias", empty([weightShape[0]], dtype, device));
            var fanIn = nn.init.calculate_fan_in_and_fan_out(w).fan_in;
            var bound = fanIn > 0 ? 1 / Math.Sqrt(fanIn) : 0;
            nn.init.uniform_(b, -bound, bound);
        }
    }

    /// <summary>2-d convolution; weight [out, in/groups, kH, kW], PyTorch's default initialisation.</summary>
    public sealed class Conv2d : nn.Module<Tensor, Tensor>
    {
        public Conv2d(
            long in_channels,
            long out_channels,
            (long, long) kernel_size,
            (long, long) stride,
            (long, long) padding,
            (long, long) dilation,
            long groups = 1,
            bool bias = true,
            ScalarType dtype = ScalarType.Float32,
            Device? device = null
        )
        {
            if (in_channels % groups != 0 || out_channels % groups != 0)
                throw new ArgumentException(
                    $"Conv2d: {in_channels} in and {out_channels} out channels are not divisible by {groups} groups"
                );
            (
                this.in_channels,
                this.out_channels,
                this.kernel_size,
                this.stride,
                this.padding,
                this.dilation,
                this.groups
            ) = (in_channels, out_channels, kernel_size, stride, padding, dilation, groups);
            has_bias = bias;
            DefaultInitialisation.RegisterWeightAndBias(
                this,
                [out_channels, in_channels / groups, kernel_size.Item1, kernel_size.Item2],
                bias,
                dtype,
                device
            );
        }

        public long in_channels { get; }
        public long out_channels { get; }
        public (long, long) kernel_size { get; }
        public (long, long) stride { get; }
        public (long, long) padding { get; }
        public (long, long) dilation { get; }
        public long groups { get; }
        public Tensor weight => get_parameter("weight");
        public Tensor? bias => has_bias ? get_parameter("bias") : null;
        public bool has_bias { get; }

        public override Tensor forward(Tensor input) =>
            F.conv2d(input, weight, bias, stride, padding, dilation, groups);
    }

    /// <summary>1-d convolution of [N, C, L]; weight [out, in/groups, k], PyTorch's default initialisation.</summary>
    public sealed class Conv1d : nn.Module<Tensor, Tensor>
    {
        public Conv1d(
            long in_channels,
            long out_channels,
            long kernel_size,
            long stride = 1,
            long padding = 0,
            long dilation = 1,
            long groups = 1,
            bool bias = true,
            ScalarType dtype = ScalarType.Float32,
            Device? device = null
        )
        {
            if (groups < 1 || in_channels % groups != 0 || out_channels % groups != 0)
                throw new ArgumentException(
                    $"Conv1d: {in_channels} in and {out_channels} out channels are not divisible by {groups} groups"
                );
            if (kernel_size < 1 || stride < 1 || dilation < 1 || padding < 0)
                throw new ArgumentException(
                    $"Conv1d: kernel {kernel_size}, stride {stride} and dilation {dilation} must be positive, padding {padding} not negative"
                );
            (
                this.in_channels,
                this.out_channels,
                this.kernel_size,
                this.stride,
                this.padding,
                this.dilation,
                this.groups
            ) = (in_channels, out_channels, kernel_size, stride, padding, dilation, groups);
            has_bias = bias;
            DefaultInitialisation.RegisterWeightAndBias(
                this,
                [out_channels, in_channels / groups, kernel_size],
                bias,
                dtype,
                device
            );
        }

        public long in_channels { get; }
        public long out_channels { get; }
        public long kernel_size { get; }
        public long stride { get; }
        public long padding { get; }
        public long dilation { get; }
        public long groups { get; }
        public Tensor weight => get_parameter("weight");
        public Tensor? bias => has_bias ? get_parameter("bias") : null;
        public bool has_bias { get; }

        public override Tensor forward(Tensor input) =>
            F.conv1d(input, weight, bias, stride, padding, dilation, groups);
    }

    /// <summary>Fully connected layer y = x W^T + b; weight [out, in].</summary>
    public sealed class Linear : nn.Module<Tensor, Tensor>
    {
        public Linear(
            long in_features,
            long out_features,
            bool bias = true,
            ScalarType dtype = ScalarType.Float32,
            Device? device = null
        )
        {
            (this.in_features, this.out_features) = (in_features, out_features);
            has_bias = bias;
            DefaultInitialisation.RegisterWeightAndBias(this, [out_features, in_features], bias, dtype, device);
        }

        public long in_features { get; }
        public long out_features { get; }
        public Tensor weight => get_parameter("weight");
        public Tensor? bias => has_bias ? get_parameter("bias") : null;
        public bool has_bias { get; }

        public override Tensor forward(Tensor input) => F.linear(input, weight, bias);
    }

    /// <summary>
    /// Batch normalisation over the channel axis (dimension 1), PyTorch's _BatchNorm: weight/bias (affine), buffers
    /// running_mean, running_var and num_batches_tracked (an int64 scalar, shape [], counted in training). momentum
    /// null means a cumulative average, as in PyTorch. <see cref="BatchNorm1d"/> and <see cref="BatchNorm2d"/> differ
    /// only in the input ranks they accept.
    /// </summary>
    public abstract class BatchNorm : nn.Module<Tensor, Tensor>
    {
        protected BatchNorm(
            long num_features,
            double eps,
            double? momentum,
            bool affine,
            bool track_running_stats,
            ScalarType dtype,
            Device? device
        )
        {
            (this.num_features, this.eps, this.momentum, this.affine, this.track_running_stats) = (
                num_features,
                eps,
                momentum,
                affine,
                track_running_stats
            );
            if (affine)
            {
                register_parameter("weight", ones([num_features], dtype, device));
                register_parameter("bias", zeros([num_features], dtype, device));
            }
            if (track_running_stats)
            {
                register_buffer("running_mean", zeros([num_features], dtype, device));
                register_buffer("running_var", ones([num_features], dtype, device));
                register_buffer("num_batches_tracked", zeros([], ScalarType.Int64, device));
            }
        }

        public long num_features { get; }
        public double eps { get; }

        /// <summary>
        /// Settable, as PyTorch's attribute: BN recalibration sets null (a cumulative average) for a pass, then
        /// restores it.
        /// </summary>
        public double? momentum { get; set; }
        public bool affine { get; }
        public bool track_running_stats { get; }
        public Tensor? weight => affine ? get_parameter("weight") : null;
        public Tensor? bias => affine ? get_parameter("bias") : null;
        public Tensor? running_mean => track_running_stats ? get_buffer("running_mean") : null;
        public Tensor? running_var => track_running_stats ? get_buffer("running_var") : null;
        public Tensor? num_batches_tracked => track_running_stats ? get_buffer("num_batches_tracked") : null;

        /// <summary>
        /// The ranks that share batch statistics in training, as PyTorch's SyncBatchNorm: mean and variance are taken
        /// over every rank's batch, so N ranks normalise as one process does over their combined batch. Null (or a
        /// group of one): this process's batch alone. State names are unchanged; evaluation uses the running
        /// statistics either way.
        /// </summary>
        public ProcessGroup? process_group { get; set; }

        /// <summary>
        /// As PyTorch's reset_running_stats: running_mean 0, running_var 1, num_batches_tracked 0, in place; nothing
        /// without running statistics.
        /// </summary>
        public void reset_running_stats()
        {
            if (!track_running_stats)
                return;
            using var _ = no_grad();
            running_mean!.zero_();
            running_var!.fill_(1);
            num_batches_tracked!.zero_();
        }

        /// <summary>Throws when the input's rank is not one this layer normalises.</summary>
        protected abstract void CheckInputDim(Tensor input);

        public override Tensor forward(Tensor input)
        {
            CheckInputDim(input);
            var factor = momentum ?? 0.0;
            if (training && track_running_stats)
            {
                var tracked = num_batches_tracked!;
                using (no_grad())
                    tracked.add_(1);
                if (momentum is null)
                    factor = 1.0 / tracked.item<long>();
            }
            if (training && process_group is { Size: > 1 } group)
                return Synchronised(input, group, factor);
            var useBatchStats = training || !track_running_stats;
            return F.batch_norm(input, running_mean, running_var, weight, bias, useBatchStats, factor, eps);
        }

        /// <summary>
        /// Batch norm over every rank's batch (<see cref="SynchronisedBatchNorm"/>), and the running statistics
        /// updated from its mean and variance as the plain kernel updates them from its own.
        /// </summary>
        private Tensor Synchronised(Tensor input, ProcessGroup group, double factor)
        {
            using var scope = NewDisposeScope();
            var function = new SynchronisedBatchNorm(group, eps);
            var outputs = function.Apply(3, affine ? [input, weight!, bias!] : [input]);
            if (track_running_stats)
                using (no_grad())
                {
                    var n = function.Count;
                    running_mean!.mul_(1 - factor).add_(outputs[1].detach() * factor);
                    // The running variance is the unbiased one, as the plain kernel keeps it.
                    running_var!.mul_(1 - factor).add_(outputs[2].detach() * (factor * n / (n - 1)));
                }
            return outputs[0].MoveToOuterScope();
        }
    }

    /// <summary>
    /// Batch norm of (input, weight, bias) (or of the input alone) with the statistics of every rank's rows, as
    /// PyTorch's SyncBatchNorm computes it. Forward: each rank's per-channel mean, variance and count are gathered in
    /// one all-reduce (a table in which each rank fills its row) and combined as a parallel variance (Chan et al.),
    /// which does not cancel as E[x^2] - E[x]^2 can; the kernel then normalises with them. Backward: the kernel's
    /// backward pass with those statistics gives this rank's part and the per-channel sums of the gradient and of its
    /// product with the normalised input; one all-reduce of the sums adds what the other ranks' rows contribute through
    /// the shared mean and variance. Outputs: the normalised input, the mean and the (biased) variance.
    /// </summary>
    internal sealed class SynchronisedBatchNorm(ProcessGroup group, double eps) : AutogradFunction
    {
        private Tensor input = null!;
        private Tensor scale = null!;
        private Tensor mean = null!;
        private Tensor variance = null!;
        private bool affine;

        /// <summary>Values per channel over all ranks.</summary>
        public double Count { get; private set; }

        protected override Tensor[] Forward(Tensor[] inputs)
        {
            input = Keep(inputs[0]);
            affine = inputs.Length == 3;
            var channels = input.shape[1];
            var reduced = Enumerable.Range(0, (int)input.dim()).Where(d => d != 1).Select(d => (long)d).ToArray();
            var localCount = (double)(input.numel() / Math.Max(1, channels));
            var table = zeros([group.Size, 2 * channels + 1], input.dtype, input.device);
            // A rank without rows adds nothing (its mean and variance would be NaN).
            if (localCount > 0)
                table
                    .select(0, group.Rank)
                    .copy_(
                        cat([
                            input.mean(reduced),
                            input.var(reduced, unbiased: false),
                            full([1], localCount, input.dtype, input.device),
                        ])
                    );
            group.AllReduceSum(table);
            var counts = table.narrow(1, 2 * channels, 1);
            Count = counts.sum().item<double>();
            if (Count <= 1)
                throw new ArgumentException(
                    $"batch norm expects more than 1 value per channel when training over {group.Size} ranks, got {Count}"
                );
            var (means, variances) = (table.narrow(1, 0, channels), table.narrow(1, channels, channels));
            mean = Keep((means * counts).sum(0) / Count);
            variance = Keep(((variances + (means - mean).square()) * counts).sum(0) / Count);
            scale = Keep(affine ? inputs[1] : ones([channels], input.dtype, input.device));
            var output = nn.functional.batch_norm(
                input,
                mean,
                variance,
                scale,
                affine ? inputs[2] : null,
                training: false,
                momentum: 0,
                eps: eps
            );
            return [output, mean.clone(), variance.clone()];
        }

        protected override Tensor?[] Backward(Tensor[] outputGradients)
        {
            var (gradInput, gradScale, gradShift) = nn.functional.batch_norm_backward(
                outputGradients[0],
                input,
                scale,
                mean,
                variance,
                eps
            );
            // Over every rank: the sum of the gradient, and of its product with the normalised input.
            var sums = cat([gradShift, gradScale]);
            group.AllReduceSum(sums);
            var channels = mean.shape[0];
            var invstd = (variance + eps).rsqrt();
            var shape = Enumerable.Repeat(1L, (int)input.dim()).ToArray();
            shape[1] = channels;
            // The input's gradient: this rank's part, minus what the shared mean and variance pass on, x * c1 + c2.
            var c1 = -scale * invstd.square() * sums.narrow(0, channels, channels) / Count;
            var c2 = -scale * invstd * sums.narrow(0, 0, channels) / Count - mean * c1;
            gradInput.addcmul_(input, c1.view(shape)).add_(c2.view(shape));
            return affine ? [gradInput, gradScale, gradShift] : [gradInput];
        }
    }

    /// <summary>Batch normalisation of [N, C, L] sequences (or [N, C] features).</summary>
    public sealed class BatchNorm1d(
        long num_features,
        double eps = 1e-5,
        double? momentum = 0.1,
        bool affine = true,
        bool track_running_stats = true,
        ScalarType dtype = ScalarType.Float32,
        Device? device = null
    ) : BatchNorm(num_features, eps, momentum, affine, track_running_stats, dtype, device)
    {
        protected override void CheckInputDim(Tensor input)
        {
            if (input.dim() is not (2 or 3))
                throw new ArgumentException(
                    $"BatchNorm1d expects a 2-d [N, C] or 3-d [N, C, L] input, got {input.dim()}-d",
                    nameof(input)
                );
        }
    }

    /// <summary>Batch normalisation of [N, C, H, W] images.</summary>
    public sealed class BatchNorm2d(
        long num_features,
        double eps = 1e-5,
        double? momentum = 0.1,
        bool affine = true,
        bool track_running_stats = true,
        ScalarType dtype = ScalarType.Float32,
        Device? device = null
    ) : BatchNorm(num_features, eps, momentum, affine, track_running_stats, dtype, device)
    {
        protected override void CheckInputDim(Tensor input)
        {
            if (input.dim() != 4)
                throw new ArgumentException(
                    $"BatchNorm2d expects a 4-d [N, C, H, W] input, got {input.dim()}-d",
                    nameof(input)
                );
        }
    }

    public sealed class ReLU(bool inplace = false) : nn.Module<Tensor, Tensor>
    {
        public bool inplace { get; } = inplace;

        public override Tensor forward(Tensor input) => F.relu(input, inplace);
    }

    public sealed class MaxPool2d(
        (long, long) kernel_size,
        (long, long)? stride,
        (long, long) padding,
        (long, long) dilation,
        bool ceil_mode = false
    ) : nn.Module<Tensor, Tensor>
    {
        public (long, long) kernel_size { get; } = kernel_size;
        public (long, long) stride { get; } = stride ?? kernel_size;
        public (long, long) padding { get; } = padding;
        public (long, long) dilation { get; } = dilation;
        public bool ceil_mode { get; } = ceil_mode;

        public override Tensor forward(Tensor input) =>
            F.max_pool2d(input, kernel_size, stride, padding, dilation, ceil_mode);
    }

    /// <summary>1-d max pooling of [N, C, L]; the stride defaults to the kernel size.</summary>
    public sealed class MaxPool1d(
        long kernel_size,
        long? stride = null,
        long padding = 0,
        long dilation = 1,
        bool ceil_mode = false
    ) : nn.Module<Tensor, Tensor>
    {
        public long kernel_size { get; } = kernel_size;
        public long stride { get; } = stride ?? kernel_size;
        public long padding { get; } = padding;
        public long dilation { get; } = dilation;
        public bool ceil_mode { get; } = ceil_mode;

        public override Tensor forward(Tensor input) =>
            F.max_pool1d(input, kernel_size, stride, padding, dilation, ceil_mode);
    }

    public sealed class AvgPool2d(
        long kernel_size,
        long? stride = null,
        long padding = 0,
        bool ceil_mode = false,
        bool count_include_pad = true
    ) : nn.Module<Tensor, Tensor>
    {
        public override Tensor forward(Tensor input) =>
            F.avg_pool2d(input, kernel_size, stride, padding, ceil_mode, count_include_pad);
    }

    public sealed class AdaptiveAvgPool2d((long, long) output_size) : nn.Module<Tensor, Tensor>
    {
        public (long, long) output_size { get; } = output_size;

        public override Tensor forward(Tensor input) => F.adaptive_avg_pool2d(input, output_size);
    }

    /// <summary>
    /// Zeroes elements with probability p in training (scaling the rest by 1/(1-p)); the identity in eval.
    /// </summary>
    public sealed class Dropout(double p = 0.5) : nn.Module<Tensor, Tensor>
    {
        public double p { get; } =
            p is >= 0 and <= 1
                ? p
                : throw new ArgumentOutOfRangeException(nameof(p), p, "dropout probability must be in [0, 1]");

        public override Tensor forward(Tensor input) => F.dropout(input, p, training);
    }

    /// <summary>
    /// Zeroes whole channels of [N, C, L] (each sample's own) with probability p in training; the identity in eval.
    /// </summary>
    public sealed class Dropout1d(double p = 0.5) : nn.Module<Tensor, Tensor>
    {
        public double p { get; } =
            p is >= 0 and <= 1
                ? p
                : throw new ArgumentOutOfRangeException(nameof(p), p, "dropout probability must be in [0, 1]");

        public override Tensor forward(Tensor input) => F.dropout1d(input, p, training);
    }

    /// <summary>
    /// Zeroes whole channels of [N, C, H, W] (or, as in PyTorch 1.13, of [N, C, L]) with probability p in training.
    /// </summary>
    public sealed class Dropout2d(double p = 0.5) : nn.Module<Tensor, Tensor>
    {
        public double p { get; } =
            p is >= 0 and <= 1
                ? p
                : throw new ArgumentOutOfRangeException(nameof(p), p, "dropout probability must be in [0, 1]");

        public override Tensor forward(Tensor input) => F.dropout2d(input, p, training);
    }

    /// <summary>
    /// Nearest-neighbour resizing of [N, C, L] sequences (or [N, C, H, W] images, the same size or factor on both axes)
    /// to <c>size</c> or by <c>scale_factor</c>; exactly one is given. Holds no state.
    /// </summary>
    public sealed class Upsample : nn.Module<Tensor, Tensor>
    {
        public Upsample(long? size = null, double? scale_factor = null, string mode = "nearest")
        {
            if ((size is null) == (scale_factor is null))
                throw new ArgumentException("Upsample needs exactly one of size and scale_factor");
            if (mode != "nearest")
                throw new ArgumentException(
                    $"unsupported Upsample mode '{mode}': this binding has nearest",
                    nameof(mode)
                );
            (this.size, this.scale_factor, this.mode) = (size, scale_factor, mode);
        }

        public long? size { get; }
        public double? scale_factor { get; }
        public string mode { get; }

        public override Tensor forward(Tensor input) =>
            input.dim() switch
            {
                3 => F.interpolate(input, size, scale_factor, mode),
                4 => F.interpolate(input, size is { } s ? (s, s) : null, scale_factor is { } f ? (f, f) : null, mode),
                var d => throw new ArgumentException(
                    $"Upsample expects a 3-d [N, C, L] or 4-d [N, C, H, W] input, got {d}-d",
                    nameof(input)
                ),
            };
    }

    public sealed class Flatten(long start_dim = 1, long end_dim = -1) : nn.Module<Tensor, Tensor>
    {
        public override Tensor forward(Tensor input) => input.flatten(start_dim, end_dim);
    }

    /// <summary>Returns its input (a new handle on it).</summary>
    public sealed class Identity : nn.Module<Tensor, Tensor>
    {
        public override Tensor forward(Tensor input) => input.alias();
    }

    /// <summary>
    /// Children applied in order, named "0", "1", ... (or by the names given). Intermediate results are disposed as it
    /// goes.
    /// </summary>
    public sealed class Sequential : nn.Module<Tensor, Tensor>
    {
        private readonly List<nn.Module<Tensor, Tensor>> layers = [];

        public Sequential(params nn.Module<Tensor, Tensor>[] modules)
        {
            foreach (var module in modules)
                append(module);
        }

        public Sequential(params (string name, nn.Module<Tensor, Tensor> module)[] modules)
        {
            foreach (var (name, module) in modules)
            {
                register_module(name, module);
                layers.Add(module);
            }
        }

        public int Count => layers.Count;
        public nn.Module<Tensor, Tensor> this[int index] => layers[index];

        public Sequential append(nn.Module<Tensor, Tensor> module)
        {
            register_module(layers.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), module);
            layers.Add(module);
            return this;
        }

        public override Tensor forward(Tensor input)
        {
            var x = input;
            foreach (var layer in layers)
            {
                var y = layer.call(x);
                // Autograd keeps what it needs inside libtorch, so our handle on an intermediate can go now.
                if (!ReferenceEquals(x, input) && !ReferenceEquals(x, y))
                    x.Dispose();
                x = y;
            }
            return ReferenceEquals(x, input) ? input.alias() : x;
        }
    }
}

namespace QuakePrune.Torch
{
    using QuakePrune.Torch.Modules;

    public static partial class torch
    {
        public static partial class nn
        {
            public static Conv2d Conv2d(
                long in_channels,
                long out_channels,
                long kernel_size,
                long stride = 1,
                long padding = 0,
                long dilation = 1,
                long groups = 1,
                bool bias = true,
                ScalarType dtype = ScalarType.Float32,
                Device? device = null
            ) =>
                new(
                    in_channels,
                    out_channels,
                    (kernel_size, kernel_size),
                    (stride, stride),
                    (padding, padding),
                    (dilation, dilation),
                    groups,
                    bias,
                    dtype,
                    device
                );

            public static Conv2d Conv2d(
                long in_channels,
                long out_channels,
                (long, long) kernel_size,
                (long, long) stride,
                (long, long) padding,
                long groups = 1,
                bool bias = true
            ) => new(in_channels, out_channels, kernel_size, stride, padding, (1, 1), groups, bias);

            public static Conv1d Conv1d(
                long in_channels,
                long out_channels,
                long kernel_size,
                long stride = 1,
                long padding = 0,
                long dilation = 1,
                long groups = 1,
                bool bias = true,
                ScalarType dtype = ScalarType.Float32,
                Device? device = null
            ) => new(in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias, dtype, device);

            public static Linear Linear(
                long in_features,
                long out_features,
                bool bias = true,
                ScalarType dtype = ScalarType.Float32,
                Device? device = null
            ) => new(in_features, out_features, bias, dtype, device);

            public static BatchNorm2d BatchNorm2d(
                long num_features,
                double eps = 1e-5,
                double? momentum = 0.1,
                bool affine = true,
                bool track_running_stats = true,
                ScalarType dtype = ScalarType.Float32,
                Device? device = null
            ) => new(num_features, eps, momentum, affine, track_running_stats, dtype, device);

            public static BatchNorm1d BatchNorm1d(
                long num_features,
                double eps = 1e-5,
                double? momentum = 0.1,
                bool affine = true,
                bool track_running_stats = true,
                ScalarType dtype = ScalarType.Float32,
                Device? device = null
            ) => new(num_features, eps, momentum, affine, track_running_stats, dtype, device);

            public static ReLU ReLU(bool inplace = false) => new(inplace);

            public static MaxPool2d MaxPool2d(
                long kernel_size,
                long? stride = null,
                long padding = 0,
                long dilation = 1,
                bool ceil_mode = false
            ) =>
                new(
                    (kernel_size, kernel_size),
                    stride is { } s ? (s, s) : null,
                    (padding, padding),
                    (dilation, dilation),
                    ceil_mode
                );

            public static MaxPool1d MaxPool1d(
                long kernel_size,
                long? stride = null,
                long padding = 0,
                long dilation = 1,
                bool ceil_mode = false
            ) => new(kernel_size, stride, padding, dilation, ceil_mode);

            public static AvgPool2d AvgPool2d(long kernel_size, long? stride = null, long padding = 0) =>
                new(kernel_size, stride, padding);

            public static AdaptiveAvgPool2d AdaptiveAvgPool2d(long output_size) => new((output_size, output_size));

            public static AdaptiveAvgPool2d AdaptiveAvgPool2d((long, long) output_size) => new(output_size);

            public static Dropout Dropout(double p = 0.5) => new(p);

            public static Dropout1d Dropout1d(double p = 0.5) => new(p);

            public static Dropout2d Dropout2d(double p = 0.5) => new(p);

            public static Upsample Upsample(long? size = null, double? scale_factor = null, string mode = "nearest") =>
                new(size, scale_factor, mode);

            public static Flatten Flatten(long start_dim = 1, long end_dim = -1) => new(start_dim, end_dim);

            public static Identity Identity() => new();

            public static Sequential Sequential(params Module<Tensor, Tensor>[] modules) => new(modules);

            public static Sequential Sequential(params (string name, Module<Tensor, Tensor> module)[] modules) =>
                new(modules);
        }
    }
}
