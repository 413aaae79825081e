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
}
