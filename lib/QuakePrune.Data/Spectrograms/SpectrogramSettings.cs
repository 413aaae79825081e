using System.Globalization;

namespace QuakePrune.Spectrograms;

/// <summary>How each image channel is scaled after the dB spectrogram is resized.</summary>
public enum SpectrogramNormalization
{
    /// <summary>Raw dB values.</summary>
    None,

    /// <summary>Per image and channel: subtract the mean, divide by the population standard deviation.</summary>
    ZScore,

    /// <summary>Clip to [MinDb, MaxDb] and map that range linearly onto [0, 1].</summary>
    MinMax,
}

/// <summary>Element type the images are stored with.</summary>
public enum SpectrogramDType
{
    Float32,
    Float16,
}

/// <summary>Zero-phase Butterworth band-pass: order of the analog prototype and the two corners in Hz.</summary>
public sealed record BandPassSettings(int Order, double LowHz, double HighHz);

/// <summary>
/// Preprocessing applied to each 60 s component before the STFT, in this order: demean, linear detrend,
/// Tukey taper, zero-phase Butterworth band-pass. Every step is optional; <see cref="None"/> turns all off.
/// </summary>
public sealed record PreprocessingSettings
{
    public bool Demean { get; init; }

    /// <summary>Remove the least-squares straight line (which also removes the mean).</summary>
    public bool Detrend { get; init; }

    /// <summary>Tukey taper shape parameter (fraction of the trace inside the cosine lobes); 0 = no taper.</summary>
    public double TaperAlpha { get; init; }

    public BandPassSettings? BandPass { get; init; }

    /// <summary>No preprocessing at all: images match scipy.signal.spectrogram of the raw trace.</summary>
    public static PreprocessingSettings None { get; } = new();

    /// <summary>Demean, detrend, 10% Tukey taper, 4th-order 1-45 Hz band-pass.</summary>
    public static PreprocessingSettings Standard { get; } =
        new()
        {
            Demean = true,
            Detrend = true,
            TaperAlpha = 0.1,
            BandPass = new BandPassSettings(4, 1.0, 45.0),
        };

    public bool IsNone => !Demean && !Detrend && TaperAlpha == 0 && BandPass is null;

    /// <summary>The named presets: "none" or "standard".</summary>
    public static PreprocessingSettings FromPreset(string name) =>
        name.Trim().ToLowerInvariant() switch
        {
            "none" => None,
            "standard" => Standard,
            _ => throw new ArgumentException(
                $"Unknown preprocessing preset '{name}'; expected 'none' or 'standard'.",
                nameof(name)
            ),
        };
}

/// <summary>
/// Everything that turns a raw STEAD trace into a spectrogram image. Immutable; round-trips losslessly
/// through a flat string map (<see cref="ToMap"/> / <see cref="FromMap"/>) so it can live in HDF5
/// attributes and in a checkpoint's safetensors metadata.
/// </summary>
public sealed record SpectrogramSettings
{
    /// <summary>Version of the string-map layout written by <see cref="ToMap"/>.</summary>
    public const int MapVersion = 1;

    /// <summary>The longest FFT accepted: 2^16 points, ten times a STEAD trace.</summary>
    public const int MaxFftLength = 65536;

    /// <summary>Floor added to the PSD before taking 10*log10, as the reference pipeline does.</summary>
    public const double PowerFloor = 1e-10;

    public double SamplingRate { get; init; } = 100.0;
    public int Nperseg { get; init; } = 256;
    public int Noverlap { get; init; } = 192;

    /// <summary>FFT length; null means equal to <see cref="Nperseg"/> (scipy's default).</summary>
    public int? Nfft { get; init; }

    public PreprocessingSettings Preprocessing { get; init; } = PreprocessingSettings.Standard;
    public SpectrogramNormalization Normalization { get; init; } = SpectrogramNormalization.ZScore;

    /// <summary>Lower end of the fixed dB range used by <see cref="SpectrogramNormalization.MinMax"/>.</summary>
    public double MinDb { get; init; } = -10.0;

    /// <summary>Upper end of the fixed dB range used by <see cref="SpectrogramNormalization.MinMax"/>.</summary>
    public double MaxDb { get; init; } = 25.0;

    /// <summary>Output size; null keeps the native (frequencies x frames) size.</summary>
    public ImageSize? Size { get; init; }

    public SpectrogramDType DType { get; init; } = SpectrogramDType.Float32;

    /// <summary>No preprocessing, raw dB, native size: the setting that equals scipy (and the benchmark's).</summary>
    public static SpectrogramSettings ScipyParity { get; } =
        new() { Preprocessing = PreprocessingSettings.None, Normalization = SpectrogramNormalization.None };

    public int FftLength => Nfft ?? Nperseg;
    public int Step => Nperseg - Noverlap;

    /// <summary>Rows of the native spectrogram: one-sided frequencies 0..fs/2.</summary>
    public int FrequencyCount => FftLength / 2 + 1;

    /// <summary>Columns of the native spectrogram for a trace of <paramref name="samples"/> samples.</summary>
    public int FrameCount(int samples) => samples < Nperseg ? 0 : 1 + (samples - Nperseg) / Step;

    public int ImageHeight => Size?.Height ?? FrequencyCount;

    public int ImageWidth(int samples) => Size?.Width ?? FrameCount(samples);

    /// <summary>Frequency of each row in Hz: k * fs / nfft.</summary>
    public double[] Frequencies()
    {
        var result = new double[FrequencyCount];
        for (var k = 0; k < result.Length; k++)
            result[k] = k * SamplingRate / FftLength;
        return result;
    }

    /// <summary>Time of each column in s: the centre of each segment (scipy's t).</summary>
    public double[] Times(int samples)
    {
        var result = new double[FrameCount(samples)];
        for (var f = 0; f < result.Length; f++)
            result[f] = (Nperseg / 2.0 + (double)f * Step) / SamplingRate;
        return result;
    }

    /// <summary>Throws an <see cref="ArgumentException"/> naming the first inconsistent parameter.</summary>
    public void Validate(int samples)
    {
        static ArgumentException Bad(string message) => new("Spectrogram settings: " + message);

        if (!double.IsFinite(SamplingRate) || SamplingRate <= 0)
            throw Bad($"sampling rate must be a positive number of Hz, got {Format(SamplingRate)}.");
        if (Nperseg < 2)
            throw Bad($"nperseg must be at least 2, got {Nperseg}.");
        if (Noverlap < 0)
            throw Bad($"noverlap must not be negative, got {Noverlap}.");
        if (Noverlap >= Nperseg)
            throw Bad($"noverlap ({Noverlap}) must be less than nperseg ({Nperseg}).");
        if (Nfft is { } nfft && nfft < Nperseg)
            throw Bad($"nfft ({nfft}) must be at least nperseg ({Nperseg}).");
        if (FftLength > MaxFftLength)
            throw Bad(
                $"nfft ({FftLength}) is above {MaxFftLength}: longer FFTs only pad a {samples}-sample trace, at great cost in time and memory."
            );
        if (samples < Nperseg)
            throw Bad($"nperseg ({Nperseg}) is longer than the trace ({samples} samples).");
        var pre = Preprocessing
            ?? throw Bad("preprocessing must be given (use PreprocessingSettings.None to turn it off).");
        if (!(pre.TaperAlpha >= 0 && pre.TaperAlpha <= 1))
            throw Bad($"taper alpha must lie in [0, 1], got {Format(pre.TaperAlpha)}.");
        if (pre.BandPass is { } band)
        {
            var nyquist = SamplingRate / 2;
            if (band.Order < 1 || band.Order > ButterworthBandPass.MaxOrder)
                throw Bad($"band-pass order must be 1..{ButterworthBandPass.MaxOrder}, got {band.Order}.");
            if (!(band.LowHz > 0))
                throw Bad($"band-pass low corner must be above 0 Hz, got {Format(band.LowHz)} Hz.");
            if (!(band.HighHz > band.LowHz))
                throw Bad(
                    $"band-pass high corner ({Format(band.HighHz)} Hz) must be above the low corner ({Format(band.LowHz)} Hz)."
                );
            if (!(band.HighHz < nyquist))
                throw Bad(
                    $"band-pass high corner {Format(band.HighHz)} Hz is at or above the Nyquist frequency {Format(nyquist)} Hz (sampling rate {Format(SamplingRate)} Hz)."
                );
            var padding = ZeroPhaseFilter.DefaultPadLength(band.Order);
            if (samples <= padding)
                throw Bad(
                    $"the trace ({samples} samples) is too short for the order-{band.Order} zero-phase band-pass, which pads {padding} samples at each end."
                );
        }
        if (!double.IsFinite(MinDb) || !double.IsFinite(MaxDb) || MinDb >= MaxDb)
            throw Bad($"the min-max dB range must be finite with min < max, got {Format(MinDb)}..{Format(MaxDb)} dB.");
        if (
            Size is { } size
            && (size.Height < 1 || size.Width < 1 || size.Height > ImageSize.MaxSide || size.Width > ImageSize.MaxSide)
        )
            throw Bad($"image size must be 1..{ImageSize.MaxSide} pixels a side, got {size}.");
        if (!Enum.IsDefined(Normalization))
            throw Bad($"unknown normalisation {(int)Normalization}.");
        if (!Enum.IsDefined(DType))
            throw Bad($"unknown dtype {(int)DType}.");
    }

    /// <summary>Every parameter as text, keys prefixed by <paramref name="prefix"/> (e.g. "spectrogram.").</summary>
    public IReadOnlyDictionary<string, string> ToMap(string prefix = "")
    {
        var pre = Preprocessing;
        var map = new Dictionary<string, string>
        {
            ["version"] = MapVersion.ToString(CultureInfo.InvariantCulture),
            ["sampling_rate_hz"] = Format(SamplingRate),
            ["nperseg"] = Format(Nperseg),
            ["noverlap"] = Format(Noverlap),
            ["nfft"] = Nfft is { } nfft ? Format(nfft) : NfftDefault,
            ["window"] = "hann",
            ["scaling"] = "density",
            ["db_floor"] = Format(PowerFloor),
            ["demean"] = pre.Demean ? "true" : "false",
            ["detrend"] = pre.Detrend ? "linear" : "none",
            ["taper_alpha"] = Format(pre.TaperAlpha),
            ["bandpass"] = pre.BandPass is null ? "none" : "butterworth",
            ["normalize"] = NormalizationName(Normalization),
            ["minmax_low_db"] = Format(MinDb),
            ["minmax_high_db"] = Format(MaxDb),
            ["size"] = Size?.ToString() ?? "native",
            ["dtype"] = DType == SpectrogramDType.Float16 ? "float16" : "float32",
        };
        if (pre.BandPass is { } band)
        {
            map["bandpass_order"] = Format(band.Order);
            map["bandpass_low_hz"] = Format(band.LowHz);
            map["bandpass_high_hz"] = Format(band.HighHz);
        }
        return prefix.Length == 0 ? map : map.ToDictionary(kv => prefix + kv.Key, kv => kv.Value);
    }

    /// <summary>
    /// Rebuilds settings written by <see cref="ToMap"/>; keys without <paramref name="prefix"/> are ignored.
    /// </summary>
    public static SpectrogramSettings FromMap(IReadOnlyDictionary<string, string> map, string prefix = "")
    {
        ArgumentNullException.ThrowIfNull(map);
        var reader = new MapReader(map, prefix);
        var version = reader.Int("version");
        if (version != MapVersion)
            throw new ArgumentException(
                $"Spectrogram settings: key '{prefix}version' is {version}; this build reads version {MapVersion}."
            );
        reader.Expect("window", "hann");
        reader.Expect("scaling", "density");
        if (reader.Double("db_floor") != PowerFloor)
            throw new ArgumentException(
                $"Spectrogram settings: key '{prefix}db_floor' is {reader.Text("db_floor")}; this build uses {Format(PowerFloor)}."
            );

        var bandKind = reader.Choice("bandpass", "none", "butterworth");
        var preprocessing = new PreprocessingSettings
        {
            Demean = reader.Choice("demean", "false", "true") == "true",
            Detrend = reader.Choice("detrend", "none", "linear") == "linear",
            TaperAlpha = reader.Double("taper_alpha"),
            BandPass =
                bandKind == "none"
                    ? null
                    : new BandPassSettings(
                        reader.Int("bandpass_order"),
                        reader.Double("bandpass_low_hz"),
                        reader.Double("bandpass_high_hz")
                    ),
        };
        var nfftText = reader.Text("nfft");
        return new SpectrogramSettings
        {
            SamplingRate = reader.Double("sampling_rate_hz"),
            Nperseg = reader.Int("nperseg"),
            Noverlap = reader.Int("noverlap"),
            Nfft = nfftText == NfftDefault ? null : reader.Int("nfft"),
            Preprocessing = preprocessing,
            Normalization = ParseNormalization(reader.Choice("normalize", "none", "zscore", "minmax")),
            MinDb = reader.Double("minmax_low_db"),
            MaxDb = reader.Double("minmax_high_db"),
            Size = reader.Parse("size", ImageSize.Parse),
            DType =
                reader.Choice("dtype", "float32", "float16") == "float16"
                    ? SpectrogramDType.Float16
                    : SpectrogramDType.Float32,
        };
    }

    /// <summary>"none", "zscore" or "minmax" (the words the CLI and the string map use).</summary>
    public static SpectrogramNormalization ParseNormalization(string name) =>
        name.Trim().ToLowerInvariant() switch
        {
            "none" => SpectrogramNormalization.None,
            "zscore" => SpectrogramNormalization.ZScore,
            "minmax" => SpectrogramNormalization.MinMax,
            _ => throw new ArgumentException(
                $"Unknown normalisation '{name}'; expected none, zscore or minmax.",
                nameof(name)
            ),
        };

    public static string NormalizationName(SpectrogramNormalization normalization) =>
        normalization switch
        {
            SpectrogramNormalization.None => "none",
            SpectrogramNormalization.ZScore => "zscore",
            SpectrogramNormalization.MinMax => "minmax",
            _ => throw new ArgumentOutOfRangeException(nameof(normalization), normalization, "Unknown normalisation."),
        };

    private const string NfftDefault = "nperseg";

    private static string Format(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    private static string Format(int value) => value.ToString(CultureInfo.InvariantCulture);

    private sealed class MapReader(IReadOnlyDictionary<string, string> map, string prefix)
    {
        public string Text(string key) =>
            map.TryGetValue(prefix + key, out var value)
                ? value
                : throw new ArgumentException($"Spectrogram settings: key '{prefix}{key}' is missing.");

        public int Int(string key) =>
            int.TryParse(Text(key), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value)
                ? value
                : throw Invalid(key, "an integer");

        public double Double(string key) =>
            double.TryParse(Text(key), NumberStyles.Float, CultureInfo.InvariantCulture, out var value)
                ? value
                : throw Invalid(key, "a number");

        public string Choice(string key, params string[] allowed)
        {
            var value = Text(key);
            return Array.IndexOf(allowed, value) >= 0
                ? value
                : throw Invalid(key, "one of " + string.Join(", ", allowed));
        }

        public void Expect(string key, string expected)
        {
            if (Text(key) != expected)
                throw Invalid(key, $"'{expected}' (the only value this build computes)");
        }

        public T Parse<T>(string key, Func<string, T> parse)
        {
            try
            {
                return parse(Text(key));
            }
            catch (FormatException e)
            {
                throw new ArgumentException($"Spectrogram settings: key '{prefix}{key}': {e.Message}", e);
            }
        }

        private ArgumentException Invalid(string key, string expected) =>
            new($"Spectrogram settings: key '{prefix}{key}' has value '{Text(key)}'; expected {expected}.");
    }
}
