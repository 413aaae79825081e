using System.Text.Json;
using QuakePrune.Torch;
using QuakePrune.Torch.Modules;
using static QuakePrune.Torch.torch;
using F = QuakePrune.Torch.torch.nn.functional;

namespace QuakePrune.Torch.Tests;

/// <summary>
/// The 1-d, recurrent and EQTransformer layers against PyTorch 1.13's values, stored once by
/// Fixtures/make_layer_fixtures.py: outputs, and the gradients of sum(output * g) for fixed random g with respect to
/// the inputs and every parameter, within 1e-5 absolute plus 1e-5 relative (float32); then the outputs again under
/// inference_mode. Where PyTorch's own initialisation was stored (conv1d, LSTM, GRU, the feed-forward's Linear layers),
/// the same seed must give the same parameters.
/// </summary>
public class LayerParityTests
{
    private const double Atol = 1e-5;
    private const double Rtol = 1e-5;
    private static readonly string[] InputNames = ["input", "h0", "c0"];

    private static long Int(JsonElement config, string name, long fallback = 0) =>
        config.TryGetProperty(name, out var v) && v.ValueKind != JsonValueKind.Null ? v.GetInt64() : fallback;

    private static bool Bool(JsonElement config, string name, bool fallback) =>
        config.TryGetProperty(name, out var v) ? v.GetBoolean() : fallback;

    private static double? Double(JsonElement config, string name) =>
        config.TryGetProperty(name, out var v) && v.ValueKind != JsonValueKind.Null ? v.GetDouble() : null;

    /// <summary>
    /// The state right after construction under the case's seed equals PyTorch's (same names, same values).
    /// </summary>
    private static void AssertInitialisedAsPyTorch(LayerFixture fixture, string @case, nn.Module module)
    {
        var expected = fixture.Group(@case, "state");
        var actual = module.state_dict();
        Assert.Equal(expected.Keys.Order(StringComparer.Ordinal), actual.Keys.Order(StringComparer.Ordinal));
        foreach (var (name, value) in actual)
            LayerFixture.AssertClose(expected[name], value, $"{@case}: initial {name}", 1e-7, 1e-6);
    }

    /// <summary>
    /// Forward with gradients recorded: every output PyTorch stored, then after backward every gradient it stored
    /// (inputs and parameters); then the forward again under inference_mode, whose outputs must match and not require
    /// grad.
    /// </summary>
    private static void CheckAgainstPyTorch(
        LayerFixture fixture,
        string @case,
        nn.Module? module,
        Func<Dictionary<string, Tensor>, Dictionary<string, Tensor>> forward,
        bool alsoUnderInferenceMode = true
    )
    {
        using var scope = NewDisposeScope();
        var names = InputNames.Where(n => fixture.Has(@case, n)).ToList();
        var inputs = names.ToDictionary(n => n, n => fixture[@case, n].clone().requires_grad_());
        module?.zero_grad();
        var outputs = forward(inputs);
        var gradOutputs = fixture.Group(@case, "grad_output");
        Assert.Equal(gradOutputs.Keys.Order(StringComparer.Ordinal), outputs.Keys.Order(StringComparer.Ordinal));
        Tensor? loss = null;
        foreach (var (name, output) in outputs)
        {
            LayerFixture.AssertClose(fixture[@case, name], output, $"{@case}: {name}", Atol, Rtol);
            var term = output.mul(gradOutputs[name]).sum();
            loss = loss is null ? term : loss.add(term);
        }
        loss!.backward();

        var gradients = fixture.Group(@case, "grad");
        var parameters = module?.named_parameters().ToList() ?? [];
        Assert.Equal(
            gradients.Keys.Order(StringComparer.Ordinal),
            names.Concat(parameters.Select(p => p.name)).Order(StringComparer.Ordinal)
        );
        foreach (var (name, input) in inputs)
            LayerFixture.AssertClose(
                gradients[name],
                input.grad ?? throw new Xunit.Sdk.XunitException($"{@case}: no gradient reached {name}"),
                $"{@case}: d loss / d {name}",
                Atol,
                Rtol
            );
        foreach (var (name, parameter) in parameters)
            LayerFixture.AssertClose(
                gradients[name],
                parameter.grad ?? throw new Xunit.Sdk.XunitException($"{@case}: no gradient reached {name}"),
                $"{@case}: d loss / d {name}",
                Atol,
                Rtol
            );

        if (!alsoUnderInferenceMode)
            return;
        using (inference_mode())
        {
            var inferred = forward(names.ToDictionary(n => n, n => fixture[@case, n]));
            foreach (var (name, output) in inferred)
            {
                LayerFixture.AssertClose(
                    fixture[@case, name],
                    output,
                    $"{@case}: {name} under inference_mode",
                    Atol,
                    Rtol
                );
                Assert.False(output.requires_grad);
            }
        }
    }

    private static Dictionary<string, Tensor> Output(Tensor output) => new() { ["output"] = output };

    public static TheoryData<string> Conv1dCases => LayerFixture.Cases("conv1d");

    [Theory]
    [MemberData(nameof(Conv1dCases))]
    public void Conv1d_matches_PyTorch(string @case)
    {
        using var fixture = LayerFixture.Load("conv1d");
        var c = fixture.Config(@case);
        manual_seed(Int(c, "seed"));
        using var conv = nn.Conv1d(
            Int(c, "in_channels"),
            Int(c, "out_channels"),
            Int(c, "kernel_size"),
            Int(c, "stride", 1),
            Int(c, "padding"),
            Int(c, "dilation", 1),
            Int(c, "groups", 1),
            Bool(c, "bias", true)
        );
        AssertInitialisedAsPyTorch(fixture, @case, conv);
        conv.load_state_dict(fixture.Group(@case, "state"));
        CheckAgainstPyTorch(fixture, @case, conv, x => Output(conv.call(x["input"])));
    }

    public static TheoryData<string> MaxPool1dCases => LayerFixture.Cases("max_pool1d");

    [Theory]
    [MemberData(nameof(MaxPool1dCases))]
    public void Max_pool1d_matches_PyTorch(string @case)
    {
        using var fixture = LayerFixture.Load("max_pool1d");
        var c = fixture.Config(@case);
        var stride = Int(c, "stride", -1);
        using var pool = nn.MaxPool1d(
            Int(c, "kernel_size"),
            stride < 0 ? null : stride,
            Int(c, "padding"),
            Int(c, "dilation", 1),
            Bool(c, "ceil_mode", false)
        );
        CheckAgainstPyTorch(fixture, @case, pool, x => Output(pool.call(x["input"])));
    }

    public static TheoryData<string> PadCases => LayerFixture.Cases("pad");

    [Theory]
    [MemberData(nameof(PadCases))]
    public void Pad_matches_PyTorch(string @case)
    {
        using var fixture = LayerFixture.Load("pad");
        var c = fixture.Config(@case);
        var pad = c.GetProperty("pad").EnumerateArray().Select(v => v.GetInt64()).ToArray();
        var mode = c.GetProperty("mode").GetString()!;
        CheckAgainstPyTorch(fixture, @case, null, x => Output(F.pad(x["input"], pad, mode, Double(c, "value"))));
    }

    public static TheoryData<string> UpsampleCases => LayerFixture.Cases("upsample");

    [Theory]
    [MemberData(nameof(UpsampleCases))]
    public void Upsample_matches_PyTorch(string @case)
    {
        using var fixture = LayerFixture.Load("upsample");
        var c = fixture.Config(@case);
        var size = Int(c, "size", -1);
        using var upsample = nn.Upsample(
            size < 0 ? null : size,
            Double(c, "scale_factor"),
            c.GetProperty("mode").GetString()!
        );
        CheckAgainstPyTorch(fixture, @case, upsample, x => Output(upsample.call(x["input"])));
    }

    public static TheoryData<string> BatchNorm1dCases => LayerFixture.Cases("batch_norm1d");

    /// <summary>
    /// Two training steps (outputs, gradients of the first, running statistics after both), then eval.
    /// </summary>
    [Theory]
    [MemberData(nameof(BatchNorm1dCases))]
    public void Batch_norm1d_matches_PyTorch_in_training_and_eval(string @case)
    {
        using var fixture = LayerFixture.Load("batch_norm1d");
        var c = fixture.Config(@case);
        var momentum = c.TryGetProperty("momentum", out var m)
            ? m.ValueKind == JsonValueKind.Null
                ? (double?)null
                : m.GetDouble()
            : 0.1;
        using var norm = nn.BatchNorm1d(Int(c, "num_features"), Double(c, "eps") ?? 1e-5, momentum);
        norm.load_state_dict(fixture.Group(@case, "state"));
        norm.train();
        CheckAgainstPyTorch(fixture, @case, norm, x => Output(norm.call(x["input"])), alsoUnderInferenceMode: false);
        using var scope = NewDisposeScope();
        using (no_grad())
            LayerFixture.AssertClose(
                fixture[@case, "output_2"],
                norm.call(fixture[@case, "input_2"]),
                $"{@case}: second step"
            );
        foreach (var (name, expected) in fixture.Group(@case, "state_after"))
            LayerFixture.AssertClose(expected, norm.state_dict()[name], $"{@case}: {name} after two steps");
        norm.eval();
        using (inference_mode())
            LayerFixture.AssertClose(
                fixture[@case, "output_eval"],
                norm.call(fixture[@case, "input_eval"]),
                $"{@case}: eval"
            );
    }

    public static TheoryData<string> LstmCases => LayerFixture.Cases("lstm");

    [Theory]
    [MemberData(nameof(LstmCases))]
    public void Lstm_matches_PyTorch(string @case)
    {
        using var fixture = LayerFixture.Load("lstm");
        var c = fixture.Config(@case);
        manual_seed(Int(c, "seed"));
        using var lstm = nn.LSTM(
            Int(c, "input_size"),
            Int(c, "hidden_size"),
            Int(c, "num_layers", 1),
            Bool(c, "bias", true),
            Bool(c, "batch_first", false),
            bidirectional: Bool(c, "bidirectional", false)
        );
        AssertInitialisedAsPyTorch(fixture, @case, lstm);
        lstm.load_state_dict(fixture.Group(@case, "state"));
        lstm.eval();
        CheckAgainstPyTorch(fixture, @case, lstm, x =>
        {
            var (output, h, cell) = lstm.call(x["input"], x.TryGetValue("h0", out var h0) ? (h0, x["c0"]) : null);
            return new()
            {
                ["output"] = output,
                ["h_n"] = h,
                ["c_n"] = cell,
            };
        });
    }

    public static TheoryData<string> GruCases => LayerFixture.Cases("gru");

    [Theory]
    [MemberData(nameof(GruCases))]
    public void Gru_matches_PyTorch(string @case)
    {
        using var fixture = LayerFixture.Load("gru");
        var c = fixture.Config(@case);
        manual_seed(Int(c, "seed"));
        using var gru = nn.GRU(
            Int(c, "input_size"),
            Int(c, "hidden_size"),
            Int(c, "num_layers", 1),
            Bool(c, "bias", true),
            Bool(c, "batch_first", false),
            bidirectional: Bool(c, "bidirectional", false)
        );
        AssertInitialisedAsPyTorch(fixture, @case, gru);
        gru.load_state_dict(fixture.Group(@case, "state"));
        gru.eval();
        CheckAgainstPyTorch(fixture, @case, gru, x =>
        {
            var (output, h) = gru.call(x["input"], x.GetValueOrDefault("h0"));
            return new() { ["output"] = output, ["h_n"] = h };
        });
    }

    public static TheoryData<string> AttentionCases => LayerFixture.Cases("additive_self_attention");

    [Theory]
    [MemberData(nameof(AttentionCases))]
    public void Additive_self_attention_matches_SeisBench(string @case)
    {
        using var fixture = LayerFixture.Load("additive_self_attention");
        var c = fixture.Config(@case);
        var width = Int(c, "attention_width", -1);
        using var attention = new AdditiveSelfAttention(
            Int(c, "input_size"),
            Int(c, "units"),
            width < 0 ? null : width,
            Double(c, "eps")!.Value
        );
        attention.load_state_dict(fixture.Group(@case, "state"));
        CheckAgainstPyTorch(fixture, @case, attention, x =>
        {
            var (output, weights) = attention.call(x["input"]);
            return new() { ["output"] = output, ["weights"] = weights };
        });
    }

    public static TheoryData<string> LayerNormCases => LayerFixture.Cases("channel_layer_norm");

    [Theory]
    [MemberData(nameof(LayerNormCases))]
    public void Channel_layer_norm_matches_SeisBench(string @case)
    {
        using var fixture = LayerFixture.Load("channel_layer_norm");
        var c = fixture.Config(@case);
        using var norm = Double(c, "eps") is { } eps
            ? new ChannelLayerNorm(Int(c, "filters"), eps)
            : new ChannelLayerNorm(Int(c, "filters"));
        norm.load_state_dict(fixture.Group(@case, "state"));
        CheckAgainstPyTorch(fixture, @case, norm, x => Output(norm.call(x["input"])));
    }

    public static TheoryData<string> FeedForwardCases => LayerFixture.Cases("positionwise_feed_forward");

    [Theory]
    [MemberData(nameof(FeedForwardCases))]
    public void Positionwise_feed_forward_matches_SeisBench(string @case)
    {
        using var fixture = LayerFixture.Load("positionwise_feed_forward");
        var c = fixture.Config(@case);
        manual_seed(Int(c, "seed"));
        using var feedForward = new PositionwiseFeedForward(
            Int(c, "io_size"),
            Double(c, "drop_rate")!.Value,
            Int(c, "hidden_size")
        );
        AssertInitialisedAsPyTorch(fixture, @case, feedForward);
        feedForward.load_state_dict(fixture.Group(@case, "state"));
        feedForward.eval();
        CheckAgainstPyTorch(fixture, @case, feedForward, x => Output(feedForward.call(x["input"])));
    }
}
