using QuakePrune.Picking;

namespace QuakePrune.Tests.Picking;

public class AugmentationTests
{
    private const int Samples = WaveformPreprocessing.Samples;

    /// <summary>
    /// A raw window with spikes of 1, 2, 3 (channels Z, N, E) at the P arrival and of 10 at the S arrival.
    /// </summary>
    private static float[] Marked(int p, int s)
    {
        var window = new float[WaveformPreprocessing.WindowLength];
        for (var c = 0; c < 3; c++)
        {
            window[c * Samples + p] = c + 1;
            window[c * Samples + s] = 10;
        }
        return window;
    }

    [Fact]
    public void A_shift_moves_the_waveform_and_its_picks_together_and_keeps_the_event_inside()
    {
        var truth = new TraceTruth(true, 700, 1200, 4000);
        var shifts = new HashSet<double>();
        for (var row = 0; row < 200; row++)
        {
            var window = Marked(700, 1200);
            var rng = WaveformAugmentation.RngFor(5, 0, row);
            var moved = WaveformAugmentation.Apply(
                window,
                truth,
                [20, 20, 20],
                new WaveformAugmentOptions { ShiftProbability = 1 },
                ref rng
            );
            var k = moved.PSample!.Value - 700;
            shifts.Add(k);
            Assert.Equal(1200 + k, moved.SSample);
            Assert.Equal(4000 + k, moved.CodaEndSample);
            Assert.InRange(moved.PSample.Value, 0, Samples);
            Assert.InRange(moved.CodaEndSample!.Value, 0, Samples);
            for (var c = 0; c < 3; c++)
            {
                Assert.Equal(c + 1, window[c * Samples + (int)moved.PSample.Value]);
                Assert.Equal(10, window[c * Samples + (int)moved.SSample!.Value]);
            }
        }
        Assert.Contains(shifts, k => k < -300);
        Assert.Contains(shifts, k => k > 1000);
    }

    [Fact]
    public void Noise_is_added_to_clean_earthquakes_only_and_channel_drops_zero_whole_components()
    {
        var options = new WaveformAugmentOptions { NoiseProbability = 1 };
        var quake = new TraceTruth(true, 700, 1200, 4000);
        var window = Marked(700, 1200);
        var rng = WaveformAugmentation.RngFor(1, 0, 0);
        WaveformAugmentation.Apply(window, quake, [12, 15, 11], options, ref rng);
        Assert.True(window.Count(v => v != 0) > 17000, "noise on every sample");
        var noisy = Marked(700, 1200);
        rng = WaveformAugmentation.RngFor(1, 0, 0);
        WaveformAugmentation.Apply(noisy, quake, [12, 9.9, 11], options, ref rng);
        Assert.Equal(Marked(700, 1200), noisy);

        var dropped = 0;
        for (var row = 0; row < 64; row++)
        {
            window = Marked(700, 1200);
            rng = WaveformAugmentation.RngFor(2, 0, row);
            WaveformAugmentation.Apply(
                window,
                TraceTruth.Noise,
                null,
                new WaveformAugmentOptions { DropChannelProbability = 1 },
                ref rng
            );
            var kept = Enumerable.Range(0, 3).Count(c => window[c * Samples + 700] != 0);
            Assert.InRange(kept, 1, 3);
            for (var c = 0; c < 3; c++)
                Assert.True(
                    window[c * Samples + 700] == 0 == (window[c * Samples + 1200] == 0),
                    "a component is dropped whole"
                );
            if (kept < 3)
                dropped++;
        }
        Assert.InRange(dropped, 32, 60);
    }

    [Fact]
    public void Probabilities_outside_zero_to_one_are_refused()
    {
        Assert.Throws<ArgumentException>(() => new WaveformAugmentOptions { NoiseProbability = -0.1 }.Validate());
        Assert.Throws<ArgumentException>(() =>
            new WaveformAugmentOptions { DropChannelProbability = double.NaN }.Validate()
        );
        Assert.Throws<ArgumentException>(() =>
            new WaveformAugmentOptions { MinimumSnrDb = double.PositiveInfinity }.Validate()
        );
        Assert.False(new WaveformAugmentOptions().Any);
    }
}
