using System.CommandLine;
using System.Globalization;
using QuakePrune.Spectrograms;

namespace QuakePrune.Cli.Commands;

/// <summary>`quakeprune spectrogram`: every trace of a subset as a 3-channel spectrogram image in one HDF5 file.</summary>
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
        var nperseg = new Option<int>("--nperseg")
        {
            Description = "Samples per STFT segment",
            DefaultValueFactory = _ => 256,
        };
        var noverlap = new Option<int>("--noverlap")
        {
            Description = "Samples shared by consecutive segments",
            DefaultValueFactory = _ => 192,
        };
        var nfft = new Option<int?>("--nfft") { Description = "FFT length (default: nperseg)" };
        var preprocess = new Option<string>("--preprocess")
        {
            Description = "Preprocessing preset: standard (demean, detrend, taper, band-pass) or none",
            DefaultValueFactory = _ => "standard",
        };
        var bandpass = new Option<string?>("--bandpass")
        {
            Description = "Band-pass corners LOW-HIGH in Hz (e.g. 1-45), or none",
        };
        var bandpassOrder = new Option<int?>("--bandpass-order") { Description = "Butterworth order of the band-pass" };
        var taper = new Option<double?>("--taper") { Description = "Tukey taper fraction (0 = none)" };
        var noDetrend = new Option<bool>("--no-detrend") { Description = "Do not remove the linear trend" };
        var noDemean = new Option<bool>("--no-demean") { Description = "Do not remove the mean" };
        var normalize = new Option<string>("--normalize")
        {
            Description = "Image scaling: zscore (per image and channel), minmax (fixed dB range) or none (raw dB)",
            DefaultValueFactory = _ => "zscore",
        };
        var minmaxRange = new Option<string>("--minmax-range")
        {
            Description = "dB range LOW:HIGH mapped onto 0..1 by --normalize minmax",
            DefaultValueFactory = _ => "-10:25",
        };
        var size = new Option<string>("--size")
        {
            Description = "Image size HEIGHTxWIDTH (e.g. 224x224) or native",
            DefaultValueFactory = _ => "224x224",
        };
        var dtype = new Option<string>("--dtype")
        {
            Description = "Stored element type: float16 or float32",
            DefaultValueFactory = _ => "float32",
        };
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
            nperseg,
            noverlap,
            nfft,
            preprocess,
            bandpass,
            bandpassOrder,
            taper,
            noDetrend,
            noDemean,
            normalize,
            minmaxRange,
            size,
            dtype,
            threads,
            skip,
            overwrite,
        };
        command.SetAction(parse => CommandErrors.RunInterruptible("spectrogram", cancellation =>
            {
                var pre = Preprocessing(
                    parse.GetValue(preprocess)!,
                    parse.GetValue(bandpass),
                    parse.GetValue(bandpassOrder),
                    parse.GetValue(taper),
                    parse.GetValue(noDetrend),
                    parse.GetValue(noDemean)
                );
                var (minDb, maxDb) = DbRange(parse.GetValue(minmaxRange)!);
                var settings = new SpectrogramSettings
                {
                    Nperseg = parse.GetValue(nperseg),
                    Noverlap = parse.GetValue(noverlap),
                    Nfft = parse.GetValue(nfft),
                    Preprocessing = pre,
                    Normalization = SpectrogramSettings.ParseNormalization(parse.GetValue(normalize)!),
                    MinDb = minDb,
                    MaxDb = maxDb,
                    Size = ParseSize(parse.GetValue(size)!),
                    DType = parse.GetValue(dtype)!.Trim().ToLowerInvariant() switch
                    {
                        "float32" => SpectrogramDType.Float32,
                        "float16" => SpectrogramDType.Float16,
                        var other => throw new ArgumentException($"--dtype: '{other}' is neither float16 nor float32"),
                    },
                };

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

    /// <summary>A preset, then the individual switches on top of it.</summary>
    private static PreprocessingSettings Preprocessing(
        string preset,
        string? bandpass,
        int? order,
        double? taper,
        bool noDetrend,
        bool noDemean
    )
    {
        PreprocessingSettings pre;
        try
        {
            pre = PreprocessingSettings.FromPreset(preset);
        }
        catch (ArgumentException)
        {
            throw new ArgumentException($"--preprocess: '{preset}' is neither standard nor none");
        }
        if (bandpass is not null)
        {
            if (bandpass.Trim().Equals("none", StringComparison.OrdinalIgnoreCase))
            {
                pre = pre with { BandPass = null };
            }
            else
            {
                var parts = bandpass.Split('-', 2, StringSplitOptions.TrimEntries);
                if (
                    parts.Length != 2
                    || !double.TryParse(parts[0], NumberStyles.Float, CultureInfo.InvariantCulture, out var low)
                    || !double.TryParse(parts[1], NumberStyles.Float, CultureInfo.InvariantCulture, out var high)
                )
                    throw new ArgumentException($"--bandpass: '{bandpass}' is not LOW-HIGH in Hz (e.g. 1-45) nor none");
                pre = pre with { BandPass = new BandPassSettings(order ?? pre.BandPass?.Order ?? 4, low, high) };
            }
        }
        if (order is { } o)
        {
            if (pre.BandPass is null)
                throw new ArgumentException(
                    "--bandpass-order: there is no band-pass (give --bandpass LOW-HIGH or --preprocess standard)"
                );
            pre = pre with { BandPass = pre.BandPass with { Order = o } };
        }
        if (taper is { } alpha)
            pre = pre with { TaperAlpha = alpha };
        if (noDetrend)
            pre = pre with { Detrend = false };
        if (noDemean)
            pre = pre with { Demean = false };
        return pre;
    }

    private static (double Low, double High) DbRange(string text)
    {
        var parts = text.Split(':', StringSplitOptions.TrimEntries);
        if (
            parts.Length == 2
            && double.TryParse(parts[0], NumberStyles.Float, CultureInfo.InvariantCulture, out var low)
            && double.TryParse(parts[1], NumberStyles.Float, CultureInfo.InvariantCulture, out var high)
            && low < high
        )
            return (low, high);
        throw new ArgumentException($"--minmax-range: '{text}' is not LOW:HIGH in dB with LOW < HIGH (e.g. -10:25)");
    }

    private static ImageSize? ParseSize(string text)
    {
        try
        {
            return ImageSize.Parse(text);
        }
        catch (FormatException e)
        {
            throw new ArgumentException($"--size: {e.Message}");
        }
    }
}
