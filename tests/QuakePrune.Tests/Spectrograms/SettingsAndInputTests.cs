using QuakePrune.Spectrograms;

namespace QuakePrune.Tests.Spectrograms;

public class SettingsAndInputTests
{
    public static TheoryData<SpectrogramSettings> SettingsCases() =>
        new()
        {
            new SpectrogramSettings(),
            SpectrogramSettings.ScipyParity,
            new SpectrogramSettings
            {
                SamplingRate = 40.0,
                Nperseg = 200,
                Noverlap = 150,
                Nfft = 512,
                Preprocessing = new PreprocessingSettings
                {
                    Demean = true,
                    TaperAlpha = 0.05,
                    BandPass = new BandPassSettings(3, 0.1 + 0.2, 19.99),
                },
                Normalization = SpectrogramNormalization.MinMax,
                MinDb = -12.125,
                MaxDb = 1.0 / 3.0,
                Size = new ImageSize(224, 96),
                DType = SpectrogramDType.Float16,
            },
            new SpectrogramSettings { Preprocessing = new PreprocessingSettings { Detrend = true } },
        };

    [Theory]
    [MemberData(nameof(SettingsCases))]
    public void Settings_round_trip_through_a_string_map(SpectrogramSettings settings)
    {
        Assert.Equal(settings, SpectrogramSettings.FromMap(settings.ToMap()));
        var prefixed = settings.ToMap("spectrogram.");
        Assert.All(prefixed.Keys, k => Assert.StartsWith("spectrogram.", k));
        var withOtherKeys = prefixed.Append(new KeyValuePair<string, string>("architecture", "{}")).ToDictionary();
        Assert.Equal(settings, SpectrogramSettings.FromMap(withOtherKeys, "spectrogram."));
    }

    [Fact]
    public void Map_errors_name_the_key()
    {
        var map = new SpectrogramSettings().ToMap().ToDictionary();
        map.Remove("nperseg");
        Assert.Contains(
            "'nperseg' is missing",
            Assert.Throws<ArgumentException>(() => SpectrogramSettings.FromMap(map)).Message
        );

        map = new SpectrogramSettings().ToMap().ToDictionary();
        map["noverlap"] = "many";
        Assert.Contains(
            "'noverlap' has value 'many'",
            Assert.Throws<ArgumentException>(() => SpectrogramSettings.FromMap(map)).Message
        );

        map = new SpectrogramSettings().ToMap().ToDictionary();
        map["size"] = "224 by 224";
        Assert.Contains("'size'", Assert.Throws<ArgumentException>(() => SpectrogramSettings.FromMap(map)).Message);

        map = new SpectrogramSettings().ToMap().ToDictionary();
        map["window"] = "hamming";
        Assert.Contains("'window'", Assert.Throws<ArgumentException>(() => SpectrogramSettings.FromMap(map)).Message);
    }

    [Theory]
    [InlineData(256, 256, null, "noverlap (256) must be less than nperseg (256)")]
    [InlineData(256, 192, 128, "nfft (128) must be at least nperseg (256)")]
    [InlineData(8000, 100, null, "longer than the trace")]
    public void Invalid_segmenting_is_rejected_with_its_reason(int nperseg, int noverlap, int? nfft, string reason)
    {
        var settings = new SpectrogramSettings
        {
            Nperseg = nperseg,
            Noverlap = noverlap,
            Nfft = nfft,
        };
        Assert.Contains(reason, Assert.Throws<ArgumentException>(() => new SpectrogramComputer(settings)).Message);
    }

    [Theory]
    [InlineData(4, 1.0, 50.0, "at or above the Nyquist frequency 50 Hz")]
    [InlineData(4, 10.0, 5.0, "must be above the low corner")]
    [InlineData(4, 0.0, 5.0, "low corner must be above 0 Hz")]
    [InlineData(0, 1.0, 5.0, "order must be")]
    public void Invalid_band_pass_is_rejected_with_its_reason(int order, double low, double high, string reason)
    {
        var settings = new SpectrogramSettings
        {
            Preprocessing = PreprocessingSettings.Standard with { BandPass = new BandPassSettings(order, low, high) },
        };
        Assert.Contains(reason, Assert.Throws<ArgumentException>(() => settings.Validate(6000)).Message);
    }

    [Fact]
    public void Other_invalid_settings_are_rejected()
    {
        Assert.Throws<ArgumentException>(() => (new SpectrogramSettings { MinDb = 5, MaxDb = 5 }).Validate(6000));
        Assert.Throws<ArgumentException>(() => (new SpectrogramSettings { SamplingRate = 0 }).Validate(6000));
        Assert.Throws<ArgumentException>(() =>
            (new SpectrogramSettings { Preprocessing = new PreprocessingSettings { TaperAlpha = 1.5 } }).Validate(6000)
        );
        Assert.Throws<ArgumentException>(() => (new SpectrogramSettings { Size = new ImageSize(0, 4) }).Validate(6000));
    }

    [Theory]
    [InlineData("224x224", 224, 224)]
    [InlineData("64X96", 64, 96)]
    public void Sizes_parse(string text, int height, int width) =>
        Assert.Equal(new ImageSize(height, width), ImageSize.Parse(text));

    [Fact]
    public void Native_size_parses_to_null_and_bad_sizes_fail()
    {
        Assert.Null(ImageSize.Parse("native"));
        Assert.Throws<FormatException>(() => ImageSize.Parse("224"));
        Assert.Throws<FormatException>(() => ImageSize.Parse("0x5"));
    }

    [Theory]
    [InlineData(float.NaN, 1234, 1, "N")]
    [InlineData(float.PositiveInfinity, 0, 2, "Z")]
    public void A_non_finite_trace_is_reported_by_name_not_turned_into_an_image(
        float bad,
        int sample,
        int component,
        string componentName
    )
    {
        var trace = SpectralPropertyTests.Trace((c, i) => Math.Sin(i * 0.1 + c));
        trace[sample * 3 + component] = bad;
        var computer = new SpectrogramComputer(new SpectrogramSettings());
        var e = Assert.Throws<NonFiniteTraceException>(() => computer.ComputeImage(trace, "B921.PB_20150126200012_EV"));
        Assert.Equal("B921.PB_20150126200012_EV", e.TraceName);
        Assert.Equal(sample, e.Sample);
        Assert.Equal(component, e.Component);
        Assert.Contains("B921.PB_20150126200012_EV", e.Message);
        Assert.Contains($"sample {sample} of component {componentName}", e.Message);
        Assert.Throws<NonFiniteTraceException>(() => computer.ComputeDecibels(trace, "B921.PB_20150126200012_EV"));
    }

    [Fact]
    public void Wrong_trace_length_or_short_buffer_is_reported_by_name()
    {
        var computer = new SpectrogramComputer(new SpectrogramSettings());
        var e = Assert.Throws<ArgumentException>(() => computer.ComputeImage(new float[6000], "short.trace"));
        Assert.Contains("short.trace", e.Message);
        Assert.Contains("18000", e.Message);
        Assert.Throws<ArgumentException>(() => computer.ComputeImage(new float[18000], new float[10], "x"));
    }

    [Fact]
    public void A_batch_on_two_threads_equals_one_trace_at_a_time()
    {
        var settings = new SpectrogramSettings { Size = new ImageSize(24, 40) };
        var traces = Enumerable
            .Range(0, 5)
            .SelectMany(t => SpectralPropertyTests.Trace((c, i) => Math.Sin(i * 0.05 * (t + 1) + c) + 0.01 * t * i))
            .ToArray();
        var names = Enumerable.Range(0, 5).Select(t => $"t{t}").ToArray();
        var computer = new SpectrogramComputer(settings);
        var images = new float[5 * computer.ImageLength];
        SpectrogramBatch.ComputeImages(settings, traces, images, names, threads: 2);
        for (var t = 0; t < 5; t++)
            Assert.Equal(
                computer.ComputeImage(traces.AsSpan(t * computer.TraceLength, computer.TraceLength), names[t]),
                images.AsSpan(t * computer.ImageLength, computer.ImageLength).ToArray()
            );
    }
}
