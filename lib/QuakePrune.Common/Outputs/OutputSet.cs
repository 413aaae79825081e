using System.Collections.Concurrent;
using System.Text.Json;

namespace QuakePrune.Outputs;

/// <summary>
/// The outputs of one run of a verb, and the one way anything in QuakePrune publishes a file or folder:
/// <list type="bullet">
/// <item>each output is declared first and checked, by real path and by inode, against the run's inputs: no output may
/// be an input, hold one (a folder) or be reached through a symbolic or hard link to one, even with overwrite;</item>
/// <item>an existing output is refused unless the run may overwrite; a folder is replaced only when it carries the
/// marker of the verb that made it and holds nothing that verb did not write;</item>
/// <item>the output is claimed with a lock held for the whole run, so a second run to it fails at once, naming
/// it;</item>
/// <item>it is written under <c>.NAME.quakeprune-partial-PID</c> beside the target and renamed when
/// <see cref="Publish"/> is called: without overwrite by a rename that fails if the target appeared meanwhile;</item>
/// <item>partial files of this run are removed on failure, interruption or signal, and those of runs whose process is
/// gone are removed by the next run writing into the same folder.</item>
/// </list>
/// </summary>
public sealed class OutputSet : IDisposable
{
    /// <summary>The file a folder output carries, naming the verb that made it and what it wrote there.</summary>
    public const string MarkerName = ".quakeprune-output.json";

    private const string PartialTag = ".quakeprune-partial-";
    private const string LockTag = ".quakeprune-lock";

    private static readonly ConcurrentDictionary<OutputSet, bool> Active = new();

    private readonly string verb;
    private readonly bool overwrite;
    private readonly List<(string Path, string Real, FileIdentity? Identity)> inputs = [];
    private readonly List<Output> outputs = [];

    private enum OutputKind
    {
        File,
        Folder,
        WorkFolder,
    }

    private sealed class Output
    {
        public required OutputKind Kind;
        public required string Target;
        public required string Partial;
        public required OutputLock Lock;
        public required bool Existed;
        public bool Done;

        /// <summary>
        /// A work folder this run created: removed again if the run leaves nothing in it but the marker.
        /// </summary>
        public bool Created;
        public readonly List<string> Written = [];
    }

    /// <param name="verb">The verb, for messages and folder markers ("extract").</param>
    /// <param name="overwrite">Whether existing outputs may be replaced (--overwrite).</param>
    /// <param name="inputs">Every file or folder the run reads; missing ones are ignored here (the verb reports
    /// them).</param>
    public OutputSet(string verb, bool overwrite, IEnumerable<string?> inputs)
    {
        this.verb = verb;
        this.overwrite = overwrite;
        foreach (var input in inputs)
        {
            if (string.IsNullOrEmpty(input) || (!System.IO.File.Exists(input) && !Directory.Exists(input)))
                continue;
            var real = FileSystem.RealPath(input);
            this.inputs.Add((input, real, FileSystem.Identity(real)));
        }
        Active.TryAdd(this, true);
    }

    /// <summary>
    /// Declares a file output; returns the partial path to write it under until <see cref="Publish"/>.
    /// </summary>
    public string File(string path)
    {
        var real = Resolve(path);
        if (Directory.Exists(real))
            throw new IOException($"{verb}: output '{path}' is a folder; give a file name");
        CheckNotInput(path, real, folder: false);
        var claim = Claim(path, real);
        var existed = System.IO.File.Exists(real);
        if (existed && !overwrite)
        {
            claim.Dispose();
            throw new IOException($"{verb}: output '{path}' exists (use --overwrite to replace it)");
        }
        var partial = PartialPath(real);
        DeleteEntry(partial);
        outputs.Add(
            new Output
            {
                Kind = OutputKind.File,
                Target = real,
                Partial = partial,
                Lock = claim,
                Existed = existed,
            }
        );
        return partial;
    }

    /// <summary>
    /// Declares a folder output built whole under a partial name and renamed into place; returns that partial folder.
    /// </summary>
    public string Folder(string path)
    {
        var real = Resolve(path);
        if (System.IO.File.Exists(real))
            throw new IOException($"{verb}: output '{path}' is a file; give a folder");
        CheckNotInput(path, real, folder: true);
        var claim = Claim(path, real);
        try
        {
            var existed = CheckReplaceableFolder(path, real);
            var partial = PartialPath(real);
            DeleteEntry(partial);
            Directory.CreateDirectory(partial);
            outputs.Add(
                new Output
                {
                    Kind = OutputKind.Folder,
                    Target = real,
                    Partial = partial,
                    Lock = claim,
                    Existed = existed,
                }
            );
            return partial;
        }
        catch
        {
            claim.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Declares a folder the run works in (a training run: files replaced epoch by epoch, each through
    /// <see cref="AtomicFile"/>), claimed for the whole run and marked as the verb's, with <paramref name="entries"/>,
    /// the names of the files and folders the verb writes there. <paramref name="resume"/> continues in a folder this
    /// verb marked; otherwise an existing one is refused, or with overwrite has those entries removed (nothing else).
    /// Returns the folder.
    /// <para>
    /// <paramref name="part"/>: the run writes only these of the entries (`pipeline --stages`). The folder may then
    /// hold the verb's earlier run: of its entries only those in <paramref name="part"/> are refused when present, or
    /// with overwrite removed; the others are kept.
    /// </para>
    /// </summary>
    public string WorkFolder(
        string path,
        IReadOnlyList<string> entries,
        bool resume = false,
        IReadOnlyList<string>? part = null
    )
    {
        if (part?.Except(entries, StringComparer.Ordinal).FirstOrDefault() is { } unknown)
            throw new ArgumentException($"{verb}: '{unknown}' is not one of the entries the verb writes", nameof(part));
        var real = Resolve(path);
        if (System.IO.File.Exists(real))
            throw new IOException($"{verb}: output '{path}' is a file; give a folder");
        CheckNotInput(path, real, folder: true);
        var claim = Claim(path, real);
        try
        {
            var existing = Directory.Exists(real) && Directory.EnumerateFileSystemEntries(real).Any();
            if (existing)
            {
                var foreign = ForeignEntries(real, out var owner);
                if (owner is null || owner.Verb != verb)
                    throw new IOException(
                        $"{verb}: output folder '{path}' exists and was not made by quakeprune {verb}; it is left alone "
                            + "(choose another folder, or empty it yourself)"
                    );
                if (foreign.Count > 0)
                    throw ForeignContent(path, foreign);
                var replaced = part is null
                    ? owner.Files
                    : part.Where(name => Path.Exists(Path.Combine(real, name))).ToList();
                if (!resume && !overwrite && (part is null || replaced.Count > 0))
                    throw new IOException(
                        part is null
                            ? $"{verb}: output folder '{path}' holds an earlier run (use --overwrite to replace it{(verb == "train" ? ", or --resume to continue it" : "")})"
                            : $"{verb}: output folder '{path}' holds an earlier run's {string.Join(", ", replaced)} (use --overwrite to replace them)"
                    );
                if (!resume)
                    foreach (var name in replaced)
                        DeleteEntry(Path.Combine(real, name));
            }
            var created = !Directory.Exists(real);
            Directory.CreateDirectory(real);
            SweepStale(real);
            var output = new Output
            {
                Kind = OutputKind.WorkFolder,
                Target = real,
                Partial = real,
                Lock = claim,
                Existed = existing,
                Done = true,
                Created = created,
            };
            output.Written.AddRange(entries);
            outputs.Add(output);
            WriteMarker(output);
            return real;
        }
        catch
        {
            claim.Dispose();
            throw;
        }
    }

    /// <summary>Publishes every declared output in declaration order; each rename is checked at that moment.</summary>
    public void Publish()
    {
        foreach (var output in outputs.Where(o => !o.Done))
        {
            if (output.Kind == OutputKind.File)
            {
                if (!System.IO.File.Exists(output.Partial))
                    throw new InvalidOperationException(
                        $"{verb}: output '{output.Target}' was declared but never written"
                    );
                PublishEntry(output, isFolder: false);
            }
            else
            {
                output.Written.AddRange(
                    Directory
                        .EnumerateFileSystemEntries(output.Partial)
                        .Select(Path.GetFileName)
                        .OfType<string>()
                        .Where(n => n != MarkerName)
                        .Order(StringComparer.Ordinal)
                );
                WriteMarker(output, output.Partial);
                PublishEntry(output, isFolder: true);
            }
            output.Done = true;
        }
    }

    private void PublishEntry(Output output, bool isFolder)
    {
        if (FileSystem.RenameNoReplace(output.Partial, output.Target))
            return;
        // An empty folder in the way holds nothing to lose (a rename over it is still checked: it fails if it filled).
        if (isFolder && RemoveIfEmpty(output.Target) && FileSystem.RenameNoReplace(output.Partial, output.Target))
            return;
        // The target is there. Replace it only if it was there when declared and overwrite was given: the lock held
        // since then keeps other quakeprune runs away, so it is the same entry that was checked.
        if (!output.Existed || !overwrite)
            throw new IOException(
                $"{verb}: output '{output.Target}' appeared while this run was writing it (another program wrote it); "
                    + $"nothing was replaced, the new result is not kept"
            );
        if (!isFolder)
        {
            System.IO.File.Move(output.Partial, output.Target, overwrite: true);
            return;
        }
        var foreign = ForeignEntries(output.Target, out var owner);
        if (owner is null || foreign.Count > 0)
            throw ForeignContent(output.Target, foreign);
        var old = PartialPath(output.Target) + "-old";
        DeleteEntry(old);
        Directory.Move(output.Target, old);
        Directory.Move(output.Partial, output.Target);
        DeleteEntry(old);
    }

    private static bool RemoveIfEmpty(string folder)
    {
        try
        {
            Directory.Delete(folder, recursive: false);
            return true;
        }
        catch (IOException)
        {
            return false;
        }
    }

    /// <summary>Deletes unpublished partial files and releases the claims.</summary>
    public void Dispose()
    {
        // Locked against AbandonAll, which a signal runs on another thread while this run may be unwinding.
        lock (outputs)
        {
            foreach (var output in outputs)
            {
                if (!output.Done)
                    DeleteEntry(output.Partial);
                if (
                    output.Created
                    && Directory.Exists(output.Target)
                    && Directory.EnumerateFileSystemEntries(output.Target).All(e => Path.GetFileName(e) == MarkerName)
                )
                    DeleteEntry(output.Target);
                output.Lock.Dispose();
            }
            outputs.Clear();
        }
        Active.TryRemove(this, out _);
    }

    /// <summary>
    /// Removes the partial files of every run in progress in this process, for an exit forced by a signal (the threads
    /// writing them may still be running; what cannot be removed now is removed by the next run).
    /// </summary>
    public static void AbandonAll()
    {
        foreach (var set in Active.Keys)
            lock (set.outputs)
            {
                foreach (var output in set.outputs)
                {
                    if (!output.Done)
                        DeleteEntry(output.Partial);
                    output.Lock.Dispose();
                }
                set.outputs.Clear();
            }
    }

    // ---- checks

    /// <summary>
    /// The real path of an output (links resolved); refuses the root and the working folder or one above it.
    /// </summary>
    private string Resolve(string path)
    {
        if (string.IsNullOrWhiteSpace(path))
            throw new ArgumentException($"{verb}: an output path is empty");
        var full = Path.GetFullPath(path);
        var real = FileSystem.RealPath(full);
        if (Path.GetFileName(real).Length == 0)
            throw new IOException($"{verb}: output '{path}' is the root folder");
        // /dev/stdout, /dev/fd/N and /proc/PID/fd/N lead into /proc: a rename there would replace whatever the
        // descriptor names (the file a shell redirected to). Writing to standard output is a verb's own option, never
        // an output path.
        if (IsInside(real, "/proc") || IsInside(real, "/sys"))
            throw new IOException(
                $"{verb}: output '{path}' leads into {(IsInside(real, "/proc") ? "/proc" : "/sys")} (a process's file descriptor or a kernel file); "
                    + "outputs are regular files or folders"
            );
        if (FileSystem.Kind(real) is { } kind and not (FileKind.RegularFile or FileKind.Folder))
            throw new IOException(
                $"{verb}: output '{path}' is a {Describe(kind)}; outputs are regular files or folders, and it is left alone even with --overwrite"
            );
        var cwd = FileSystem.RealPath(Environment.CurrentDirectory);
        if (IsInside(cwd, real))
            throw new IOException(
                $"{verb}: output '{path}' is the working folder or holds it; give a folder inside it"
            );
        return real;
    }

    private static string Describe(FileKind kind) =>
        kind switch
        {
            FileKind.CharacterDevice => "character device",
            FileKind.BlockDevice => "block device",
            FileKind.Fifo => "FIFO (named pipe)",
            FileKind.Socket => "socket",
            _ => "special file",
        };

    private void CheckNotInput(string path, string real, bool folder)
    {
        var identity = FileSystem.Identity(real);
        foreach (var (input, inputReal, inputIdentity) in inputs)
        {
            var same = inputReal == real || (identity is { } id && inputIdentity == id);
            if (same)
                throw new IOException(
                    $"{verb}: output '{path}' is the input '{input}'; an input is never written over"
                );
            if (folder && IsInside(inputReal, real))
                throw new IOException(
                    $"{verb}: output folder '{path}' holds the input '{input}'; an input is never written over"
                );
        }
    }

    /// <summary>
    /// Whether an existing folder may be replaced: false when absent or empty; throws when it may not.
    /// </summary>
    private bool CheckReplaceableFolder(string path, string real)
    {
        if (!Directory.Exists(real))
            return false;
        if (!Directory.EnumerateFileSystemEntries(real).Any())
            return true;
        var foreign = ForeignEntries(real, out var owner);
        if (owner is null)
            throw new IOException(
                $"{verb}: output folder '{path}' exists and was not made by quakeprune; it is left alone "
                    + "(choose another folder, or empty it yourself)"
            );
        if (!overwrite)
            throw new IOException($"{verb}: output folder '{path}' exists (use --overwrite to replace it)");
        if (foreign.Count > 0)
            throw ForeignContent(path, foreign);
        return true;
    }

    private IOException ForeignContent(string path, IReadOnlyList<string> foreign) =>
        new(
            $"{verb}: output folder '{path}' holds what quakeprune did not write there ({string.Join(", ", foreign.Take(5).Select(n => $"'{n}'"))}"
                + $"{(foreign.Count > 5 ? $" and {foreign.Count - 5} more" : "")}); it is left alone"
        );

    /// <summary>Entries of a folder its marker does not list (partial files of dead runs aside).</summary>
    private static List<string> ForeignEntries(string folder, out Marker? owner)
    {
        owner = ReadMarker(Path.Combine(folder, MarkerName));
        var listed = owner?.Files.ToHashSet(StringComparer.Ordinal) ?? [];
        var foreign = new List<string>();
        foreach (var entry in Directory.EnumerateFileSystemEntries(folder))
        {
            var name = Path.GetFileName(entry);
            if (name == MarkerName || listed.Contains(name) || IsStalePartial(name))
                continue;
            foreign.Add(name);
        }
        foreign.Sort(StringComparer.Ordinal);
        return foreign;
    }

    private static bool IsInside(string path, string folder) =>
        path == folder
        || path.StartsWith(
            folder.TrimEnd(Path.DirectorySeparatorChar) + Path.DirectorySeparatorChar,
            StringComparison.Ordinal
        );

    // ---- claims and partial files

    private OutputLock Claim(string path, string real)
    {
        var folder = Path.GetDirectoryName(real)!;
        Directory.CreateDirectory(folder);
        var claim = OutputLock.TryAcquire(LockPath(real));
        if (claim is null)
        {
            var owners = PartialOwners(real).Where(FileSystem.IsAlive).ToList();
            throw new IOException(
                $"{verb}: output '{path}' is being written by another quakeprune run"
                    + (owners.Count > 0 ? $" (process {string.Join(", ", owners)})" : "")
                    + "; wait for it or choose another output"
            );
        }
        SweepStale(folder);
        return claim;
    }

    private static string PartialPath(string real) =>
        Path.Combine(Path.GetDirectoryName(real)!, $".{Path.GetFileName(real)}{PartialTag}{Environment.ProcessId}");

    private static string LockPath(string real) =>
        Path.Combine(Path.GetDirectoryName(real)!, $".{Path.GetFileName(real)}{LockTag}");

    private static IEnumerable<int> PartialOwners(string real)
    {
        var folder = Path.GetDirectoryName(real)!;
        var prefix = $".{Path.GetFileName(real)}{PartialTag}";
        foreach (var entry in Directory.EnumerateFileSystemEntries(folder, prefix + "*"))
            if (ParsePartial(Path.GetFileName(entry)) is { } p && p.Output == Path.GetFileName(real))
                yield return p.Pid;
    }

    /// <summary>The output name and owner of a partial entry's name, or null when it is not one.</summary>
    internal static (string Output, int Pid)? ParsePartial(string name)
    {
        var at = name.LastIndexOf(PartialTag, StringComparison.Ordinal);
        if (!name.StartsWith('.') || at < 1)
            return null;
        var rest = name[(at + PartialTag.Length)..];
        // The pid, then whatever a writer appended (a library's own temporary suffix, "-old").
        var digits = new string(rest.TakeWhile(char.IsAsciiDigit).ToArray());
        return int.TryParse(
            digits,
            System.Globalization.NumberStyles.None,
            System.Globalization.CultureInfo.InvariantCulture,
            out var pid
        )
            ? (name[1..at], pid)
            : null;
    }

    private static bool IsStalePartial(string name) =>
        (ParsePartial(name) is { } p && p.Pid != Environment.ProcessId && !FileSystem.IsAlive(p.Pid))
        || name.EndsWith(LockTag, StringComparison.Ordinal);

    /// <summary>
    /// Removes partial files left in a folder by runs whose process is gone, taking each output's lock first.
    /// </summary>
    public static void SweepStale(string folder)
    {
        if (!Directory.Exists(folder))
            return;
        foreach (var entry in Directory.EnumerateFileSystemEntries(folder, "*" + PartialTag + "*"))
        {
            if (ParsePartial(Path.GetFileName(entry)) is not { } partial)
                continue;
            if (partial.Pid == Environment.ProcessId || FileSystem.IsAlive(partial.Pid))
                continue;
            var target = Path.Combine(folder, partial.Output);
            if (OutputLock.IsHeld(LockPath(target)))
            {
                // This run holds the output: no live run can be writing it, so the partial is a dead run's.
                DeleteEntry(entry);
                continue;
            }
            using var claim = OutputLock.TryAcquire(LockPath(target));
            // A held lock means a live run owns the output (its pid was reused): leave its files alone.
            if (claim is null && System.IO.File.Exists(LockPath(target)))
                continue;
            DeleteEntry(entry);
        }
    }

    private static void DeleteEntry(string path)
    {
        try
        {
            if (Directory.Exists(path) && new DirectoryInfo(path).LinkTarget is null)
                Directory.Delete(path, recursive: true);
            else if (System.IO.File.Exists(path) || new FileInfo(path).LinkTarget is not null)
                System.IO.File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Left for the next run's sweep: a writer thread may still hold it open.
        }
    }

    // ---- markers

    private sealed record Marker(string Verb, int Version, List<string> Files);

    private static Marker? ReadMarker(string path)
    {
        if (!System.IO.File.Exists(path))
            return null;
        try
        {
            var marker = JsonSerializer.Deserialize<Marker>(System.IO.File.ReadAllText(path), MarkerJson);
            return
                marker is { Verb.Length: > 0, Files: not null }
                && marker.Files.All(f => f.Length > 0 && !f.Contains('/') && f is not "." and not "..")
                ? marker
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private void WriteMarker(Output output, string? folder = null)
    {
        var path = Path.Combine(folder ?? output.Target, MarkerName);
        var json = JsonSerializer.Serialize(new Marker(verb, 1, [.. output.Written]), MarkerJson) + "\n";
        var temporary = PartialPath(path);
        System.IO.File.WriteAllText(temporary, json);
        System.IO.File.Move(temporary, path, overwrite: true);
    }

    private static readonly JsonSerializerOptions MarkerJson = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
    };
}

/// <summary>
/// An exclusive claim on an output: a lock file beside it, locked (flock) for as long as the claim is held.
/// </summary>
internal sealed class OutputLock : IDisposable
{
    private static readonly ConcurrentDictionary<string, bool> Held = new(StringComparer.Ordinal);

    private readonly FileStream stream;
    private readonly string path;
    private int disposed;

    /// <summary>Whether this process holds the claim of <paramref name="path"/>.</summary>
    public static bool IsHeld(string path) => Held.ContainsKey(path);

    private OutputLock(FileStream stream, string path)
    {
        this.stream = stream;
        this.path = path;
    }

    /// <summary>
    /// The claim, or null when another process holds it. The kernel drops it when the holder dies, however it dies.
    /// </summary>
    public static OutputLock? TryAcquire(string path)
    {
        for (var attempt = 0; attempt < 8; attempt++)
        {
            FileStream stream;
            try
            {
                // FileShare.None takes an exclusive flock on Unix; a second process's open fails while it is held.
                stream = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (File.Exists(path))
            {
                return null;
            }
            // The holder before us may have removed the file after we opened it: then our lock guards nothing; try
            // again.
            if (FileSystem.Identity(path) is { } onDisk && FileSystem.Identity(stream.SafeFileHandle) == onDisk)
            {
                Held[path] = true;
                return new OutputLock(stream, path);
            }
            stream.Dispose();
        }
        return null;
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref disposed, 1) != 0)
            return;
        try
        {
            File.Delete(path);
        }
        catch (IOException) { }
        Held.TryRemove(path, out _);
        stream.Dispose();
    }
}
