using System.Runtime.InteropServices;
using QuakePrune.Picking;
using QuakePrune.Torch;

namespace QuakePrune.Tests.Picking;

public class PreprocessingTests
{
    private const int Samples = WaveformPreprocessing.Samples;

    /// <summary>
    /// `raw` and `input` (2 x 3 x 6000 each) from SeisBench's annotate_batch_pre: see Fixtures/NOTICE.md.
    /// </summary>
    private static (float[] Raw, float[] Input) Fixture()
    {
        var (tensors, _) = Safetensors.Read(
            Path.Combine(AppContext.BaseDirectory, "Picking", "Fixtures", "preprocessing.safetensors")
        );
        float[] Floats(string name)
        {
            Assert.Equal("F32", tensors[name].Dtype);
            Assert.Equal([2L, 3, Samples], tensors[name].Shape);
            return MemoryMarshal.Cast<byte, float>(tensors[name].Data).ToArray();
        }
        return (Floats("raw"), Floats("input"));
    }

    // PyTorch computes in float32 and we in double, rounding once: 3.3e-7 apart at most (numpy in double against the
    // fixture). The biased std (N instead of N - 1) would be 1.2e-4 off, so this tolerance tells them apart.
    private const double Tolerance = 2e-6;

    [Fact]
    public void Normalize_matches_seisbench_annotate_batch_pre_on_each_window()
    {
        var (raw, expected) = Fixture();
        for (var n = 0; n < 2; n++)
        {
            var window = raw.AsSpan(n * 3 * Samples, 3 * Samples).ToArray();
            WaveformPreprocessing.Normalize(window);
            var reference = expected.AsSpan(n * 3 * Samples, 3 * Samples);
            for (var i = 0; i < window.Length; i++)
                Assert.Equal(reference[i], window[i], Tolerance);
        }
    }

    [Fact]
    public void The_fixture_was_made_with_the_unbiased_std()
    {
        var (raw, expected) = Fixture();
        var window = raw.AsSpan(0, 3 * Samples).ToArray();
        WaveformPreprocessing.Normalize(window);
        // Rescaling our result to the biased std moves it away from the fixture by far more than the tolerance.
        var biased = Math.Sqrt((3.0 * Samples - 1) / (3.0 * Samples));
        var worst = 0.0;
        for (var i = 0; i < window.Length; i++)
            worst = Math.Max(worst, Math.Abs(window[i] / biased - expected[i]));
        Assert.True(worst > 50 * Tolerance, $"the biased std is only {worst} away");
    }

    [Fact]
    public void FromStead_feeds_Z_N_E_channels_first()
    {
        var (raw, expected) = Fixture();
        // Treat the fixture's first window as channels Z, N, E and lay it out as STEAD stores it: samples first, E, N,
        // Z.
        var stead = new float[Samples * 3];
        for (var i = 0; i < Samples; i++)
        {
            stead[3 * i + 2] = raw[i];
            stead[3 * i + 1] = raw[Samples + i];
            stead[3 * i + 0] = raw[2 * Samples + i];
        }
        var window = new float[3 * Samples];
        WaveformPreprocessing.FromStead(stead, window, "fixture");
        for (var i = 0; i < window.Length; i++)
            Assert.Equal(expected[i], window[i], Tolerance);
        Assert.Equal("ZNE", WaveformPreprocessing.ComponentOrder);
        Assert.Equal([2, 1, 0], WaveformPreprocessing.SteadColumnOfChannel);
    }

    [Fact]
    public void The_taper_is_six_samples_of_a_half_cosine_reversed_at_the_end()
    {
        double[] expected = [0, 0.0954915, 0.3454915, 0.6545085, 0.9045085, 1];
        for (var i = 0; i < 6; i++)
            Assert.Equal(expected[i], WaveformPreprocessing.Taper[i], 1e-7);
        var window = new float[3 * Samples];
        for (var i = 0; i < window.Length; i++)
            window[i] = i % 2 == 0 ? 1 : -1;
        WaveformPreprocessing.Normalize(window);
        for (var c = 0; c < 3; c++)
        {
            Assert.Equal(0f, window[c * Samples]);
            Assert.Equal(0f, window[c * Samples + Samples - 1]);
            Assert.Equal(Math.Abs(window[c * Samples + 100]), Math.Abs(window[c * Samples + 5]), 6);
            Assert.Equal(
                Math.Abs(window[c * Samples + 100]) * WaveformPreprocessing.Taper[2],
                Math.Abs(window[c * Samples + Samples - 3]),
                6
            );
        }
    }

    [Fact]
    public void A_flat_window_stays_zero_instead_of_dividing_by_zero()
    {
        var window = Enumerable.Repeat(7f, 3 * Samples).ToArray();
        WaveformPreprocessing.Normalize(window);
        Assert.All(window, v => Assert.Equal(0f, v));
    }

    [Fact]
    public void A_non_finite_sample_is_refused_naming_the_trace_sample_and_component()
    {
        var stead = new float[Samples * 3];
        stead[3 * 1234 + 1] = float.NaN;
        var e = Assert.Throws<InvalidDataException>(() =>
            WaveformPreprocessing.FromStead(stead, new float[3 * Samples], "AB.CD_2000_EV")
        );
        Assert.Contains("'AB.CD_2000_EV'", e.Message);
        Assert.Contains("sample 1234", e.Message);
        Assert.Contains("component N", e.Message);
        Assert.Throws<ArgumentException>(() =>
            WaveformPreprocessing.FromStead(new float[100], new float[3 * Samples], "short")
        );
        Assert.Throws<ArgumentException>(() => WaveformPreprocessing.Normalize(new float[3 * Samples - 1]));
    }
}
