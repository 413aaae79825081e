using System.Text;
using QuakePrune.Outputs;

namespace QuakePrune;

/// <summary>
/// Writes one file completely or not at all, through <see cref="OutputSet"/>: under a partial name beside it, then
/// renamed. For files a run replaces as it goes (a training run's history and checkpoints, a report's pages); a verb's
/// declared outputs use an <see cref="OutputSet"/> directly, which also refuses existing outputs and inputs.
/// </summary>
public static class AtomicFile
{
    public static void WriteAllText(string path, string text) =>
        WriteAllBytes(path, new UTF8Encoding(false).GetBytes(text));

    public static void WriteAllBytes(string path, byte[] bytes) =>
        Write(path, partial => File.WriteAllBytes(partial, bytes));

    /// <summary>
    /// Calls <paramref name="write"/> with the partial path to write, then publishes it over <paramref name="path"/>.
    /// </summary>
    public static void Write(string path, Action<string> write)
    {
        using var outputs = new OutputSet("write", overwrite: true, inputs: []);
        write(outputs.File(path));
        outputs.Publish();
    }
}
