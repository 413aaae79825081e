using System.Diagnostics;

namespace QuakePrune.Cli.Tests.Commands;

/// <summary>
/// Issue 24, rule 2: a write that fails for want of space is an error, never a crash. Each writer runs in a child
/// process (a native fault kills the process, which only a parent sees) with its output on a 2 MB tmpfs, too small for
/// it.
/// </summary>
public sealed class FullDiskTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("quakeprune-full-disk-").FullName;
    private readonly string full;

    public FullDiskTests()
    {
        full = At("full");
        Directory.CreateDirectory(full);
        if (SmallDisk.Mount(full) is not { } error)
            return;
        Directory.Delete(dir, true);
        throw new InvalidOperationException($"mounting a tmpfs on '{full}': {error}");
    }

    public void Dispose()
    {
        try
        {
            SmallDisk.Unmount(full);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    private string At(string name) => Path.Combine(dir, name);

    private static void Ok((int Code, string Out, string Err) run) => Assert.True(run.Code == 0, run.Err + run.Out);

    /// <summary>
    /// Runs a verb out of process onto the small disk: exit 1 (139 is the segmentation fault), one line naming the
    /// output, nothing left.
    /// </summary>
    private void FailsCleanly(string output, params string[] args)
    {
        var (code, stdout, stderr) = ChildCli.Run(60, args);
        Assert.True(code == 1, $"{args[0]}: exit {code} (139 is a segmentation fault): {stderr}{stdout}");
        Assert.Contains("No space left on device", stderr);
        Assert.Contains(full, stderr);
        Assert.Contains(output, stderr);
        Assert.DoesNotContain("   at ", stderr);
        Assert.Empty(Directory.GetFileSystemEntries(full));
    }

    [SmallDiskFact]
    public void Writers_on_a_full_disk_exit_1_naming_the_output_and_leave_nothing()
    {
        Ok(CliRunner.Run("synth", "--out", At("syn"), "--traces", "60", "--seed", "3"));
        Ok(CliRunner.Run("extract", "--input", At("syn"), "--out", At("subset"), "--per-class", "30"));
        var model = At("picker.safetensors");
        Ok(CliRunner.Run("model", "init", "--arch", "eqt-lite", "--out", model));

        // Each output is several MB: 60 traces of 72 KB, curves of 144 KB a trace, images of 600 KB.
        FailsCleanly("syn.", "synth", "--out", Path.Combine(full, "syn"), "--traces", "60", "--seed", "3");
        FailsCleanly("sub", "extract", "--input", At("syn"), "--out", Path.Combine(full, "sub"), "--per-class", "30");
        FailsCleanly(
            "picks.csv",
            "pick",
            "--model",
            model,
            "--subset",
            At("subset"),
            "--out",
            Path.Combine(full, "picks.csv"),
            "--curves",
            Path.Combine(full, "curves.h5"),
            "--batch",
            "16",
            "--threads",
            "2"
        );
        FailsCleanly(
            "spec.h5",
            "spectrogram",
            "--subset",
            At("subset"),
            "--out",
            Path.Combine(full, "spec.h5"),
            "--threads",
            "2"
        );
    }
}

/// <summary>
/// A fact that needs to mount a tmpfs (root, mounting allowed); skipped, saying why, where it cannot.
/// </summary>
public sealed class SmallDiskFactAttribute : FactAttribute
{
    public SmallDiskFactAttribute()
    {
        if (SmallDisk.Unavailable is { } reason)
            Skip = $"cannot mount a small tmpfs here ({reason}); the full-disk checks need one";
    }
}

/// <summary>A 2 MB tmpfs mounted over a folder with mount(8).</summary>
internal static class SmallDisk
{
    /// <summary>
    /// Why no tmpfs can be mounted here (not root, EPERM in a container), or null when one can; tried once.
    /// </summary>
    public static string? Unavailable => Probe.Value;

    private static readonly Lazy<string?> Probe = new(() =>
    {
        var folder = Directory.CreateTempSubdirectory("quakeprune-mount-probe-").FullName;
        try
        {
            var error = Mount(folder);
            if (error is null)
                Unmount(folder);
            return error;
        }
        finally
        {
            Directory.Delete(folder, true);
        }
    });

    /// <summary>
    /// Mounts a 2 MB tmpfs on <paramref name="folder"/>; returns mount's complaint on failure, null on success.
    /// </summary>
    public static string? Mount(string folder)
    {
        try
        {
            var (code, error) = Command("mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", folder);
            return code == 0 ? null : $"mount exited {code}: {error.Trim()}";
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return $"mount cannot be run: {e.Message}";
        }
    }

    public static void Unmount(string folder)
    {
        var (code, error) = Command("umount", folder);
        if (code != 0)
            throw new InvalidOperationException($"umount '{folder}' exited {code}: {error.Trim()}");
    }

    private static (int Code, string Error) Command(string program, params string[] args)
    {
        using var process = Process.Start(
            new ProcessStartInfo(program, args) { RedirectStandardError = true, RedirectStandardOutput = true }
        ) ?? throw new InvalidOperationException($"cannot start {program}");
        var error = process.StandardError.ReadToEnd();
        process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, error);
    }
}
