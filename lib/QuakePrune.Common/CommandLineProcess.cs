using System.Diagnostics;

namespace QuakePrune;

/// <summary>
/// The project's own command line (QuakePrune.Cli.dll) run as a child process on this dotnet host: what the library uses where
/// work must leave this process (libhdf5 on files it did not write; trainings run side by side, each with its own random
/// generator).
/// </summary>
public static class CommandLineProcess
{
    /// <summary>How to start `quakeprune ARGS`, its standard streams piped; null when QuakePrune.Cli.dll is not built beside the libraries.</summary>
    public static ProcessStartInfo? StartInfo(IEnumerable<string> arguments)
    {
        if (Assembly() is not { } cli) return null;
        var start = new ProcessStartInfo(DotnetHost())
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(cli);
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        return start;
    }

    /// <summary>
    /// QuakePrune.Cli.dll beside this assembly (QuakePrune.Common.dll, which every consumer copies into its output: the CLI's, a
    /// test project's, QuakePrune.Notebooks' for the notebook kernel), or in the build's artifacts layout beside that output
    /// (artifacts/bin/QuakePrune.Cli/CONFIG/, CONFIG being this output's own folder name).
    /// </summary>
    private static string? Assembly()
    {
        const string name = "QuakePrune.Cli.dll";
        var here = Path.GetDirectoryName(typeof(CommandLineProcess).Assembly.Location) ?? AppContext.BaseDirectory;
        var candidates = new List<string> { Path.Combine(AppContext.BaseDirectory, name), Path.Combine(here, name) };
        var configuration = Path.GetFileName(here);
        var bin = Path.GetDirectoryName(Path.GetDirectoryName(here));
        if (bin is not null) candidates.Add(Path.Combine(bin, "QuakePrune.Cli", configuration, name));
        return candidates.FirstOrDefault(File.Exists);
    }

    private static string DotnetHost()
    {
        var process = Environment.ProcessPath;
        if (process is not null && Path.GetFileNameWithoutExtension(process) == "dotnet") return process;
        return Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";
    }
}
