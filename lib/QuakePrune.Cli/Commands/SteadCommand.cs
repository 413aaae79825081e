using System.CommandLine;
using QuakePrune.Stead;

namespace QuakePrune.Cli.Commands;

/// <summary>`quakeprune stead info`: what STEAD inputs hold.</summary>
public static class SteadCommand
{
    public static Command Create()
    {
        var inputs = new Option<string[]>("--input")
        {
            Description = "STEAD prefix (PREFIX.hdf5 + PREFIX.csv); repeatable",
            Required = true,
            AllowMultipleArgumentsPerToken = true,
        };
        var info = new Command(
            "info",
            "Counts per category and receiver type, SNR/magnitude/distance ranges, traces missing from either file."
        )
        {
            inputs,
        };
        info.SetAction(parse =>
            CommandErrors.Run(() =>
            {
                Console.WriteLine(SteadInfo.Describe(parse.GetValue(inputs)!));
                return 0;
            })
        );
        return new Command("stead", "Inspect STEAD data (real or synthetic).") { info };
    }
}
