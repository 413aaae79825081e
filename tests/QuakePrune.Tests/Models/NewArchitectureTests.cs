using QuakePrune.Inference;
using QuakePrune.Models;
using QuakePrune.Pruning;
using QuakePrune.Spectrograms;
using QuakePrune.Tests.Latency;
using QuakePrune.Tests.Pruning;
using QuakePrune.Torch;
using static QuakePrune.Torch.torch;
using F = QuakePrune.Torch.torch.nn.functional;

namespace QuakePrune.Tests.Models;

/// <summary>
/// A layer kind and a builder defined here, outside the library, as a new architecture would be: the description alone
/// gives its modules, cost, pruning groups, surgery and fast inference, with no edit to Pruning/, Inference/ or
/// Latency/.
/// </summary>
public class NewArchitectureTests
{
    /// <summary>The module of <see cref="MixLayer"/>: one weight [hidden, in].</summary>
    private sealed class MixModule : nn.Module
    {
        public MixModule(long hidden, long channels)
        {
            var weight = register_parameter("weight", empty([hidden, channels]));
            nn.init.kaiming_uniform_(weight, a: Math.Sqrt(5));
        }
    }

    /// <summary>
    /// Mixes the channels at every pixel into a fixed number of its own (a 1x1 map without bias), as a recurrent layer
    /// reads its input: it consumes its input's channels through the columns of its weight, and its own width is never
    /// pruned.
    /// </summary>
    private sealed record MixLayer(int Hidden) : Layer
    {
        public override string Kind => "Mix";

        public override long[] OutputShape(IReadOnlyList<long[]> inputs) => [inputs[0][0], Hidden, .. inputs[0][2..]];

        public override IReadOnlyList<StateTensor> State(IReadOnlyList<long[]> inputs) =>
            [new("weight", [Hidden, inputs[0][1]])];

        public override long Macs(IReadOnlyList<long[]> inputs, long[] output) =>
            output.Aggregate(1L, (a, b) => a * b) * inputs[0][1];

        public override ChannelEffect Channels(IReadOnlyList<long[]> inputs) => ChannelEffect.Consumes;

        public override IReadOnlyList<ChannelTensor> InputChannelTensors => [new("weight", 1, TensorRole.Weight)];

        public override nn.Module CreateModule(IReadOnlyList<long[]> inputs) => new MixModule(Hidden, inputs[0][1]);

        public override Tensor Forward(
            nn.Module? module,
            IReadOnlyList<Tensor> inputs,
            bool training,
            bool mayOverwrite
        )
        {
            using var column = module!.get_parameter("weight").unsqueeze(-1);
            using var kernel = column.unsqueeze(-1);
            return F.conv2d(inputs[0], kernel);
        }
    }

    /// <summary>
    /// Each channel divided by the sum over channels at its pixel: it mixes every channel with every other, so pruning
    /// leaves its input whole.
    /// </summary>
    private sealed record ShareLayer : Layer
    {
        public override string Kind => "Share";

        public override long[] OutputShape(IReadOnlyList<long[]> inputs) => inputs[0].ToArray();

        public override ChannelEffect Channels(IReadOnlyList<long[]> inputs) => ChannelEffect.Opaque;

        public override Tensor Forward(
            nn.Module? module,
            IReadOnlyList<Tensor> inputs,
            bool training,
            bool mayOverwrite
        )
        {
            using var positive = inputs[0].abs();
            using var total = positive.sum([1], keepdim: true).add(1);
            return inputs[0].div(total);
        }
    }

    /// <summary>
    /// conv a (reads the input) - bn - relu - conv b - bn - relu - mix (consumes b's channels) - relu - conv c - bn -
    /// share (opaque: c stays whole) - relu - global pool - flatten - fc.
    /// </summary>
    private sealed record ToyArguments(int InChannels) : BuilderArguments;

    private sealed class ToyBuilder : NetworkBuilder<ToyArguments>
    {
        public static readonly ToyBuilder Instance = new();
        public override string Name => "toy";
        public override IReadOnlyList<string> Members => ["toy"];

        public override Architecture Create(string member, NetworkOptions options) =>
            new(
                this,
                new ToyArguments(options.InChannels),
                new Dictionary<string, int>
                {
                    ["a"] = 8,
                    ["b"] = 12,
                    ["c"] = 6,
                    ["fc"] = options.Classes,
                }
            );

        public override NetworkGraph Describe(ToyArguments arguments, Func<string, int> widthOf) =>
            new(
                [
                    new("a", new Conv2dLayer(widthOf("a"), 3, 1, 1), [NetworkGraph.Input]),
                    new("a_bn", new BatchNorm2dLayer(), ["a"]),
                    new("a_relu", new ReluLayer(), ["a_bn"]),
                    new("b", new Conv2dLayer(widthOf("b"), 3, 2, 1, bias: true), ["a_relu"]),
                    new("b_bn", new BatchNorm2dLayer(), ["b"]),
                    new("b_relu", new ReluLayer(), ["b_bn"]),
                    new("mix", new MixLayer(5), ["b_relu"]),
                    new("mix_relu", new ReluLayer(), ["mix"]),
                    new("c", new Conv2dLayer(widthOf("c"), 1), ["mix_relu"]),
                    new("c_bn", new BatchNorm2dLayer(), ["c"]),
                    new("share", new ShareLayer(), ["c_bn"]),
                    new("share_relu", new ReluLayer(), ["share"]),
                    new("pool", new GlobalAvgPool2dLayer(), ["share_relu"]),
                    new("flatten", new FlattenLayer(), ["pool"]),
                    new("fc", new LinearLayer(widthOf("fc")), ["flatten"]),
                ],
                [1, arguments.InChannels, 32, 32],
                ["fc"]
            );
    }

    private static Network Toy(long seed)
    {
        manual_seed(seed);
        var model = new Network(ToyBuilder.Instance.Create("toy", new NetworkOptions()));
        using var scope = NewDisposeScope();
        using (no_grad())
        {
            foreach (
                var (name, buffer) in model
                    .named_buffers()
                    .Where(b => b.name.EndsWith("running_var") || b.name.EndsWith("running_mean"))
            )
                buffer.copy_(rand(buffer.shape).add(name.EndsWith("var") ? 0.5 : -0.5));
            foreach (
                var (name, parameter) in model
                    .named_parameters()
                    .Where(p => p.name.EndsWith("_bn.weight") || p.name.EndsWith("_bn.bias"))
            )
                parameter.copy_(rand(parameter.shape).add(0.5));
        }
        model.eval();
        return model;
    }

    [Fact]
    public void Its_modules_and_cost_come_from_the_description()
    {
        using var model = Toy(1);
        Assert.Equal(
            [
                "a.weight",
                "a_bn.weight",
                "a_bn.bias",
                "a_bn.running_mean",
                "a_bn.running_var",
                "a_bn.num_batches_tracked",
                "b.weight",
                "b.bias",
                "b_bn.weight",
                "b_bn.bias",
                "b_bn.running_mean",
                "b_bn.running_var",
                "b_bn.num_batches_tracked",
                "mix.weight",
                "c.weight",
                "c_bn.weight",
                "c_bn.bias",
                "c_bn.running_mean",
                "c_bn.running_var",
                "c_bn.num_batches_tracked",
                "fc.weight",
                "fc.bias",
            ],
            model.state_dict().Keys
        );
        var cost = ModelCost.Of(model.Architecture, 32, 32);
        Assert.Equal(model.parameter_count(), cost.Params);
        Assert.Equal(5L * 12 * 16 * 16, cost.Layers.Single(l => l.Name == "mix").Macs);
        using var scope = NewDisposeScope();
        Assert.Equal([2, 2], model.forward(randn(2, 3, 32, 32)).shape);
    }

    [Fact]
    public void A_consuming_layer_prunes_the_channels_it_reads_and_an_opaque_one_keeps_its_input_whole()
    {
        var groups = DependencyGroups.Of(ToyBuilder.Instance.Create("toy", new NetworkOptions()));
        Assert.Equal(["stem", "b"], groups.Select(g => g.Name));
        Assert.Equal(GroupKind.Stem, groups[0].Kind);
        var b = groups[1];
        Assert.Equal((GroupKind.Internal, 12), (b.Kind, b.Channels));
        Assert.Equal(
            [("b", MemberRole.Producer), ("b_bn", MemberRole.ChannelWise), ("mix", MemberRole.Consumer)],
            b.Members.Select(m => (m.Layer, m.Role))
        );
        // mix's own width and c (read by the opaque share) are not groups: they keep every channel.
        Assert.DoesNotContain(groups, g => g.Producers.Any(p => p.Layer is "c" or "fc"));
    }

    [Theory]
    [InlineData("l2")]
    [InlineData("l1")]
    [InlineData("bn")]
    [InlineData("random")]
    public void Surgery_removes_dead_channels_without_changing_the_function_and_every_fast_path_matches(
        string importance
    )
    {
        using var model = Toy(2);
        SurgeryTests.KillTrailingChannels(model, 0.5);
        var options = new PruningOptions(0.5) { Importance = Importances.Named(importance, seed: 4) };
        var (pruned, plan) = Pruner.Prune(model, options);
        using (pruned)
        {
            Assert.Equal(
                new Dictionary<string, int>
                {
                    ["a"] = 4,
                    ["b"] = 6,
                    ["c"] = 6,
                    ["fc"] = 2,
                },
                pruned.Architecture.Widths
            );
            Assert.Equal(new long[] { 5, 6 }, pruned.get_parameter("mix.weight").shape);
            pruned.eval();
            using var scope = NewDisposeScope();
            var x = randn(2, 3, 32, 32);
            // Random ranking may keep a dead channel and drop a live one: only the norm criteria must keep the
            // function.
            if (importance != "random")
            {
                Assert.Equal(Enumerable.Range(0, 6), plan.Kept["b"]);
                var expected = model.forward(x).ToArray<float>();
                var actual = pruned.forward(x).ToArray<float>();
                for (var i = 0; i < expected.Length; i++)
                    Assert.Equal(expected[i], actual[i], 1e-5f);
            }
            foreach (var path in InferenceModel.Candidates(Device.CPU))
            {
                using var fast = InferenceModel.Prepare(
                    pruned,
                    new InferenceOptions
                    {
                        Size = new ImageSize(32, 32),
                        Path = path,
                        TuningRuns = 1,
                        TuneThreads = false,
                    }
                );
                InferenceModelTests.AssertSameOutputs(pruned, fast, 2, 32, 32);
            }
        }
    }
}
