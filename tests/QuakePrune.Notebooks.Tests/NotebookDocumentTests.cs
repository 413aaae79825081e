using QuakePrune.Notebooks.Format;

namespace QuakePrune.Notebooks.Tests;

public class NotebookDocumentTests
{
    [Fact]
    public void Writes_exactly_what_nbformat_writes()
    {
        using var temp = new TempDirectory();
        var document = NotebookDocument.Create("unicode");
        document.AddCell("markdown", "# Séismes <b> & \"quotes\" \\ tab\there\n\nμ = 0.5 — 地震 🌋\n");
        document.AddCell("code", "var s = \"\\u0001\";\r\nConsole.WriteLine(s);", tags: "parameters");
        document
            .Cells[1]
            .Outputs.Add(
                new System.Text.Json.Nodes.JsonObject
                {
                    ["output_type"] = "stream",
                    ["name"] = "stdout",
                    ["text"] = "control \u0001 char\nline two\n",
                }
            );
        var path = Path.Combine(temp.Path, "unicode.ipynb");
        document.Save(path);
        var ours = File.ReadAllText(path);
        var theirs = TestSupport.Python(
            "import sys, nbformat\nnb = nbformat.read(sys.argv[1], as_version=4)\nnbformat.validate(nb)\nsys.stdout.buffer.write(nbformat.writes(nb).encode('utf-8'))",
            path
        );
        Assert.Equal(ours.TrimEnd('\n'), theirs.TrimEnd('\n'));
        Assert.Equal(ours, NotebookDocument.Load(path).ToJson());
    }

    [Fact]
    public void Upgrades_older_notebooks_with_stable_ids_and_c_sharp_metadata()
    {
        const string json = """
            {"cells": [{"cell_type": "code", "metadata": {}, "source": ["1 + 1"], "outputs": [], "execution_count": null},
                       {"cell_type": "markdown", "metadata": {}, "source": "text"}],
             "metadata": {}, "nbformat": 4, "nbformat_minor": 2}
            """;
        var first = NotebookDocument.Parse(json, "old.ipynb");
        var second = NotebookDocument.Parse(json, "old.ipynb");
        Assert.Equal(first.ToJson(), second.ToJson());
        Assert.Equal(5, first.Root["nbformat_minor"]!.GetValue<int>());
        Assert.NotEqual(first.Cells[0].Id, first.Cells[1].Id);
        Assert.Equal(".NET (C#)", first.Metadata["kernelspec"]!["display_name"]!.GetValue<string>());
        Assert.Equal("csharp", first.Cells[0].Metadata["dotnet_interactive"]!["language"]!.GetValue<string>());
        Assert.False(first.Cells[1].Metadata.ContainsKey("dotnet_interactive"));
    }

    [Theory]
    [InlineData(
        """{"cells": [], "metadata": {"kernelspec": {"name": "python3"}}, "nbformat": 4, "nbformat_minor": 5}""",
        "kernel 'python3'"
    )]
    [InlineData("""{"cells": [], "metadata": {}, "nbformat": 3, "nbformat_minor": 0}""", "nbformat 3")]
    [InlineData("""{"cells": [""", "not valid JSON")]
    [InlineData("""{"metadata": {}, "nbformat": 4, "nbformat_minor": 5}""", "no 'cells'")]
    public void Rejects_what_it_cannot_run_naming_the_file(string json, string reason)
    {
        var error = Assert.Throws<InvalidDataException>(() => NotebookDocument.Parse(json, "bad.ipynb"));
        Assert.StartsWith("bad.ipynb: ", error.Message);
        Assert.Contains(reason, error.Message);
    }
}
