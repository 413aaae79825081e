using QuakePrune.Pipeline;

namespace QuakePrune.Cli.Tests.Commands;

public class PipelineVerbTests
{
    [Fact]
    public void The_ci_pipeline_runs_every_stage_into_one_folder_and_ends_with_the_summary()
    {
        var dir = Directory.CreateTempSubdirectory("quakeprune-pipeline-").FullName;
        try
        {
            var run = CliRunner.Run("pipeline", "--preset", "ci", "--out", dir);
            Assert.True(run.Code == 0, run.Err);
            foreach (var stage in new[] { "01 subset", "02 spectrograms", "03 baseline", "04 pruned", "04 sensitivity", "05 retrained", "05 report", "06 summary" })
                Assert.Contains(stage, run.Out);
            var summary = StudySummary.Read(Path.Combine(dir, "summary.csv"));
            Assert.Equal(["baseline", .. Preset.Ci.Variants.Select(v => v.Name)], summary.Select(r => r.Variant));
            Assert.True(summary[3].Params < summary[0].Params / 50, $"prune90 keeps {summary[3].Params} of {summary[0].Params} parameters");
            // The control's variants have their L2 counterpart's widths, so its cost and its measured latency.
            var prune90 = summary.Single(r => r.Variant == "prune90");
            Assert.All(summary.Where(r => r.Variant.StartsWith("prune90-", StringComparison.Ordinal)),
                r => Assert.Equal((prune90.Params, prune90.Macs, prune90.LatencyMs), (r.Params, r.Macs, r.LatencyMs)));
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
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
