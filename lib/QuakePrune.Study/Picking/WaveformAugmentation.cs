namespace QuakePrune.Picking;

/// <summary>
/// Which of EQTransformer's augmentations to apply to training windows, each with its probability per trace. All are
/// off (0) by default. The original trainer's rates are shift 0.99, added noise 0.3 and channel drop 0.5
/// (smousavi05/EQTransformer, core/trainer.py).
/// </summary>
public sealed record WaveformAugmentOptions
{
    /// <summary>Chance that an earthquake is rolled in time (its picks and coda end move with it).</summary>
    public double ShiftProbability { get; init; }

    /// <summary>Chance that an earthquake gets Gaussian noise added to each component.</summary>
    public double NoiseProbability { get; init; }

    /// <summary>Chance that some components of a trace are zeroed.</summary>
    public double DropChannelProbability { get; init; }

    /// <summary>
    /// Noise and channel drops touch an earthquake only when every component's SNR is at least this (dB), as in
    /// EQTransformer.
    /// </summary>
    public double MinimumSnrDb { get; init; } = 10;

    /// <summary>
    /// The original trainer's rates: shift 0.99, added noise 0.3, channel drop 0.5 (what `train --augment` uses for a
    /// picker).
    /// </summary>
    public static WaveformAugmentOptions EqTransformer { get; } =
        new()
        {
            ShiftProbability = 0.99,
            NoiseProbability = 0.3,
            DropChannelProbability = 0.5,
        };

    /// <summary>
    /// "S,N,D": the shift, added-noise and channel-drop probabilities, as `train --augment-rates` takes them.
    /// </summary>
    public static WaveformAugmentOptions Parse(string text)
    {
        var values = NumberTriple.Parse(text)
            ?? throw new ArgumentException(
                $"augmentation: give three probabilities SHIFT,NOISE,DROP (e.g. 0.99,0.3,0.5), got '{text}'"
            );
        var options = new WaveformAugmentOptions
        {
            ShiftProbability = values[0],
            NoiseProbability = values[1],
            DropChannelProbability = values[2],
        };
        options.Validate();
        return options;
    }

    public bool Any => ShiftProbability > 0 || NoiseProbability > 0 || DropChannelProbability > 0;

    public void Validate()
    {
        foreach (
            var (name, value) in new[]
            {
                ("shift", ShiftProbability),
                ("noise", NoiseProbability),
                ("channel drop", DropChannelProbability),
            }
        )
            if (!(value >= 0 && value <= 1))
                throw new ArgumentException($"augmentation: the {name} probability must be in [0, 1], got {value}");
        if (!double.IsFinite(MinimumSnrDb))
            throw new ArgumentException($"augmentation: the minimum SNR must be a number of dB, got {MinimumSnrDb}");
    }
}

/// <summary>
/// EQTransformer's augmentations, on one raw channels-first window (before
/// <see cref="WaveformPreprocessing.Normalize"/>):
/// <list type="bullet">
/// <item>shift: the window is rolled circularly by k samples, k uniform over the shifts that keep the first arrival and
/// the coda end inside the window (earlier or later; the original shifts only later);</item>
/// <item>noise: each component gets N(0, (u * its peak absolute amplitude)^2) noise, u uniform in [0.01, 0.15] per
/// component (the original scales by the signed maximum);</item>
/// <item>channel drop: each component is kept or not with probability 1/2, all kept when none would be (as the
/// original); the original then rescales by 3 / kept, which the window's std normalisation makes moot.</item>
/// </list>
/// The draws come from an <see cref="Rng"/> the caller seeds per (seed, epoch, row), so an epoch is the same whatever
/// the batch size or thread count.
/// </summary>
public static class WaveformAugmentation
{
    private const int Samples = WaveformPreprocessing.Samples;
    private const int Channels = WaveformPreprocessing.Channels;

    // Keeps augmentation draws apart from the shuffle's stream, which uses (seed, epoch).
    private const ulong StreamSalt = 0x2545F4914F6CDD1DUL;

    /// <summary>The generator for one row of one epoch.</summary>
    public static Rng RngFor(ulong seed, int epoch, int row) =>
        new(seed ^ StreamSalt, ((ulong)(uint)epoch << 32) | (uint)row);

    /// <summary>
    /// Augments <paramref name="window"/> in place and returns the truth that matches it (picks moved by a shift).
    /// </summary>
    public static TraceTruth Apply(
        Span<float> window,
        TraceTruth truth,
        double[]? snrDb,
        WaveformAugmentOptions options,
        ref Rng rng
    )
    {
        if (window.Length != WaveformPreprocessing.WindowLength)
            throw new ArgumentException(
                $"augmentation: the window holds {window.Length} values, expected {WaveformPreprocessing.WindowLength}"
            );
        // Every draw is made whether or not it is used, so one option does not change the others' draws.
        var shift = rng.NextDouble() < options.ShiftProbability;
        var shiftDraw = rng.NextDouble();
        var noise = rng.NextDouble() < options.NoiseProbability;
        var drop = rng.NextDouble() < options.DropChannelProbability;
        var keep = rng.Next(0, 8);
        var clean = !truth.IsEarthquake || snrDb is { Length: > 0 } snr && snr.All(v => v >= options.MinimumSnrDb);
        if (truth.IsEarthquake && shift)
            truth = Shift(window, truth, shiftDraw);
        if (truth.IsEarthquake && noise && clean)
            AddNoise(window, ref rng);
        if (drop && clean && keep != 0)
            for (var c = 0; c < Channels; c++)
                if ((keep & (1 << c)) == 0)
                    window.Slice(c * Samples, Samples).Clear();
        return truth;
    }

    private static TraceTruth Shift(Span<float> window, TraceTruth truth, double draw)
    {
        var first = Math.Min(truth.PSample ?? double.PositiveInfinity, truth.SSample ?? double.PositiveInfinity);
        var end = truth.CodaEndSample ?? Samples;
        var lowest = -(int)Math.Clamp(Math.Floor(first), 0, Samples);
        var highest = (int)Math.Clamp(Samples - Math.Ceiling(end), 0, Samples);
        var k = lowest + (int)Math.Min(highest - lowest, Math.Floor(draw * (highest - lowest + 1)));
        if (k == 0)
            return truth;
        var copy = new float[Samples];
        for (var c = 0; c < Channels; c++)
        {
            var channel = window.Slice(c * Samples, Samples);
            channel.CopyTo(copy);
            for (var i = 0; i < Samples; i++)
                channel[i] = copy[((i - k) % Samples + Samples) % Samples];
        }
        return truth with
        {
            PSample = truth.PSample + k,
            SSample = truth.SSample + k,
            CodaEndSample = truth.CodaEndSample + k,
        };
    }

    private static void AddNoise(Span<float> window, ref Rng rng)
    {
        for (var c = 0; c < Channels; c++)
        {
            var channel = window.Slice(c * Samples, Samples);
            var peak = 0f;
            foreach (var v in channel)
                peak = Math.Max(peak, Math.Abs(v));
            var sigma = rng.Uniform(0.01, 0.15) * peak;
            for (var i = 0; i < Samples; i++)
                channel[i] += (float)(sigma * rng.Gaussian());
        }
    }
}
