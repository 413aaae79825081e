using QuakePrune.Inference;
using QuakePrune.Models;
using QuakePrune.Pruning;
using QuakePrune.Spectrograms;
using QuakePrune.Tests.Models;
using QuakePrune.Torch;
using static QuakePrune.Torch.torch;

namespace QuakePrune.Tests.Latency;

public class InferenceModelTests
{
    /// <summary>
    /// A tiny eval-mode ResNet whose norms are far from identity (random scale, shift and running statistics), so
    /// folding has work to do.
    /// </summary>
    public static Network TinyWithRandomNorms(long seed, int hidden = 6, Architecture? architecture = null)
    {
        manual_seed(seed);
        var model = new Network(architecture ?? ResNetTests.Tiny(hidden));
        using var scope = NewDisposeScope();
        using (no_grad())
        {
            foreach (var (name, tensor) in model.state_dict())
            {
                if (
                    name.EndsWith("running_mean")
                    || name.EndsWith("bn1.bias")
                    || name.EndsWith("bn2.bias")
                    || name.EndsWith("bn3.bias")
                    || name.EndsWith("downsample.1.bias")
                )
                    tensor.copy_(randn(tensor.shape).mul(0.3));
                else if (
                    name.EndsWith("running_var")
                    || name.EndsWith("bn1.weight")
                    || name.EndsWith("bn2.weight")
                    || name.EndsWith("bn3.weight")
                    || name.EndsWith("downsample.1.weight")
                )
                    tensor.copy_(rand(tensor.shape).add(0.5));
            }
        }
        model.eval();
        return model;
    }

    internal static void AssertSameOutputs(Network model, InferenceModel fast, int batch, int height, int width)
    {
        using var scope = NewDisposeScope();
        var x = randn(batch, 3, height, width);
        var expected = model.forward(x).ToArray<float>();
        var actual = fast.Forward(x).ToArray<float>();
        Assert.Equal(expected.Length, actual.Length);
        var tolerance = 1e-4 * Math.Max(1, expected.Max(Math.Abs));
        for (var i = 0; i < expected.Length; i++)
            Assert.True(
                Math.Abs(expected[i] - actual[i]) <= tolerance,
                $"{fast.Path}, batch {batch}, {height}x{width}, logit {i}: {actual[i]} vs {expected[i]}"
            );
    }

    public static TheoryData<InferencePath> Paths() => new(InferenceModel.Candidates(Device.CPU));

    [Theory]
    [MemberData(nameof(Paths))]
    public void Every_path_reproduces_the_plain_model_at_batch_1_and_3_and_odd_sizes(InferencePath path)
    {
        using var model = TinyWithRandomNorms(11);
        using var fast = InferenceModel.Prepare(
            model,
            new InferenceOptions
            {
                Size = new ImageSize(33, 47),
                Batch = 3,
                Path = path,
            }
        );
        Assert.Equal(path, fast.Path);
        AssertSameOutputs(model, fast, 1, 33, 47);
        AssertSameOutputs(model, fast, 3, 33, 47);
        // Prepared for one size, it still runs others.
        AssertSameOutputs(model, fast, 3, 29, 31);
        AssertSameOutputs(model, fast, 1, 64, 64);
    }

    [Fact]
    public void A_linear_head_without_hidden_layer_works_too()
    {
        using var model = TinyWithRandomNorms(12, hidden: 0);
        using var fast = InferenceModel.Prepare(
            model,
            new InferenceOptions { Size = new ImageSize(32, 32), TuningRuns = 1 }
        );
        AssertSameOutputs(model, fast, 2, 32, 32);
    }

    [Fact]
    public void A_pruned_model_is_measured_on_every_path_checked_and_reproduced()
    {
        using var model = TinyWithRandomNorms(13);
        var (pruned, _) = Pruner.Prune(model, new PruningOptions(0.5));
        using (pruned)
        {
            pruned.eval();
            using var fast = InferenceModel.Prepare(
                pruned,
                new InferenceOptions { Size = new ImageSize(40, 36), TuningRuns = 2 }
            );
            var ceiling = get_num_threads();
            Assert.Equal(
                InferenceModel.Candidates(Device.CPU),
                fast.Trials.Where(t => t.Threads == ceiling).Select(t => t.Path)
            );
            Assert.All(fast.Trials, t => Assert.True(t.MedianMs > 0 && t.MaxAbsDiff <= 1e-4, $"{t}"));
            var fastestPath = fast.Trials.Where(t => t.Threads == ceiling).MinBy(t => t.MedianMs)!;
            Assert.Equal(fastestPath.Path, fast.Path);
            // Fewer threads are tried on the fastest path only, and kept where they measured faster.
            Assert.All(fast.Trials.Where(t => t.Threads != ceiling), t => Assert.Equal(fast.Path, t.Path));
            var chosen = fast.Trials.Where(t => t.Path == fast.Path).MinBy(t => t.MedianMs)!;
            Assert.Equal(chosen.Threads == ceiling ? null : chosen.Threads, fast.Threads);
            AssertSameOutputs(pruned, fast, 1, 40, 36);
            Assert.Equal(ceiling, get_num_threads());
            AssertSameOutputs(pruned, fast, 1, 40, 36);
            AssertSameOutputs(pruned, fast, 3, 41, 37);
        }
    }

    [Fact]
    public void The_direct_oneDNN_path_runs_each_layer_on_its_fastest_thread_count_and_leaves_the_count_alone()
    {
        using var model = TinyWithRandomNorms(18);
        var (pruned, _) = Pruner.Prune(model, new PruningOptions(0.7));
        // Two threads, so that the per-layer choice between 2 and 1 is made even where libtorch defaults to one.
        const int ceiling = 2;
        using var threads = new ThreadCount(ceiling);
        using var _ = pruned;
        pruned.eval();
        using var fast = InferenceModel.Prepare(
            pruned,
            new InferenceOptions
            {
                Size = new ImageSize(36, 28),
                Path = InferencePath.OneDnn,
                TuningRuns = 2,
            }
        );
        var steps = fast.OneDnnSteps;
        Assert.Equal("conv1", steps[0].Name);
        Assert.Equal("avgpool", steps[^1].Name);
        Assert.Contains(steps, s => s.Name == "layer1.0.conv3");
        Assert.Contains(steps, s => s.Name == "layer2.0.downsample.0");
        Assert.All(steps, s => Assert.InRange(s.Threads, 1, ceiling));
        Assert.All(steps, s => Assert.Equal([ceiling, 1], s.MedianMs.Keys.Order().Reverse()));
        Assert.All(steps, s => Assert.Equal(s.MedianMs.MinBy(kv => kv.Value).Key, s.Threads));
        AssertSameOutputs(pruned, fast, 1, 36, 28);
        AssertSameOutputs(pruned, fast, 2, 36, 28);
        Assert.Equal(ceiling, get_num_threads());
        using var doubles = randn(1, 3, 36, 28).to(ScalarType.Float64);
        Assert.Contains("float32", Assert.Throws<ArgumentException>(() => fast.Forward(doubles)).Message);
    }

    [Fact]
    public void Run_takes_and_gives_plain_arrays()
    {
        using var model = TinyWithRandomNorms(14);
        using var fast = InferenceModel.Prepare(
            model,
            new InferenceOptions { Size = new ImageSize(24, 24), Path = InferencePath.Plain }
        );
        var images = Enumerable.Range(0, 2 * 3 * 24 * 24).Select(i => (float)Math.Sin(i * 0.37)).ToArray();
        var logits = fast.Run(images, 2, 24, 24);
        using var expected = model.forward(tensor(images, [2, 3, 24, 24]));
        Assert.Equal(expected.ToArray<float>(), logits, (a, b) => Math.Abs(a - b) <= 1e-4f);
    }

    [Fact]
    public void A_model_in_training_mode_or_a_wrong_input_is_refused()
    {
        using var model = TinyWithRandomNorms(15);
        model.train();
        Assert.Contains("eval", Assert.Throws<ArgumentException>(() => InferenceModel.Prepare(model)).Message);
        model.eval();
        using var fast = InferenceModel.Prepare(
            model,
            new InferenceOptions { Size = new ImageSize(16, 16), Path = InferencePath.Plain }
        );
        Assert.Contains(
            "[2, 1, 16, 16]",
            Assert.Throws<ArgumentException>(() => fast.Forward(randn(2, 1, 16, 16))).Message
        );
    }

    [Fact]
    public void A_path_that_deviates_beyond_the_tolerance_fails_loudly()
    {
        using var model = TinyWithRandomNorms(16);
        // Folding rounds differently from conv-then-norm, so a tolerance far below float32's resolution cannot be met.
        var e = Assert.Throws<InvalidOperationException>(() =>
            InferenceModel.Prepare(
                model,
                new InferenceOptions
                {
                    Size = new ImageSize(20, 20),
                    Path = InferencePath.Plain,
                    Tolerance = 1e-30,
                }
            )
        );
        Assert.Contains("inference path Plain at", e.Message);
        Assert.Contains("deviates from the plain model", e.Message);
    }

    [Fact]
    public void A_checkpoint_loads_into_a_prepared_model_whose_probabilities_match_the_plain_softmax()
    {
        using var model = TinyWithRandomNorms(17);
        var dir = Directory.CreateTempSubdirectory("quakeprune-inference-").FullName;
        try
        {
            var path = System.IO.Path.Combine(dir, "tiny.safetensors");
            Checkpoint.Save(
                model,
                new ModelInfo(model.Architecture, new ImageSize(28, 24), new Dictionary<string, string>()),
                path
            );
            var (fast, info) = InferenceModel.FromCheckpoint(path);
            using (fast)
            {
                Assert.Equal(new ImageSize(28, 24), info.InputSize);
                using var scope = NewDisposeScope();
                var images = randn(3, 3, 28, 24);
                var expected = model.forward(images).softmax(1).ToArray<float>();
                var probabilities = fast.ProbabilitiesOf(images);
                Assert.Equal(expected, probabilities, (a, b) => Math.Abs(a - b) <= 1e-5f);
                for (var row = 0; row < 3; row++)
                    Assert.Equal(
                        1.0,
                        probabilities.Skip(row * model.Graph.OutputChannels).Take(model.Graph.OutputChannels).Sum(),
                        5
                    );
            }
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public void The_fast_classifier_gives_the_plain_models_probabilities_and_refuses_a_wrong_image_count()
    {
        using var model = TinyWithRandomNorms(5, hidden: 0);
        var size = new ImageSize(32, 40);
        manual_seed(9);
        float[] images;
        using (var x = randn(5, 3, size.Height, size.Width))
            images = x.ToArray<float>();
        var expected = new TorchClassifier(model, size).ProbabilityOfEarthquake(images, 5);
        using var fast = new FastClassifier(model, size);
        var actual = fast.ProbabilityOfEarthquake(images, 5);
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++)
            Assert.True(
                Math.Abs(expected[i] - actual[i]) <= 1e-5,
                $"image {i} on {fast.Path}: {actual[i]} vs {expected[i]}"
            );
        Assert.Contains(
            "are not 4 images",
            Assert.Throws<ArgumentException>(() => fast.ProbabilityOfEarthquake(images, 4)).Message
        );
    }
}
