using System.CommandLine;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using QuakePrune.Torch;

namespace QuakePrune.Cli.Commands;

/// <summary>`quakeprune info`: what this installation runs on, as JSON.</summary>
public static class InfoCommand
{
    public static Command Create()
    {
        var command = new Command("info", "Print the runtime, libtorch and HDF5 set-up as JSON.");
        command.SetAction(_ =>
            CommandErrors.Run(() =>
            {
                Console.WriteLine(Describe().ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
                return 0;
            })
        );
        return command;
    }

    /// <summary>One entry per component; each Describe* reports its own failure instead of hiding the others.</summary>
    public static JsonObject Describe() =>
        new()
        {
            ["dotnet"] = RuntimeInformation.FrameworkDescription,
            ["os"] = RuntimeInformation.OSDescription,
            ["processors"] = Environment.ProcessorCount,
            ["hdf5"] = Hdf5Version(),
            ["libtorch"] = DescribeTorch(),
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

    public static JsonObject DescribeTorch()
    {
        try
        {
            var devices = new JsonArray();
            for (var d = 0; d < torch.cuda.device_count(); d++)
                devices.Add(torch.cuda.get_device_name(d));
            return new JsonObject
            {
                ["version"] = torch.__version__,
                ["onednn"] = torch.backends.mkldnn.is_available(),
                // The direct oneDNN inference path: the library's version, or why it cannot be used here.
                ["onednn_direct"] = OneDnn.IsAvailable ? OneDnn.Version : "unavailable: " + OneDnn.Unavailable,
                ["openmp"] = torch.backends.openmp.is_available(),
                ["mkl"] = torch.backends.mkl.is_available(),
                ["threads"] = torch.get_num_threads(),
                ["cuda"] = new JsonObject { ["available"] = torch.cuda.is_available(), ["devices"] = devices },
            };
        }
        catch (DllNotFoundException e)
        {
            return new JsonObject { ["error"] = e.Message };
        }
    }
}
