using System.Runtime.InteropServices;
using QuakePrune.Outputs;

namespace QuakePrune.Cli.Commands;

/// <summary>
/// Runs a verb's body so that a failure prints one clear line and a non-zero exit, not a stack trace, and so that
/// SIGINT, SIGTERM and SIGHUP stop it without leaving partial files: an interruptible body is cancelled through its
/// token (a second signal stops it at once); any other body stops at once. Either way its partial files are removed,
/// the message says what the run keeps (<see cref="Interruption.Kept"/>: a training's finished epochs), and the exit
/// code is 128 + the signal's number. A cancelled body stops between libtorch calls, on its own thread; a stop at once
/// never runs exit handlers or disposes anything under a thread that may be inside libtorch
/// (<see cref="Interruption.ExitNow"/>).
/// </summary>
public static class CommandErrors
{
    public static int Run(Func<int> body) => Guard(null, _ => body());

    /// <summary>
    /// <see cref="Run"/> with a signal turned into a cancellation of the body's token. A body that stops by throwing
    /// OperationCanceledException has published nothing (outputs stay under partial names until complete).
    /// </summary>
    public static int RunInterruptible(string verb, Func<CancellationToken, int> body) => Guard(verb, body);

    private static int Guard(string? verb, Func<CancellationToken, int> body)
    {
        using var cancel = new CancellationTokenSource();
        var received = 0;
        Timer? grace = null;
        // Once the body has returned, its own exit code stands: a stop at once must not race its unwinding.
        var finishing = new Lock();
        var finished = false;
        Interruption.Keep(null);
        void StopNow(int number)
        {
            lock (finishing)
            {
                if (finished)
                    return;
                Console.Error.WriteLine($"{verb ?? "quakeprune"}: stopped by {SignalName(number)}{Outcome(verb)}");
                try
                {
                    OutputSet.AbandonAll();
                }
                finally
                {
                    Interruption.ExitNow(128 + number);
                }
            }
        }
        void OnSignal(PosixSignalContext context)
        {
            context.Cancel = true;
            var number = SignalNumber(context.Signal);
            if (verb is not null && Interlocked.CompareExchange(ref received, number, 0) == 0)
            {
                Console.Error.WriteLine($"{verb}: {SignalName(number)} received; stopping (again to stop at once)");
                cancel.Cancel();
                // A body blocked in a read (a pipe, a slow disk) never sees the token: it is stopped after a grace
                // period.
                grace = new Timer(_ => StopNow(number), null, GracePeriod, Timeout.InfiniteTimeSpan);
                return;
            }
            StopNow(number);
        }
        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
        using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
        using var hangUp = PosixSignalRegistration.Create(PosixSignal.SIGHUP, OnSignal);
        try
        {
            return body(cancel.Token);
        }
        catch (OperationCanceledException) when (received != 0)
        {
            Console.Error.WriteLine($"{verb}: interrupted by {SignalName(received)}{Outcome(verb)}");
            return 128 + received;
        }
        catch (Exception e)
            when (e
                    is IOException
                        or InvalidDataException
                        or ArgumentException
                        or InvalidOperationException
                        or UnauthorizedAccessException
                        or FormatException
                        or ExternalException
                        or KeyNotFoundException
                        or NotSupportedException
                        or OverflowException
            )
        {
            Console.Error.WriteLine($"error: {Message(e)}");
            return 1;
        }
        finally
        {
            lock (finishing)
                finished = true;
            grace?.Dispose();
        }
    }

    /// <summary>
    /// The end of an interruption's message: what the run keeps, or that it published nothing. Only an interruptible
    /// verb runs one trainer that reports what it keeps; the pipeline's stages run several at once.
    /// </summary>
    private static string Outcome(string? verb) =>
        verb is not null && Interruption.Kept is { } kept ? $" {kept}" : "; nothing was published";

    /// <summary>How long an interrupted body may take to stop on its own before it is stopped.</summary>
    private static readonly TimeSpan GracePeriod = TimeSpan.FromSeconds(5);

    /// <summary>
    /// An exception's message without .NET's decorations: " (Parameter 'x')", an overflow's generic wording.
    /// </summary>
    public static string Message(Exception e) =>
        e switch
        {
            ArgumentException { ParamName: { } name } a => a.Message.Replace(
                $" (Parameter '{name}')",
                "",
                StringComparison.Ordinal
            ),
            OverflowException => "a number in the input is too large to handle (an overflow); check sizes and shapes",
            _ => e.Message,
        };

    private static int SignalNumber(PosixSignal signal) =>
        signal switch
        {
            PosixSignal.SIGHUP => 1,
            PosixSignal.SIGINT => 2,
            PosixSignal.SIGQUIT => 3,
            PosixSignal.SIGTERM => 15,
            _ => (int)signal,
        };

    private static string SignalName(int number) =>
        number switch
        {
            1 => "SIGHUP",
            2 => "SIGINT",
            3 => "SIGQUIT",
            15 => "SIGTERM",
            _ => $"signal {number}",
        };
}
