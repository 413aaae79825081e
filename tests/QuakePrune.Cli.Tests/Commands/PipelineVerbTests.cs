using QuakePrune.Pipeline;

namespace QuakePrune.Cli.Tests.Commands;

public class PipelineVerbTests
{
    /// <summary>
    /// The ResNet study's stages up to retraining, then the latency stage alone into the same folder (`--stages`): it
    /// adds its entries (the summary among them); run again, it replaces its own only with --overwrite, touching
    /// nothing. The picking stage is left to notebook 07 (run on both kernels by the notebook tests) and the picking
    /// verbs' tests: it is the dearest stage, and here it would prove only what any stage run alone proves.
    /// </summary>
    [Fact]
    public void The_ci_pipeline_runs_its_stages_into_one_folder_and_a_stage_alone_adds_to_it()
    {
        var dir = Directory.CreateTempSubdirectory("quakeprune-pipeline-").FullName;
        try
        {
            var run = CliRunner.Run(
                "pipeline",
                "--preset",
                "ci",
                "--out",
                dir,
                "--stages",
                "subset,spectrograms,baseline,pruning,retraining"
            );
            Assert.True(run.Code == 0, run.Err);
            foreach (
                var stage in new[]
                {
                    "01 subset",
                    "02 spectrograms",
                    "03 baseline",
                    "04 pruned",
                    "04 sensitivity",
                    "05 retrained",
                    "05 report",
                }
            )
                Assert.Contains(stage, run.Out);
            // Stage lines start with their number; other lines may hold "06 " or "07 " (a load average of 7.07, say).
            Assert.DoesNotContain(run.Out.Split('\n'), line =>
                line.StartsWith("06 ", StringComparison.Ordinal) || line.StartsWith("07 ", StringComparison.Ordinal)
            );
            Assert.False(File.Exists(Path.Combine(dir, "summary.csv")));

            var latency = CliRunner.Run("pipeline", "--preset", "ci", "--out", dir, "--stages", "latency");
            Assert.True(latency.Code == 0, latency.Err);
            Assert.Contains("06 summary", latency.Out);
            var summary = StudySummary.Read(Path.Combine(dir, "summary.csv"));
            Assert.Equal(["baseline", .. Preset.Ci.Variants.Select(v => v.Name)], summary.Select(r => r.Variant));
            Assert.True(
                summary[3].Params < summary[0].Params / 50,
                $"prune90 keeps {summary[3].Params} of {summary[0].Params} parameters"
            );
            // The control's variants have their L2 counterpart's widths, so its cost and its measured latency.
            var prune90 = summary.Single(r => r.Variant == "prune90");
            Assert.All(summary.Where(r => r.Variant.StartsWith("prune90-", StringComparison.Ordinal)), r =>
                Assert.Equal((prune90.Params, prune90.Macs, prune90.LatencyMs), (r.Params, r.Macs, r.LatencyMs))
            );
            var summaryBytes = File.ReadAllBytes(Path.Combine(dir, "summary.csv"));

            var again = CliRunner.Run("pipeline", "--preset", "ci", "--out", dir, "--stages", "latency");
            Assert.Equal(1, again.Code);
            Assert.Contains("earlier run's latency.json", again.Err);
            Assert.Equal(summaryBytes, File.ReadAllBytes(Path.Combine(dir, "summary.csv")));
            Assert.True(File.Exists(Path.Combine(dir, "baseline", "model.safetensors")));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void The_paper_preset_without_stead_says_what_to_give()
    {
        var dir = Directory.CreateTempSubdirectory("quakeprune-pipeline-").FullName;
        try
        {
            var run = CliRunner.Run("pipeline", "--preset", "paper", "--out", dir);
            Assert.Equal(1, run.Code);
            Assert.Contains("give its chunk prefixes", run.Err);
            var seeds = CliRunner.Run(
                "pipeline",
                "--preset",
                "ci",
                "--retrain-seeds",
                "0",
                "--out",
                Path.Combine(dir, "ci")
            );
            Assert.Equal(1, seeds.Code);
            Assert.Contains("--retrain-seeds must be at least 1, got 0", seeds.Err);
            Assert.False(Directory.Exists(Path.Combine(dir, "ci")));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
