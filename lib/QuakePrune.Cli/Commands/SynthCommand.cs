using System.CommandLine;
using System.Globalization;
using QuakePrune.Synth;

namespace QuakePrune.Cli.Commands;

/// <summary>
/// `quakeprune synth`: a synthetic data set in STEAD's format, the default data of notebooks and tests.
/// </summary>
public static class SynthCommand
{
    public static Command Create()
    {
        var output = new Option<string>("--out")
        {
            Description = "Output prefix: writes PREFIX.hdf5 and PREFIX.csv",
            Required = true,
        };
        var traces = new Option<int>("--traces") { Description = "Number of traces", DefaultValueFactory = _ => 1000 };
        var noise = new Option<double>("--noise-fraction")
        {
            Description = "Fraction of noise traces",
            DefaultValueFactory = _ => 0.5,
        };
        var seed = new Option<ulong>("--seed")
        {
            Description = "Random seed (same seed, same files)",
            DefaultValueFactory = _ => 1UL,
        };
        var threads = new Option<int>("--threads")
        {
            Description = "Threads making waveforms (the output does not depend on it)",
            DefaultValueFactory = _ => Environment.ProcessorCount,
        };
        var overwrite = new Option<bool>("--overwrite") { Description = "Replace existing PREFIX.hdf5 and PREFIX.csv" };
        var command = new Command("synth", "Write a synthetic STEAD-format data set (PREFIX.hdf5 + PREFIX.csv).")
        {
            output,
            traces,
            noise,
            seed,
            threads,
            overwrite,
        };
        command.SetAction(parse =>
            CommandErrors.Run(() =>
            {
                var summary = SyntheticStead.Write(
                    parse.GetValue(output)!,
                    new SynthOptions
                    {
                        Traces = parse.GetValue(traces),
                        NoiseFraction = parse.GetValue(noise),
                        Seed = parse.GetValue(seed),
                        Threads = parse.GetValue(threads),
                        Overwrite = parse.GetValue(overwrite),
                    }
                );
                Console.WriteLine(
                    string.Create(
                        CultureInfo.InvariantCulture,
                        $"synth: {summary.Earthquakes} earthquakes ({summary.Events} events) + {summary.Noise} noise -> {summary.Hdf5Path}, {summary.CsvPath} in {summary.Seconds:F1} s"
                    )
                );
                return 0;
            })
        );
        return command;
    }
}
