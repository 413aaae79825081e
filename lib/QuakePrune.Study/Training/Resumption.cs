using System.Buffers.Binary;
using System.Security.Cryptography;

namespace QuakePrune.Training;

/// <summary>
/// What both trainers (<see cref="Trainer"/>, <c>Picking.WaveformTrainer</c>) check before a run starts or continues in
/// its folder, so that --resume never replaces a run it cannot continue: whether there is a state to resume, and the
/// content fingerprint of the data, which the state records with the options (<see cref="TrainingState"/> compares
/// them).
/// </summary>
public static class Resumption
{
    /// <summary>
    /// Whether the run in <paramref name="directory"/> continues from its state file. Without <paramref name="resume"/>
    /// a state there is refused (a new run would replace it). With it and no state, a folder holding a run's model or
    /// history is refused: a new run would replace them, with options nothing can check. A folder holding neither
    /// starts afresh (a run interrupted in its first epoch saved nothing).
    /// </summary>
    public static bool FromState(string directory, bool resume)
    {
        if (File.Exists(Path.Combine(directory, Trainer.StateFileName)))
            return resume
                ? true
                : throw new IOException(
                    $"train: '{directory}' already holds a run ({Trainer.StateFileName}); continue it with --resume or choose another output directory"
                );
        if (!resume)
            return false;
        var kept = new[] { Trainer.ModelFileName, Trainer.HistoryFileName }
            .Where(name => File.Exists(Path.Combine(directory, name)))
            .ToArray();
        if (kept.Length > 0)
            throw new IOException(
                $"train: '{directory}' holds a run ({string.Join(", ", kept)}) but no training state ({Trainer.StateFileName}); "
                    + "nothing to resume: use --overwrite instead of --resume to start again, or train into another folder"
            );
        return false;
    }

    /// <summary>
    /// SHA-256 (lower-case hex) of the files' bytes in order, each preceded by its length: what a run records of its
    /// data, so that a resume on another file of the same name is refused. Whole files are hashed: 200 MB take about
    /// 0.25 s (SHA instructions), little beside an epoch.
    /// </summary>
    public static string Sha256(IEnumerable<string> files)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[1 << 20];
        Span<byte> length = stackalloc byte[sizeof(long)];
        foreach (var path in files)
        {
            using var stream = new FileStream(
                path,
                FileMode.Open,
                FileAccess.Read,
                FileShare.Read,
                1,
                FileOptions.SequentialScan
            );
            BinaryPrimitives.WriteInt64LittleEndian(length, stream.Length);
            hash.AppendData(length);
            int read;
            while ((read = stream.Read(buffer)) > 0)
                hash.AppendData(buffer, 0, read);
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }
}
