using QuakePrune.Spectrograms;

namespace QuakePrune.Tests.Spectrograms;

public class FilterTests
{
    private const double Fs = 100.0;

    public static TheoryData<int> ButterDesigns()
    {
        var data = new TheoryData<int>();
        for (var i = 0; i < SpectrogramFixtures.Entries("butter").Count(); i++)
            data.Add(i);
        return data;
    }

    [Theory]
    [MemberData(nameof(ButterDesigns))]
    public void Sections_equal_scipy_butter(int index)
    {
        var entry = SpectrogramFixtures.Entries("butter").ElementAt(index);
        var expected = entry
            .GetProperty("sos")
            .EnumerateArray()
            .SelectMany(row => row.EnumerateArray().Select(v => v.GetDouble()))
            .ToArray();
        var actual = ButterworthBandPass.Design(
            entry.GetProperty("order").GetInt32(),
            entry.GetProperty("low").GetDouble(),
            entry.GetProperty("high").GetDouble(),
            entry.GetProperty("fs").GetDouble()
        );
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++)
            Assert.True(
                Math.Abs(expected[i] - actual[i]) <= 1e-10 * Math.Max(1, Math.Abs(expected[i])),
                $"coefficient {i} (section {i / 6}): scipy {expected[i]:R}, here {actual[i]:R}"
            );
    }

    public static TheoryData<string> FilteredFiles()
    {
        var data = new TheoryData<string>();
        foreach (var entry in SpectrogramFixtures.Entries("sosfiltfilt"))
            data.Add(entry.GetProperty("file").GetString()!);
        return data;
    }

    [Theory]
    [MemberData(nameof(FilteredFiles))]
    public void Zero_phase_filtering_equals_scipy_sosfiltfilt(string file)
    {
        var entry = SpectrogramFixtures.Entries("sosfiltfilt").Single(e => e.GetProperty("file").GetString() == file);
        var trace = SpectrogramFixtures.Trace(entry.GetProperty("trace").GetString()!);
        var channel = entry.GetProperty("channel").GetInt32();
        var x = Enumerable.Range(0, trace.Length / 3).Select(i => (double)trace[i * 3 + channel]).ToArray();
        var filter = new ZeroPhaseFilter(
            ButterworthBandPass.Design(
                entry.GetProperty("order").GetInt32(),
                entry.GetProperty("low").GetDouble(),
                entry.GetProperty("high").GetDouble(),
                Fs
            )
        );
        filter.Apply(x);
        var expected = SpectrogramFixtures.Float64(file);
        var scale = expected.Max(Math.Abs);
        for (var i = 0; i < x.Length; i++)
            Assert.True(
                Math.Abs(expected[i] - x[i]) <= 1e-9 * scale,
                $"sample {i}: scipy {expected[i]:R}, here {x[i]:R}"
            );
    }

    /// <summary>
    /// Single-pass power gain of the digital Butterworth band-pass, from its definition: the analog prototype
    /// 1 / (1 + w^2N) at the band-pass-mapped, bilinear-prewarped frequency.
    /// </summary>
    private static double ButterworthPowerGain(int order, double low, double high, double frequency)
    {
        static double Warp(double f) => 4 * Math.Tan(Math.PI * f / Fs);
        double wl = Warp(low),
            wh = Warp(high),
            w = Warp(frequency);
        var lowPassFrequency = (w * w - wl * wh) / (w * (wh - wl));
        return 1 / (1 + Math.Pow(lowPassFrequency, 2 * order));
    }

    /// <summary>
    /// Amplitude of the sinusoid at <paramref name="frequency"/> by least squares over samples [from, to).
    /// </summary>
    private static double FittedAmplitude(double[] x, double frequency, int from, int to)
    {
        double ss = 0,
            cc = 0,
            sc = 0,
            xs = 0,
            xc = 0;
        for (var i = from; i < to; i++)
        {
            double s = Math.Sin(2 * Math.PI * frequency * i / Fs),
                c = Math.Cos(2 * Math.PI * frequency * i / Fs);
            ss += s * s;
            cc += c * c;
            sc += s * c;
            xs += x[i] * s;
            xc += x[i] * c;
        }
        var det = ss * cc - sc * sc;
        var a = (xs * cc - xc * sc) / det;
        var b = (xc * ss - xs * sc) / det;
        return Math.Sqrt(a * a + b * b);
    }

    [Theory]
    [InlineData(4, 1.0, 45.0, 10.0)]
    [InlineData(4, 1.0, 45.0, 3.0)]
    [InlineData(2, 0.5, 5.0, 1.6)]
    public void A_tone_inside_the_pass_band_keeps_its_amplitude(int order, double low, double high, double frequency)
    {
        var x = Enumerable.Range(0, 6000).Select(i => 2.5 * Math.Sin(2 * Math.PI * frequency * i / Fs + 0.4)).ToArray();
        new ZeroPhaseFilter(ButterworthBandPass.Design(order, low, high, Fs)).Apply(x);
        Assert.InRange(FittedAmplitude(x, frequency, 1500, 4500) / 2.5, 0.99, 1.01);
    }

    [Theory]
    [InlineData(4, 1.0, 45.0, 0.4)]
    [InlineData(4, 1.0, 45.0, 48.0)]
    [InlineData(2, 0.5, 5.0, 12.0)]
    [InlineData(3, 2.0, 8.0, 0.8)]
    public void A_tone_outside_the_pass_band_is_attenuated_by_twice_the_single_pass_dB(
        int order,
        double low,
        double high,
        double frequency
    )
    {
        var x = Enumerable.Range(0, 6000).Select(i => Math.Sin(2 * Math.PI * frequency * i / Fs)).ToArray();
        new ZeroPhaseFilter(ButterworthBandPass.Design(order, low, high, Fs)).Apply(x);
        var singlePassDb = 10 * Math.Log10(ButterworthPowerGain(order, low, high, frequency));
        var measuredDb = 20 * Math.Log10(FittedAmplitude(x, frequency, 1500, 4500));
        Assert.True(singlePassDb < -10, $"test tone should sit well outside the band ({singlePassDb} dB)");
        Assert.Equal(2 * singlePassDb, measuredDb, 0.1);
    }

    [Theory]
    [InlineData(3)]
    [InlineData(6)]
    public void Filtering_several_signals_at_once_equals_filtering_each(int count)
    {
        const int length = 700;
        var signals = SpectralPropertyTests.GaussianNoise(count * length, 5.0, seed: count);
        var filter = new ZeroPhaseFilter(ButterworthBandPass.Design(4, 1.0, 45.0, Fs));
        var one = (double[])signals.Clone();
        for (var i = 0; i < count; i++)
            filter.Apply(one.AsSpan(i * length, length));
        filter.ApplyMany(signals, length, count);
        Assert.Equal(one, signals);
    }

    [Fact]
    public void Sections_must_be_normalised_and_complete()
    {
        Assert.Throws<ArgumentException>(() => new ZeroPhaseFilter([1, 0, 0, 1, 0]));
        var e = Assert.Throws<ArgumentException>(() => new ZeroPhaseFilter([1, 0, 0, 2, 0, 0]));
        Assert.Contains("a0", e.Message);
    }

    [Fact]
    public void Design_rejects_corners_outside_zero_to_nyquist()
    {
        Assert.Throws<ArgumentException>(() => ButterworthBandPass.Design(4, 1, 50, Fs));
        Assert.Throws<ArgumentException>(() => ButterworthBandPass.Design(4, 0, 10, Fs));
        Assert.Throws<ArgumentException>(() => ButterworthBandPass.Design(4, 10, 5, Fs));
        Assert.Throws<ArgumentOutOfRangeException>(() => ButterworthBandPass.Design(0, 1, 10, Fs));
    }
}
