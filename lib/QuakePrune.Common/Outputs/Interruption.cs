using System.Runtime.InteropServices;

namespace QuakePrune.Outputs;

/// <summary>
/// What a signal that stops this process says and does. A run that keeps its results as it goes (training keeps the
/// state and history of each finished epoch) records here what an interruption keeps, so the message tells the truth; a
/// stop that cannot wait for the run (a second signal, or a run that did not stop within the grace period) ends the
/// process with <see cref="ExitNow"/>.
/// </summary>
public static partial class Interruption
{
    private static volatile string? KeptNow;

    /// <summary>
    /// What an interruption now keeps, in words ("at epoch 3: ... are kept; --resume continues"); null: nothing.
    /// </summary>
    public static string? Kept => KeptNow;

    /// <summary>
    /// Records what an interruption keeps from now on (null: nothing). One run per process reports here (the CLI's).
    /// </summary>
    public static void Keep(string? description) => KeptNow = description;

    /// <summary>
    /// Ends the process at once with <paramref name="code"/>, running no exit handler. Another thread may be inside a
    /// libtorch call: exit() would run libtorch's static destructors under it (a segmentation fault, or a libtorch
    /// error from freed state), and disposing its tensors would free memory it is using. _exit leaves both alone; every
    /// file a run keeps is written under a partial name and renamed, so none is left half written.
    /// </summary>
    public static void ExitNow(int code)
    {
        Console.Out.Flush();
        Console.Error.Flush();
        _exit(code);
    }

    [LibraryImport("libc")]
    private static partial void _exit(int status);
}
