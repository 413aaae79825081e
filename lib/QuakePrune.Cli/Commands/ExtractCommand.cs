using System.CommandLine;
using QuakePrune.Extract;

namespace QuakePrune.Cli.Commands;

/// <summary>`quakeprune extract`: a balanced, leak-free STEAD subset with a split column.</summary>
public static class ExtractCommand
{
    public static Command Create()
    {
        var inputs = new Option<string[]>("--input")
        {
            Description = "STEAD prefix (PREFIX.hdf5 + PREFIX.csv); repeatable",
            Required = true,
        };
        var output = new Option<string>("--out")
        {
            Description = "Output folder (gets subset.hdf5 + subset.csv)",
            Required = true,
        };
        var perClass = new Option<int?>("--per-class") { Description = "N earthquakes and N noise traces" };
        var earthquakes = new Option<int?>("--earthquakes") { Description = "Number of earthquakes" };
        var noise = new Option<int?>("--noise") { Description = "Number of noise traces" };
        var minSnr = new Option<double?>("--min-snr-db")
        {
            Description = "Minimum mean SNR of the three components (earthquakes)",
        };
        var magnitude = new Option<string?>("--magnitude") { Description = "Magnitude range MIN:MAX (earthquakes)" };
        var distance = new Option<string?>("--distance-km")
        {
            Description = "Epicentral distance range MIN:MAX in km (earthquakes)",
        };
        var pStatus = new Option<string?>("--p-status")
        {
            Description = "Accepted P pick status(es), comma-separated: manual, automatic, autopicker",
        };
        var receiverType = new Option<string?>("--receiver-type")
        {
            Description = "Accepted receiver types, comma-separated (HH,BH)",
        };
        var seed = new Option<ulong>("--seed")
        {
            Description = "Seed of the random choice",
            DefaultValueFactory = _ => 1UL,
        };
        var split = new Option<string>("--split")
        {
            Description = "train,dev,test fractions",
            DefaultValueFactory = _ => "0.8,0.1,0.1",
        };
        var skip = new Option<bool>("--skip-non-finite")
        {
            Description = "Skip traces with NaN/Inf (counted) instead of failing",
        };
        var overwrite = new Option<bool>("--overwrite")
        {
            Description = "Replace an output folder that an earlier extract made (never one holding other files)",
        };
        var command = new Command(
            "extract",
            "Extract a balanced subset of STEAD (DIR/subset.hdf5 + subset.csv with a split column)."
        )
        {
            inputs,
            output,
            perClass,
            earthquakes,
            noise,
            minSnr,
            magnitude,
            distance,
            pStatus,
            receiverType,
            seed,
            split,
            skip,
            overwrite,
        };
        command.SetAction(parse => CommandErrors.RunInterruptible("extract", cancellation =>
            {
                static IReadOnlyList<string>? List(string? text) =>
                    text is null
                        ? null
                        : text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                var summary = SubsetExtractor.Extract(
                    new ExtractOptions
                    {
                        Inputs = parse.GetValue(inputs)!,
                        OutputDirectory = parse.GetValue(output)!,
                        PerClass = parse.GetValue(perClass),
                        Earthquakes = parse.GetValue(earthquakes),
                        Noise = parse.GetValue(noise),
                        MinSnrDb = parse.GetValue(minSnr),
                        Magnitude = parse.GetValue(magnitude) is { } m ? ValueRange.Parse(m, "--magnitude") : null,
                        DistanceKm = parse.GetValue(distance) is { } d ? ValueRange.Parse(d, "--distance-km") : null,
                        PStatus = List(parse.GetValue(pStatus)),
                        ReceiverTypes = List(parse.GetValue(receiverType)),
                        Seed = parse.GetValue(seed),
                        Split = SplitFractions.Parse(parse.GetValue(split)!),
                        SkipNonFinite = parse.GetValue(skip),
                        Overwrite = parse.GetValue(overwrite),
                        Progress = new TraceProgressBar("extract"),
                        Cancellation = cancellation,
                    }
                );
                Console.WriteLine(summary);
                foreach (var warning in summary.Warnings)
                    Console.Error.WriteLine($"warning: {warning}");
                return 0;
            }));
        return command;
    }
}
