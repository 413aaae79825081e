using QuakePrune.Spectrograms;

namespace QuakePrune.Tests.Spectrograms;

public class OddSegmentTests
{
    /// <summary>
    /// An odd nperseg zero-padded to a power-of-two nfft (the lane FFT's odd tail) against a direct DFT of the
    /// scipy definition: periodic Hann, segment mean removed, density scaling, one-sided doubling, dB.
    /// </summary>
    [Fact]
    public void Odd_segments_padded_to_a_power_of_two_match_a_direct_dft()
    {
        const int nperseg = 255,
            noverlap = 200,
            nfft = 256,
            samples = 6000;
        var settings = SpectrogramSettings.ScipyParity with { Nperseg = nperseg, Noverlap = noverlap, Nfft = nfft };
        var trace = new float[samples * 3];
        var random = new Random(11);
        for (var i = 0; i < trace.Length; i++)
            trace[i] = (float)(random.NextDouble() - 0.5 + 0.3 * Math.Sin(i * 0.01));
        var computer = new SpectrogramComputer(settings);
        var decibels = computer.ComputeDecibels(trace, "odd");
        var frames = computer.FrameCount;
        var bins = computer.FrequencyCount;

        var window = Enumerable
            .Range(0, nperseg)
            .Select(n => 0.5 - 0.5 * Math.Cos(2 * Math.PI * n / nperseg))
            .ToArray();
        var density = 1.0 / (settings.SamplingRate * window.Sum(w => w * w));
        foreach (var (component, frame) in new[] { (0, 0), (2, frames - 1), (1, frames / 2) })
        {
            var segment = Enumerable
                .Range(0, nperseg)
                .Select(n => (double)trace[(frame * (nperseg - noverlap) + n) * 3 + component])
                .ToArray();
            var mean = segment.Average();
            foreach (var k in new[] { 0, 1, 37, bins - 1 })
            {
                double re = 0,
                    im = 0;
                for (var n = 0; n < nperseg; n++)
                {
                    var x = (segment[n] - mean) * window[n];
                    re += x * Math.Cos(2 * Math.PI * k * n / nfft);
                    im -= x * Math.Sin(2 * Math.PI * k * n / nfft);
                }
                var scale = k == 0 || k == bins - 1 ? density : 2 * density;
                var expected = 10 * Math.Log10((re * re + im * im) * scale + 1e-10);
                Assert.Equal(expected, decibels[(component * bins + k) * frames + frame], 1e-3);
            }
        }
    }
}
