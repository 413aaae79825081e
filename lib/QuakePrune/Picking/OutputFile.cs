namespace QuakePrune.Picking;

/// <summary>
/// How the picking writers publish a file: written under a hidden temporary name beside the target and renamed when
/// complete; an existing target is refused unless overwriting was asked for. Both writers go through here, so moving
/// them to the project's shared atomic writer is a change in this one place.
/// </summary>
internal static class OutputFile
{
    /// <summary>Checks the target can be written and returns the temporary path to write instead.</summary>
    public static string Begin(string path, bool overwrite, string what)
    {
        if (string.IsNullOrWhiteSpace(path)) throw new ArgumentException($"{what}: give an output file name");
        var full = Path.GetFullPath(path);
        if (Directory.Exists(full)) throw new IOException($"{what}: output '{full}' is a folder; give a file name");
        if (File.Exists(full) && !overwrite) throw new IOException($"{what}: output '{full}' exists (use --overwrite to replace it)");
        var folder = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(folder);
        return Path.Combine(folder, $".{Path.GetFileName(full)}.partial-{Environment.ProcessId}-{Guid.NewGuid():N}");
    }

    /// <summary>Renames the finished temporary file to the target (refusing, again, a target that appeared meanwhile).</summary>
    public static void Publish(string temporary, string path, bool overwrite) => File.Move(temporary, Path.GetFullPath(path), overwrite);
}
