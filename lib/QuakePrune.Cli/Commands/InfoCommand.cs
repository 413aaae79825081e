using System.CommandLine;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace QuakePrune.Cli.Commands;

/// <summary>`quakeprune info`: what this installation runs on, as JSON.</summary>
public static class InfoCommand
{
    public static Command Create()
    {
        var command = new Command("info", "Print the runtime, libtorch and HDF5 set-up as JSON.");
        command.SetAction(_ => CommandErrors.Run(() =>
        {
            Console.WriteLine(Describe().ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
            return 0;
        }));
        return command;
    }

    public static JsonObject Describe() => new()
    {
        ["dotnet"] = RuntimeInformation.FrameworkDescription,
        ["os"] = RuntimeInformation.OSDescription,
        ["processors"] = Environment.ProcessorCount,
        ["hdf5"] = Hdf5Version(),
    };

    /// <summary>The HDF5 library's version, or why it could not be loaded (info must still print).</summary>
    private static string Hdf5Version()
    {
        try
        {
            return $"{QuakePrune.Hdf5.Hdf5Library.Version} ({QuakePrune.Hdf5.Hdf5Library.LoadedFrom})";
        }
        catch (DllNotFoundException e)
        {
            return "unavailable: " + e.Message;
        }
    }
}
