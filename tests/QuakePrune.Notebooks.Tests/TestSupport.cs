using System.Diagnostics;

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

    /// <summary>Copies the fixture notebook into a scratch folder (the runner writes beside nothing, but tests stay independent).</summary>
    public static string CopyFixture(TempDirectory temp, string name = "fixture.ipynb")
    {
        var target = Path.Combine(temp.Path, name);
        File.Copy(Fixture(name), target);
        return target;
    }

    /// <summary>Runs Debian's python3 (which has python3-nbformat) and returns its stdout; fails the test on a non-zero exit.</summary>
    public static string Python(string script, params string[] arguments)
    {
        var start = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(script);
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"python3 failed ({process.ExitCode}): {stderr}");
        return stdout.Result;
    }
}
