using System.Diagnostics;

namespace QuakePrune;

/// <summary>
/// One of the project's programs run as a child process on this dotnet host: what the library uses where work must
/// leave this process (libhdf5 on files it did not write: QuakePrune.Hdf5Reader; pickers trained side by side, each
/// with its own random generator: QuakePrune.PickerTrainer).
/// </summary>
public static class CommandLineProcess
{
    /// <summary>
    /// How to start the program <paramref name="program"/> (its assembly name) with <paramref name="arguments"/>, its
    /// standard streams piped; null when it is not built beside the libraries.
    /// </summary>
    public static ProcessStartInfo? StartInfo(string program, IEnumerable<string> arguments)
    {
        if (Assembly(program + ".dll") is not { } cli)
            return null;
        var start = new ProcessStartInfo(DotnetHost())
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(cli);
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        return start;
    }

    /// <summary>
    /// The program's dll beside this assembly (QuakePrune.Common.dll, which every consumer copies into its output: the
    /// CLI's, a test project's, QuakePrune.Notebooks' for the notebook kernel), or in the build's artifacts layout
    /// beside that output (artifacts/bin/PROGRAM/CONFIG/, CONFIG being this output's own folder name).
    /// </summary>
    private static string? Assembly(string name)
    {
        var here = Path.GetDirectoryName(typeof(CommandLineProcess).Assembly.Location) ?? AppContext.BaseDirectory;
        var candidates = new List<string> { Path.Combine(AppContext.BaseDirectory, name), Path.Combine(here, name) };
        var configuration = Path.GetFileName(here);
        var bin = Path.GetDirectoryName(Path.GetDirectoryName(here));
        if (bin is not null)
            candidates.Add(Path.Combine(bin, Path.GetFileNameWithoutExtension(name), configuration, name));
        return candidates.FirstOrDefault(File.Exists);
    }

    /// <summary>
    /// The dotnet host running this process (or the SDK's, or `dotnet` on the PATH): children run on the same runtime.
    /// </summary>
    public static string DotnetHost()
    {
        var process = Environment.ProcessPath;
        if (process is not null && Path.GetFileNameWithoutExtension(process) == "dotnet")
            return process;
        return Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host)
            ? host
            : "dotnet";
    }
}
