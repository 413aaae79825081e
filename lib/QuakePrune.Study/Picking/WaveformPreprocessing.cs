using QuakePrune.Stead;

namespace QuakePrune.Picking;

/// <summary>
/// The network's input, in one place: a STEAD trace (6000 x 3, samples first, columns E, N, Z) becomes a channels-first
/// window (3 x 6000) in the order Z, N, E, normalised as SeisBench's EQTransformer.annotate_batch_pre with its defaults
/// (norm "std", no detrend, no per-component amplitude norm):
/// <list type="number">
/// <item>each component's mean is removed;</item>
/// <item>the window is divided by its standard deviation over all 18,000 values (both axes; unbiased, N - 1, as
/// PyTorch's <c>std</c>) plus <see cref="StdEpsilon"/>;</item>
/// <item>a six-sample cosine taper, 0.5 (1 + cos(linspace(pi, 2 pi, 6))), multiplies the first six samples of each
/// component, and the same taper reversed the last six.</item>
/// </list>
/// Z, N, E is SeisBench's order (its STEAD loader reorders STEAD's E, N, Z, and its EQTransformer declares
/// component_order "ZNE"), so weights move between SeisBench and this project without a channel permutation. The
/// normalisation treats all channels alike, so the order changes only which input channel holds which component.
/// </summary>
public static class WaveformPreprocessing
{
    public const int Samples = SteadLayout.Samples;
    public const int Channels = SteadLayout.Components;

    /// <summary>Values in one preprocessed window (3 x 6000).</summary>
    public const int WindowLength = Channels * Samples;

    /// <summary>The components of input channels 0, 1, 2.</summary>
    public const string ComponentOrder = "ZNE";

    /// <summary>
    /// The STEAD column (0 E, 1 N, 2 Z) that feeds each input channel, following <see cref="ComponentOrder"/>.
    /// </summary>
    public static IReadOnlyList<int> SteadColumnOfChannel { get; } = [2, 1, 0];

    /// <summary>
    /// Added to the standard deviation before dividing, as SeisBench does (a flat window stays all zeros).
    /// </summary>
    public const double StdEpsilon = 1e-10;

    public const int TaperLength = 6;

    /// <summary>
    /// The taper at the window's start: 0.5 (1 + cos(linspace(pi, 2 pi, 6))); the end uses it reversed.
    /// </summary>
    public static IReadOnlyList<float> Taper { get; } = MakeTaper();

    private static float[] MakeTaper()
    {
        var taper = new float[TaperLength];
        for (var i = 0; i < TaperLength; i++)
            taper[i] = (float)(0.5 * (1 + Math.Cos(Math.PI + Math.PI * i / (TaperLength - 1))));
        return taper;
    }

    /// <summary>
    /// Preprocesses one STEAD trace (18,000 floats, 6000 samples x E, N, Z) into <paramref name="window"/> (18,000
    /// floats, channels Z, N, E x 6000 samples): <see cref="ToChannelsFirst"/>, then <see cref="Normalize"/>.
    /// </summary>
    public static void FromStead(ReadOnlySpan<float> steadTrace, Span<float> window, string traceName)
    {
        ToChannelsFirst(steadTrace, window, traceName);
        Normalize(window);
    }

    /// <summary>
    /// Copies a STEAD trace (6000 x E, N, Z) into a channels-first window in <see cref="ComponentOrder"/>,
    /// unnormalised. A NaN or infinite value is refused, naming the trace, the sample and the component.
    /// </summary>
    public static void ToChannelsFirst(ReadOnlySpan<float> steadTrace, Span<float> window, string traceName)
    {
        if (steadTrace.Length != SteadLayout.Values)
            throw new ArgumentException(
                $"trace '{traceName}': {steadTrace.Length} values, a STEAD trace has {SteadLayout.Values} (6000 x 3)"
            );
        CheckWindow(window, $"trace '{traceName}'");
        for (var i = 0; i < Samples; i++)
        for (var c = 0; c < Channels; c++)
        {
            var value = steadTrace[i * Channels + SteadColumnOfChannel[c]];
            if (!float.IsFinite(value))
                throw new InvalidDataException(
                    $"trace '{traceName}' has a non-finite value ({value}) at sample {i} of component {"ENZ"[SteadColumnOfChannel[c]]}; it cannot be fed to the network"
                );
            window[c * Samples + i] = value;
        }
    }

    /// <summary>
    /// Normalises a channels-first window (3 x 6000) in place: demean per channel, divide by the window's std, taper.
    /// </summary>
    public static void Normalize(Span<float> window)
    {
        CheckWindow(window, "window");
        Span<double> means = stackalloc double[Channels];
        for (var c = 0; c < Channels; c++)
        {
            double sum = 0;
            foreach (var v in window.Slice(c * Samples, Samples))
                sum += v;
            means[c] = sum / Samples;
        }
        double squares = 0;
        for (var c = 0; c < Channels; c++)
            foreach (var v in window.Slice(c * Samples, Samples))
            {
                var d = v - means[c];
                squares += d * d;
            }
        var scale = 1 / (Math.Sqrt(squares / (WindowLength - 1)) + StdEpsilon);
        for (var c = 0; c < Channels; c++)
        {
            var channel = window.Slice(c * Samples, Samples);
            for (var i = 0; i < Samples; i++)
                channel[i] = (float)((channel[i] - means[c]) * scale);
            for (var i = 0; i < TaperLength; i++)
            {
                channel[i] *= Taper[i];
                channel[Samples - 1 - i] *= Taper[i];
            }
        }
    }

    private static void CheckWindow(Span<float> window, string name)
    {
        if (window.Length != WindowLength)
            throw new ArgumentException(
                $"{name}: the window holds {window.Length} values, the network's input is {WindowLength} (3 x 6000)"
            );
    }
}
