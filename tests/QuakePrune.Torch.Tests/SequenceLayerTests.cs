using QuakePrune.Torch;
using QuakePrune.Torch.Modules;
using static QuakePrune.Torch.torch;
using F = QuakePrune.Torch.torch.nn.functional;

namespace QuakePrune.Torch.Tests;

/// <summary>
/// What the PyTorch fixtures cannot show: random dropout, parameter layouts at EQTransformer's sizes, errors, training.
/// </summary>
public class SequenceLayerTests
{
    [Fact]
    public void Dropout1d_zeroes_whole_channels_of_each_sample_in_training_only()
    {
        using var scope = NewDisposeScope();
        manual_seed(3);
        var x = ones(4, 16, 10);
        using var dropout = nn.Dropout1d(0.5);
        var rows = dropout.call(x).reshape(64, 10).ToArray<float>().Chunk(10).ToList();
        Assert.All(rows, row =>
            Assert.True(
                row.All(v => v == 0) || row.All(v => v == 2),
                $"a channel was partly dropped: {string.Join(", ", row)}"
            )
        );
        var dropped = rows.Count(row => row[0] == 0);
        Assert.InRange(dropped, 16, 48);

        var unbatched = dropout.call(ones(16, 10)).ToArray<float>().Chunk(10).ToList();
        Assert.All(unbatched, row => Assert.True(row.All(v => v == 0) || row.All(v => v == 2)));

        dropout.eval();
        Assert.Equal(x.ToArray<float>(), dropout.call(x).ToArray<float>());
        Assert.Throws<ArgumentException>(() => dropout.call(ones(2, 3, 4, 5)));
    }

    [Fact]
    public void Dropout2d_reads_three_dims_as_channels_of_sequences_as_PyTorch_113_does()
    {
        using var scope = NewDisposeScope();
        var x = randn(3, 8, 12);
        manual_seed(11);
        var one = F.dropout1d(x, 0.3);
        manual_seed(11);
        var two = F.dropout2d(x, 0.3);
        Assert.Equal(one.ToArray<float>(), two.ToArray<float>());
        manual_seed(11);
        var planes = F.dropout2d(ones(2, 6, 3, 4), 0.5).reshape(12, 12).ToArray<float>().Chunk(12);
        Assert.All(planes, plane => Assert.True(plane.All(v => v == 0) || plane.All(v => v == 2)));
    }

    [Fact]
    public void Recurrent_layers_at_EqTransformer_sizes_have_PyTorch_s_names_shapes_and_initial_bounds()
    {
        using var lstm = nn.LSTM(64, 16, bidirectional: true);
        Assert.Equal(
            [
                "weight_ih_l0",
                "weight_hh_l0",
                "bias_ih_l0",
                "bias_hh_l0",
                "weight_ih_l0_reverse",
                "weight_hh_l0_reverse",
                "bias_ih_l0_reverse",
                "bias_hh_l0_reverse",
            ],
            lstm.state_dict().Keys
        );
        Assert.Equal(lstm.state_dict().Keys, lstm.flat_weights_names);
        Assert.Equal([64L, 64], lstm.get_parameter("weight_ih_l0").shape);
        Assert.Equal([64L, 16], lstm.get_parameter("weight_hh_l0_reverse").shape);
        Assert.Equal([64L], lstm.get_parameter("bias_hh_l0").shape);
        Assert.Equal(2 * (64 * 64 + 64 * 16 + 2 * 64), lstm.parameter_count());
        var values = lstm.parameters().SelectMany(p => p.ToArray<float>()).ToList();
        Assert.All(values, v => Assert.InRange(v, -0.25f, 0.25f));
        Assert.True(
            values.Max() > 0.249f && values.Min() < -0.249f,
            "U(-1/sqrt(16), 1/sqrt(16)) should reach close to its bounds"
        );

        using var gru = nn.GRU(16, 16, num_layers: 2);
        Assert.Equal(
            [
                "weight_ih_l0",
                "weight_hh_l0",
                "bias_ih_l0",
                "bias_hh_l0",
                "weight_ih_l1",
                "weight_hh_l1",
                "bias_ih_l1",
                "bias_hh_l1",
            ],
            gru.state_dict().Keys
        );
        Assert.Equal([48L, 16], gru.get_parameter("weight_ih_l1").shape);
        using var stacked = nn.LSTM(5, 3, num_layers: 2, bias: false, bidirectional: true);
        Assert.Equal([12L, 6], stacked.get_parameter("weight_ih_l1_reverse").shape);
        Assert.Equal(8, stacked.state_dict().Count);
    }

    [Fact]
    public void Lstm_dropout_acts_between_layers_in_training_only()
    {
        using var scope = NewDisposeScope();
        manual_seed(5);
        using var lstm = nn.LSTM(3, 4, num_layers: 2, dropout: 0.5);
        using var plain = nn.LSTM(3, 4, num_layers: 2);
        plain.load_state_dict(lstm.state_dict());
        var x = randn(6, 2, 3);
        var first = lstm.call(x).output.ToArray<float>();
        var second = lstm.call(x).output.ToArray<float>();
        Assert.NotEqual(first, second);
        lstm.eval();
        var expected = plain.call(x).output.ToArray<float>();
        Assert.Equal(expected, lstm.call(x).output.ToArray<float>());
    }

    [Fact]
    public void Recurrent_layers_follow_dtype_conversion()
    {
        using var scope = NewDisposeScope();
        using var gru = nn.GRU(3, 2, bidirectional: true);
        gru.to(ScalarType.Float64);
        var (output, h) = gru.call(randn([5, 1, 3], ScalarType.Float64));
        Assert.Equal(ScalarType.Float64, output.dtype);
        Assert.Equal([5L, 1, 4], output.shape);
        Assert.Equal([2L, 1, 2], h.shape);
    }

    [Fact]
    public void Bad_shapes_are_clear_errors_not_crashes()
    {
        using var scope = NewDisposeScope();
        using var lstm = nn.LSTM(8, 4, bidirectional: true);
        Assert.Contains("input_size 8", Assert.Throws<ArgumentException>(() => lstm.call(randn(5, 2, 7))).Message);
        Assert.Contains(
            "[2, 2, 4]",
            Assert.Throws<ArgumentException>(() => lstm.call(randn(5, 2, 8), (zeros(1, 2, 4), zeros(2, 2, 4)))).Message
        );
        Assert.Throws<ArgumentException>(() => lstm.call(randn(1, 5, 2, 8)));
        using var gru = nn.GRU(8, 4);
        Assert.Contains("h0", Assert.Throws<ArgumentException>(() => gru.call(randn(5, 2, 8), zeros(1, 3, 4))).Message);

        Assert.Throws<TorchException>(() => F.conv1d(randn(1, 3, 10), randn(4, 2, 3)));
        Assert.Throws<TorchException>(() => F.max_pool1d(randn(1, 3, 8), 2, padding: 2));
        Assert.Throws<TorchException>(() => F.pad(randn(1, 2, 3), [4, 0], "reflect"));
        Assert.Throws<ArgumentException>(() => F.pad(randn(1, 2, 3), [1], "constant"));
        Assert.Throws<ArgumentException>(() => F.pad(randn(1, 2, 3), [1, 1], "wrap"));
        Assert.Throws<ArgumentException>(() => F.pad(randn(1, 2, 3), [1, 1], "reflect", 0));
        Assert.Throws<ArgumentException>(() => nn.Upsample());
        Assert.Throws<ArgumentException>(() => nn.Upsample(4, 2.0));
        Assert.Throws<ArgumentException>(() => nn.Conv1d(3, 4, 3, groups: 2));
        using var norm = nn.BatchNorm1d(3);
        Assert.Throws<ArgumentException>(() => norm.call(randn(2, 3, 4, 5)));
        using var attention = new AdditiveSelfAttention(16);
        Assert.Contains("[N, 16, T]", Assert.Throws<ArgumentException>(() => attention.call(randn(2, 8, 10))).Message);
        using var layerNorm = new ChannelLayerNorm(16);
        Assert.Throws<ArgumentException>(() => layerNorm.call(randn(2, 8, 10)));
    }

    [Fact]
    public void Local_attention_weighs_only_its_window()
    {
        using var scope = NewDisposeScope();
        manual_seed(2);
        using var attention = new AdditiveSelfAttention(4, units: 8, attention_width: 3);
        Assert.Equal(["Wx", "Wt", "bh", "Wa", "ba"], attention.state_dict().Keys);
        var (output, weights) = attention.call(randn(2, 4, 7));
        Assert.Equal([2L, 4, 7], output.shape);
        var a = weights.ToArray<float>();
        for (var n = 0; n < 2; n++)
        for (var t = 0; t < 7; t++)
        {
            var row = a.Skip((n * 7 + t) * 7).Take(7).ToArray();
            for (var s = 0; s < 7; s++)
                if (Math.Abs(t - s) > 1)
                    Assert.Equal(0f, row[s]);
            Assert.Equal(1.0, row.Sum(), 4);
        }
    }

    /// <summary>
    /// A bidirectional LSTM, the attention and a 1x1 convolution learn to output, at each step, the previous step's
    /// input sum (a task that needs memory): gradients reach every parameter and the loss falls.
    /// </summary>
    [Fact]
    public void Sequence_layers_train_together()
    {
        using var scope = NewDisposeScope();
        manual_seed(0);
        using var lstm = nn.LSTM(2, 8, bidirectional: true);
        using var attention = new AdditiveSelfAttention(16, units: 8, attention_width: 5);
        using var head = nn.Conv1d(16, 1, 1);
        var parameters = lstm.named_parameters()
            .Concat(attention.named_parameters().Select(p => ("attention." + p.name, p.parameter)))
            .Concat(head.named_parameters().Select(p => ("head." + p.name, p.parameter)))
            .ToList();
        var optimizer = new optim.AdamW(parameters, lr: 0.02, weight_decay: 0);
        var x = randn(20, 8, 2);
        var target = F.pad(x.sum([2]).narrow(0, 0, 19).t(), [1, 0]).unsqueeze(1);
        double Step()
        {
            using var step = NewDisposeScope();
            optimizer.zero_grad();
            var (sequence, _, _) = lstm.call(x);
            var (attended, _) = attention.call(sequence.permute(1, 2, 0));
            var loss = F.mse_loss(head.call(attended), target);
            loss.backward();
            optimizer.step();
            return loss.item<double>();
        }
        var first = Step();
        for (var k = 0; k < 60; k++)
            Step();
        Assert.All(parameters, p =>
            Assert.True(p.Item2.grad!.abs().sum().item<double>() > 0, $"no gradient reached {p.Item1}")
        );
        Assert.True(Step() < 0.3 * first, $"the loss did not fall: {first} at first");
        optimizer.DisposeState();
    }
}
