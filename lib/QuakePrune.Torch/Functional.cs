namespace QuakePrune.Torch;

public static partial class torch
{
    public static partial class nn
    {
        /// <summary>How a loss reduces over the batch (libtorch's at::Reduction codes).</summary>
        public enum Reduction
        {
            None = 0,
            Mean = 1,
            Sum = 2,
        }

        /// <summary>torch.nn.functional: stateless layers and losses.</summary>
        public static class functional
        {
            private static TensorHandle Optional(Tensor? tensor) => tensor?.Handle ?? TensorHandle.Undefined;

            public static Tensor conv2d(
                Tensor input,
                Tensor weight,
                Tensor? bias = null,
                long stride = 1,
                long padding = 0,
                long dilation = 1,
                long groups = 1
            ) => conv2d(input, weight, bias, (stride, stride), (padding, padding), (dilation, dilation), groups);

            public static Tensor conv2d(
                Tensor input,
                Tensor weight,
                Tensor? bias,
                (long, long) stride,
                (long, long) padding,
                (long, long) dilation,
                long groups = 1
            ) =>
                new(
                    Native.qp_conv2d(
                        input.Handle,
                        weight.Handle,
                        Optional(bias),
                        [stride.Item1, stride.Item2],
                        [padding.Item1, padding.Item2],
                        [dilation.Item1, dilation.Item2],
                        groups
                    )
                );

            /// <summary>1-d convolution of [N, C, L] (or unbatched [C, L]) with weight [out, in/groups, k].</summary>
            public static Tensor conv1d(
                Tensor input,
                Tensor weight,
                Tensor? bias = null,
                long stride = 1,
                long padding = 0,
                long dilation = 1,
                long groups = 1
            ) =>
                new(
                    Native.qp_conv1d(
                        input.Handle,
                        weight.Handle,
                        Optional(bias),
                        [stride],
                        [padding],
                        [dilation],
                        groups
                    )
                );

            /// <summary>
            /// Batch normalisation; in training the running statistics (when given) are updated in place with
            /// <paramref name="momentum"/>.
            /// </summary>
            public static Tensor batch_norm(
                Tensor input,
                Tensor? running_mean,
                Tensor? running_var,
                Tensor? weight = null,
                Tensor? bias = null,
                bool training = false,
                double momentum = 0.1,
                double eps = 1e-5
            ) =>
                new(
                    Native.qp_batch_norm(
                        input.Handle,
                        Optional(weight),
                        Optional(bias),
                        Optional(running_mean),
                        Optional(running_var),
                        training ? 1 : 0,
                        momentum,
                        eps
                    )
                );

            /// <summary>
            /// The batch norm kernel's backward pass for an output normalised with the given
            /// <paramref name="mean"/> and (biased) <paramref name="variance"/> as constants: the input's gradient
            /// (grad * weight / sqrt(variance + eps)), the weight's (the sum of grad times the normalised input) and
            /// the bias's (the sum of grad), per channel. A synchronised batch norm adds the rest itself.
            /// </summary>
            internal static (Tensor Input, Tensor Weight, Tensor Bias) batch_norm_backward(
                Tensor grad,
                Tensor input,
                Tensor weight,
                Tensor mean,
                Tensor variance,
                double eps
            )
            {
                Native.Check(
                    Native.qp_native_batch_norm_backward(
                        grad.Handle,
                        input.Handle,
                        weight.Handle,
                        mean.Handle,
                        variance.Handle,
                        TensorHandle.Undefined,
                        TensorHandle.Undefined,
                        0,
                        eps,
                        out var gradInput,
                        out var gradWeight,
                        out var gradBias
                    )
                );
                return (new Tensor(gradInput), new Tensor(gradWeight), new Tensor(gradBias));
            }

            public static Tensor linear(Tensor input, Tensor weight, Tensor? bias = null) =>
                new(Native.qp_linear(input.Handle, weight.Handle, Optional(bias)));

            public static Tensor relu(Tensor input, bool inplace = false) => inplace ? input.relu_() : input.relu();

            public static Tensor max_pool2d(
                Tensor input,
                long kernel_size,
                long? stride = null,
                long padding = 0,
                long dilation = 1,
                bool ceil_mode = false
            ) =>
                max_pool2d(
                    input,
                    (kernel_size, kernel_size),
                    stride is { } s ? (s, s) : null,
                    (padding, padding),
                    (dilation, dilation),
                    ceil_mode
                );

            public static Tensor max_pool2d(
                Tensor input,
                (long, long) kernel_size,
                (long, long)? stride,
                (long, long) padding,
                (long, long) dilation,
                bool ceil_mode = false
            )
            {
                var st = stride ?? kernel_size;
                return new Tensor(
                    Native.qp_max_pool2d(
                        input.Handle,
                        [kernel_size.Item1, kernel_size.Item2],
                        [st.Item1, st.Item2],
                        [padding.Item1, padding.Item2],
                        [dilation.Item1, dilation.Item2],
                        ceil_mode ? 1 : 0
                    )
                );
            }

            /// <summary>1-d max pooling of [N, C, L] (or [C, L]); the stride defaults to the kernel size.</summary>
            public static Tensor max_pool1d(
                Tensor input,
                long kernel_size,
                long? stride = null,
                long padding = 0,
                long dilation = 1,
                bool ceil_mode = false
            ) =>
                new(
                    Native.qp_max_pool1d(
                        input.Handle,
                        [kernel_size],
                        [stride ?? kernel_size],
                        [padding],
                        [dilation],
                        ceil_mode ? 1 : 0
                    )
                );

            public static Tensor avg_pool2d(
                Tensor input,
                long kernel_size,
                long? stride = null,
                long padding = 0,
                bool ceil_mode = false,
                bool count_include_pad = true
            )
            {
                var st = stride ?? kernel_size;
                return new Tensor(
                    Native.qp_avg_pool2d(
                        input.Handle,
                        [kernel_size, kernel_size],
                        [st, st],
                        [padding, padding],
                        ceil_mode ? 1 : 0,
                        count_include_pad ? 1 : 0
                    )
                );
            }

            public static Tensor adaptive_avg_pool2d(Tensor input, long output_size) =>
                adaptive_avg_pool2d(input, (output_size, output_size));

            public static Tensor adaptive_avg_pool2d(Tensor input, (long, long) output_size) =>
                new(Native.qp_adaptive_avg_pool2d(input.Handle, [output_size.Item1, output_size.Item2]));

            public static Tensor dropout(Tensor input, double p = 0.5, bool training = true)
            {
                if (p is < 0 or > 1)
                    throw new ArgumentOutOfRangeException(nameof(p), p, "dropout probability must be in [0, 1]");
                return new Tensor(Native.qp_dropout(input.Handle, p, training ? 1 : 0));
            }

            /// <summary>
            /// Dropout of whole channels: each [L] row of an [N, C, L] input (or of an unbatched [C, L] one) is zeroed
            /// with probability p in training, the rest scaled by 1/(1-p); the identity otherwise. Keras'
            /// SpatialDropout1D.
            /// </summary>
            public static Tensor dropout1d(Tensor input, double p = 0.5, bool training = true)
            {
                CheckProbability(p);
                var dims = input.dim();
                if (dims is not (2 or 3))
                    throw new ArgumentException(
                        $"dropout1d expects a 2-d [C, L] or 3-d [N, C, L] input, got {dims}-d",
                        nameof(input)
                    );
                if (dims == 3)
                    return new Tensor(Native.qp_feature_dropout(input.Handle, p, training ? 1 : 0));
                using var batched = input.unsqueeze(0);
                using var dropped = new Tensor(Native.qp_feature_dropout(batched.Handle, p, training ? 1 : 0));
                return dropped.squeeze(0);
            }

            /// <summary>
            /// Dropout of whole channels of [N, C, H, W]; a 3-d input is read as [N, C, L], as PyTorch 1.13 does (so it
            /// equals <see cref="dropout1d"/> there).
            /// </summary>
            public static Tensor dropout2d(Tensor input, double p = 0.5, bool training = true)
            {
                CheckProbability(p);
                if (input.dim() is not (3 or 4))
                    throw new ArgumentException(
                        $"dropout2d expects a 4-d [N, C, H, W] (or 3-d [N, C, L]) input, got {input.dim()}-d",
                        nameof(input)
                    );
                return new Tensor(Native.qp_feature_dropout(input.Handle, p, training ? 1 : 0));
            }

            private static void CheckProbability(double p)
            {
                if (p is < 0 or > 1 || double.IsNaN(p))
                    throw new ArgumentOutOfRangeException(nameof(p), p, "dropout probability must be in [0, 1]");
            }

            /// <summary>
            /// F.pad: <paramref name="pad"/> holds (before, after) pairs from the last dimension backwards, so [0, 1]
            /// adds one element at the end of the last dimension (negative values crop). Modes: "constant" (with
            /// <paramref name="value"/>, 0 when absent), "reflect", "replicate", "circular".
            /// </summary>
            public static Tensor pad(Tensor input, long[] pad, string mode = "constant", double? value = null)
            {
                if (pad.Length == 0 || pad.Length % 2 != 0)
                    throw new ArgumentException(
                        $"pad needs (before, after) pairs, got {pad.Length} values",
                        nameof(pad)
                    );
                if (mode is not ("constant" or "reflect" or "replicate" or "circular"))
                    throw new ArgumentException(
                        $"unknown padding mode '{mode}': expected constant, reflect, replicate or circular",
                        nameof(mode)
                    );
                if (value is not null && mode != "constant")
                    throw new ArgumentException(
                        $"padding mode '{mode}' takes no value; only constant padding does",
                        nameof(value)
                    );
                return new Tensor(
                    Native.qp_pad(input.Handle, pad, pad.Length, mode, value ?? 0, value is null ? 0 : 1)
                );
            }

            /// <summary>
            /// Cross entropy of logits [N, C] against class indices [N] (int64), with optional class weights and label
            /// smoothing.
            /// </summary>
            public static Tensor cross_entropy(
                Tensor input,
                Tensor target,
                Tensor? weight = null,
                long ignore_index = -100,
                Reduction reduction = Reduction.Mean,
                double label_smoothing = 0.0
            ) =>
                new(
                    Native.qp_cross_entropy(
                        input.Handle,
                        target.Handle,
                        Optional(weight),
                        (long)reduction,
                        ignore_index,
                        label_smoothing
                    )
                );

            public static Tensor nll_loss(
                Tensor input,
                Tensor target,
                Tensor? weight = null,
                long ignore_index = -100,
                Reduction reduction = Reduction.Mean
            ) => new(Native.qp_nll_loss(input.Handle, target.Handle, Optional(weight), (long)reduction, ignore_index));

            /// <summary>
            /// Binary cross-entropy of sigmoid(<paramref name="input"/>) against <paramref name="target"/>, computed
            /// from the logits (log-sum-exp): finite, with the gradient sigmoid(x) - y, however far the sigmoid has
            /// saturated.
            /// </summary>
            public static Tensor binary_cross_entropy_with_logits(
                Tensor input,
                Tensor target,
                Reduction reduction = Reduction.Mean
            ) => new(Native.qp_binary_cross_entropy_with_logits(input.Handle, target.Handle, (long)reduction));

            public static Tensor mse_loss(Tensor input, Tensor target, Reduction reduction = Reduction.Mean) =>
                new(Native.qp_mse_loss(input.Handle, target.Handle, (long)reduction));

            public static Tensor softmax(Tensor input, long dim) => input.softmax(dim);

            public static Tensor log_softmax(Tensor input, long dim) => input.log_softmax(dim);

            /// <summary>
            /// Resizes [N, C, H, W] images to <paramref name="size"/>, or by <paramref name="scale_factor"/> (output
            /// floor(in * scale), the scale passed on to the kernel as PyTorch does). Modes: "bilinear" (align_corners
            /// false unless given) and "nearest".
            /// </summary>
            public static Tensor interpolate(
                Tensor input,
                (long, long)? size = null,
                (double, double)? scale_factor = null,
                string mode = "nearest",
                bool? align_corners = null
            )
            {
                if (input.dim() != 4)
                    throw new ArgumentException(
                        $"interpolate needs a 4-d [N, C, H, W] input, got {input.dim()}-d",
                        nameof(input)
                    );
                if ((size is null) == (scale_factor is null))
                    throw new ArgumentException("interpolate needs exactly one of size and scale_factor");
                var shape = input.shape;
                double scaleH = 0,
                    scaleW = 0;
                long[] output;
                if (size is { } s)
                    output = [s.Item1, s.Item2];
                else
                {
                    (scaleH, scaleW) = scale_factor!.Value;
                    output = [(long)Math.Floor(shape[2] * scaleH), (long)Math.Floor(shape[3] * scaleW)];
                }
                return mode switch
                {
                    "bilinear" => new Tensor(
                        Native.qp_upsample_bilinear2d(
                            input.Handle,
                            output,
                            align_corners == true ? 1 : 0,
                            scaleH,
                            scaleW
                        )
                    ),
                    "nearest" when align_corners is not null => throw new ArgumentException(
                        "align_corners only applies to bilinear interpolation"
                    ),
                    "nearest" => new Tensor(Native.qp_upsample_nearest2d(input.Handle, output, scaleH, scaleW)),
                    _ => throw new ArgumentException(
                        $"unknown interpolation mode '{mode}': expected bilinear or nearest",
                        nameof(mode)
                    ),
                };
            }

            /// <summary>
            /// Resizes [N, C, L] sequences to <paramref name="size"/> samples, or by <paramref name="scale_factor"/>
            /// (output floor(L * scale), the scale passed on to the kernel as PyTorch does, which decides the source of
            /// each output sample). Mode "nearest".
            /// </summary>
            public static Tensor interpolate(
                Tensor input,
                long? size = null,
                double? scale_factor = null,
                string mode = "nearest"
            )
            {
                if (input.dim() != 3)
                    throw new ArgumentException(
                        $"1-d interpolate needs a 3-d [N, C, L] input, got {input.dim()}-d",
                        nameof(input)
                    );
                if ((size is null) == (scale_factor is null))
                    throw new ArgumentException("interpolate needs exactly one of size and scale_factor");
                if (mode != "nearest")
                    throw new ArgumentException(
                        $"unsupported 1-d interpolation mode '{mode}': this binding has nearest",
                        nameof(mode)
                    );
                if (size is <= 0 || scale_factor is <= 0 || (scale_factor is { } f && !double.IsFinite(f)))
                    throw new ArgumentException(
                        $"interpolate needs a positive size or scale factor, got size {size}, scale_factor {scale_factor}"
                    );
                var output = size ?? (long)Math.Floor(input.size(2) * scale_factor!.Value);
                return new Tensor(Native.qp_upsample_nearest1d(input.Handle, [output], scale_factor ?? 0));
            }
        }

        /// <summary>
        /// torch.nn.init: in-place initialisers (run without recording gradients), seeded by torch.manual_seed.
        /// </summary>
        public static class init
        {
            public static (long fan_in, long fan_out) calculate_fan_in_and_fan_out(Tensor tensor)
            {
                var shape = tensor.shape;
                if (shape.Length < 2)
                    throw new ArgumentException(
                        $"fan in and fan out need a tensor of at least 2 dims, got [{string.Join(", ", shape)}]"
                    );
                long receptive = 1;
                for (var d = 2; d < shape.Length; d++)
                    receptive *= shape[d];
                return (shape[1] * receptive, shape[0] * receptive);
            }

            public static double calculate_gain(string nonlinearity, double? param = null) =>
                nonlinearity switch
                {
                    "linear" or "conv1d" or "conv2d" or "conv3d" or "sigmoid" => 1.0,
                    "tanh" => 5.0 / 3,
                    "relu" => Math.Sqrt(2.0),
                    "leaky_relu" => Math.Sqrt(2.0 / (1 + Math.Pow(param ?? 0.01, 2))),
                    "selu" => 3.0 / 4,
                    _ => throw new ArgumentException($"unknown nonlinearity '{nonlinearity}'", nameof(nonlinearity)),
                };

            private static Tensor NoGrad(Func<Tensor> fill)
            {
                using var _ = no_grad();
                return fill();
            }

            public static Tensor uniform_(Tensor tensor, double a = 0, double b = 1) =>
                NoGrad(() => tensor.uniform_(a, b));

            public static Tensor normal_(Tensor tensor, double mean = 0, double std = 1) =>
                NoGrad(() => tensor.normal_(mean, std));

            public static Tensor constant_(Tensor tensor, Scalar value) => NoGrad(() => tensor.fill_(value));

            public static Tensor zeros_(Tensor tensor) => NoGrad(tensor.zero_);

            public static Tensor ones_(Tensor tensor) => NoGrad(() => tensor.fill_(1));

            private static double Fan(Tensor tensor, string mode)
            {
                var (fanIn, fanOut) = calculate_fan_in_and_fan_out(tensor);
                return mode switch
                {
                    "fan_in" => fanIn,
                    "fan_out" => fanOut,
                    _ => throw new ArgumentException(
                        $"unknown fan mode '{mode}': expected fan_in or fan_out",
                        nameof(mode)
                    ),
                };
            }

            /// <summary>
            /// He uniform: U(-b, b), b = gain * sqrt(3 / fan). PyTorch's layer default uses a = sqrt(5).
            /// </summary>
            public static Tensor kaiming_uniform_(
                Tensor tensor,
                double a = 0,
                string mode = "fan_in",
                string nonlinearity = "leaky_relu"
            )
            {
                var bound = Math.Sqrt(3.0) * calculate_gain(nonlinearity, a) / Math.Sqrt(Fan(tensor, mode));
                return uniform_(tensor, -bound, bound);
            }

            /// <summary>
            /// He normal: N(0, std), std = gain / sqrt(fan); ResNet uses mode "fan_out", nonlinearity "relu".
            /// </summary>
            public static Tensor kaiming_normal_(
                Tensor tensor,
                double a = 0,
                string mode = "fan_in",
                string nonlinearity = "leaky_relu"
            ) => normal_(tensor, 0, calculate_gain(nonlinearity, a) / Math.Sqrt(Fan(tensor, mode)));

            public static Tensor xavier_uniform_(Tensor tensor, double gain = 1)
            {
                var (fanIn, fanOut) = calculate_fan_in_and_fan_out(tensor);
                var bound = gain * Math.Sqrt(6.0 / (fanIn + fanOut));
                return uniform_(tensor, -bound, bound);
            }

            public static Tensor xavier_normal_(Tensor tensor, double gain = 1)
            {
                var (fanIn, fanOut) = calculate_fan_in_and_fan_out(tensor);
                return normal_(tensor, 0, gain * Math.Sqrt(2.0 / (fanIn + fanOut)));
            }
        }
    }
}
