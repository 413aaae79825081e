using System.Diagnostics;

namespace QuakePrune.Cli.Tests;

/// <summary>
/// Runs `quakeprune` as a separate process, for what an in-process run cannot show: a signal, a crash of native code,
/// two runs at once.
/// </summary>
public static class ChildCli
{
    public static Process Start(params string[] args) => StartIn(null, args);

    /// <summary>Starts it in <paramref name="workingDirectory"/> (null: this process's).</summary>
    public static Process StartIn(string? workingDirectory, params string[] args)
    {
        // env resets the signals a test sends: under nohup (or a CI runner) SIGHUP arrives ignored, and .NET keeps it
        // so.
        var start = new ProcessStartInfo(
            "env",
            [
                "--default-signal=HUP,INT,TERM",
                DotnetHost(),
                Path.Combine(AppContext.BaseDirectory, "QuakePrune.Cli.dll"),
                .. args,
            ]
        )
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? "",
        };
        return Process.Start(start) ?? throw new InvalidOperationException("cannot start quakeprune");
    }

    /// <summary>
    /// Runs to the end (at most <paramref name="seconds"/>), returning the exit code and both streams.
    /// </summary>
    public static (int Code, string Out, string Err) Run(int seconds, params string[] args)
    {
        using var child = Start(args);
        return Finish(child, seconds);
    }

    public static (int Code, string Out, string Err) Finish(Process child, int seconds)
    {
        var output = child.StandardOutput.ReadToEndAsync();
        var error = child.StandardError.ReadToEndAsync();
        if (!child.WaitForExit(TimeSpan.FromSeconds(seconds)))
        {
            child.Kill(entireProcessTree: true);
            throw new TimeoutException($"quakeprune did not finish within {seconds} s");
        }
        return (child.ExitCode, output.Result, error.Result);
    }

    /// <summary>Sends a signal by name (TERM, HUP, KILL).</summary>
    public static void Signal(Process child, string signal)
    {
        using var kill = Process.Start(
            "kill",
            [$"-{signal}", child.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]
        )!;
        kill.WaitForExit();
    }

    private static string DotnetHost()
    {
        var process = Environment.ProcessPath;
        if (process is not null && Path.GetFileNameWithoutExtension(process) == "dotnet")
            return process;
        return Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host)
            ? host
            : "dotnet";
    }
}
