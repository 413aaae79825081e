using static QuakePrune.Torch.torch;

namespace QuakePrune.Torch.Modules
{
    /// <summary>
    /// EQTransformer's additive self-attention over [N, C, T] (SeisBench's SeqSelfAttention, Keras' SeqSelfAttention):
    /// for times t, s h = tanh(x_t Wt + x_s Wx + bh), e_ts = h Wa + ba, weights a_ts = exp(e_ts - max_s e_ts) / (sum_s
    /// exp(...) + eps), optionally only over a local window of <see cref="attention_width"/> times around t, and
    /// output_t = sum_s a_ts x_s, back as [N, C, T]. Returns (output, weights [N, T, T]). Parameter names and shapes
    /// are SeisBench's (Wx, Wt [input, units], bh [units], Wa [units, 1], ba [1]), so state dicts match; they start as
    /// SeisBench's do (U(-0.02, 0.02) weights, zero biases).
    /// </summary>
    public sealed class AdditiveSelfAttention : nn.Module<Tensor, (Tensor output, Tensor weights)>
    {
        public AdditiveSelfAttention(
            long input_size,
            long units = 32,
            long? attention_width = null,
            double eps = 1e-5,
            ScalarType dtype = ScalarType.Float32,
            Device? device = null
        )
        {
            if (input_size < 1 || units < 1)
                throw new ArgumentException(
                    $"AdditiveSelfAttention: input_size {input_size} and units {units} must be positive"
                );
            if (attention_width is < 1)
                throw new ArgumentException(
                    $"AdditiveSelfAttention: attention_width {attention_width} must be positive"
                );
            (this.input_size, this.units, this.attention_width, this.eps) = (input_size, units, attention_width, eps);
            nn.init.uniform_(register_parameter("Wx", empty([input_size, units], dtype, device)), -0.02, 0.02);
            nn.init.uniform_(register_parameter("Wt", empty([input_size, units], dtype, device)), -0.02, 0.02);
            register_parameter("bh", zeros([units], dtype, device));
            nn.init.uniform_(register_parameter("Wa", empty([units, 1], dtype, device)), -0.02, 0.02);
            register_parameter("ba", zeros([1], dtype, device));
        }

        public long input_size { get; }
        public long units { get; }

        /// <summary>
        /// Null: every time attends to all times. Else time t attends to s in (t - width + width/2, t + width/2], as
        /// SeisBench.
        /// </summary>
        public long? attention_width { get; }

        public double eps { get; }
        public Tensor Wx => get_parameter("Wx");
        public Tensor Wt => get_parameter("Wt");
        public Tensor bh => get_parameter("bh");
        public Tensor Wa => get_parameter("Wa");
        public Tensor ba => get_parameter("ba");

        public override (Tensor output, Tensor weights) forward(Tensor input)
        {
            if (input.dim() != 3 || input.size(1) != input_size)
                throw new ArgumentException(
                    $"AdditiveSelfAttention expects [N, {input_size}, T], got [{string.Join(", ", input.shape)}]",
                    nameof(input)
                );
            using var scope = NewDisposeScope();
            var x = input.permute(0, 2, 1);
            var query = x.matmul(Wt).unsqueeze(2);
            var key = x.matmul(Wx).unsqueeze(1);
            var hidden = query.add(key).add(bh).tanh();
            var emissions = hidden.matmul(Wa).add(ba).squeeze(-1);
            var (largest, _) = emissions.max(-1, keepdim: true);
            var scores = emissions.sub(largest).exp();
            if (attention_width is { } width)
                scores = scores.masked_fill(OutsideWindow(x.size(1), width, input.device), 0);
            var weights = scores.div(scores.sum(-1, keepdim: true).add(eps));
            var output = weights.matmul(x).permute(0, 2, 1);
            return (output.MoveToOuterScope(), weights.MoveToOuterScope());
        }

        /// <summary>
        /// [T, T] mask, true where time t (row) may not attend to time s (column): outside [s - width/2, s - width/2 +
        /// width).
        /// </summary>
        private static Tensor OutsideWindow(long times, long width, Device device)
        {
            var mask = new bool[times * times];
            for (long t = 0; t < times; t++)
            for (long s = 0; s < times; s++)
            {
                var lower = s - width / 2;
                mask[t * times + s] = t < lower || t >= lower + width;
            }
            return tensor(mask, [times, times], device);
        }
    }

    /// <summary>
    /// EQTransformer's layer normalisation over the channel axis of [N, C, T] (SeisBench's LayerNormalization): each
    /// time step's C values are normalised to mean 0 and variance 1 (the biased variance, plus eps inside the square
    /// root), then scaled by gamma and shifted by beta, both [C, 1] (SeisBench's names and shapes).
    /// </summary>
    public sealed class ChannelLayerNorm : nn.Module<Tensor, Tensor>
    {
        public ChannelLayerNorm(
            long filters,
            double eps = 1e-14,
            ScalarType dtype = ScalarType.Float32,
            Device? device = null
        )
        {
            if (filters < 1)
                throw new ArgumentException($"ChannelLayerNorm: filters {filters} must be positive");
            (this.filters, this.eps) = (filters, eps);
            register_parameter("gamma", ones([filters, 1], dtype, device));
            register_parameter("beta", zeros([filters, 1], dtype, device));
        }

        public long filters { get; }
        public double eps { get; }
        public Tensor gamma => get_parameter("gamma");
        public Tensor beta => get_parameter("beta");

        public override Tensor forward(Tensor input)
        {
            if (input.dim() != 3 || input.size(1) != filters)
                throw new ArgumentException(
                    $"ChannelLayerNorm expects [N, {filters}, T], got [{string.Join(", ", input.shape)}]",
                    nameof(input)
                );
            using var scope = NewDisposeScope();
            var centred = input.sub(input.mean(1, keepdim: true));
            var deviation = centred.square().mean(1, keepdim: true).add(eps).sqrt();
            return centred.div(deviation).mul(gamma).add(beta).MoveToOuterScope();
        }
    }

    /// <summary>
    /// EQTransformer's feed-forward over [N, C, T] (SeisBench's FeedForward): at each time step,
    /// lin2(dropout(relu(lin1(x)))) with lin1 [hidden, C] and lin2 [C, hidden], PyTorch's Linear initialisation;
    /// returns [N, C, T].
    /// </summary>
    public sealed class PositionwiseFeedForward : nn.Module<Tensor, Tensor>
    {
        public PositionwiseFeedForward(
            long io_size,
            double drop_rate,
            long hidden_size = 128,
            ScalarType dtype = ScalarType.Float32,
            Device? device = null
        )
        {
            lin1 = register_module("lin1", new Linear(io_size, hidden_size, true, dtype, device));
            lin2 = register_module("lin2", new Linear(hidden_size, io_size, true, dtype, device));
            dropout = register_module("dropout", new Dropout(drop_rate));
        }

        public Linear lin1 { get; }
        public Linear lin2 { get; }
        public Dropout dropout { get; }

        public override Tensor forward(Tensor input)
        {
            if (input.dim() != 3 || input.size(1) != lin1.in_features)
                throw new ArgumentException(
                    $"PositionwiseFeedForward expects [N, {lin1.in_features}, T], got [{string.Join(", ", input.shape)}]",
                    nameof(input)
                );
            using var scope = NewDisposeScope();
            var hidden = dropout.call(lin1.call(input.permute(0, 2, 1)).relu_());
            return lin2.call(hidden).permute(0, 2, 1).MoveToOuterScope();
        }
    }
}
