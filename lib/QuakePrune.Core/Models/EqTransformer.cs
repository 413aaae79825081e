namespace QuakePrune.Models;

/// <summary>
/// The arguments of <see cref="EqTransformerBuilder"/>: the structure of an EQTransformer apart from its widths.
/// </summary>
/// <param name="InChannels">Channels of the input window (3: E, N, Z).</param>
/// <param name="InSamples">Samples of the input window (SeisBench's 6000); at least 128, since the encoder halves it
/// seven times.</param>
/// <param name="Recurrent">The recurrent cell of the BiLSTM stack and the pick recurrences (lstm, or gru for
/// eqt-gru).</param>
/// <param name="ResCnnKernels">One kernel size per residual CNN block.</param>
/// <param name="LstmBlocks">Blocks of the BiLSTM (or BiGRU) stack.</param>
/// <param name="Shorten">The stride of the convolutional front before the BiLSTM stack; 1: no front.</param>
/// <param name="DropRate">Dropout rate everywhere, in [0, 1).</param>
public sealed record EqTransformerArguments(
    int InChannels,
    int InSamples,
    RecurrentCell Recurrent,
    IReadOnlyList<int> ResCnnKernels,
    int LstmBlocks,
    int Shorten,
    double DropRate
) : BuilderArguments
{
    public override IEnumerable<(string Field, string Problem)> Problems()
    {
        var shortest = 1 << EqTransformerBuilder.KernelSizes.Count;
        if (InChannels < 1)
            yield return ("in_channels", $"must be at least 1, got {InChannels}");
        if (InSamples < shortest)
            yield return ("in_samples", $"must be at least {shortest}, got {InSamples}");
        if (!Enum.IsDefined(Recurrent))
            yield return ("recurrent", $"must be lstm or gru, got {(int)Recurrent}");
        if (ResCnnKernels.Any(k => k < 1))
            yield return ("res_cnn_kernels", $"must all be at least 1, got [{string.Join(", ", ResCnnKernels)}]");
        if (LstmBlocks < 1)
            yield return ("lstm_blocks", $"must be at least 1, got {LstmBlocks}");
        if (Shorten < 1)
            yield return ("shorten", $"must be at least 1, got {Shorten}");
        if (DropRate is not (>= 0 and < 1))
            yield return ("drop_rate", $"must be in [0, 1), got {DropRate}");
    }
}

/// <summary>
/// EQTransformer (Mousavi et al., Nature Communications 11, 3952, 2020) as SeisBench implements it
/// (seisbench/models/eqtransformer.py, default arguments: 3 x 6000 input, phases "PS", lstm_blocks 3, drop_rate 0.1,
/// original_compatible False), with SeisBench's module names, so that its state dicts load either way, and the study's
/// faster variants. Its three outputs, in this order, are the detection, P and S curves [N, T] after the sigmoid.
/// <para>
/// The network: an encoder of seven convolutions (8, 16, 16, 32, 32, 64, 64 filters; kernels 11, 9, 7, 7, 5, 5, 3),
/// each followed by a ReLU and max pooling by 2, shortens the 6000 samples to 47; a stack of residual CNN blocks (batch
/// norm, ReLU, spatial dropout, convolution, twice; kernels 3, 3, 3, 3, 2, 3, 2) keeps that length; a stack of BiLSTM
/// blocks (hidden 16, then a 1x1 convolution to 16 and batch norm) and two transformers (global additive attention,
/// layer norms, feed-forward 16-128-16) make the shared representation. Three decoders mirror the encoder with nearest
/// upsampling back to 6000 samples: one for detection, and one per phase after a unidirectional LSTM and an attention
/// over a window of 3.
/// </para>
/// <para>Members:</para>
/// <list type="bullet">
/// <item><c>eqtransformer</c>: SeisBench's model (376,935 parameters in 249 state tensors).</item>
/// <item><c>eqt-gru</c>: every LSTM (the three BiLSTMs and the two pick LSTMs) replaced by a GRU of the same width and
/// direction; three gates instead of four, so a quarter fewer recurrent weights and gate products per step. The modules
/// are named by what they are: <c>bi_gru_stack.members.K.gru</c>, <c>pick_grus.K</c>.</item>
/// <item><c>eqt-cnn-bilstm</c>: the stack of three BiLSTM blocks replaced by a convolutional front (a 3-tap convolution
/// of stride 2 with batch norm and ReLU, <c>cnn_front</c>) that halves the sequence (47 to 24 steps) before a single
/// BiLSTM block, whose output is upsampled back to 47 steps for the transformers. Why: the recurrence is the part of
/// EQTransformer that cannot run in parallel over time (each step waits for the previous one, 3 x 2 x 47 sequential
/// steps in the stack, in both directions); the convolutions before it already extract the local features, so one
/// BiLSTM over a sequence half as long keeps the long-range context at a sixth of the sequential steps, while the
/// convolution added is cheap and parallel.</item>
/// <item><c>eqt-lite</c>: narrower and shallower: every convolution's filters halved (encoder and decoders 4, 8, 8, 16,
/// 16, 32, 32), the residual CNN stack cut from 7 to 4 blocks (kernels 3, 3, 3, 2) and the BiLSTM stack from 3 blocks
/// to 2.</item>
/// </list>
/// SeisBench initialises with PyTorch's module defaults (its attention U(-0.02, 0.02) weights and zero biases), which
/// is what the modules do when they are made: <see cref="Initialise"/> has nothing to add.
/// </summary>
public sealed class EqTransformerBuilder : NetworkBuilder<EqTransformerArguments>
{
    public static readonly EqTransformerBuilder Instance = new();

    /// <summary>SeisBench's encoder filters and kernels (the decoders use them reversed).</summary>
    public static IReadOnlyList<int> Filters { get; } = [8, 16, 16, 32, 32, 64, 64];

    public static IReadOnlyList<int> KernelSizes { get; } = [11, 9, 7, 7, 5, 5, 3];

    /// <summary>SeisBench's residual CNN kernels, one block each.</summary>
    public static IReadOnlyList<int> ResCnnKernels { get; } = [3, 3, 3, 3, 2, 3, 2];

    /// <summary>
    /// Hidden size of every recurrent layer, units of every attention, and the feed-forward's hidden width (SeisBench's
    /// constants).
    /// </summary>
    public const int RecurrentHidden = 16,
        AttentionUnits = 32,
        FeedForwardHidden = 128;

    /// <summary>The pick attentions' local window (times t - 1 to t + 1).</summary>
    public const int PickAttentionWidth = 3;

    /// <summary>The output curves, in <see cref="Network.ForwardAll"/>'s order.</summary>
    public static IReadOnlyList<string> Outputs { get; } = ["detection", "p", "s"];

    private static readonly string[] Phases = ["p", "s"];

    private EqTransformerBuilder() { }

    public override string Name => "eqtransformer";

    public override IReadOnlyList<string> Members { get; } = ["eqtransformer", "eqt-gru", "eqt-cnn-bilstm", "eqt-lite"];

    /// <summary>The recurrence's name in SeisBench's module names (bi_lstm_stack, pick_grus...).</summary>
    private static string Rnn(EqTransformerArguments a) => a.Recurrent == RecurrentCell.Lstm ? "lstm" : "gru";

    public override Architecture Create(string member, NetworkOptions options)
    {
        if (options.Classes != Phases.Length)
            throw new ArgumentException(
                $"{member} picks P and S: it has 2 phase outputs beside detection, not {options.Classes} classes"
            );
        if (options.InChannels < 1)
            throw new ArgumentException($"{member}: input channels must be at least 1, got {options.InChannels}");
        var standard = new EqTransformerArguments(
            options.InChannels,
            6000,
            RecurrentCell.Lstm,
            ResCnnKernels.ToArray(),
            3,
            1,
            0.1
        );
        var (structure, filters) = member switch
        {
            "eqtransformer" => (standard, Filters.ToArray()),
            "eqt-gru" => (standard with { Recurrent = RecurrentCell.Gru }, Filters.ToArray()),
            "eqt-cnn-bilstm" => (standard with { LstmBlocks = 1, Shorten = 2 }, Filters.ToArray()),
            "eqt-lite" => (
                standard with
                {
                    ResCnnKernels = [3, 3, 3, 2],
                    LstmBlocks = 2,
                },
                Filters.Select(f => f / 2).ToArray()
            ),
            _ => throw new ArgumentException(
                $"'{member}' is not a member of the EQTransformer builder ({string.Join(", ", Members)})"
            ),
        };
        var architecture = new Architecture(this, structure, Widths(structure, filters));
        architecture.Validate();
        return architecture;
    }

    /// <summary>
    /// Every convolution's width for encoder filters <paramref name="filters"/> (the decoders mirror them).
    /// </summary>
    private static Dictionary<string, int> Widths(EqTransformerArguments s, int[] filters)
    {
        var widths = new Dictionary<string, int>();
        for (var i = 0; i < filters.Length; i++)
            widths[$"encoder.convs.{i}"] = filters[i];
        for (var b = 0; b < s.ResCnnKernels.Count; b++)
        {
            widths[$"res_cnn_stack.members.{b}.conv1"] = filters[^1];
            widths[$"res_cnn_stack.members.{b}.conv2"] = filters[^1];
        }
        if (s.Shorten > 1)
            widths["cnn_front.conv"] = filters[^1];
        for (var b = 0; b < s.LstmBlocks; b++)
            widths[$"bi_{Rnn(s)}_stack.members.{b}.conv"] = RecurrentHidden;
        foreach (var decoder in DecoderNames())
            for (var i = 0; i < filters.Length; i++)
                widths[$"{decoder}.convs.{i}"] = filters[^(i + 1)];
        widths["conv_d"] = 1;
        for (var k = 0; k < Phases.Length; k++)
            widths[$"pick_convs.{k}"] = 1;
        return widths;
    }

    private static IEnumerable<string> DecoderNames() =>
        ["decoder_d", .. Phases.Select((_, k) => $"pick_decoders.{k}")];

    public override NetworkGraph Describe(EqTransformerArguments s, Func<string, int> widthOf)
    {
        var nodes = new List<LayerNode>();
        string Add(string name, Layer layer, params string[] inputs)
        {
            nodes.Add(new LayerNode(name, layer, inputs));
            return name;
        }

        // Encoder: convolution ("same" padding), ReLU, pooling by 2 (an odd length padded on the right, as TensorFlow
        // does).
        var x = NetworkGraph.Input;
        for (var i = 0; i < KernelSizes.Count; i++)
        {
            x = Add(
                $"encoder.convs.{i}",
                new Conv1dLayer(widthOf($"encoder.convs.{i}"), KernelSizes[i], PaddingSize: KernelSizes[i] / 2),
                x
            );
            x = Add($"encoder.relus.{i}", new ReluLayer(), x);
            x = Add($"encoder.pools.{i}", new MaxPool1dLayer(2, 2, CeilMode: true), x);
        }

        // Residual CNN blocks: norm, ReLU, spatial dropout, convolution, twice, plus the block's input. An even kernel
        // pads on the right. Every sum lists the branch's fresh output first: Add may overwrite its first input, and
        // the block's input is saved by its readers (batch norm, attention, feed-forward) for the backward pass.
        for (var b = 0; b < s.ResCnnKernels.Count; b++)
        {
            var p = $"res_cnn_stack.members.{b}";
            var kernel = s.ResCnnKernels[b];
            var y = x;
            for (var c = 1; c <= 2; c++)
            {
                y = Add($"{p}.norm{c}", new BatchNorm1dLayer(1e-3), y);
                y = Add($"{p}.relu{c}", new ReluLayer(), y);
                y = Add($"{p}.dropout{c}", new SpatialDropoutLayer(s.DropRate), y);
                if (kernel % 2 == 0)
                    y = Add($"{p}.pad{c}", new ConstantPad1dLayer((kernel - 1) / 2, kernel / 2), y);
                y = Add(
                    $"{p}.conv{c}",
                    new Conv1dLayer(widthOf($"{p}.conv{c}"), kernel, PaddingSize: kernel % 2 == 0 ? 0 : kernel / 2),
                    y
                );
            }
            x = Add($"{p}.add", new AddLayer(), y, x);
        }

        // The convolutional front of eqt-cnn-bilstm: shortens the sequence before the recurrence.
        var steps = s.InSamples;
        for (var i = 0; i < KernelSizes.Count; i++)
            steps = (steps + 1) / 2;
        if (s.Shorten > 1)
        {
            x = Add("cnn_front.conv", new Conv1dLayer(widthOf("cnn_front.conv"), 3, s.Shorten, 1), x);
            x = Add("cnn_front.norm", new BatchNorm1dLayer(1e-3), x);
            x = Add("cnn_front.relu", new ReluLayer(), x);
        }

        // BiLSTM (or BiGRU) blocks: the recurrence over time, dropout, a 1x1 convolution to the hidden width, batch
        // norm.
        for (var b = 0; b < s.LstmBlocks; b++)
        {
            var p = $"bi_{Rnn(s)}_stack.members.{b}";
            x = Add($"{p}.{Rnn(s)}", new RecurrentLayer(s.Recurrent, RecurrentHidden, Bidirectional: true), x);
            x = Add($"{p}.dropout", new DropoutLayer(s.DropRate), x);
            x = Add($"{p}.conv", new Conv1dLayer(widthOf($"{p}.conv"), 1), x);
            x = Add($"{p}.norm", new BatchNorm1dLayer(1e-3), x);
        }
        if (s.Shorten > 1)
        {
            x = Add("cnn_front.upsample", new Upsample1dLayer(s.Shorten), x);
            var shortened = (steps - 1) / s.Shorten + 1;
            if (shortened * s.Shorten > steps)
                x = Add("cnn_front.crop", new Crop1dLayer(0, shortened * s.Shorten - steps), x);
        }

        foreach (var t in new[] { "transformer_d0", "transformer_d" })
        {
            var attention = Add($"{t}.attention", new AdditiveSelfAttentionLayer(AttentionUnits), x);
            var y = Add($"{t}.norm1", new ChannelLayerNormLayer(), Add($"{t}.add1", new AddLayer(), attention, x));
            var ff = Add($"{t}.ff", new FeedForwardLayer(FeedForwardHidden, s.DropRate), y);
            x = Add($"{t}.norm2", new ChannelLayerNormLayer(), Add($"{t}.add2", new AddLayer(), ff, y));
        }
        var shared = x;

        // Registration order is SeisBench's: decoder_d, conv_d, then every pick recurrence, every attention, every
        // decoder, every conv.
        var detection = Decoder("decoder_d", shared, s.InSamples, widthOf, Add);
        detection = Add("conv_d", new Conv1dLayer(widthOf("conv_d"), 11, PaddingSize: 5), detection);
        // Each output is a sigmoid of the squeezed logits, so a trainer can read the logits (the sigmoid's input) and
        // take the loss on them: on probabilities a clipped loss has no gradient where the sigmoid saturated.
        var outputs = new List<string>
        {
            Add("detection", new SigmoidLayer(), Add("squeeze_d", new SqueezeLayer(1), detection)),
        };
        var picks = Phases
            .Select(
                (_, k) =>
                    Add(
                        $"pick_{Rnn(s)}s.{k}",
                        new RecurrentLayer(s.Recurrent, RecurrentHidden, Bidirectional: false),
                        shared
                    )
            )
            .ToArray();
        picks = picks.Select((p, k) => Add($"pick_dropouts.{k}", new DropoutLayer(s.DropRate), p)).ToArray();
        picks = picks
            .Select(
                (p, k) =>
                    Add($"pick_attentions.{k}", new AdditiveSelfAttentionLayer(AttentionUnits, PickAttentionWidth), p)
            )
            .ToArray();
        picks = picks.Select((p, k) => Decoder($"pick_decoders.{k}", p, s.InSamples, widthOf, Add)).ToArray();
        picks = picks
            .Select(
                (p, k) => Add($"pick_convs.{k}", new Conv1dLayer(widthOf($"pick_convs.{k}"), 11, PaddingSize: 5), p)
            )
            .ToArray();
        outputs.AddRange(
            picks.Select(
                (p, k) => Add(Phases[k], new SigmoidLayer(), Add($"pick_squeezes.{k}", new SqueezeLayer(1), p))
            )
        );
        return new NetworkGraph(nodes, [1, s.InChannels, s.InSamples], outputs);
    }

    /// <summary>
    /// A decoder: per level, nearest upsampling by 2, the last sample cropped where the encoder padded an odd length
    /// (so the output has <paramref name="samples"/> again), a "same" convolution and a ReLU.
    /// </summary>
    private static string Decoder(
        string name,
        string x,
        int samples,
        Func<string, int> widthOf,
        Func<string, Layer, string[], string> add
    )
    {
        var levels = KernelSizes.Count;
        var odd = new bool[levels];
        for (var i = 0; i < levels; i++)
        {
            odd[levels - 1 - i] = samples % 2 == 1;
            samples = (samples + 1) / 2;
        }
        for (var i = 0; i < levels; i++)
        {
            x = add($"{name}.upsamples.{i}", new Upsample1dLayer(2), [x]);
            if (odd[i])
                x = add($"{name}.crops.{i}", new Crop1dLayer(0, 1), [x]);
            var kernel = KernelSizes[levels - 1 - i];
            x = add(
                $"{name}.convs.{i}",
                new Conv1dLayer(widthOf($"{name}.convs.{i}"), kernel, PaddingSize: kernel / 2),
                [x]
            );
            x = add($"{name}.relus.{i}", new ReluLayer(), [x]);
        }
        return x;
    }

    /// <summary>A bare SeisBench EQTransformer state dict (or one of the variants'), by its module names.</summary>
    public override EqTransformerArguments? Recognise(IReadOnlyDictionary<string, long[]> shapes)
    {
        if (
            !shapes.TryGetValue("encoder.convs.0.weight", out var stem)
            || stem.Length != 3
            || !shapes.ContainsKey("transformer_d0.attention.Wx")
        )
            return null;
        var cell =
            shapes.ContainsKey("bi_gru_stack.members.0.gru.weight_ih_l0")
            || shapes.ContainsKey("pick_grus.0.weight_ih_l0")
                ? RecurrentCell.Gru
                : RecurrentCell.Lstm;
        var rnn = cell == RecurrentCell.Lstm ? "lstm" : "gru";
        var kernels = new List<int>();
        while (shapes.TryGetValue($"res_cnn_stack.members.{kernels.Count}.conv1.weight", out var w) && w.Length == 3)
            kernels.Add((int)w[2]);
        var blocks = 0;
        while (shapes.ContainsKey($"bi_{rnn}_stack.members.{blocks}.{rnn}.weight_ih_l0"))
            blocks++;
        if (kernels.Count == 0 || blocks == 0)
            return null;
        return new EqTransformerArguments(
            (int)stem[1],
            6000,
            cell,
            kernels.ToArray(),
            blocks,
            shapes.ContainsKey("cnn_front.conv.weight") ? 2 : 1,
            0.1
        );
    }
}
