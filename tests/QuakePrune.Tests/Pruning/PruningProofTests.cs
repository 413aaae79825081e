using System.Globalization;
using System.Text.RegularExpressions;
using QuakePrune.Inference;
using QuakePrune.Latency;
using QuakePrune.Models;
using QuakePrune.Pruning;
using QuakePrune.Retraining;
using QuakePrune.Tests.Retraining;
using QuakePrune.Training;
using static QuakePrune.Torch.torch;

namespace QuakePrune.Tests.Pruning;

/// <summary>
/// Pruning as a library, end to end on two architectures: ResNet18 (basic blocks) and ResNet50 (bottlenecks) are
/// initialised, pruned at 50/70/90 % in full and internal scope by every criterion, retrained briefly, folded and
/// benchmarked, on 16x16 images so the whole runs in seconds.
/// </summary>
public class PruningProofTests
{
    private static readonly double[] Ratios = [0.5, 0.7, 0.9];

    /// <remarks>
    /// Every (criterion, scope, ratio) is pruned and checked; retraining, folding and timing run on eight of them, one
    /// per criterion and scope with the ratios taken in turn, so each criterion, scope and ratio is retrained at least
    /// twice.
    /// </remarks>
    [Theory]
    [InlineData("resnet18")]
    [InlineData("resnet50")]
    public void Every_criterion_scope_and_ratio_prunes_and_they_retrain_fold_and_benchmark(string arch)
    {
        using var dir = new TempDir();
        using var data = RetrainFixtures.Data(31, train: 8, dev: 4, test: 4);
        using var threads = new ThreadCount(1);
        manual_seed(17);
        var architecture = NetworkBuilders.Create(arch, new NetworkOptions(Hidden: 16));
        var baseline = dir.File("baseline.safetensors");
        var size = new ImageSize(RetrainFixtures.Size, RetrainFixtures.Size);
        var info = new ModelInfo(
            architecture,
            size,
            new Dictionary<string, string> { [TrainingNotes.LearningRate] = "0.01" }
        );
        var full = ModelCost.Of(architecture, 224, 224).Params;

        var retrained = new List<string>();
        using (var model = new Network(architecture))
        {
            Checkpoint.Save(model, info, baseline);
            model.eval();
            var groups = DependencyGroups.Of(architecture);
            var turn = 0;
            foreach (var importance in Importances.Names)
            {
                // The weights do not change between plans: each criterion scores the channels once.
                var scores = Pruner.Scores(model, groups, Importances.Named(importance, seed: 5));
                foreach (var scope in new[] { PruningScope.Full, PruningScope.Internal })
                {
                    foreach (var ratio in Ratios)
                    {
                        var options = new PruningOptions(ratio, scope)
                        {
                            Importance = Importances.Named(importance, seed: 5),
                        };
                        var plan = PruningPlan.Create(groups, scores, options);
                        using var pruned = Surgery.Apply(model, plan);
                        CheckPruned(pruned, plan, options, full);
                        if (ratio != Ratios[turn % Ratios.Length])
                            continue;
                        var name = FormattableString.Invariant($"{importance}-{scope}-{ratio * 100:0}");
                        var path = dir.File($"{name}.safetensors");
                        Checkpoint.Save(
                            pruned,
                            CheckpointPruning.Record(
                                info with
                                {
                                    Architecture = pruned.Architecture,
                                },
                                baseline,
                                options
                            ),
                            path
                        );
                        var result = Retrainer.Retrain(
                            new RetrainOptions
                            {
                                Model = path,
                                OutputDirectory = dir.File(name),
                                Epochs = 1,
                                BatchSize = 8,
                                Threads = 1,
                            },
                            data
                        );
                        Assert.NotNull(result.After.Test);
                        Assert.Equal(
                            importance,
                            Checkpoint.ReadInfo(result.ModelPath).Notes[CheckpointPruning.ImportanceNote]
                        );
                        retrained.Add(result.ModelPath);
                    }
                    turn++;
                }
            }
        }
        Assert.Equal(8, retrained.Count);

        // Folded and checked on every path this machine offers, then timed side by side.
        foreach (var path in retrained)
        {
            var (fast, _) = InferenceModel.FromCheckpoint(
                path,
                options: new InferenceOptions
                {
                    Size = size,
                    TuningRuns = 1,
                    TuneThreads = false,
                }
            );
            using (fast)
            {
                var ceiling = get_num_threads();
                Assert.Equal(
                    InferenceModel.Candidates(Torch.Device.CPU),
                    fast.Trials.Where(t => t.Threads == ceiling).Select(t => t.Path)
                );
                Assert.All(fast.Trials, t => Assert.True(t.MaxAbsDiff <= 1e-4, $"{path}: {t}"));
            }
        }
        var report = LatencyBench.Run(
            new BenchOptions
            {
                Models = [baseline, .. retrained],
                Size = size,
                Threads = 1,
                Warmup = 1,
                Runs = 3,
                Interleave = true,
            }
        );
        Assert.Equal(1 + retrained.Count, report.Results.Count);
        Assert.All(report.Results, r => Assert.True(r.Statistics.MedianMs > 0 && r.Params > 0, $"{r.Model}"));
        Assert.All(report.Results.Skip(1), r =>
            Assert.True(r.Params < report.Results[0].Params, $"{r.Model} is no smaller than the baseline")
        );
    }

    /// <summary>
    /// A pruned model's widths follow the keep rule in scope, its parameters its description, and it runs.
    /// </summary>
    private static void CheckPruned(Network pruned, PruningPlan plan, PruningOptions options, long fullParams)
    {
        Assert.Equal(ModelCost.Of(pruned.Architecture, 16, 16).Params, pruned.parameter_count());
        var cost = ModelCost.Of(pruned.Architecture, 224, 224).Params;
        var kept = Math.Pow(1 - options.Ratio, 2) * fullParams;
        // Full scope removes about the square of what it keeps; internal scope leaves the stem and the streams.
        if (options.Scope == PruningScope.Full)
            Assert.InRange(cost, 0.6 * kept, 1.4 * kept);
        else
            Assert.InRange(cost, kept, (1 - options.Ratio / 3) * fullParams);
        var widths = DependencyGroups.Of(pruned.Architecture).ToDictionary(g => g.Name, g => g.Channels);
        foreach (var group in plan.Groups)
        {
            var keep = options.Covers(group) ? PruningPlan.KeepCount(group.Channels, options.Ratio) : group.Channels;
            Assert.Equal((group.Name, keep), (group.Name, plan.Kept[group.Name].Length));
            Assert.Equal((group.Name, keep), (group.Name, widths[group.Name]));
        }
        using var tensors = NewDisposeScope();
        Assert.Equal([2, 2], pruned.forward(randn(2, 3, 16, 16)).shape);
    }

    [Theory]
    [InlineData(0.5, 5.91e6)]
    [InlineData(0.7, 2.14e6)]
    [InlineData(0.9, 0.242e6)]
    public void Full_scope_ResNet50_keeps_the_known_parameter_counts(double ratio, double expected)
    {
        var resnet50 = ResNetArchitecture.ResNet50();
        var groups = DependencyGroups.Of(resnet50);
        var plan = PruningPlan.Create(
            groups,
            groups.ToDictionary(g => g.Name, g => new double[g.Channels]),
            new PruningOptions(ratio)
        );
        Assert.InRange(ModelCost.Of(plan.Apply(resnet50), 224, 224).Params, expected * 0.995, expected * 1.005);
    }

    [Theory]
    [InlineData(PruningScope.Full)]
    [InlineData(PruningScope.Internal)]
    public void Surgery_on_a_basic_block_ResNet_preserves_its_function(PruningScope scope)
    {
        using var dispose = NewDisposeScope();
        manual_seed(8);
        using var model = new Network(Models.ResNetTests.TinyBasic());
        using (no_grad())
        {
            foreach (
                var (name, buffer) in model
                    .named_buffers()
                    .Where(b => b.name.EndsWith("running_mean") || b.name.EndsWith("running_var"))
            )
                buffer.copy_(rand(buffer.shape).add(name.EndsWith("var") ? 0.5 : -0.5));
        }
        SurgeryTests.KillTrailingChannels(model, 0.5);
        model.eval();
        var x = randn(2, 3, 24, 24);
        var before = model.forward(x).ToArray<float>();
        var (pruned, plan) = Pruner.Prune(model, new PruningOptions(0.5, scope));
        using (pruned)
        {
            // In a basic-block ResNet the stem writes layer1's residual stream: one group.
            Assert.Contains(
                "conv1",
                plan.Groups.Single(g => g.Name == "layer1.residual").Producers.Select(p => p.Layer)
            );
            Assert.True(pruned.parameter_count() < model.parameter_count());
            pruned.eval();
            var after = pruned.forward(x).ToArray<float>();
            for (var i = 0; i < before.Length; i++)
                Assert.Equal(before[i], after[i], 1e-5f);
        }
    }

    /// <summary>The repository root (where QuakePrune.sln is), above the test assembly.</summary>
    private static string Root()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "QuakePrune.sln")))
                return dir.FullName;
        throw new DirectoryNotFoundException($"no QuakePrune.sln above {AppContext.BaseDirectory}");
    }

    [Fact]
    public void Pruning_inference_and_latency_code_names_no_architecture()
    {
        // Architectures are builders (Models/); a name of one, or of its layers, in these folders would be an edit a
        // new one needs.
        var forbidden = new Regex(
            @"resnet|bottleneck|basic ?block|eqtransformer|torchvision|\blayer[0-9]|downsample|\bconv[0-9]\b|\bbn[0-9]\b|\bfc\.[0-9]|""fc""",
            RegexOptions.IgnoreCase
        );
        var hits = new[] { "Pruning", "Inference", "Latency" }
            .SelectMany(folder =>
                Directory.EnumerateFiles(Path.Combine(Root(), "lib", "QuakePrune.Core", folder), "*.cs")
            )
            .SelectMany(file => File.ReadLines(file).Select((line, i) => (file, line, i)))
            .Where(x => forbidden.IsMatch(x.line))
            .Select(x =>
                string.Create(CultureInfo.InvariantCulture, $"{Path.GetFileName(x.file)}:{x.i + 1}: {x.line.Trim()}")
            )
            .ToArray();
        Assert.True(hits.Length == 0, string.Join("\n", hits));
    }
}
