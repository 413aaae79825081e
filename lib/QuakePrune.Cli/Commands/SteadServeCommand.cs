using System.CommandLine;
using QuakePrune.Stead;

namespace QuakePrune.Cli.Commands;

/// <summary>
/// `quakeprune stead-serve FILE` (hidden): the child process that reads a STEAD HDF5 file for the others
/// (<see cref="SteadTraceServer"/>): trace names and waveforms, asked on standard input, answered on standard output.
/// </summary>
public static class SteadServeCommand
{
    public const string Name = "stead-serve";

    public static Command Create()
    {
        var file = new Argument<string>("file") { Description = "STEAD HDF5 file to read" };
        var command = new Command(Name, "Read a STEAD HDF5 file's traces for another process, over standard input and output.") { file };
        command.Hidden = true;
        command.SetAction(parse =>
        {
            SteadTraceServer.Serve(parse.GetValue(file)!);
            return 0;
        });
        return command;
    }
}
