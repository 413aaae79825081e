using QuakePrune.Spectrograms;

namespace QuakePrune.Tests.Spectrograms;

public class ScipyParityTests
{
    public static TheoryData<string> SpectrogramFiles()
    {
        var data = new TheoryData<string>();
        foreach (var entry in SpectrogramFixtures.Entries("spectrograms"))
            data.Add(entry.GetProperty("file").GetString()!);
        return data;
    }

    [Theory]
    [MemberData(nameof(SpectrogramFiles))]
    public void Decibels_equal_scipy_spectrogram_within_a_thousandth_of_a_dB(string file)
    {
        var entry = SpectrogramFixtures.Entries("spectrograms").Single(e => e.GetProperty("file").GetString() == file);
        var settings = SpectrogramSettings.ScipyParity with
        {
            Nperseg = entry.GetProperty("nperseg").GetInt32(),
            Noverlap = entry.GetProperty("noverlap").GetInt32(),
            Nfft = entry.GetProperty("nfft").GetInt32(),
        };
        var computer = new SpectrogramComputer(settings);
        var shape = SpectrogramFixtures.Shape(entry);
        Assert.Equal([3, computer.FrequencyCount, computer.FrameCount], shape);

        var trace = SpectrogramFixtures.Trace(entry.GetProperty("trace").GetString()!);
        var expected = SpectrogramFixtures.Float32(file);
        var actual = computer.ComputeDecibels(trace, "fixture");

        var worst = 0.0;
        for (var i = 0; i < expected.Length; i++)
            worst = Math.Max(worst, Math.Abs(expected[i] - actual[i]));
        Assert.True(worst < 1e-3, $"largest difference from scipy {worst} dB");
    }

    [Fact]
    public void Image_without_preprocessing_normalisation_or_resize_is_the_dB_spectrogram()
    {
        var computer = new SpectrogramComputer(SpectrogramSettings.ScipyParity);
        var trace = SpectrogramFixtures.Trace("quake_like");
        Assert.Equal(computer.ComputeDecibels(trace, "t"), computer.ComputeImage(trace, "t"));
    }

    public static TheoryData<string> ImageFiles()
    {
        var data = new TheoryData<string>();
        foreach (var entry in SpectrogramFixtures.Entries("images"))
            data.Add(entry.GetProperty("file").GetString()!);
        return data;
    }

    [Theory]
    [MemberData(nameof(ImageFiles))]
    public void Whole_image_path_equals_the_python_pipeline(string file)
    {
        var entry = SpectrogramFixtures.Entries("images").Single(e => e.GetProperty("file").GetString() == file);
        var settings = new SpectrogramSettings
        {
            Preprocessing = new PreprocessingSettings
            {
                Demean = true,
                Detrend = true,
                TaperAlpha = entry.GetProperty("taper").GetDouble(),
                BandPass = new BandPassSettings(
                    entry.GetProperty("order").GetInt32(),
                    entry.GetProperty("low").GetDouble(),
                    entry.GetProperty("high").GetDouble()
                ),
            },
            Normalization = SpectrogramSettings.ParseNormalization(entry.GetProperty("normalize").GetString()!),
            MinDb = entry.GetProperty("minDb").GetDouble(),
            MaxDb = entry.GetProperty("maxDb").GetDouble(),
            Size = new ImageSize(entry.GetProperty("height").GetInt32(), entry.GetProperty("width").GetInt32()),
        };
        var computer = new SpectrogramComputer(settings);
        Assert.Equal([3, computer.ImageHeight, computer.ImageWidth], SpectrogramFixtures.Shape(entry));

        var expected = SpectrogramFixtures.Float32(file);
        var actual = computer.ComputeImage(
            SpectrogramFixtures.Trace(entry.GetProperty("trace").GetString()!),
            "fixture"
        );
        var worst = 0.0;
        for (var i = 0; i < expected.Length; i++)
            worst = Math.Max(worst, Math.Abs(expected[i] - actual[i]));
        Assert.True(worst < 1e-4, $"largest difference from the Python pipeline {worst}");
    }

    [Fact]
    public void Half_precision_image_is_the_rounded_float_image()
    {
        var settings = SpectrogramSettings.ScipyParity with
        {
            Normalization = SpectrogramNormalization.ZScore,
            Size = new ImageSize(32, 48),
            DType = SpectrogramDType.Float16,
        };
        var computer = new SpectrogramComputer(settings);
        var trace = SpectrogramFixtures.Trace("quake_like");
        var full = computer.ComputeImage(trace, "t");
        var half = new Half[computer.ImageLength];
        computer.ComputeImage(trace, half, "t");
        Assert.Equal(full.Select(v => (Half)v), half);
    }

    [Fact]
    public void Axes_follow_scipy()
    {
        var computer = new SpectrogramComputer(SpectrogramSettings.ScipyParity);
        var frequencies = computer.Frequencies();
        var times = computer.Times();
        Assert.Equal(129, frequencies.Length);
        Assert.Equal(0.390625, frequencies[1], 12);
        Assert.Equal(50.0, frequencies[^1], 12);
        Assert.Equal(90, times.Length);
        Assert.Equal(1.28, times[0], 12);
        Assert.Equal(1.92, times[1], 12);
        Assert.Equal(58.24, times[^1], 12);
    }
}
