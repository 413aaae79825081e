using System.Text.Json.Nodes;
using QuakePrune.Notebooks.Running;
using QuakePrune.Pipeline;

namespace QuakePrune.Notebooks.Tests;

/// <summary>The study's notebooks (notebooks/ at the repository root) run top to bottom with the ci preset.</summary>
public class StudyNotebooksTests
{
    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "QuakePrune.sln"))) return dir.FullName;
        throw new DirectoryNotFoundException($"no QuakePrune.sln above {AppContext.BaseDirectory}");
    }

    [Fact]
    public void Every_study_notebook_runs_with_the_ci_preset_without_an_error_output()
    {
        using var temp = new TempDirectory();
        var notebooks = NotebookRunner.DefaultNotebooks(Path.Combine(RepositoryRoot(), "notebooks"));
        Assert.NotEmpty(notebooks);
        var runs = Path.Combine(temp.Path, "runs");
        var summary = NotebookRunner.Run(new NotebookRunOptions
        {
            Notebooks = notebooks,
            OutputDirectory = Path.Combine(temp.Path, "reports"),
            Parameters = [new("preset", "ci"), new("runs", runs)],
        });
        Assert.True(summary.Succeeded, string.Join("\n", summary.Notebooks.Select(n => n.Failure?.ToString()).OfType<string>()));
        foreach (var result in summary.Notebooks)
        {
            var executed = JsonNode.Parse(File.ReadAllText(result.ExecutedPath!))!;
            var outputs = executed["cells"]!.AsArray().SelectMany(c => c!["outputs"]?.AsArray() ?? []).ToArray();
            Assert.DoesNotContain(outputs, o => (string?)o!["output_type"] == "error");
            Assert.Contains(outputs, o => o!["data"]?["application/vnd.plotly.v1+json"] is not null);
            Assert.True(File.Exists(result.HtmlPath));
        }
        Assert.Equal(["01-stead-subset", "02-spectrograms", "03-baseline-resnet50", "04-l2-pruning", "05-retraining", "06-latency"],
            summary.Notebooks.Select(n => Path.GetFileNameWithoutExtension(n.ExecutedPath!)));
        var run = StudyPaths.For(runs, Preset.Ci);
        foreach (var written in new[]
                 {
                     Path.Combine(run.Subset, "subset.hdf5"), run.Spectrograms, run.BaselineModel, run.BaselineMetrics, run.Sensitivity, run.Report,
                     run.Latency, run.Summary,
                 }.Concat(Preset.Ci.Variants.Select(run.Pruned))
                 .Concat(Preset.Ci.Variants.Select(v => Path.Combine(run.Retrained(v), "retrain.json"))))
            Assert.True(File.Exists(written), $"{written} was not written");
        Assert.Equal(["baseline", .. Preset.Ci.Variants.Select(v => v.Name)], StudySummary.Read(run.Summary).Select(r => r.Variant));
        Assert.All(StudySummary.Read(run.Summary), r => Assert.True(r.LatencyMs > 0 && r.Params > 0 && r.Accuracy is >= 0 and <= 1, r.ToString()));
    }

    [Fact]
    public void Every_study_notebook_is_valid_nbformat_4_5_in_dotnet_interactive_form()
    {
        foreach (var path in NotebookRunner.DefaultNotebooks(Path.Combine(RepositoryRoot(), "notebooks")))
        {
            TestSupport.Python("import nbformat, sys; nbformat.validate(nbformat.read(sys.argv[1], as_version=4))", path);
            var notebook = JsonNode.Parse(File.ReadAllText(path))!;
            Assert.Equal(".net-csharp", (string?)notebook["metadata"]!["kernelspec"]!["name"]);
            Assert.Single(notebook["cells"]!.AsArray(), c => c!["metadata"]?["tags"]?.AsArray().Any(t => (string?)t == "parameters") == true);
            Assert.All(notebook["cells"]!.AsArray().Where(c => (string?)c!["cell_type"] == "code"), c => Assert.Empty(c!["outputs"]!.AsArray()));
        }
    }
}
