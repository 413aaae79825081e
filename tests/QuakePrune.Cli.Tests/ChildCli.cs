using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;

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

    /// <summary>
    /// Starts a run and sends <paramref name="signal"/> <paramref name="delayMs"/> ms after the first line of its
    /// standard error that starts with <paramref name="afterLine"/> (null: after its start); returns the exit code and
    /// standard error. Standard error is read on a thread of its own, not the thread pool's, and the signal sent by a
    /// system call, not a `kill` process: a busy test host may delay either by seconds, while the run goes on.
    /// </summary>
    public static (int Code, string Err) RunAndSignal(string[] args, string signal, string? afterLine, int delayMs)
    {
        using var child = Start(args);
        var err = new StringBuilder();
        using var seen = new ManualResetEventSlim(afterLine is null);
        var found = afterLine is null;
        var reader = new Thread(() =>
        {
            while (child.StandardError.ReadLine() is { } line)
            {
                lock (err)
                    err.AppendLine(line);
                if (afterLine is not null && line.StartsWith(afterLine, StringComparison.Ordinal))
                {
                    found = true;
                    seen.Set();
                }
            }
            // At the end of the run, found or not: a run that ended without the line fails the test now, not after the
            // wait.
            seen.Set();
        })
        {
            IsBackground = true,
        };
        reader.Start();
        var output = child.StandardOutput.ReadToEndAsync();
        string Err()
        {
            lock (err)
                return err.ToString();
        }
        if (!seen.Wait(TimeSpan.FromSeconds(120)))
        {
            child.Kill(entireProcessTree: true);
            throw new TimeoutException($"no line '{afterLine}' within 120 s: {Err()}");
        }
        if (!found)
            throw new InvalidOperationException($"the run ended (exit {child.ExitCode}) before '{afterLine}': {Err()}");
        Thread.Sleep(delayMs);
        Signal(child, signal);
        if (!child.WaitForExit(TimeSpan.FromSeconds(60)))
        {
            child.Kill(entireProcessTree: true);
            throw new TimeoutException($"still running 60 s after SIG{signal}: {Err()}");
        }
        reader.Join();
        output.Wait();
        return (child.ExitCode, Err());
    }

    /// <summary>Sends a signal by name (INT, TERM, HUP, KILL).</summary>
    public static void Signal(Process child, string signal)
    {
        var number = signal switch
        {
            "HUP" => 1,
            "INT" => 2,
            "KILL" => 9,
            "TERM" => 15,
            _ => throw new ArgumentException($"no signal named {signal}", nameof(signal)),
        };
        if (kill(child.Id, number) != 0)
            throw new InvalidOperationException($"kill -{signal} {child.Id}: errno {Marshal.GetLastPInvokeError()}");
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int signal);

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
