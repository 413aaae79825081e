using System.Diagnostics;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using QuakePrune.Export;
using QuakePrune.Models;
using QuakePrune.Pruning;
using QuakePrune.Spectrograms;
using QuakePrune.Torch;
using Xunit.Abstractions;
using static QuakePrune.Torch.torch;
using Tensor = QuakePrune.Torch.Tensor;

namespace QuakePrune.Tests.Export;

/// <summary>
/// `quakeprune export` judged by ONNX Runtime (the same logits or curves within 1e-4, at two batch sizes) and by onnx's
/// own checker.
/// </summary>
public class OnnxExportTests(ITestOutputHelper output)
{
    private static readonly ImageSize Size = new(32, 32);

    /// <summary>
    /// A checkpoint of <paramref name="member"/> with seeded weights and batch-norm statistics moved off 0 and 1, so
    /// that the export must carry them.
    /// </summary>
    private static string MakeCheckpoint(TempDir dir, string member, int hidden)
    {
        manual_seed(11);
        var architecture = NetworkBuilders.Create(member, new NetworkOptions(3, 2, hidden));
        using var model = new Network(architecture);
        model.train();
        using (no_grad())
            for (var i = 0; i < 3; i++)
            {
                using var x = randn([4, 3, Size.Height, Size.Width]);
                using var _ = model.forward(x);
            }
        model.eval();
        var path = dir.File($"{member}-{hidden}.safetensors");
        QuakePrune.Models.Checkpoint.Save(
            model,
            new ModelInfo(architecture, Size, new Dictionary<string, string> { ["training.seed"] = "11" }),
            path
        );
        return path;
    }

    private static float[] Ours(string checkpoint, float[] input, int batch, ImageSize? size = null)
    {
        var (height, width) = ((size ?? Size).Height, (size ?? Size).Width);
        using var loaded = QuakePrune.Models.Checkpoint.Load(checkpoint);
        loaded.Model.eval();
        using var _ = no_grad();
        using var x = tensor(input, [batch, 3, height, width]);
        using var y = loaded.Model.forward(x);
        return y.contiguous().ToArray<float>();
    }

    private static float[] OnnxRuntime(string onnx, float[] input, int batch, ImageSize? size = null)
    {
        using var session = new InferenceSession(onnx);
        var x = new DenseTensor<float>(input, [batch, 3, (size ?? Size).Height, (size ?? Size).Width]);
        using var results = session.Run([NamedOnnxValue.CreateFromTensor(NetworkGraph.Input, x)]);
        return results.Single().AsEnumerable<float>().ToArray();
    }

    /// <summary>
    /// Debian's python3-onnx (environment/setup.sh installs it): onnx.checker with its full check, shape inference
    /// included.
    /// </summary>
    private static void Check(string onnx)
    {
        var start = new ProcessStartInfo("/usr/bin/python3")
        {
            ArgumentList =
            {
                "-c",
                "import onnx, sys; onnx.checker.check_model(onnx.load(sys.argv[1]), full_check=True)",
                onnx,
            },
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        };
        using var checker = Process.Start(start)!;
        var errors = checker.StandardError.ReadToEnd();
        checker.WaitForExit();
        Assert.True(checker.ExitCode == 0, $"onnx.checker refused {onnx}: {errors}");
    }

    [Theory]
    [InlineData("resnet18", 0)]
    [InlineData("resnet34", 0)]
    [InlineData("resnet50", 512)]
    public void A_resnet_runs_in_onnx_runtime_as_here(string member, int hidden)
    {
        using var dir = new TempDir();
        var checkpoint = MakeCheckpoint(dir, member, hidden);
        var onnx = dir.File("model.onnx");
        using (var loaded = QuakePrune.Models.Checkpoint.Load(checkpoint))
        {
            var summary = OnnxExport.Export(loaded, onnx);
            Assert.Equal(["input"], [summary.Input]);
            Assert.Equal(loaded.Model.Graph.Outputs, summary.Outputs);
        }
        Check(onnx);
        foreach (var batch in new[] { 1, 3 })
        {
            manual_seed(batch);
            using var x = randn([batch, 3, Size.Height, Size.Width]);
            var input = x.ToArray<float>();
            var (ours, theirs) = (Ours(checkpoint, input, batch), OnnxRuntime(onnx, input, batch));
            Assert.Equal(batch * 2, theirs.Length);
            Assert.All(ours.Zip(theirs), p =>
                Assert.True(
                    Math.Abs(p.First - p.Second) <= 1e-4,
                    $"{member} batch {batch}: ours {p.First}, ONNX Runtime {p.Second}"
                )
            );
        }
        // Batch, height and width are dynamic: another image size runs as here too.
        var other = new ImageSize(40, 48);
        manual_seed(7);
        using (var y = randn([2, 3, other.Height, other.Width]))
        {
            var input = y.ToArray<float>();
            Assert.All(Ours(checkpoint, input, 2, other).Zip(OnnxRuntime(onnx, input, 2, other)), p =>
                Assert.True(Math.Abs(p.First - p.Second) <= 1e-4)
            );
        }
        using var session = new InferenceSession(onnx);
        Assert.Equal("11", session.ModelMetadata.CustomMetadataMap["training.seed"]);
        Assert.Equal([-1, 3, -1, -1], session.InputMetadata["input"].Dimensions);
    }

    [Fact]
    public void A_pruned_resnet_exports_at_its_smaller_widths()
    {
        using var dir = new TempDir();
        var checkpoint = MakeCheckpoint(dir, "resnet18", 64);
        var pruned = dir.File("pruned.safetensors");
        CheckpointPruning.Prune(checkpoint, new PruningOptions(0.7, PruningScope.Full, Ranking.Local, 1, 1), pruned);
        var onnx = dir.File("pruned.onnx");
        using (var loaded = QuakePrune.Models.Checkpoint.Load(pruned))
            OnnxExport.Export(loaded, onnx);
        Check(onnx);
        manual_seed(2);
        using var x = randn([2, 3, Size.Height, Size.Width]);
        var input = x.ToArray<float>();
        Assert.All(Ours(pruned, input, 2).Zip(OnnxRuntime(onnx, input, 2)), p =>
            Assert.True(Math.Abs(p.First - p.Second) <= 1e-4)
        );
    }

    /// <summary>
    /// A picker's checkpoint with seeded weights, every tensor the ONNX form rearranges or that starts at a constant
    /// (attention weights and biases, layer norms' gamma and beta, recurrent biases) drawn at a scale where a mistake
    /// shows, and batch-norm statistics moved off 0 and 1 by forwards in train mode. The convolutions' weights are
    /// scaled by sqrt(6) (He's gain over PyTorch's default): at PyTorch's, the signal fades through the fourteen
    /// convolutions of encoder and decoder and the curves come out flat, so that a wrong gate order or attention window
    /// changed them by less than the tolerance.
    /// </summary>
    private static string MakePickerCheckpoint(TempDir dir, string member)
    {
        manual_seed(11);
        var architecture = NetworkBuilders.Create(member, new NetworkOptions());
        using var model = new Network(architecture);
        using (no_grad())
        {
            foreach (var (name, parameter) in model.named_parameters())
            {
                var leaf = name[(name.LastIndexOf('.') + 1)..];
                if (leaf is "Wx" or "Wt" or "Wa" or "bh" or "ba" or "beta" || leaf.StartsWith("bias_"))
                    parameter.copy_(randn(parameter.shape).mul(0.3));
                else if (leaf == "gamma")
                    parameter.copy_(randn(parameter.shape).mul(0.3).add(1));
                else if (leaf == "weight" && parameter.dim() == 3)
                    parameter.mul_(Math.Sqrt(6));
            }
            model.train();
            for (var i = 0; i < 2; i++)
            {
                using var x = randn([4, 3, 6000]);
                foreach (var y in model.ForwardAll(x))
                    y.Dispose();
            }
        }
        model.eval();
        var path = dir.File($"{member}.safetensors");
        QuakePrune.Models.Checkpoint.Save(
            model,
            new ModelInfo(
                architecture,
                new ImageSize(1, 1),
                new Dictionary<string, string> { ["training.seed"] = "11" }
            ),
            path
        );
        return path;
    }

    /// <summary>
    /// Our curves (<see cref="Network.ForwardAll"/>, eval mode, no grad) and ONNX Runtime's at batch 1 and 3 on seeded
    /// waveforms, every value within 1e-4; the file passes onnx's checker and declares [batch, 3, 6000] in, [batch,
    /// 6000] out.
    /// </summary>
    private void AssertPickerRunsAsHere(string checkpoint, string label)
    {
        var onnx = checkpoint.Replace(".safetensors", ".onnx");
        using (var loaded = QuakePrune.Models.Checkpoint.Load(checkpoint))
        {
            var summary = OnnxExport.Export(loaded, onnx);
            Assert.Equal(EqTransformerBuilder.Outputs, summary.Outputs);
        }
        Check(onnx);
        using var session = new InferenceSession(onnx);
        Assert.Equal([-1, 3, 6000], session.InputMetadata["input"].Dimensions);
        Assert.All(EqTransformerBuilder.Outputs, o => Assert.Equal([-1, 6000], session.OutputMetadata[o].Dimensions));
        foreach (var batch in new[] { 1, 3 })
        {
            manual_seed(batch);
            using var scope = NewDisposeScope();
            var x = randn([batch, 3, 6000]);
            Tensor[] ours;
            using (var loaded = QuakePrune.Models.Checkpoint.Load(checkpoint))
            {
                loaded.Model.eval();
                using var _ = no_grad();
                ours = loaded.Model.ForwardAll(x);
            }
            using var results = session.Run([
                NamedOnnxValue.CreateFromTensor(
                    NetworkGraph.Input,
                    new DenseTensor<float>(x.ToArray<float>(), [batch, 3, 6000])
                ),
            ]);
            for (var k = 0; k < ours.Length; k++)
            {
                var name = EqTransformerBuilder.Outputs[k];
                var (expected, actual) = (
                    ours[k].contiguous().ToArray<float>(),
                    results.Single(r => r.Name == name).AsEnumerable<float>().ToArray()
                );
                Assert.Equal(batch * 6000, actual.Length);
                // A flat curve would hide a wrong recurrence or attention below the tolerance: the checkpoint must make
                // them vary.
                Assert.True(
                    expected.Max() - expected.Min() > 0.01,
                    $"{label} {name}: the curve barely varies, so the comparison proves little"
                );
                var deviation = expected.Zip(actual).Max(p => Math.Abs(p.First - p.Second));
                output.WriteLine(
                    $"{label} batch {batch} {name}: max |ours - ONNX Runtime| {deviation:G3}, curve from {expected.Min():G3} to {expected.Max():G3}"
                );
                Assert.True(deviation <= 1e-4, $"{label} batch {batch} {name}: ONNX Runtime is {deviation} off ours");
            }
        }
    }

    [Theory]
    [InlineData("eqtransformer")]
    [InlineData("eqt-gru")]
    [InlineData("eqt-cnn-bilstm")]
    [InlineData("eqt-lite")]
    public void A_picker_runs_in_onnx_runtime_as_here(string member)
    {
        using var dir = new TempDir();
        AssertPickerRunsAsHere(MakePickerCheckpoint(dir, member), member);
    }

    [Fact]
    public void A_pruned_eqtransformer_exports_at_its_smaller_widths()
    {
        using var dir = new TempDir();
        var pruned = dir.File("pruned.safetensors");
        CheckpointPruning.Prune(MakePickerCheckpoint(dir, "eqtransformer"), new PruningOptions(0.5), pruned);
        using (var loaded = QuakePrune.Models.Checkpoint.Load(pruned))
            Assert.True(loaded.Model.state_dict()["encoder.convs.0.weight"].shape[0] < EqTransformerBuilder.Filters[0]);
        AssertPickerRunsAsHere(pruned, "eqtransformer pruned 50 % (L2)");
    }

    /// <summary>
    /// A layer that says only "run my module" (<see cref="ModuleOp"/>): no ONNX form can be derived from it.
    /// </summary>
    private sealed record SoftsignLayer : Layer
    {
        public override string Kind => "Softsign";

        public override long[] OutputShape(IReadOnlyList<long[]> inputs) => inputs[0].ToArray();

        public override Tensor Forward(
            nn.Module? module,
            IReadOnlyList<Tensor> inputs,
            bool training,
            bool mayOverwrite
        )
        {
            using var denominator = inputs[0].abs().add(1);
            return inputs[0].div(denominator);
        }
    }

    /// <summary>A convolution, then <see cref="SoftsignLayer"/>.</summary>
    /// <summary>No arguments: the network has one form.</summary>
    private sealed record SoftsignArguments : BuilderArguments;

    private sealed class SoftsignBuilder : NetworkBuilder<SoftsignArguments>
    {
        public static readonly SoftsignBuilder Instance = new();
        public override string Name => "softsign";
        public override IReadOnlyList<string> Members => ["softsign"];

        public override Architecture Create(string member, NetworkOptions options) =>
            new(this, new SoftsignArguments(), new Dictionary<string, int> { ["conv"] = 4 });

        public override NetworkGraph Describe(SoftsignArguments arguments, Func<string, int> widthOf) =>
            new(
                [
                    new("conv", new Conv2dLayer(widthOf("conv"), 3, 1, 1), [NetworkGraph.Input]),
                    new("softsign", new SoftsignLayer(), ["conv"]),
                ],
                [1, 3, Size.Height, Size.Width],
                ["softsign"]
            );
    }

    [Fact]
    public void A_layer_without_an_onnx_form_is_refused_by_name_and_nothing_is_written()
    {
        using var dir = new TempDir();
        var architecture = SoftsignBuilder.Instance.Create("softsign", new NetworkOptions());
        using var loaded = new LoadedModel(
            new Network(architecture),
            new ModelInfo(architecture, Size, new Dictionary<string, string>())
        );
        var e = Assert.Throws<NotSupportedException>(() => OnnxExport.Export(loaded, dir.File("softsign.onnx")));
        Assert.Contains("has no ONNX form yet", e.Message);
        Assert.StartsWith("export: layer 'softsign' (Softsign)", e.Message);
        Assert.False(File.Exists(dir.File("softsign.onnx")));
    }
}
