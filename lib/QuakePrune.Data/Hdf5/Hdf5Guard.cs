using System.Collections.Concurrent;
using QuakePrune.Outputs;

namespace QuakePrune.Hdf5;

/// <summary>
/// Keeps a damaged HDF5 file from killing the process when <see cref="H5File.Open"/> opens one this process did not
/// write (a spectrogram or curves file: a few datasets). libhdf5 1.10.8 aborts or segfaults on some damaged files, and
/// nothing in-process can catch that, so first a child process (`QuakePrune.Hdf5Reader check`) walks every object of
/// the file with its attributes; a child that dies means a damaged file, reported naming the file and the object being
/// walked. The child's HDF5 errors (not crashes) are left to the readers, which report them as exceptions. A file
/// passed once (same inode, size and modification time) is not walked again in this process. STEAD's waveform files,
/// with up to a million traces, are not walked: a separate process reads them (<see cref="Stead.SteadTraceReader"/>).
/// </summary>
public static class Hdf5Guard
{
    private sealed record FileKey(FileIdentity Identity, long Length, DateTime Modified);

    /// <summary>Files walked or written by this process.</summary>
    private static readonly ConcurrentDictionary<FileKey, bool> Passed = new();

    /// <summary>
    /// Walks <paramref name="path"/> in a child process, unless it passed before; throws when the child dies.
    /// </summary>
    public static void Check(string path)
    {
        if (IsTrusted(path))
            return;
        RunChild(path);
        Trust(path);
    }

    /// <summary>
    /// Whether libhdf5 may read <paramref name="path"/> in this process: this process wrote or walked it, or the check
    /// is off.
    /// </summary>
    internal static bool IsTrusted(string path) =>
        SeparateProcess.SwitchedOff || Key(path) is not { } key || Passed.ContainsKey(key);

    /// <summary>Marks a file this process wrote (and closed) as sound.</summary>
    internal static void Trust(string path)
    {
        if (Key(path) is { } key)
            Passed[key] = true;
    }

    private static FileKey? Key(string path)
    {
        var info = new FileInfo(path);
        if (!info.Exists || FileSystem.Identity(info.FullName) is not { } identity)
            return null;
        return new FileKey(identity, info.Length, info.LastWriteTimeUtc);
    }

    private static void RunChild(string path)
    {
        using var child = SeparateProcess.Start(SeparateProcess.Check, path);
        child.StandardInput.Close();
        var last = "the file's structure";
        while (child.StandardOutput.ReadLine() is { } line)
            if (line.StartsWith("at ", StringComparison.Ordinal))
                last = "object " + line[3..];
        var ending = SeparateProcess.Ending(child);
        if (child.ExitCode != 0)
            throw new InvalidDataException(
                $"HDF5 file '{path}' is damaged: the HDF5 library crashed ({ending}) reading {last} in a separate checking process; "
                    + "the file is not read"
            );
    }

    /// <summary>
    /// The walk the child runs: the root's attributes and links, then every object below, each with its attributes (and
    /// a dataset's shape, type and storage). Writes "at PATH" before touching each object. HDF5 errors are ignored:
    /// only a crash counts.
    /// </summary>
    public static void Walk(string path, TextWriter progress)
    {
        SeparateProcess.EndWithParent();
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
        VisitAll(file, progress);
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
                    Quietly(() => _ = dataset.Shape);
                    Quietly(() => _ = dataset.ElementType);
                    Quietly(() => _ = dataset.StorageBytes);
                    Quietly(() => ReadAttributes(dataset));
                }
            });
        }
    }

    private static void ReadAttributes(H5Object owner)
    {
        foreach (var name in owner.Attributes.Names())
            Quietly(() => owner.Attributes.TryRead(name));
    }

    private static void Quietly(Action action)
    {
        try
        {
            action();
        }
        catch (Exception e)
            when (e
                    is IOException
                        or InvalidDataException
                        or ArgumentException
                        or KeyNotFoundException
                        or NotSupportedException
                        or InvalidOperationException
                        or OverflowException
            )
        {
            // An error the readers report cleanly; only a crash is what this walk looks for.
        }
    }
}
