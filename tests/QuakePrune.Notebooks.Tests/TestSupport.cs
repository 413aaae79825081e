using System.Diagnostics;
using System.Text.Json.Nodes;
using QuakePrune.Notebooks.Format;

// The runner sets the process's working directory while a notebook runs: tests must not overlap.
[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace QuakePrune.Notebooks.Tests;

sealed class TempDirectory : IDisposable
{
    public TempDirectory() => Path = Directory.CreateTempSubdirectory("quakeprune-notebooks-test-").FullName;

    public string Path { get; }

    public void Dispose() => Directory.Delete(Path, recursive: true);
}

static class TestSupport
{
    public static string Fixture(string name) => Path.Combine(AppContext.BaseDirectory, "Fixtures", name);

    /// <summary>
    /// Copies the fixture notebook into a scratch folder, its <c>#r "QuakePrune.Notebooks.dll"</c> pointed at the
    /// library beside the tests (a study notebook's points at artifacts/ relative to its folder instead).
    /// </summary>
    public static string CopyFixture(TempDirectory temp, string name = "fixture.ipynb")
    {
        var target = Path.Combine(temp.Path, name);
        var library = System.Text.Json.JsonSerializer.Serialize(
            Path.Combine(AppContext.BaseDirectory, "QuakePrune.Notebooks.dll")
        );
        var text = File.ReadAllText(Fixture(name))
            .Replace("#r \\\"QuakePrune.Notebooks.dll\\\"", $"#r \\\"{library[1..^1]}\\\"", StringComparison.Ordinal);
        Assert.Contains(library[1..^1], text);
        File.WriteAllText(target, text);
        return target;
    }

    /// <summary>
    /// The text inside an HTML output's first &lt;pre&gt;, decoded (how .NET Interactive shows numbers).
    /// </summary>
    public static string PreText(string html)
    {
        var match = System.Text.RegularExpressions.Regex.Match(
            html,
            "<pre>(.*?)</pre>",
            System.Text.RegularExpressions.RegexOptions.Singleline
        );
        Assert.True(match.Success, $"no <pre> in {html}");
        return System.Net.WebUtility.HtmlDecode(match.Groups[1].Value);
    }

    /// <summary>
    /// Whether an output is only C# compiler warnings, which the kernel shows as a stderr stream ("(1,10): warning
    /// CS1030: ..."). Which warnings come depends on the machine, not on the cell: on some machines the kernel warns
    /// that Microsoft.AspNetCore.Html.Abstractions was built against an older version, on others not (issue 28). Tests
    /// that compare a cell's outputs look past them here, and only here;
    /// CompilerWarningsShowAsAStderrStreamBeforeTheResult checks that they are shown.
    /// </summary>
    public static bool IsCompilerWarnings(JsonObject output)
    {
        if ((string?)output["output_type"] != "stream" || (string?)output["name"] != "stderr")
            return false;
        var lines = NotebookJson
            .JoinLines(output["text"], "text")
            .Split('\n')
            .Where(l => l.Trim().Length > 0)
            .ToArray();
        return lines.Length > 0 && lines.All(l => CompilerWarning.IsMatch(l));
    }

    static readonly System.Text.RegularExpressions.Regex CompilerWarning = new(@"^\s*\(\d+,\d+\): warning [A-Z]+\d+: ");

    /// <summary>
    /// Runs a program, failing the test (with its output's tail and <paramref name="hint"/>) on a non-zero exit or a
    /// time-out.
    /// </summary>
    public static void Run(string program, IEnumerable<string> arguments, TimeSpan timeout, string hint)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"{program} {string.Join(' ', start.ArgumentList)} did not finish within {timeout}");
        }
        var output = stdout.Result + stderr.Result;
        Assert.True(
            process.ExitCode == 0,
            $"{program} {string.Join(' ', start.ArgumentList)} failed ({process.ExitCode}){(hint.Length > 0 ? $"; {hint}" : "")}:\n{output[Math.Max(0, output.Length - 4000)..]}"
        );
    }

    /// <summary>
    /// Runs Debian's python3 (which has python3-nbformat) and returns its stdout; fails the test on a non-zero exit.
    /// </summary>
    public static string Python(string script, params string[] arguments)
    {
        var start = new ProcessStartInfo("/usr/bin/python3")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(script);
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"python3 failed ({process.ExitCode}): {stderr}");
        return stdout.Result;
    }
}
