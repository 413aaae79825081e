using System.Collections.Concurrent;
using System.Diagnostics;
using QuakePrune.Outputs;

namespace QuakePrune.Hdf5;

/// <summary>
/// Keeps a damaged HDF5 file from killing the process. libhdf5 1.10.8 aborts or segfaults on some damaged files (a zeroed
/// fractal heap block, for one), and nothing in-process can catch that. So before this process lets libhdf5 read a file it
/// did not write, a child process (`quakeprune hdf5-check`) walks what will be read: the root, every group and its links,
/// and the objects named (their headers, shapes, types and chunk indexes), or every object with its attributes when none
/// are named.
/// A child that dies means a damaged file, reported naming the file and the object being read; the child's HDF5 errors
/// (not crashes) are left to the readers, which report them as exceptions. A file passed once (same inode, size and
/// modification time) is not walked again in this process.
/// </summary>
public static class Hdf5Guard
{
    /// <summary>Set to "off" to read without the check (for a machine without the command line built).</summary>
    public const string SwitchVariable = "QUAKEPRUNE_HDF5_CHECK";

    private sealed record FileKey(FileIdentity Identity, long Length, DateTime Modified);

    /// <summary>Per file: null when every object passed, else the objects that did.</summary>
    private static readonly ConcurrentDictionary<FileKey, HashSet<string>?> Passed = new();

    /// <summary>Walks <paramref name="path"/> in a child process (structure and <paramref name="objects"/>, or everything); throws when it dies.</summary>
    public static void Check(string path, IReadOnlyCollection<string>? objects = null)
    {
        if (Environment.GetEnvironmentVariable(SwitchVariable) == "off") return;
        var key = Key(path);
        if (key is null) return;
        if (Passed.TryGetValue(key, out var done) && (done is null || (objects is not null && objects.All(done.Contains)))) return;
        var pending = objects?.Where(o => done?.Contains(o) != true).ToList();
        RunChild(path, pending);
        Passed.AddOrUpdate(key, _ => pending is null ? null : [.. pending],
            (_, previous) => pending is null || previous is null ? null : [.. previous, .. pending]);
    }

    /// <summary>Marks a file this process wrote (and closed) as sound.</summary>
    internal static void Trust(string path)
    {
        if (Key(path) is { } key) Passed[key] = null;
    }

    private static FileKey? Key(string path)
    {
        var info = new FileInfo(path);
        if (!info.Exists || FileSystem.Identity(info.FullName) is not { } identity) return null;
        return new FileKey(identity, info.Length, info.LastWriteTimeUtc);
    }

    private static void RunChild(string path, List<string>? objects)
    {
        var cli = CommandLineAssembly()
                  ?? throw new InvalidOperationException(
                      $"cannot read '{path}' safely: HDF5 files are first checked by QuakePrune.Cli.dll in a separate process, and it is not " +
                      $"beside QuakePrune.dll (build the solution with environment/setup.sh, or set {SwitchVariable}=off to read unchecked)");
        var start = new ProcessStartInfo(DotnetHost(), [cli, "hdf5-check", Path.GetFullPath(path)])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        using var child = Process.Start(start) ?? throw new InvalidOperationException($"cannot start the HDF5 check of '{path}'");
        var last = "the file's structure";
        child.OutputDataReceived += (_, e) =>
        {
            if (e.Data is { Length: > 0 } line) last = line;
        };
        child.ErrorDataReceived += (_, _) => { };
        child.BeginOutputReadLine();
        child.BeginErrorReadLine();
        using (var input = child.StandardInput)
        {
            if (objects is null) input.WriteLine("*");
            else
                foreach (var name in objects) input.WriteLine(name);
        }
        child.WaitForExit();
        if (child.ExitCode != 0)
            throw new InvalidDataException(
                $"HDF5 file '{path}' is damaged: the HDF5 library crashed (exit {child.ExitCode}) reading {last.Replace("at ", "object ", StringComparison.Ordinal)} " +
                "in a separate checking process; the file is not read");
    }

    /// <summary>
    /// The walk the child runs: the root's attributes and links, then the objects listed on <paramref name="objects"/> (one
    /// in-file path a line, "*" for every object), each with the links of the groups on its path. Writes "at PATH" before
    /// touching each object. HDF5 errors are ignored: only a crash counts.
    /// </summary>
    public static void Walk(string path, TextReader objects, TextWriter progress)
    {
        var names = new List<string>();
        while (objects.ReadLine() is { } line)
            if (line.Length > 0) names.Add(line);
        Report(progress, "/");
        H5File file;
        try
        {
            file = H5File.OpenUnchecked(path);
        }
        catch (Exception e) when (e is IOException)
        {
            // Not an HDF5 file, or truncated: libhdf5 said so without crashing, and the reader will say so too.
            return;
        }
        using var owned = file;
        Quietly(() => ReadAttributes(file));
        Quietly(() => _ = file.LinkNames());
        if (names.Contains("*"))
        {
            VisitAll(file, progress);
            return;
        }
        var listed = new HashSet<string>(StringComparer.Ordinal);
        foreach (var name in names)
        {
            var parts = name.Split('/', StringSplitOptions.RemoveEmptyEntries);
            for (var depth = 1; depth <= parts.Length; depth++)
            {
                var prefix = string.Join('/', parts.Take(depth));
                if (depth < parts.Length && !listed.Add(prefix)) continue;
                Report(progress, "/" + prefix);
                var found = true;
                Quietly(() =>
                {
                    found = file.Contains(prefix);
                    if (!found) return;
                    if (file.IsGroup(prefix))
                    {
                        using var group = file.OpenGroup(prefix);
                        ReadAttributes(group);
                        _ = group.LinkNames();
                    }
                    else
                    {
                        // A named dataset is read for its data (a trace): its header, shape, type and storage, not its attributes.
                        using var dataset = file.OpenDataset(prefix);
                        Inspect(dataset, attributes: false);
                    }
                });
                if (!found) break;
            }
        }
    }

    private static void Report(TextWriter progress, string objectPath)
    {
        progress.WriteLine($"at {objectPath}");
        progress.Flush();
    }

    private static void VisitAll(H5Group group, TextWriter progress)
    {
        List<string> children = [];
        Quietly(() => children = group.LinkNames());
        foreach (var name in children)
        {
            Report(progress, group.Child(name));
            Quietly(() =>
            {
                if (group.IsGroup(name))
                {
                    using var child = group.OpenGroup(name);
                    ReadAttributes(child);
                    VisitAll(child, progress);
                }
                else
                {
                    using var dataset = group.OpenDataset(name);
                    Inspect(dataset, attributes: true);
                }
            });
        }
    }

    private static void Inspect(H5Dataset dataset, bool attributes)
    {
        Quietly(() => _ = dataset.Shape);
        Quietly(() => _ = dataset.ElementType);
        Quietly(() => _ = dataset.StorageBytes);
        if (attributes) Quietly(() => ReadAttributes(dataset));
    }

    private static void ReadAttributes(H5Object owner)
    {
        foreach (var name in owner.Attributes.Names()) Quietly(() => owner.Attributes.TryRead(name));
    }

    private static void Quietly(Action action)
    {
        try
        {
            action();
        }
        catch (Exception e) when (e is IOException or InvalidDataException or ArgumentException or KeyNotFoundException or NotSupportedException
                                      or InvalidOperationException or OverflowException)
        {
            // An error the readers report cleanly; only a crash is what this walk looks for.
        }
    }

    /// <summary>QuakePrune.Cli.dll beside this assembly, or in the build's artifacts layout (artifacts/bin/PROJECT/CONFIG/).</summary>
    private static string? CommandLineAssembly()
    {
        const string name = "QuakePrune.Cli.dll";
        var here = Path.GetDirectoryName(typeof(Hdf5Guard).Assembly.Location) ?? AppContext.BaseDirectory;
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
