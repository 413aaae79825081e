using System.CommandLine;
using QuakePrune.Hdf5;

namespace QuakePrune.Cli.Commands;

/// <summary>
/// `quakeprune hdf5-check FILE` (hidden): the child process of <see cref="Hdf5Guard"/>. Walks every object of the file
/// with libhdf5, and exits 0 when libhdf5 did not crash on it.
/// </summary>
public static class Hdf5CheckCommand
{
    public const string Name = "hdf5-check";

    public static Command Create()
    {
        var file = new Argument<string>("file") { Description = "HDF5 file to walk" };
        var command = new Command(Name, "Walk an HDF5 file in this process (used by the others to open damaged files safely).") { file };
        command.Hidden = true;
        command.SetAction(parse =>
        {
            Hdf5Guard.Walk(parse.GetValue(file)!, Console.Out);
            return 0;
        });
        return command;
    }
}
