using static QuakePrune.Torch.torch;

namespace QuakePrune.Torch.Modules
{
    /// <summary>
    /// What LSTM and GRU share, as PyTorch's RNNBase: the parameters per layer and direction, named and shaped as
    /// PyTorch names them (weight_ih_l{k}[_reverse] [gates * hidden, input], weight_hh_l{k}[_reverse] [gates * hidden,
    /// hidden], bias_ih_l{k}[_reverse] and bias_hh_l{k}[_reverse] [gates * hidden]), registered in PyTorch's order and
    /// initialised as PyTorch does: every parameter U(-1/sqrt(hidden), 1/sqrt(hidden)). Layers after the first read
    /// hidden * directions features. The whole sequence runs in one libtorch call (at::lstm, at::gru) that receives the
    /// parameters as PyTorch's flat weight list.
    /// </summary>
    public abstract class RecurrentBase : nn.Module
    {
        private readonly List<string> flatWeightNames = [];

        protected RecurrentBase(
            string mode,
            long gates,
            long input_size,
            long hidden_size,
            long num_layers,
            bool bias,
            bool batch_first,
            double dropout,
            bool bidirectional,
            ScalarType dtype,
            Device? device
        )
        {
            if (input_size < 1 || hidden_size < 1 || num_layers < 1)
                throw new ArgumentException(
                    $"{mode}: input_size {input_size}, hidden_size {hidden_size} and num_layers {num_layers} must be positive"
                );
            if (dropout is < 0 or > 1 || double.IsNaN(dropout))
                throw new ArgumentOutOfRangeException(
                    nameof(dropout),
                    dropout,
                    $"{mode}: dropout between layers must be in [0, 1]"
                );
            (
                this.input_size,
                this.hidden_size,
                this.num_layers,
                this.bias,
                this.batch_first,
                this.dropout,
                this.bidirectional
            ) = (input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional);
            var bound = 1 / Math.Sqrt(hidden_size);
            for (long layer = 0; layer < num_layers; layer++)
            {
                var layerInput = layer == 0 ? input_size : hidden_size * num_directions;
                for (var direction = 0; direction < num_directions; direction++)
                {
                    var suffix = $"_l{layer}{(direction == 1 ? "_reverse" : "")}";
                    Add("weight_ih" + suffix, [gates * hidden_size, layerInput]);
                    Add("weight_hh" + suffix, [gates * hidden_size, hidden_size]);
                    if (!bias)
                        continue;
                    Add("bias_ih" + suffix, [gates * hidden_size]);
                    Add("bias_hh" + suffix, [gates * hidden_size]);
                }
            }

            void Add(string name, long[] shape)
            {
                nn.init.uniform_(register_parameter(name, empty(shape, dtype, device)), -bound, bound);
                flatWeightNames.Add(name);
            }
        }

        public long input_size { get; }
        public long hidden_size { get; }
        public long num_layers { get; }
        public bool bias { get; }
        public bool batch_first { get; }
        public double dropout { get; }
        public bool bidirectional { get; }
        public long num_directions => bidirectional ? 2 : 1;

        /// <summary>PyTorch's _flat_weights_names: the parameter names in the order libtorch reads them.</summary>
        public IReadOnlyList<string> flat_weights_names => flatWeightNames;

        /// <summary>The parameters in libtorch's order (the module's own tensors: do not dispose them).</summary>
        public IReadOnlyList<Tensor> flat_weights => flatWeightNames.Select(get_parameter).ToList();

        /// <summary>
        /// Checks the input ([L, N, input] or [N, L, input] when batch_first; [L, input] unbatched); true when
        /// unbatched.
        /// </summary>
        protected bool CheckInput(Tensor input, string mode)
        {
            var shape = input.shape;
            if (shape.Length is not (2 or 3))
                throw new ArgumentException(
                    $"{mode}: expected a 2-d (unbatched) or 3-d input, got shape [{string.Join(", ", shape)}]",
                    nameof(input)
                );
            if (shape[^1] != input_size)
                throw new ArgumentException(
                    $"{mode}: input.size(-1) must equal input_size {input_size}, got shape [{string.Join(", ", shape)}]",
                    nameof(input)
                );
            return shape.Length == 2;
        }

        /// <summary>
        /// Checks a given initial state against [layers * directions, N, hidden] ([layers * directions, hidden]
        /// unbatched).
        /// </summary>
        protected void CheckState(Tensor state, string name, long batch, bool unbatched, string mode)
        {
            long[] expected = unbatched
                ? [num_layers * num_directions, hidden_size]
                : [num_layers * num_directions, batch, hidden_size];
            if (!state.shape.SequenceEqual(expected))
                throw new ArgumentException(
                    $"{mode}: the initial state {name} must have shape [{string.Join(", ", expected)}], got [{string.Join(", ", state.shape)}]",
                    name
                );
        }

        protected long BatchSize(Tensor input, bool unbatched) => unbatched ? 1 : input.size(batch_first ? 0 : 1);
    }

    /// <summary>
    /// Long short-term memory over a sequence, as torch.nn.LSTM (no projections): input [L, N, input] ([N, L, input]
    /// when batch_first; [L, input] unbatched), returns the output [L, N, directions * hidden] and the final states
    /// h_n, c_n [layers * directions, N, hidden]. Initial states default to zeros. In training,
    /// <see cref="RecurrentBase.dropout"/> applies between layers.
    /// </summary>
    public sealed class LSTM(
        long input_size,
        long hidden_size,
        long num_layers = 1,
        bool bias = true,
        bool batch_first = false,
        double dropout = 0,
        bool bidirectional = false,
        ScalarType dtype = ScalarType.Float32,
        Device? device = null
    )
        : RecurrentBase(
            "LSTM",
            4,
            input_size,
            hidden_size,
            num_layers,
            bias,
            batch_first,
            dropout,
            bidirectional,
            dtype,
            device
        )
    {
        public (Tensor output, Tensor h_n, Tensor c_n) call(Tensor input, (Tensor h0, Tensor c0)? hx = null) =>
            forward(input, hx);

        public (Tensor output, Tensor h_n, Tensor c_n) forward(Tensor input, (Tensor h0, Tensor c0)? hx = null)
        {
            var unbatched = CheckInput(input, "LSTM");
            var batch = BatchSize(input, unbatched);
            using var scope = NewDisposeScope();
            Tensor h0,
                c0;
            if (hx is { } state)
            {
                var (h, c) = state;
                CheckState(h, "h0", batch, unbatched, "LSTM");
                CheckState(c, "c0", batch, unbatched, "LSTM");
                (h0, c0) = unbatched ? (h.unsqueeze(1), c.unsqueeze(1)) : (h, c);
            }
            else
            {
                h0 = zeros([num_layers * num_directions, batch, hidden_size], input.dtype, input.device);
                c0 = zeros([num_layers * num_directions, batch, hidden_size], input.dtype, input.device);
            }
            var x = unbatched ? input.unsqueeze(batch_first ? 0 : 1) : input;
            var (output, hN, cN) = torch.lstm(
                x,
                [h0, c0],
                flat_weights,
                bias,
                num_layers,
                dropout,
                training,
                bidirectional,
                batch_first
            );
            if (unbatched)
                (output, hN, cN) = (output.squeeze(batch_first ? 0 : 1), hN.squeeze(1), cN.squeeze(1));
            return (output.MoveToOuterScope(), hN.MoveToOuterScope(), cN.MoveToOuterScope());
        }
    }

    /// <summary>
    /// Gated recurrent unit over a sequence, as torch.nn.GRU: the same shapes as <see cref="LSTM"/>, with three gates
    /// (reset, update, new) and one state, returning the output and h_n.
    /// </summary>
    public sealed class GRU(
        long input_size,
        long hidden_size,
        long num_layers = 1,
        bool bias = true,
        bool batch_first = false,
        double dropout = 0,
        bool bidirectional = false,
        ScalarType dtype = ScalarType.Float32,
        Device? device = null
    )
        : RecurrentBase(
            "GRU",
            3,
            input_size,
            hidden_size,
            num_layers,
            bias,
            batch_first,
            dropout,
            bidirectional,
            dtype,
            device
        )
    {
        public (Tensor output, Tensor h_n) call(Tensor input, Tensor? hx = null) => forward(input, hx);

        public (Tensor output, Tensor h_n) forward(Tensor input, Tensor? hx = null)
        {
            var unbatched = CheckInput(input, "GRU");
            var batch = BatchSize(input, unbatched);
            using var scope = NewDisposeScope();
            Tensor h0;
            if (hx is not null)
            {
                CheckState(hx, "h0", batch, unbatched, "GRU");
                h0 = unbatched ? hx.unsqueeze(1) : hx;
            }
            else
                h0 = zeros([num_layers * num_directions, batch, hidden_size], input.dtype, input.device);
            var x = unbatched ? input.unsqueeze(batch_first ? 0 : 1) : input;
            var (output, hN) = torch.gru(
                x,
                h0,
                flat_weights,
                bias,
                num_layers,
                dropout,
                training,
                bidirectional,
                batch_first
            );
            if (unbatched)
                (output, hN) = (output.squeeze(batch_first ? 0 : 1), hN.squeeze(1));
            return (output.MoveToOuterScope(), hN.MoveToOuterScope());
        }
    }
}

namespace QuakePrune.Torch
{
    using QuakePrune.Torch.Modules;

    public static partial class torch
    {
        /// <summary>
        /// at::lstm: a whole (stacked, optionally bidirectional) LSTM in one call. <paramref name="hx"/> is (h0, c0);
        /// <paramref name="params"/> is PyTorch's flat weight list (per layer, per direction: weight_ih, weight_hh[,
        /// bias_ih, bias_hh]).
        /// </summary>
        public static (Tensor output, Tensor h_n, Tensor c_n) lstm(
            Tensor input,
            IReadOnlyList<Tensor> hx,
            IReadOnlyList<Tensor> @params,
            bool has_biases,
            long num_layers,
            double dropout,
            bool train,
            bool bidirectional,
            bool batch_first
        )
        {
            IntPtr output = IntPtr.Zero,
                hN = IntPtr.Zero,
                cN = IntPtr.Zero;
            Native.Check(
                Tensor.CallWithHandles([.. hx, .. @params], handles =>
                    Native.qp_lstm(
                        input.Handle,
                        handles.AsSpan(0, hx.Count),
                        hx.Count,
                        handles.AsSpan(hx.Count),
                        @params.Count,
                        has_biases ? 1 : 0,
                        num_layers,
                        dropout,
                        train ? 1 : 0,
                        bidirectional ? 1 : 0,
                        batch_first ? 1 : 0,
                        out output,
                        out hN,
                        out cN
                    )
                )
            );
            return (new Tensor(output), new Tensor(hN), new Tensor(cN));
        }

        /// <summary>
        /// at::gru: a whole (stacked, optionally bidirectional) GRU in one call; <paramref name="params"/> as for
        /// <see cref="lstm"/>.
        /// </summary>
        public static (Tensor output, Tensor h_n) gru(
            Tensor input,
            Tensor hx,
            IReadOnlyList<Tensor> @params,
            bool has_biases,
            long num_layers,
            double dropout,
            bool train,
            bool bidirectional,
            bool batch_first
        )
        {
            IntPtr output = IntPtr.Zero,
                hN = IntPtr.Zero;
            Native.Check(
                Tensor.CallWithHandles(@params, handles =>
                    Native.qp_gru(
                        input.Handle,
                        hx.Handle,
                        handles,
                        handles.Length,
                        has_biases ? 1 : 0,
                        num_layers,
                        dropout,
                        train ? 1 : 0,
                        bidirectional ? 1 : 0,
                        batch_first ? 1 : 0,
                        out output,
                        out hN
                    )
                )
            );
            return (new Tensor(output), new Tensor(hN));
        }

        public static partial class nn
        {
            public static LSTM LSTM(
                long input_size,
                long hidden_size,
                long num_layers = 1,
                bool bias = true,
                bool batch_first = false,
                double dropout = 0,
                bool bidirectional = false,
                ScalarType dtype = ScalarType.Float32,
                Device? device = null
            ) => new(input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional, dtype, device);

            public static GRU GRU(
                long input_size,
                long hidden_size,
                long num_layers = 1,
                bool bias = true,
                bool batch_first = false,
                double dropout = 0,
                bool bidirectional = false,
                ScalarType dtype = ScalarType.Float32,
                Device? device = null
            ) => new(input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional, dtype, device);
        }
    }
}
