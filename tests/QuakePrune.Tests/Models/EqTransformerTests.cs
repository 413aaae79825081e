using QuakePrune.Models;
using QuakePrune.Pruning;
using QuakePrune.Spectrograms;
using QuakePrune.Torch;
using static QuakePrune.Torch.torch;

namespace QuakePrune.Tests.Models;

/// <summary>EQTransformer against SeisBench's (Fixtures/EqTransformer/NOTICE.md), and its variants.</summary>
public class EqTransformerTests
{
    private static string FixturePath(string file) =>
        Path.Combine(AppContext.BaseDirectory, "Models", "Fixtures", "EqTransformer", file);

    private static Architecture Member(string name) => NetworkBuilders.Create(name, new NetworkOptions());

    private static IEnumerable<string> Layout(Network model) =>
        model.state_dict().Select(kv => $"{kv.Key} [{string.Join(", ", kv.Value.shape)}]");

    [Fact]
    public void State_dict_has_seisbenchs_names_shapes_and_order()
    {
        using var model = new Network(Member("eqtransformer"));
        Assert.Equal(File.ReadLines(FixturePath("seisbench_eqtransformer_state.txt")), Layout(model));
        Assert.Equal(249, model.state_dict().Count);
        Assert.Equal(376_935, model.parameter_count());
        Assert.Equal(376_935, ModelCost.Of(model.Architecture, model.Graph.InputShape).Params);
    }

    /// <summary>A fixture's tensors and its <c>weights.&lt;name&gt;</c> state dict. The fixtures' writer stored the 0-d
    /// num_batches_tracked as [1] (numpy makes contiguous arrays at least 1-d).</summary>
    private static (IReadOnlyDictionary<string, Tensor> Tensors, Dictionary<string, Tensor> Weights) LoadFixture(
        string file
    )
    {
        var fixture = Safetensors.LoadTensors(FixturePath(file)).Tensors;
        const string prefix = "weights.";
        var weights = fixture
            .Where(kv => kv.Key.StartsWith(prefix, StringComparison.Ordinal))
            .ToDictionary(
                kv => kv.Key[prefix.Length..],
                kv =>
                    kv.Key.EndsWith(".num_batches_tracked", StringComparison.Ordinal) ? kv.Value.reshape([]) : kv.Value
            );
        return (fixture, weights);
    }

    /// <summary>Loads the fixture's weights strictly into our eqtransformer, runs its input in eval mode and compares
    /// the three curves with SeisBench's, within 1e-4.</summary>
    private static void AssertSeisbenchsCurves(string file)
    {
        using var scope = NewDisposeScope();
        var (fixture, weights) = LoadFixture(file);
        using var model = new Network(Member("eqtransformer"), initialise: false);
        model.load_state_dict(weights, strict: true);
        model.eval();
        Tensor[] curves;
        using (no_grad())
            curves = model.ForwardAll(fixture["input"]);
        foreach (var (curve, name) in curves.Zip(EqTransformerBuilder.Outputs))
        {
            Assert.Equal([2, 6000], curve.shape);
            using var difference = (curve - fixture[name]).abs().max();
            var largest = difference.item<float>();
            Assert.True(largest < 1e-4, $"{file} {name}: largest difference from PyTorch {largest}");
        }
    }

    [Fact]
    public void Forward_equals_seisbenchs_curves_within_1e_4() =>
        AssertSeisbenchsCurves("seisbench_eqtransformer_seed0_batch2.safetensors");

    [Fact]
    public void A_trained_checkpoint_gives_seisbenchs_curves_within_1e_4()
    {
        const string file = "seisbench_eqtransformer_trained_batch2.safetensors";
        using (NewDisposeScope())
        {
            // A trained checkpoint, not a fresh one: training moved every batch norm's running statistics and counted
            // its batches.
            var (_, weights) = LoadFixture(file);
            using var fresh = new Network(Member("eqtransformer"));
            var initial = fresh.state_dict();
            Assert.Equal(initial.Keys.Order(StringComparer.Ordinal), weights.Keys.Order(StringComparer.Ordinal));
            var statistics = initial
                .Keys.Where(k =>
                    k.EndsWith(".running_mean", StringComparison.Ordinal)
                    || k.EndsWith(".running_var", StringComparison.Ordinal)
                )
                .ToList();
            Assert.Equal(34, statistics.Count);
            foreach (var name in statistics)
                Assert.False(
                    initial[name].ToArray<float>().SequenceEqual(weights[name].ToArray<float>()),
                    $"{name} is still the fresh model's"
                );
            foreach (var name in initial.Keys.Where(k => k.EndsWith(".num_batches_tracked", StringComparison.Ordinal)))
                Assert.True(weights[name].item<long>() > initial[name].item<long>(), $"{name} counted no batches");
        }
        AssertSeisbenchsCurves(file);
    }

    [Fact]
    public void A_bare_seisbench_state_dict_is_recognised_as_eqtransformer()
    {
        var shapes = Safetensors
            .ReadLayout(FixturePath("seisbench_eqtransformer_seed0_batch2.safetensors"))
            .Where(t => t.name.StartsWith("weights.", StringComparison.Ordinal))
            .ToDictionary(t => t.name["weights.".Length..], t => t.shape);
        Assert.Equal(Member("eqtransformer"), Architecture.FromShapes(shapes));
    }

    [Theory]
    [InlineData("eqt-gru")]
    [InlineData("eqt-cnn-bilstm")]
    [InlineData("eqt-lite")]
    public void Variants_are_recognised_from_their_own_state_dicts(string member)
    {
        using var model = new Network(Member(member));
        var shapes = model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.shape);
        Assert.Equal(Member(member), Architecture.FromShapes(shapes));
    }

    [Theory]
    [InlineData("eqtransformer")]
    [InlineData("eqt-gru")]
    [InlineData("eqt-cnn-bilstm")]
    [InlineData("eqt-lite")]
    public void Every_member_gives_three_probability_curves_of_6000_samples(string member)
    {
        using var scope = NewDisposeScope();
        manual_seed(3);
        using var model = new Network(Member(member));
        model.eval();
        Tensor[] curves;
        using (no_grad())
            curves = model.ForwardAll(randn([2, 3, 6000]));
        Assert.Equal(3, curves.Length);
        foreach (var curve in curves)
        {
            Assert.Equal([2, 6000], curve.shape);
            Assert.True(curve.min().item<float>() >= 0 && curve.max().item<float>() <= 1);
        }
    }

    [Fact]
    public void The_variants_cost_less_than_eqtransformer_where_they_should()
    {
        ModelCost Cost(string member) => ModelCost.Of(Member(member), Member(member).Graph.InputShape);
        var full = Cost("eqtransformer");
        var gru = Cost("eqt-gru");
        var cnn = Cost("eqt-cnn-bilstm");
        var lite = Cost("eqt-lite");
        long Recurrent(ModelCost cost) => cost.Layers.Where(l => l.Layer is RecurrentLayer).Sum(l => l.Params);
        // A GRU has three gates where an LSTM has four: exactly three quarters of the recurrent weights.
        Assert.Equal(Recurrent(full) * 3, Recurrent(gru) * 4);
        Assert.True(gru.Macs < full.Macs);
        Assert.Equal(1, cnn.Layers.Count(l => l.Layer is RecurrentLayer { Bidirectional: true }));
        long RecurrentMacs(ModelCost cost) => cost.Layers.Where(l => l.Layer is RecurrentLayer).Sum(l => l.Macs);
        Assert.True(
            RecurrentMacs(cnn) < RecurrentMacs(full) / 2,
            $"{RecurrentMacs(cnn)} recurrent MACs against {RecurrentMacs(full)}"
        );
        Assert.True(lite.Params < full.Params / 2 && lite.Macs < full.Macs / 2);
        Assert.DoesNotContain(gru.Layers, l => l.Kind == "LSTM");
    }

    /// <summary>
    /// A picker's outputs are sigmoids of its logits, which a named forward reads without running the sigmoids.
    /// </summary>
    [Theory]
    [InlineData("eqtransformer")]
    [InlineData("eqt-lite")]
    public void The_logits_are_the_outputs_before_their_sigmoid(string member)
    {
        using var scope = NewDisposeScope();
        manual_seed(5);
        using var model = new Network(Member(member));
        model.eval();
        var input = randn([2, 3, 6000]);
        Tensor[] curves,
            logits;
        using (no_grad())
        {
            curves = model.ForwardAll(input);
            var (d, p, s) = QuakePrune.Picking.PickingNetwork.Logits(model, input);
            logits = [d, p, s];
        }
        foreach (var (curve, logit) in curves.Zip(logits))
        {
            Assert.Equal(curve.shape, logit.shape);
            Assert.True((curve - logit.sigmoid()).abs().max().item<float>() < 1e-6);
            Assert.True((curve - logit).abs().max().item<float>() > 1e-3, "the logits are the curves themselves");
        }
        Assert.Contains(
            "no layer 'nowhere'",
            Assert.Throws<ArgumentException>(() => model.ForwardNodes(input, ["nowhere"])).Message
        );
    }

    [Fact]
    public void Fresh_weights_are_deterministic_by_seed()
    {
        float[] Weights(long seed)
        {
            manual_seed(seed);
            using var model = new Network(Member("eqt-gru"));
            using var scope = NewDisposeScope();
            return model
                .state_dict()
                .Values.Where(t => t.dtype == ScalarType.Float32)
                .SelectMany(t => t.flatten().ToArray<float>())
                .ToArray();
        }
        Assert.Equal(Weights(5), Weights(5));
        Assert.NotEqual(Weights(5), Weights(6));
    }

    [Fact]
    public void Pruning_groups_cover_the_convolutions_and_leave_recurrent_and_attention_widths_whole()
    {
        var architecture = Member("eqtransformer");
        var groups = DependencyGroups.Of(architecture);
        var names = groups.Select(g => g.Name).ToHashSet();
        // Encoder and decoder convolutions, the residual stream of the res CNN stack, the BiLSTM blocks' 1x1
        // convolutions that feed another BiLSTM.
        Assert.Contains(groups, g => g.Kind == GroupKind.Stem && g.Members.Any(m => m.Layer == "encoder.convs.0"));
        Assert.Contains("decoder_d.convs.3", names);
        Assert.Contains("pick_decoders.1.convs.6", names);
        Assert.Contains("res_cnn_stack.members.0.conv1", names);
        Assert.Contains(groups, g => g.Kind == GroupKind.Residual && g.Members.Any(m => m.Layer == "encoder.convs.6"));
        Assert.Contains("bi_lstm_stack.members.0.conv", names);
        // The last BiLSTM block's output feeds the attention (opaque), and the one-channel output convolutions are the
        // curves.
        Assert.DoesNotContain("bi_lstm_stack.members.2.conv", names);
        Assert.DoesNotContain("conv_d", names);
        Assert.DoesNotContain("pick_convs.0", names);

        manual_seed(1);
        using var model = new Network(architecture);
        model.eval();
        var (pruned, plan) = Pruner.Prune(model, new PruningOptions(0.5));
        using (pruned)
        {
            Assert.True(pruned.parameter_count() < model.parameter_count() / 2);
            using var scope = NewDisposeScope();
            Tensor[] curves;
            using (no_grad())
                curves = pruned.ForwardAll(randn([1, 3, 6000]));
            Assert.All(curves, c => Assert.Equal([1, 6000], c.shape));
            // The first BiLSTM reads the residual stream: its input weights lose the pruned channels.
            Assert.Equal(
                plan.Kept["res_cnn_stack.residual"].Length,
                (int)pruned.state_dict()["bi_lstm_stack.members.0.lstm.weight_ih_l0"].shape[1]
            );
        }
    }

    [Fact]
    public void A_checkpoint_prunes_into_a_smaller_checkpoint_that_loads_and_costs_less_per_window()
    {
        using var dir = new TempDir();
        manual_seed(2);
        using (var model = new Network(Member("eqt-lite")))
            Checkpoint.Save(
                model,
                new ModelInfo(model.Architecture, new ImageSize(1, 1), new Dictionary<string, string>()),
                dir.File("lite.safetensors")
            );
        var summary = CheckpointPruning.Prune(
            dir.File("lite.safetensors"),
            new PruningOptions(0.5),
            dir.File("pruned.safetensors")
        );
        Assert.True(summary.MacsAfter < summary.MacsBefore / 2 && summary.ParamsAfter < summary.ParamsBefore);
        using var loaded = Checkpoint.Load(dir.File("pruned.safetensors"));
        Assert.Equal(summary.MacsAfter, ModelCost.Of(loaded.Info).Macs);
        Assert.Equal("detection,p,s", Safetensors.ReadMetadata(dir.File("pruned.safetensors"))[ModelInfo.LabelsKey]);
    }
}
