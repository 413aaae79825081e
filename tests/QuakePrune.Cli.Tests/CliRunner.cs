// The verbs write to the process-wide Console and seed libtorch's process-wide generator: one test at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace QuakePrune.Cli.Tests;

/// <summary>Runs `quakeprune` in-process, as the command line would, capturing its output.</summary>
public static class CliRunner
{
    public static (int Code, string Out, string Err) Run(params string[] args)
    {
        var (stdout, stderr) = (Console.Out, Console.Error);
        var (o, e) = (new StringWriter(), new StringWriter());
        Console.SetOut(o);
        Console.SetError(e);
        try
        {
            return (QuakePruneCli.Run(args), o.ToString(), e.ToString());
        }
        finally
        {
            Console.SetOut(stdout);
            Console.SetError(stderr);
        }
    }
}
