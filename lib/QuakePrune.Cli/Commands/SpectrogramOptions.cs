using System.CommandLine;
using System.Globalization;
using QuakePrune.Spectrograms;

namespace QuakePrune.Cli.Commands;

/// <summary>
/// The options that make spectrogram images (segments, preprocessing, scaling, size, dtype), with their defaults: the
/// `spectrogram` verb writes a file with them, and `train` computes a subset folder's images on the fly with them.
/// </summary>
public sealed class SpectrogramOptions
{
    private readonly Option<int> nperseg = new("--nperseg")
    {
        Description = "Samples per STFT segment",
        DefaultValueFactory = _ => 256,
    };
    private readonly Option<int> noverlap = new("--noverlap")
    {
        Description = "Samples shared by consecutive segments",
        DefaultValueFactory = _ => 192,
    };
    private readonly Option<int?> nfft = new("--nfft") { Description = "FFT length (default: nperseg)" };
    private readonly Option<string> preprocess = new("--preprocess")
    {
        Description = "Preprocessing preset: standard (demean, detrend, taper, band-pass) or none",
        DefaultValueFactory = _ => "standard",
    };
    private readonly Option<string?> bandpass = new("--bandpass")
    {
        Description = "Band-pass corners LOW-HIGH in Hz (e.g. 1-45), or none",
    };
    private readonly Option<int?> bandpassOrder = new("--bandpass-order")
    {
        Description = "Butterworth order of the band-pass",
    };
    private readonly Option<double?> taper = new("--taper") { Description = "Tukey taper fraction (0 = none)" };
    private readonly Option<bool> noDetrend = new("--no-detrend") { Description = "Do not remove the linear trend" };
    private readonly Option<bool> noDemean = new("--no-demean") { Description = "Do not remove the mean" };
    private readonly Option<string> normalize = new("--normalize")
    {
        Description = "Image scaling: zscore (per image and channel), minmax (fixed dB range) or none (raw dB)",
        DefaultValueFactory = _ => "zscore",
    };
    private readonly Option<string> minmaxRange = new("--minmax-range")
    {
        Description = "dB range LOW:HIGH mapped onto 0..1 by --normalize minmax",
        DefaultValueFactory = _ => "-10:25",
    };
    private readonly Option<string> size = new("--size")
    {
        Description = "Image size HEIGHTxWIDTH (e.g. 224x224) or native",
        DefaultValueFactory = _ => "224x224",
    };
    private readonly Option<string> dtype = new("--dtype")
    {
        Description = "Stored element type: float16 or float32",
        DefaultValueFactory = _ => "float32",
    };

    /// <summary>Every option, in the order the help lists them.</summary>
    public IReadOnlyList<Option> All =>
        [
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
        ];

    /// <summary>The options given on the command line (not left at their defaults), by name.</summary>
    public string[] Given(ParseResult parse) =>
        All.Where(o => parse.GetResult(o) is { Implicit: false }).Select(o => o.Name).ToArray();

    /// <summary>The settings the options make; a malformed value is refused naming its option.</summary>
    public SpectrogramSettings Settings(ParseResult parse)
    {
        var (minDb, maxDb) = DbRange(parse.GetValue(minmaxRange)!);
        return new SpectrogramSettings
        {
            Nperseg = parse.GetValue(nperseg),
            Noverlap = parse.GetValue(noverlap),
            Nfft = parse.GetValue(nfft),
            Preprocessing = Preprocessing(
                parse.GetValue(preprocess)!,
                parse.GetValue(bandpass),
                parse.GetValue(bandpassOrder),
                parse.GetValue(taper),
                parse.GetValue(noDetrend),
                parse.GetValue(noDemean)
            ),
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
