using QuakePrune.Spectrograms;

namespace QuakePrune.Tests.Spectrograms;

public class SpectralPropertyTests
{
    private const double Fs = 100.0;
    private const int Samples = SpectrogramComputer.SteadSamples;

    /// <summary>A STEAD-shaped trace whose three components are f(component, sample index).</summary>
    internal static float[] Trace(Func<int, int, double> value)
    {
        var trace = new float[Samples * 3];
        for (var i = 0; i < Samples; i++)
        for (var c = 0; c < 3; c++)
            trace[i * 3 + c] = (float)value(c, i);
        return trace;
    }

    internal static double[] GaussianNoise(int count, double sigma, int seed)
    {
        var random = new Random(seed);
        var result = new double[count];
        for (var i = 0; i < count; i++)
        {
            // Box-Muller.
            var u1 = 1.0 - random.NextDouble();
            var u2 = random.NextDouble();
            result[i] = sigma * Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
        }
        return result;
    }

    private static double[] Psd(float[] decibels) =>
        decibels.Select(db => Math.Pow(10, db / 10.0) - SpectrogramSettings.PowerFloor).ToArray();

    [Theory]
    [InlineData(256, 12.5)]
    [InlineData(256, 20.3)]
    [InlineData(200, 7.7)] // nfft 200: MathNet's transform instead of the lane FFT
    public void A_pure_tone_peaks_at_its_frequency_bin(int nfft, double frequency)
    {
        var settings = SpectrogramSettings.ScipyParity with
        {
            Nperseg = Math.Min(nfft, 256),
            Noverlap = Math.Min(nfft, 256) / 2,
            Nfft = nfft,
        };
        var computer = new SpectrogramComputer(settings);
        var trace = Trace((c, i) => (c + 1) * Math.Sin(2 * Math.PI * frequency * i / Fs + c));
        var db = computer.ComputeDecibels(trace, "tone");
        var expectedBin = (int)Math.Round(frequency * nfft / Fs);
        int bins = computer.FrequencyCount,
            frames = computer.FrameCount;
        for (var c = 0; c < 3; c++)
        for (var f = 0; f < frames; f++)
        {
            var best = 0;
            for (var k = 1; k < bins; k++)
                if (db[(c * bins + k) * frames + f] > db[(c * bins + best) * frames + f])
                    best = k;
            Assert.Equal(expectedBin, best);
        }
    }

    [Fact]
    public void Density_scaling_integrates_white_noise_to_its_variance()
    {
        const double sigma = 3.0;
        var noise = GaussianNoise(Samples * 3, sigma, seed: 11);
        var computer = new SpectrogramComputer(SpectrogramSettings.ScipyParity);
        var psd = Psd(computer.ComputeDecibels(Trace((c, i) => noise[c * Samples + i]), "noise"));
        var bandwidth = Fs / computer.Settings.FftLength;
        // Mean over channels and frames of the integral over frequency.
        var integral = psd.Sum() * bandwidth / (3 * computer.FrameCount);
        Assert.InRange(integral / (sigma * sigma), 0.97, 1.03);
    }

    [Theory]
    [InlineData(12.5, 2.0)] // on a bin
    [InlineData(20.3, 0.5)] // between bins
    public void Density_scaling_integrates_a_sine_to_half_its_squared_amplitude(double frequency, double amplitude)
    {
        var computer = new SpectrogramComputer(SpectrogramSettings.ScipyParity);
        var psd = Psd(
            computer.ComputeDecibels(
                Trace((c, i) => amplitude * Math.Sin(2 * Math.PI * frequency * i / Fs + 0.7 * c)),
                "sine"
            )
        );
        var bandwidth = Fs / computer.Settings.FftLength;
        var integral = psd.Sum() * bandwidth / (3 * computer.FrameCount);
        Assert.Equal(amplitude * amplitude / 2, integral, amplitude * amplitude / 2 * 0.01);
    }

    [Fact]
    public void A_flat_component_gives_the_floor_and_a_zero_zscore_channel()
    {
        var computer = new SpectrogramComputer(
            SpectrogramSettings.ScipyParity with
            {
                Normalization = SpectrogramNormalization.ZScore,
            }
        );
        var trace = Trace((c, i) => c == 2 ? 5.0 : Math.Sin(i * 0.3 + c));
        var image = computer.ComputeImage(trace, "flat Z");
        var plane = computer.ImageHeight * computer.ImageWidth;
        Assert.All(image.AsSpan(2 * plane, plane).ToArray(), v => Assert.Equal(0f, v));
        var e = image.AsSpan(0, plane).ToArray();
        Assert.Equal(0.0, e.Average(), 4);
        Assert.Equal(1.0, Math.Sqrt(e.Select(v => (double)v * v).Average()), 4);
    }

    [Fact]
    public void Minmax_maps_the_fixed_dB_range_onto_zero_to_one()
    {
        var settings = SpectrogramSettings.ScipyParity with
        {
            Normalization = SpectrogramNormalization.MinMax,
            MinDb = -10,
            MaxDb = 25,
        };
        var raw = new SpectrogramComputer(SpectrogramSettings.ScipyParity);
        var scaled = new SpectrogramComputer(settings);
        var trace = SpectrogramFixtures.Trace("quake_like");
        var db = raw.ComputeDecibels(trace, "t");
        var image = scaled.ComputeImage(trace, "t");
        for (var i = 0; i < db.Length; i++)
            Assert.Equal(Math.Clamp((db[i] + 10.0) / 35.0, 0.0, 1.0), image[i], 1e-6);
    }
}
