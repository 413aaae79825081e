using System.Diagnostics;
using System.Text.Json.Nodes;
using QuakePrune.Notebooks.Format;
using QuakePrune.Notebooks.Plotting;
using QuakePrune.Notebooks.Running;
using QuakePrune.Pipeline;

namespace QuakePrune.Notebooks.Tests;

/// <summary>
/// The study's seven notebooks (notebooks/ at the repository root) with the ci preset, run once for the class on both
/// engines a user has: `quakeprune notebooks run` (the .NET Interactive kernel, hosted) and the stock Jupyter kernel
/// `.net-csharp` (the dotnet-interactive tool environment/setup.sh installs, as VS Code runs it) through Debian's
/// `jupyter nbconvert --execute`. Each run writes its own runs/ folder.
/// </summary>
public sealed class StudyRuns : IDisposable
{
    readonly TempDirectory temp = new();

    public StudyRuns()
    {
        Root = RepositoryRoot();
        Notebooks = NotebookRunner.DefaultNotebooks(Path.Combine(Root, "notebooks"));
        EngineRuns = Path.Combine(temp.Path, "runs");
        Engine = NotebookRunner.Run(
            new NotebookRunOptions
            {
                Notebooks = Notebooks,
                OutputDirectory = Path.Combine(temp.Path, "reports"),
                Parameters = [new("preset", "ci"), new("runs", EngineRuns)],
            }
        );
        StockExecuted = RunOnStockKernel();
    }

    public string Root { get; }
    public IReadOnlyList<string> Notebooks { get; }
    public string EngineRuns { get; }
    public NotebookRunSummary Engine { get; }

    /// <summary>The notebooks as the stock kernel executed them, in the same order.</summary>
    public IReadOnlyList<string> StockExecuted { get; }

    /// <summary>A scratch folder for a test's own files.</summary>
    public string Scratch(string name) => Directory.CreateDirectory(Path.Combine(temp.Path, name)).FullName;

    /// <summary>
    /// Copies of the notebooks with papermill's injected-parameters cell (nbconvert has no parameters), in a folder
    /// whose artifacts/ and environment/ are the repository's, so their `#r "../artifacts/..."` loads this build.
    /// </summary>
    IReadOnlyList<string> RunOnStockKernel()
    {
        var workspace = Directory.CreateDirectory(Path.Combine(temp.Path, "stock")).FullName;
        foreach (var linked in new[] { "artifacts", "environment" })
            Directory.CreateSymbolicLink(Path.Combine(workspace, linked), Path.Combine(Root, linked));
        var folder = Directory.CreateDirectory(Path.Combine(workspace, "notebooks")).FullName;
        var overrides = new List<KeyValuePair<string, string>>
        {
            new("preset", "ci"),
            new("runs", Path.Combine(workspace, "runs")),
        };
        var copies = new List<string>();
        foreach (var notebook in Notebooks)
        {
            var document = NotebookDocument.Load(notebook);
            var parameters = document.Cells.ToList().FindIndex(c => c.HasTag(NotebookParameters.ParametersTag));
            document.AddCell(
                "code",
                NotebookParameters.InjectedSource(overrides, _ => typeof(string), notebook),
                parameters + 1,
                NotebookParameters.InjectedTag
            );
            var copy = Path.Combine(folder, Path.GetFileName(notebook));
            document.Save(copy);
            copies.Add(copy);
        }
        var executed = Directory.CreateDirectory(Path.Combine(workspace, "executed")).FullName;
        TestSupport.Run(
            "jupyter",
            [
                "nbconvert",
                "--to",
                "notebook",
                "--execute",
                "--ExecutePreprocessor.timeout=1200",
                "--output-dir",
                executed,
                .. copies,
            ],
            TimeSpan.FromMinutes(30),
            "is the .net-csharp kernelspec installed? run environment/setup.sh"
        );
        return copies.Select(c => Path.Combine(executed, Path.GetFileName(c))).ToList();
    }

    public static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "QuakePrune.sln")))
                return dir.FullName;
        throw new DirectoryNotFoundException($"no QuakePrune.sln above {AppContext.BaseDirectory}");
    }

    public void Dispose() => temp.Dispose();
}

public class StudyNotebooksTests(StudyRuns runs) : IClassFixture<StudyRuns>
{
    const string PlotlyMime = "application/vnd.plotly.v1+json";

    static JsonObject[] CodeCells(string executedPath) =>
        JsonNode.Parse(File.ReadAllText(executedPath))!["cells"]!
            .AsArray()
            .OfType<JsonObject>()
            .Where(c => (string?)c["cell_type"] == "code")
            .ToArray();

    static IEnumerable<JsonObject> Outputs(JsonObject cell) => cell["outputs"]?.AsArray().OfType<JsonObject>() ?? [];

    static string Source(JsonObject cell) => NotebookJson.JoinLines(cell["source"], "source");

    static string Html(JsonObject output) =>
        output["data"]?["text/html"] is { } html ? NotebookJson.JoinLines(html, "text/html") : "";

    /// <summary>
    /// The stock kernel's own first output: the Jupyter front end's script that finds the kernel's HTTP API.
    /// </summary>
    static bool IsKernelConnectionScript(JsonObject output) =>
        Html(output).Contains("dotnet-interactive-this-cell", StringComparison.Ordinal);

    /// <summary>
    /// A cell's outputs as kinds: stream name, or output type with its mime types; consecutive streams of one name as
    /// one; compiler warnings left out (which come depends on the machine:
    /// <see cref="TestSupport.IsCompilerWarnings"/>).
    /// </summary>
    static List<string> Kinds(JsonObject cell)
    {
        var kinds = new List<string>();
        foreach (
            var output in Outputs(cell).Where(o => !IsKernelConnectionScript(o) && !TestSupport.IsCompilerWarnings(o))
        )
        {
            var kind = (string)output["output_type"]! switch
            {
                "stream" => $"stream {output["name"]}",
                var type when output["data"] is JsonObject data =>
                    $"{type} {string.Join(" ", data.Select(p => p.Key).Order(StringComparer.Ordinal))}",
                var type => type,
            };
            if (kinds.Count == 0 || kinds[^1] != kind || !kind.StartsWith("stream", StringComparison.Ordinal))
                kinds.Add(kind);
        }
        return kinds;
    }

    [Fact]
    public void Every_study_notebook_runs_with_the_ci_preset_without_an_error_output()
    {
        var summary = runs.Engine;
        Assert.True(
            summary.Succeeded,
            string.Join("\n", summary.Notebooks.Select(n => n.Failure?.ToString()).OfType<string>())
        );
        foreach (var result in summary.Notebooks)
        {
            var outputs = CodeCells(result.ExecutedPath!).SelectMany(Outputs).ToArray();
            Assert.DoesNotContain(outputs, o => (string?)o["output_type"] == "error");
            Assert.Contains(outputs, o => o["data"]?[PlotlyMime] is not null);
            Assert.True(File.Exists(result.HtmlPath));
        }
        Assert.Equal(
            [
                "01-stead-subset",
                "02-spectrograms",
                "03-baseline-resnet50",
                "04-l2-pruning",
                "05-retraining",
                "06-latency",
                "07-eqtransformer",
            ],
            summary.Notebooks.Select(n => Path.GetFileNameWithoutExtension(n.ExecutedPath!))
        );
        var run = StudyPaths.For(runs.EngineRuns, Preset.Ci);
        foreach (
            var written in new[]
            {
                Path.Combine(run.Subset, "subset.hdf5"),
                run.Spectrograms,
                run.BaselineModel,
                run.BaselineMetrics,
                run.Sensitivity,
                run.Report,
                run.Latency,
                run.Summary,
            }
                .Concat(Preset.Ci.Variants.Select(run.Pruned))
                .Concat(Preset.Ci.Variants.Select(v => Path.Combine(run.Retrained(v), "retrain.json")))
        )
            Assert.True(File.Exists(written), $"{written} was not written");
        Assert.Equal(
            ["baseline", .. Preset.Ci.Variants.Select(v => v.Name)],
            StudySummary.Read(run.Summary).Select(r => r.Variant)
        );
        foreach (var picker in Preset.Ci.PickingArchitectures)
            Assert.True(File.Exists(run.PickingMetrics(picker)), $"notebook 07 wrote no metrics for {picker}");
        Assert.True(File.Exists(run.PickingLatency));
        Assert.All(StudySummary.Read(run.Summary), r =>
            Assert.True(
                r.LatencyMs > 0
                    && r.Params > 0
                    && r.Accuracy.Value is >= 0 and <= 1
                    && r.Accuracy.Lo <= r.Accuracy.Value
                    && r.Accuracy.Value <= r.Accuracy.Hi,
                r.ToString()
            )
        );
    }

    /// <summary>
    /// What a student sees in VS Code or Jupyter: every notebook runs on the stock kernel; every figure a cell shows
    /// carries Plotly's mime type (so the editor draws it), and no value shows as .NET Interactive's property tree.
    /// </summary>
    [Fact]
    public void On_the_stock_Jupyter_kernel_every_figure_is_a_plot_and_nothing_is_a_property_tree()
    {
        Assert.Equal(runs.Notebooks.Count, runs.StockExecuted.Count);
        foreach (var executed in runs.StockExecuted)
        {
            var name = Path.GetFileName(executed);
            foreach (var cell in CodeCells(executed))
            {
                var outputs = Outputs(cell).ToArray();
                Assert.DoesNotContain(outputs, o => (string?)o["output_type"] == "error");
                var shown = Source(cell).Split(".Display()").Length - 1;
                Assert.True(
                    outputs.Count(o => o["data"]?[PlotlyMime] is not null) == shown,
                    $"{name}: the cell showing {shown} figure(s) has {outputs.Count(o => o["data"]?[PlotlyMime] is not null)} Plotly output(s):\n{Source(cell)}"
                );
                Assert.All(outputs, o => Assert.DoesNotContain("dni-treeview", Html(o)));
            }
            Assert.Contains(CodeCells(executed).SelectMany(Outputs), o => o["data"]?[PlotlyMime] is not null);
        }
    }

    /// <summary>
    /// The same cell gives the same outputs on both engines: per cell, the same kinds in the same order (stream,
    /// display or result, with the same mime types), and figures with the same description. Values that time things
    /// differ.
    /// </summary>
    [Fact]
    public void Each_cell_gives_the_same_kinds_of_output_on_both_engines()
    {
        foreach (var (ours, stock) in runs.Engine.Notebooks.Select(n => n.ExecutedPath!).Zip(runs.StockExecuted))
        {
            var ourCells = CodeCells(ours);
            var stockCells = CodeCells(stock);
            // The same cells, but for the injected parameters (each run has its own runs/ folder).
            static string Code(JsonObject cell) =>
                cell["metadata"]?["tags"]?.AsArray().Any(t => (string?)t == NotebookParameters.InjectedTag) == true
                    ? NotebookParameters.InjectedTag
                    : Source(cell);
            Assert.Equal(ourCells.Select(Code), stockCells.Select(Code));
            foreach (var (mine, theirs) in ourCells.Zip(stockCells))
            {
                Assert.True(
                    Kinds(mine).SequenceEqual(Kinds(theirs)),
                    $"{Path.GetFileName(ours)}, cell\n{Source(mine)}\nours: {string.Join(" | ", Kinds(mine))}\nstock: {string.Join(" | ", Kinds(theirs))}"
                );
                string Figures(JsonObject cell) =>
                    string.Join(
                        "\n",
                        Outputs(cell)
                            .Where(o => o["data"]?[PlotlyMime] is not null)
                            .Select(o => NotebookJson.JoinLines(o["data"]!["text/plain"], "text/plain"))
                    );
                Assert.Equal(Figures(mine), Figures(theirs));
            }
        }
    }

    /// <summary>
    /// A notebook the stock kernel executed, exported by nbconvert to HTML and opened offline in headless Chromium
    /// (host names unresolvable): its figures draw, from the plotly.js the first figure carries. Counted by the pixels
    /// of the figures' first trace colour (#1f77b4): a few on the page without plotly.js, thousands with.
    /// </summary>
    [Fact]
    public void An_executed_notebook_exported_to_html_draws_its_figures_offline()
    {
        var executed = runs.StockExecuted.Single(p => Path.GetFileName(p) == "01-stead-subset.ipynb");
        var folder = runs.Scratch("html");
        TestSupport.Run(
            "jupyter",
            ["nbconvert", "--to", "html", "--output-dir", folder, executed],
            TimeSpan.FromMinutes(5),
            ""
        );
        var page = File.ReadAllText(Path.Combine(folder, "01-stead-subset.html"));
        Assert.True(
            page.Contains(PlotlyJs.ReadScript(), StringComparison.Ordinal),
            "the exported page does not carry plotly.js"
        );
        var drawn = new Png(ChromiumRenderer.Screenshot(page, 1400, 8000)).CountNear(0x1f, 0x77, 0xb4, 10);
        Assert.True(drawn > 5_000, $"{drawn} pixels of the figures' colour: the figures did not draw");
    }
}

/// <summary>
/// The study's notebooks as committed: valid nbformat in .NET Interactive's form, without outputs, each starting the
/// same way.
/// </summary>
public class StudyNotebookFilesTests
{
    [Fact]
    public void Every_study_notebook_is_valid_nbformat_4_5_in_dotnet_interactive_form()
    {
        foreach (var path in NotebookRunner.DefaultNotebooks(Path.Combine(StudyRuns.RepositoryRoot(), "notebooks")))
        {
            TestSupport.Python(
                "import nbformat, sys; nbformat.validate(nbformat.read(sys.argv[1], as_version=4))",
                path
            );
            var notebook = JsonNode.Parse(File.ReadAllText(path))!;
            Assert.Equal(".net-csharp", (string?)notebook["metadata"]!["kernelspec"]!["name"]);
            Assert.Single(notebook["cells"]!.AsArray(), c =>
                c!["metadata"]?["tags"]?.AsArray().Any(t => (string?)t == "parameters") == true
            );
            Assert.All(notebook["cells"]!.AsArray().Where(c => (string?)c!["cell_type"] == "code"), c =>
                Assert.Empty(c!["outputs"]!.AsArray())
            );
            var first = NotebookJson.JoinLines(
                notebook["cells"]!.AsArray().First(c => (string?)c!["cell_type"] == "code")!["source"],
                "source"
            );
            Assert.StartsWith("#r \"../artifacts/bin/QuakePrune.Notebooks/release/QuakePrune.Notebooks.dll\"", first);
            Assert.Contains("NotebookFormatters.Register();", first);
        }
    }
}
