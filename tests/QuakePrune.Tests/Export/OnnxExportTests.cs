using System.Diagnostics;
using System.Text.Json.Nodes;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using QuakePrune.Export;
using QuakePrune.Models;
using QuakePrune.Pruning;
using QuakePrune.Spectrograms;
using QuakePrune.Torch;
using Tensor = QuakePrune.Torch.Tensor;
using static QuakePrune.Torch.torch;

namespace QuakePrune.Tests.Export;

/// <summary>`quakeprune export` judged by ONNX Runtime (the same logits within 1e-4, at two batch sizes) and by onnx's own checker.</summary>
public class OnnxExportTests
{
    private static readonly ImageSize Size = new(32, 32);

    /// <summary>A checkpoint of <paramref name="member"/> with seeded weights and batch-norm statistics moved off 0 and 1, so that the export must carry them.</summary>
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
        QuakePrune.Models.Checkpoint.Save(model, new ModelInfo(architecture, Size, null, new Dictionary<string, string> { ["training.seed"] = "11" }), path);
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

    /// <summary>Debian's python3-onnx (environment/setup.sh installs it): onnx.checker with its full check, shape inference included.</summary>
    private static void Check(string onnx)
    {
        var start = new ProcessStartInfo("/usr/bin/python3")
        {
            ArgumentList = { "-c", "import onnx, sys; onnx.checker.check_model(onnx.load(sys.argv[1]), full_check=True)", onnx },
            RedirectStandardError = true, RedirectStandardOutput = true,
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
            Assert.All(ours.Zip(theirs), p => Assert.True(Math.Abs(p.First - p.Second) <= 1e-4, $"{member} batch {batch}: ours {p.First}, ONNX Runtime {p.Second}"));
        }
        // Batch, height and width are dynamic: another image size runs as here too.
        var other = new ImageSize(40, 48);
        manual_seed(7);
        using (var y = randn([2, 3, other.Height, other.Width]))
        {
            var input = y.ToArray<float>();
            Assert.All(Ours(checkpoint, input, 2, other).Zip(OnnxRuntime(onnx, input, 2, other)), p => Assert.True(Math.Abs(p.First - p.Second) <= 1e-4));
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
        using (var loaded = QuakePrune.Models.Checkpoint.Load(pruned)) OnnxExport.Export(loaded, onnx);
        Check(onnx);
        manual_seed(2);
        using var x = randn([2, 3, Size.Height, Size.Width]);
        var input = x.ToArray<float>();
        Assert.All(Ours(pruned, input, 2).Zip(OnnxRuntime(onnx, input, 2)), p => Assert.True(Math.Abs(p.First - p.Second) <= 1e-4));
    }

    /// <summary>A layer that says only "run my module" (<see cref="ModuleOp"/>): no ONNX form can be derived from it.</summary>
    private sealed record SoftsignLayer : Layer
    {
        public override string Kind => "Softsign";
        public override long[] OutputShape(IReadOnlyList<long[]> inputs) => inputs[0].ToArray();

        public override Tensor Forward(nn.Module? module, IReadOnlyList<Tensor> inputs, bool training, bool mayOverwrite)
        {
            using var denominator = inputs[0].abs().add(1);
            return inputs[0].div(denominator);
        }
    }

    /// <summary>A convolution, then <see cref="SoftsignLayer"/>.</summary>
    private sealed class SoftsignBuilder : INetworkBuilder
    {
        public static readonly SoftsignBuilder Instance = new();
        public string Name => "softsign";
        public IReadOnlyList<string> Members => ["softsign"];

        public Architecture Create(string member, NetworkOptions options) => new(this, new JsonObject(), new Dictionary<string, int> { ["conv"] = 4 });

        public NetworkGraph Describe(JsonObject arguments, Func<string, int> widthOf) => new(
            [new("conv", new Conv2dLayer(widthOf("conv"), 3, 1, 1), [NetworkGraph.Input]), new("softsign", new SoftsignLayer(), ["conv"])],
            [1, 3, Size.Height, Size.Width], ["softsign"]);

        public JsonObject? Recognise(IReadOnlyDictionary<string, long[]> shapes) => null;
        public Architecture? FromLegacyJson(JsonObject json) => null;
        public void Initialise(Network network) { }
    }

    [Fact]
    public void A_layer_without_an_onnx_form_is_refused_by_name_and_nothing_is_written()
    {
        using var dir = new TempDir();
        var architecture = SoftsignBuilder.Instance.Create("softsign", new NetworkOptions());
        using var loaded = new LoadedModel(new Network(architecture), new ModelInfo(architecture, Size, null, new Dictionary<string, string>()));
        var e = Assert.Throws<NotSupportedException>(() => OnnxExport.Export(loaded, dir.File("softsign.onnx")));
        Assert.Contains("has no ONNX form yet", e.Message);
        Assert.StartsWith("export: layer 'softsign' (Softsign)", e.Message);
        Assert.False(File.Exists(dir.File("softsign.onnx")));
    }
}
