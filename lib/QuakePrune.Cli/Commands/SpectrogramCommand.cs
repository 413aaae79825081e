using System.CommandLine;
using QuakePrune.Spectrograms;

namespace QuakePrune.Cli.Commands;

/// <summary>
/// `quakeprune spectrogram`: every trace of a subset as a 3-channel spectrogram image in one HDF5 file.
/// </summary>
public static class SpectrogramCommand
{
    public static Command Create()
    {
        var subset = new Option<string>("--subset")
        {
            Description = "Subset folder (subset.hdf5 + subset.csv from `quakeprune extract`)",
            Required = true,
        };
        var output = new Option<string>("--out")
        {
            Description = "Spectrogram file to write (e.g. spectrograms.h5)",
            Required = true,
        };
        var images = new SpectrogramOptions();
        var threads = new Option<int>("--threads")
        {
            Description = "Threads computing images",
            DefaultValueFactory = _ => Environment.ProcessorCount,
        };
        var skip = new Option<bool>("--skip-nonfinite")
        {
            Description = "Leave out traces with NaN/Inf (counted) instead of failing",
        };
        var overwrite = new Option<bool>("--overwrite") { Description = "Replace an existing output file" };
        var command = new Command(
            "spectrogram",
            "Turn every trace of a subset into a 3-channel spectrogram image (one HDF5 file with labels, splits and parameters)."
        )
        {
            subset,
            output,
        };
        foreach (var option in images.All)
            command.Options.Add(option);
        command.Options.Add(threads);
        command.Options.Add(skip);
        command.Options.Add(overwrite);
        command.SetAction(parse => CommandErrors.RunInterruptible("spectrogram", cancellation =>
            {
                var settings = images.Settings(parse);
                try
                {
                    var summary = SpectrogramFile.Write(
                        new SpectrogramJob
                        {
                            Subset = parse.GetValue(subset)!,
                            OutputPath = parse.GetValue(output)!,
                            Settings = settings,
                            Threads = parse.GetValue(threads),
                            SkipNonFinite = parse.GetValue(skip),
                            Overwrite = parse.GetValue(overwrite),
                            Progress = new TraceProgressBar("spectrogram"),
                            Cancellation = cancellation,
                        }
                    );
                    Console.WriteLine(summary);
                    if (summary.SkippedNonFinite.Count > 0)
                        Console.Error.WriteLine(
                            $"warning: {summary.SkippedNonFinite.Count} of {summary.Count + summary.SkippedNonFinite.Count} traces left out for NaN/Inf values (first: '{summary.SkippedNonFinite[0]}')"
                        );
                    return 0;
                }
                catch (NonFiniteTraceException e)
                {
                    Console.Error.WriteLine($"error: {e.Message} (--skip-nonfinite leaves such traces out)");
                    return 1;
                }
            }));
        return command;
    }
}
