using System.Runtime.InteropServices;

namespace QuakePrune.Cli.Commands;

/// <summary>Runs a verb's body so that a failure prints one clear line and a non-zero exit, not a stack trace.</summary>
public static class CommandErrors
{
    public static int Run(Func<int> body)
    {
        try
        {
            return body();
        }
        catch (Exception e) when (e is IOException or InvalidDataException or ArgumentException or InvalidOperationException
                                      or UnauthorizedAccessException or FormatException or ExternalException)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 1;
        }
    }

    /// <summary>
    /// <see cref="Run"/> with Ctrl+C turned into a cancellation of the body's token. A body that stops by throwing
    /// OperationCanceledException has written nothing (outputs go to temporary names until complete): exit 130.
    /// </summary>
    public static int RunInterruptible(string verb, Func<CancellationToken, int> body) => Run(() =>
    {
        using var cancel = new CancellationTokenSource();
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            e.Cancel = true;
            cancel.Cancel();
        };
        Console.CancelKeyPress += onCancel;
        try
        {
            return body(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            Console.Error.WriteLine($"{verb}: interrupted; nothing was written");
            return 130;
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
        }
    });
}
