using QuakePrune.Inference;
using QuakePrune.Models;
using QuakePrune.Pruning;
using QuakePrune.Torch;
using static QuakePrune.Torch.torch;

namespace QuakePrune.Tests.Latency;

/// <summary>
/// The fast path on waveform pickers: every output within 1e-4 of the module, on each path a waveform network has.
/// </summary>
public class WaveformInferenceTests
{
    /// <summary>
    /// An eval-mode picker whose batch norms are far from identity, so that folding them into the convolutions has work
    /// to do.
    /// </summary>
    private static Network WithRandomNorms(string member, long seed)
    {
        manual_seed(seed);
        var model = new Network(NetworkBuilders.Create(member, new NetworkOptions()));
        var norms = model.Graph.Nodes.Where(n => n.Layer is BatchNormLayer).Select(n => n.Name + ".").ToArray();
        using var scope = NewDisposeScope();
        using (no_grad())
            foreach (var (name, tensor) in model.state_dict().Where(kv => norms.Any(kv.Key.StartsWith)))
                tensor.copy_(
                    name.EndsWith("running_var") || name.EndsWith("weight")
                        ? rand(tensor.shape).add(0.5)
                        : randn(tensor.shape).mul(0.3)
                );
        model.eval();
        return model;
    }

    private static void AssertSameOutputs(Network model, InferenceModel fast, int batch)
    {
        using var scope = NewDisposeScope();
        var x = randn(batch, 3, 6000);
        var expected = model.ForwardAll(x);
        var actual = fast.ForwardAll(x);
        Assert.Equal(expected.Length, actual.Length);
        for (var o = 0; o < expected.Length; o++)
        {
            Assert.Equal(expected[o].shape, actual[o].shape);
            var deviation = expected[o].sub(actual[o]).abs().max().item<float>();
            Assert.True(
                deviation <= 1e-4,
                $"{fast.Path}, batch {batch}, output {model.Graph.Outputs[o]}: deviates by {deviation:G3}"
            );
        }
    }

    public static TheoryData<string, InferencePath> MembersAndPaths()
    {
        var data = new TheoryData<string, InferencePath>();
        foreach (var member in EqTransformerBuilder.Instance.Members)
        foreach (
            var path in InferenceModel
                .Candidates(Device.CPU)
                .Where(p => p is InferencePath.OneDnn or InferencePath.Plain)
        )
            data.Add(member, path);
        return data;
    }

    [Theory]
    [MemberData(nameof(MembersAndPaths))]
    public void Every_picker_gives_the_modules_three_curves_at_batch_1_and_3(string member, InferencePath path)
    {
        using var model = WithRandomNorms(member, 21);
        using var fast = InferenceModel.Prepare(
            model,
            new InferenceOptions
            {
                Batch = 2,
                Path = path,
                TuningRuns = 1,
            }
        );
        Assert.Equal(path, fast.Path);
        AssertSameOutputs(model, fast, 1);
        AssertSameOutputs(model, fast, 3);
    }

    [Fact]
    public void The_direct_oneDNN_path_takes_the_encoder_and_every_decoder_with_its_upsamplings_and_crop()
    {
        Assert.True(
            OneDnn.IsAvailable,
            $"oneDNN does not load here ({OneDnn.Unavailable}): environment/setup.sh installs Debian's libtorch, which links it"
        );
        using var model = WithRandomNorms("eqtransformer", 22);
        using var fast = InferenceModel.Prepare(
            model,
            new InferenceOptions
            {
                Path = InferencePath.OneDnn,
                TuningRuns = 1,
                TuneThreads = false,
            }
        );
        var names = fast.OneDnnSteps.Select(s => s.Name).ToHashSet();
        string[] taken =
        [
            "encoder.convs.0",
            "encoder.pools.6",
            "decoder_d.upsamples.0",
            "decoder_d.convs.2",
            "conv_d",
            "pick_decoders.1.convs.6",
            "pick_convs.1",
        ];
        Assert.All(taken, name => Assert.Contains(name, names));
        // The recurrences and attentions stay with libtorch.
        Assert.DoesNotContain(names, n =>
            n.EndsWith(".lstm", StringComparison.Ordinal)
            || n.StartsWith("pick_lstms", StringComparison.Ordinal)
            || n.Contains("attention")
        );
        Assert.DoesNotContain(fast.OneDnnSteps, s =>
            s.Implementation.StartsWith("ref", StringComparison.Ordinal) && s.Name.Contains("conv")
        );
    }

    [Fact]
    public void Without_timing_the_most_specialised_path_is_taken_and_still_checked()
    {
        using var model = WithRandomNorms("eqt-lite", 24);
        using var fast = InferenceModel.Prepare(model, new InferenceOptions { TimePaths = false });
        var expected = OneDnn.IsAvailable ? InferencePath.OneDnn : InferencePath.Plain;
        Assert.Equal(expected, fast.Path);
        var trial = Assert.Single(fast.Trials);
        Assert.True(double.IsNaN(trial.MedianMs) && trial.MaxAbsDiff <= 1e-4, $"{trial}");
        AssertSameOutputs(model, fast, 2);
    }

    [Fact]
    public void A_pruned_eqtransformer_runs_the_fast_path_as_its_module()
    {
        using var model = WithRandomNorms("eqtransformer", 23);
        var (pruned, _) = Pruner.Prune(model, new PruningOptions(0.7));
        using (pruned)
        {
            pruned.eval();
            using var fast = InferenceModel.Prepare(pruned, new InferenceOptions { TuningRuns = 1 });
            AssertSameOutputs(pruned, fast, 1);
            AssertSameOutputs(pruned, fast, 3);
        }
    }
}
