using System.Text.Json.Nodes;
using QuakePrune.Notebooks.Format;
using QuakePrune.Notebooks.Running;

namespace QuakePrune.Notebooks.Tests;

public class NotebookRunnerTests
{
    static JsonObject Output(NotebookCell cell, int index) => (JsonObject)cell.Outputs[index]!;

    static string Data(JsonObject output, string mime) => output["data"]![mime]!.GetValue<string>();

    /// <summary>
    /// What a value shows as text: its text/plain, or the text .NET Interactive puts in its HTML's &lt;pre&gt; (numbers
    /// get only HTML).
    /// </summary>
    static string Shown(JsonObject output) =>
        output["data"]!["text/plain"] is { } plain
            ? plain.GetValue<string>()
            : TestSupport.PreText(Data(output, "text/html"));

    [Fact]
    public async Task Fixture_runs_with_every_kind_of_output_and_stops_at_the_error()
    {
        using var temp = new TempDirectory();
        var notebook = TestSupport.CopyFixture(temp);
        var outDir = Path.Combine(temp.Path, "reports");
        var summary = await NotebookRunner.RunAsync(
            new NotebookRunOptions { Notebooks = [notebook], OutputDirectory = outDir }
        );

        Assert.False(summary.Succeeded);
        var result = Assert.Single(summary.Notebooks);
        Assert.Equal(NotebookRunStatus.Failed, result.Status);
        var failure = result.Failure!;
        Assert.Equal(9, failure.CellNumber);
        Assert.Equal("InvalidOperationException", failure.Error.Name);
        Assert.Equal("boom", failure.Error.Message);
        Assert.Equal(2, failure.Error.Line);
        Assert.Contains("fixture.ipynb, cell 9", failure.ToString());
        Assert.Contains("line 2", failure.ToString());

        var executed = NotebookDocument.Load(Path.Combine(outDir, "fixture.ipynb"));
        var cells = executed.Cells;
        Assert.Equal(10, cells.Count);

        // Markdown untouched.
        var original = NotebookDocument.Load(notebook);
        Assert.Equal(original.Cells[0].Text, cells[0].Text);
        Assert.Equal(original.Cells[4].Text, cells[4].Text);

        // The first cell loads the library and registers its formatters, showing nothing.
        Assert.Equal(1, cells[1].ExecutionCount);
        Assert.Empty(cells[1].Outputs);

        // Parameters cell: runs, shows nothing, no injected cell without overrides.
        Assert.Equal(2, cells[2].ExecutionCount);
        Assert.Empty(cells[2].Outputs);
        Assert.DoesNotContain(cells, c => c.HasTag(NotebookParameters.InjectedTag));

        // stdout, a displayed table and stderr, in the order they happened.
        var printing = cells[3];
        Assert.Equal(3, printing.Outputs.Count);
        Assert.Equal("stream", Output(printing, 0)["output_type"]!.GetValue<string>());
        Assert.Equal("stdout", Output(printing, 0)["name"]!.GetValue<string>());
        Assert.Equal("epochs=3 rate=0.5 label=base fast=False\n", Output(printing, 0)["text"]!.GetValue<string>());
        Assert.Equal("display_data", Output(printing, 1)["output_type"]!.GetValue<string>());
        Assert.Contains("<th>Id</th><th>Name</th>", Data(Output(printing, 1), "text/html"));
        Assert.Contains("<td>2</td><td>two</td>", Data(Output(printing, 1), "text/html"));
        Assert.Equal("Id  Name\n--  ----\n1   one\n2   two", Data(Output(printing, 1), "text/plain"));
        Assert.Equal("stderr", Output(printing, 2)["name"]!.GetValue<string>());
        Assert.Equal("a warning\n", Output(printing, 2)["text"]!.GetValue<string>());

        // Trailing expression without semicolon.
        var trailing = Output(cells[5], 0);
        Assert.Equal("execute_result", trailing["output_type"]!.GetValue<string>());
        Assert.Equal("6", Shown(trailing));
        Assert.Equal(cells[5].ExecutionCount, trailing["execution_count"]!.GetValue<int>());
        Assert.Equal(4, cells[5].ExecutionCount);

        // A figure via .Display(), then HTML(...) as the result. The notebook's first figure brings plotly.js with it.
        // Some machines add the compiler's warning that HTML's ASP.NET type was built against an older version between
        // them.
        var figureOutputs = cells[6]
            .Outputs.Cast<JsonObject>()
            .Where(o => !TestSupport.IsCompilerWarnings(o))
            .ToArray();
        Assert.Equal(2, figureOutputs.Length);
        var figure = (JsonObject)figureOutputs[0]["data"]!["application/vnd.plotly.v1+json"]!;
        Assert.Equal("scatter", figure["data"]![0]!["type"]!.GetValue<string>());
        Assert.Equal("Growth", figure["layout"]!["title"]!["text"]!.GetValue<string>());
        var figureHtml = Data(figureOutputs[0], "text/html");
        Assert.Contains("Plotly.newPlot", figureHtml);
        Assert.True(
            figureHtml.Contains(Plotting.PlotlyJs.ReadScript(), StringComparison.Ordinal),
            "the first figure does not carry plotly.js"
        );
        Assert.DoesNotContain("src=\"http", figureHtml);
        Assert.Equal("Figure: 1 trace(s), \"Growth\"", Data(figureOutputs[0], "text/plain"));
        Assert.Equal("execute_result", figureOutputs[1]["output_type"]!.GetValue<string>());
        Assert.Equal("<b>bold</b>", Data(figureOutputs[1], "text/html"));

        // Top-level await.
        Assert.Equal("42", Shown(Output(cells[7], 0)));

        // A figure shown later carries plotly.js no more.
        var secondFigure = Data(Output(cells[8], 0), "text/html");
        Assert.Contains("Plotly.newPlot", secondFigure);
        Assert.True(
            secondFigure.Length < 10_000,
            $"the second figure's HTML is {secondFigure.Length} characters: plotly.js sent twice?"
        );

        // The error output, and nothing run after it.
        var error = Output(cells[8], 1);
        Assert.Equal("error", error["output_type"]!.GetValue<string>());
        Assert.Equal("InvalidOperationException", error["ename"]!.GetValue<string>());
        Assert.Equal("boom", error["evalue"]!.GetValue<string>());
        Assert.Contains(error["traceback"]!.AsArray(), l => l!.GetValue<string>().Contains("cell 9, line 2"));
        Assert.Equal("failed", cells[8].Metadata["papermill"]!["status"]!.GetValue<string>());
        Assert.Null(cells[9].ExecutionCount);
        Assert.Empty(cells[9].Outputs);
        Assert.Equal("pending", cells[9].Metadata["papermill"]!["status"]!.GetValue<string>());

        // .NET Interactive's notebook and cell metadata; papermill's timings.
        Assert.Equal(".net-csharp", executed.Metadata["kernelspec"]!["name"]!.GetValue<string>());
        Assert.Equal("C#", executed.Metadata["language_info"]!["name"]!.GetValue<string>());
        Assert.Equal(
            "csharp",
            executed.Metadata["polyglot_notebook"]!["kernelInfo"]!["defaultKernelName"]!.GetValue<string>()
        );
        Assert.Equal("csharp", cells[5].Metadata["dotnet_interactive"]!["language"]!.GetValue<string>());
        Assert.Equal("csharp", cells[5].Metadata["polyglot_notebook"]!["kernelName"]!.GetValue<string>());
        var timing = cells[5].Metadata["papermill"]!;
        Assert.Equal("completed", timing["status"]!.GetValue<string>());
        Assert.True(timing["duration"]!.GetValue<double>() >= 0);
        Assert.True(
            DateTimeOffset.Parse(timing["end_time"]!.GetValue<string>())
                >= DateTimeOffset.Parse(timing["start_time"]!.GetValue<string>())
        );
        Assert.True(executed.Metadata["papermill"]!["exception"]!.GetValue<bool>());
        Assert.Equal(5, executed.Root["nbformat_minor"]!.GetValue<int>());
        Assert.All(cells, c => Assert.Matches("^[A-Za-z0-9_-]{1,64}$", c.Id));

        // The report: a page per notebook, the index, plotly.js beside them; figures drawn from their JSON, so the page
        // does not carry plotly.js a second time.
        Assert.True(File.Exists(Path.Combine(outDir, "plotly.min.js")));
        var page = File.ReadAllText(Path.Combine(outDir, "fixture.html"));
        Assert.Contains("<h1 id=\"fixture-notebook\">Fixture notebook</h1>", page);
        Assert.Contains("<script type=\"text/javascript\" src=\"plotly.min.js\"></script>", page);
        Assert.Contains("InvalidOperationException: boom", page);
        Assert.True(page.Length < 1_000_000, $"the page is {page.Length} characters: plotly.js inlined?");
        var index = File.ReadAllText(summary.IndexPath);
        Assert.Contains("href=\"fixture.html\"", index);
        Assert.Contains("failed at cell 9", index);
        Assert.Empty(Directory.EnumerateFiles(outDir, "*.tmp"));
    }

    [Fact]
    public async Task Executed_notebook_validates_as_nbformat45_and_round_trips()
    {
        using var temp = new TempDirectory();
        var notebook = TestSupport.CopyFixture(temp);
        var outDir = Path.Combine(temp.Path, "out");
        await NotebookRunner.RunAsync(
            new NotebookRunOptions
            {
                Notebooks = [notebook],
                OutputDirectory = outDir,
                Parameters = [new("epochs", "4")],
            }
        );
        var written = Path.Combine(outDir, "fixture.ipynb");
        var text = File.ReadAllText(written);

        // Our reader and writer: byte for byte stable.
        Assert.Equal(text, NotebookDocument.Load(written).ToJson());
        Assert.StartsWith("{\n \"cells\": [\n  {\n", text);

        // nbformat: valid 4.5, and nbformat writes it back identically.
        var rewritten = TestSupport.Python(
            """
            import sys, nbformat
            nb = nbformat.read(sys.argv[1], as_version=nbformat.NO_CONVERT)
            assert (nb.nbformat, nb.nbformat_minor) == (4, 5), (nb.nbformat, nb.nbformat_minor)
            nbformat.validate(nb)
            sys.stdout.write(nbformat.writes(nb))
            """,
            written
        );
        Assert.Equal(text.TrimEnd('\n'), rewritten.TrimEnd('\n'));
    }

    [Fact]
    public async Task Parameters_override_defaults_through_an_injected_cell()
    {
        using var temp = new TempDirectory();
        var notebook = TestSupport.CopyFixture(temp);
        var outDir = Path.Combine(temp.Path, "out");
        await NotebookRunner.RunAsync(
            new NotebookRunOptions
            {
                Notebooks = [notebook],
                OutputDirectory = outDir,
                Parameters = [new("epochs", "5"), new("rate", "1e-3"), new("label", "say \"hi\""), new("fast", "true")],
            }
        );
        var executed = NotebookDocument.Load(Path.Combine(outDir, "fixture.ipynb"));
        var injected = executed.Cells[3];
        Assert.True(injected.HasTag(NotebookParameters.InjectedTag));
        Assert.True(executed.Cells[2].HasTag(NotebookParameters.ParametersTag));
        Assert.Equal(
            "// Parameters\nint epochs = 5;\ndouble rate = 0.001;\nstring label = \"say \\\"hi\\\"\";\nbool fast = true;\n",
            injected.Text
        );
        Assert.Equal(3, injected.ExecutionCount);
        Assert.Equal(
            "epochs=5 rate=0.001 label=say \"hi\" fast=True\n",
            executed.Cells[4].Outputs[0]!["text"]!.GetValue<string>()
        );
        Assert.Equal("10", Shown((JsonObject)executed.Cells[6].Outputs[0]!));
        var recorded = executed.Metadata["papermill"]!["parameters"]!;
        Assert.Equal(5, recorded["epochs"]!.GetValue<int>());
        Assert.True(recorded["fast"]!.GetValue<bool>());

        // The page: both cells, the defaults the injected cell overrode struck through.
        var page = File.ReadAllText(Path.Combine(outDir, "fixture.html"));
        Assert.Contains(
            "<del class=\"qp-overridden\">int epochs = 3;</del>\n<del class=\"qp-overridden\">double rate = 0.5;</del>",
            page
        );
        Assert.Contains("In [3]: injected parameters: the values given for this run</div>", page);

        // Running the executed copy again replaces the injected cell rather than stacking a second one.
        var again = await NotebookRunner.RunAsync(
            new NotebookRunOptions
            {
                Notebooks = [Path.Combine(outDir, "fixture.ipynb")],
                OutputDirectory = Path.Combine(temp.Path, "again"),
                Parameters = [new("epochs", "7")],
            }
        );
        var rerun = NotebookDocument.Load(again.Notebooks[0].ExecutedPath!);
        Assert.Single(rerun.Cells, c => c.HasTag(NotebookParameters.InjectedTag));
        Assert.Equal("14", Shown((JsonObject)rerun.Cells[6].Outputs[0]!));
    }

    /// <summary>
    /// On the page a parameter reads once, at the value the run used: papermill's two cells both show, labelled, and
    /// each default the injected cell overrode is struck through (the statement, or the one variable of several it
    /// declares).
    /// </summary>
    [Fact]
    public void The_page_strikes_through_the_defaults_the_injected_cell_overrode()
    {
        var document = NotebookDocument.Create("parameters");
        document.AddCell(
            "code",
            "string preset = \"quick\";   // ci, quick or paper\nint a = 1, b = 2;\nint epochs = 0;",
            null,
            NotebookParameters.ParametersTag
        );
        document.AddCell(
            "code",
            NotebookParameters.InjectedSource(
                [new("preset", "ci"), new("b", "7")],
                n => n == "preset" ? typeof(string) : typeof(int),
                "test"
            ),
            null,
            NotebookParameters.InjectedTag
        );
        var page = HtmlReport.RenderNotebook(document, "parameters");
        Assert.Contains(
            "In [ ]: parameters: the defaults, struck through where the injected parameters below override them</div>",
            page
        );
        Assert.Contains(
            "<code class=\"language-csharp\"><del class=\"qp-overridden\">string preset = &quot;quick&quot;;</del>   // ci, quick or paper\n"
                + "int a = 1, <del class=\"qp-overridden\">b = 2</del>;\nint epochs = 0;</code>",
            page
        );
        Assert.Contains("In [ ]: injected parameters: the values given for this run</div>", page);
        Assert.Contains(
            "<code class=\"language-csharp\">// Parameters\nstring preset = &quot;ci&quot;;\nint b = 7;\n</code>",
            page
        );

        // Run without parameters, the parameters cell is the code in effect: no label, nothing struck.
        document.RemoveCell(document.Cells[1]);
        var plain = HtmlReport.RenderNotebook(document, "parameters");
        Assert.DoesNotContain("<del", plain);
        Assert.Contains("<div class=\"prompt\">In [ ]:</div>", plain);
    }

    [Fact]
    public async Task Unknown_or_mistyped_parameters_are_errors()
    {
        using var temp = new TempDirectory();
        var notebook = TestSupport.CopyFixture(temp);
        var unknown = await Assert.ThrowsAsync<ArgumentException>(() =>
            NotebookRunner.RunAsync(
                new NotebookRunOptions
                {
                    Notebooks = [notebook],
                    OutputDirectory = Path.Combine(temp.Path, "out"),
                    Parameters = [new("epoch", "5")],
                }
            )
        );
        Assert.Contains("'epoch'".Trim('\''), unknown.Message);
        Assert.Contains("epochs", unknown.Message);
        Assert.False(Directory.Exists(Path.Combine(temp.Path, "out")));

        var document = NotebookDocument.Load(notebook);
        var mistyped = await Assert.ThrowsAsync<ArgumentException>(() =>
            NotebookRunner.ExecuteAsync(document, notebook, [new("epochs", "many")])
        );
        Assert.Contains("parameter 'epochs' is an int; 'many' is not", mistyped.Message);
    }

    /// <summary>
    /// `#r "nuget: ..."` restores and references a package as in the editor. System.CommandLine is one the CLI uses, so
    /// set-up has it in the NuGet cache (no download), and one these tests do not reference, so it comes from the
    /// directive.
    /// </summary>
    [Fact]
    public async Task Nuget_references_work_as_in_the_editor()
    {
        Assert.DoesNotContain(AppDomain.CurrentDomain.GetAssemblies(), a => a.GetName().Name == "System.CommandLine");
        using var temp = new TempDirectory();
        var document = NotebookDocument.Create("nuget");
        document.AddCell("code", "#r \"nuget: System.CommandLine, 3.0.0\"");
        document.AddCell("code", "new System.CommandLine.RootCommand(\"a tool\").Description");
        var result = await NotebookRunner.ExecuteAsync(document, Path.Combine(temp.Path, "nuget.ipynb"), []);
        Assert.True(result.Succeeded, result.Failure?.ToString());
        Assert.Equal("a tool", Shown((JsonObject)document.Cells[1].Outputs[0]!));
    }

    [Fact]
    public async Task Compilation_errors_name_the_cell_and_line()
    {
        using var temp = new TempDirectory();
        var document = NotebookDocument.Create("inline");
        document.AddCell("code", "var fine = 1;");
        document.AddCell("code", "var a = 1;\nvar b = undefinedName + a;");
        var path = Path.Combine(temp.Path, "broken.ipynb");
        var result = await NotebookRunner.ExecuteAsync(document, path, []);
        Assert.False(result.Succeeded);
        Assert.Equal(2, result.Failure!.CellNumber);
        Assert.Equal("CompilationErrorException", result.Failure.Error.Name);
        Assert.Equal(2, result.Failure.Error.Line);
        Assert.Contains("cell 2, line 2, column 9: error CS0103", result.Failure.Error.Message);
    }

    /// <summary>
    /// The compiler's warnings show, as in the stock kernel, as a stderr stream before the cell's result.
    /// </summary>
    [Fact]
    public async Task Compiler_warnings_show_as_a_stderr_stream_before_the_result()
    {
        using var temp = new TempDirectory();
        var document = NotebookDocument.Create("warning");
        document.AddCell("code", "#warning look here\n1 + 1");
        var result = await NotebookRunner.ExecuteAsync(document, Path.Combine(temp.Path, "warning.ipynb"), []);
        Assert.True(result.Succeeded, result.Failure?.ToString());
        var outputs = document.Cells[0].Outputs;
        Assert.Equal(2, outputs.Count);
        var warning = (JsonObject)outputs[0]!;
        Assert.Equal("stderr", warning["name"]!.GetValue<string>());
        Assert.Contains("(1,10): warning CS1030: #warning: 'look here'", warning["text"]!.GetValue<string>());
        Assert.True(TestSupport.IsCompilerWarnings(warning));
        Assert.Equal("2", Shown((JsonObject)outputs[1]!));
    }
}
