using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using MathNet.Numerics;
using MathNet.Numerics.IntegralTransforms;

namespace QuakePrune.Spectrograms;

/// <summary>
/// Turns one STEAD trace (samples first, columns E, N, Z: <c>float[samples * 3]</c>) into spectrogram images,
/// channel (E, N, Z) x frequency (ascending) x time, following scipy.signal.spectrogram: periodic Hann window,
/// segments every nperseg - noverlap samples, each segment's mean removed, zero-padded to nfft, one-sided PSD
/// with density scaling, then 10 log10(PSD + 1e-10).
/// Window, twiddles, filter and resize weights are computed once here; the per-trace calls do not allocate.
/// Not thread-safe: use one instance per thread (construction is cheap).
/// </summary>
public sealed class SpectrogramComputer
{
    public const int Components = 3;
    public const int SteadSamples = 6000;

    /// <summary>Component names in column order of a STEAD trace and in channel order of an image.</summary>
    public static IReadOnlyList<string> ComponentNames { get; } = ["E", "N", "Z"];

    private const double DecibelsPerNeper = 10.0 / 2.302585092994046; // 10 / ln 10: 10 log10 x = this * ln x

    private readonly double[] window;
    private readonly double[] components;
    private readonly double[]? taper;
    private readonly ZeroPhaseFilter? bandPass;
    private readonly BilinearResize? resize;
    private readonly LaneRealFft? laneFft;
    private readonly Vector<double>[] lanePower;
    private readonly double[] fallbackBuffer;
    private readonly float[] decibels;
    private readonly float[] image;
    private readonly double density;

    public SpectrogramComputer(SpectrogramSettings settings, int samplesPerComponent = SteadSamples)
    {
        ArgumentNullException.ThrowIfNull(settings);
        settings.Validate(samplesPerComponent);
        Settings = settings;
        Samples = samplesPerComponent;
        FrequencyCount = settings.FrequencyCount;
        FrameCount = settings.FrameCount(samplesPerComponent);
        ImageHeight = settings.ImageHeight;
        ImageWidth = settings.ImageWidth(samplesPerComponent);

        this.window = Window.HannPeriodic(settings.Nperseg);
        var sumSquares = 0.0;
        foreach (var w in this.window)
            sumSquares += w * w;
        this.density = 1.0 / (settings.SamplingRate * sumSquares);

        var pre = settings.Preprocessing;
        if (pre.TaperAlpha > 0)
            taper = SignalOps.TukeyWindow(samplesPerComponent, pre.TaperAlpha);
        if (pre.BandPass is { } band)
            bandPass = new ZeroPhaseFilter(
                ButterworthBandPass.Design(band.Order, band.LowHz, band.HighHz, settings.SamplingRate)
            );
        if (settings.Size is not null)
            this.resize = new BilinearResize(FrequencyCount, FrameCount, ImageHeight, ImageWidth);

        var nfft = settings.FftLength;
        if (nfft >= 4 && BitOperations.IsPow2(nfft))
            laneFft = new LaneRealFft(nfft);
        lanePower = new Vector<double>[FrequencyCount];
        // MathNet's in-place real FFT (any length) packs n/2+1 complex values into n+2 (even n) or n+1 doubles.
        fallbackBuffer = laneFft is null ? new double[nfft % 2 == 0 ? nfft + 2 : nfft + 1] : [];

        this.components = new double[Components * samplesPerComponent];
        decibels = new float[DecibelsLength];
        this.image = new float[ImageLength];
    }

    public SpectrogramSettings Settings { get; }

    /// <summary>Samples per component of the traces this instance takes.</summary>
    public int Samples { get; }

    public int FrequencyCount { get; }
    public int FrameCount { get; }
    public int ImageHeight { get; }
    public int ImageWidth { get; }

    /// <summary>Values in one trace: samples x 3.</summary>
    public int TraceLength => Samples * Components;

    /// <summary>Values in a native dB spectrogram: 3 x frequencies x frames.</summary>
    public int DecibelsLength => Components * FrequencyCount * FrameCount;

    /// <summary>Values in a finished image: 3 x height x width.</summary>
    public int ImageLength => Components * ImageHeight * ImageWidth;

    /// <summary>Row frequencies (Hz) of the native spectrogram.</summary>
    public double[] Frequencies() => Settings.Frequencies();

    /// <summary>Column times (s, segment centres) of the native spectrogram.</summary>
    public double[] Times() => Settings.Times(Samples);

    /// <summary>
    /// Preprocessed trace to native-size dB spectrogram (no normalisation, no resize): for plots.
    /// </summary>
    public void ComputeDecibels(ReadOnlySpan<float> trace, Span<float> destination, string traceName)
    {
        RequireLength(destination.Length, DecibelsLength, "dB destination", traceName);
        LoadAndPreprocess(trace, traceName);
        ComputeStft(destination);
    }

    public float[] ComputeDecibels(ReadOnlySpan<float> trace, string traceName)
    {
        var result = new float[DecibelsLength];
        ComputeDecibels(trace, result, traceName);
        return result;
    }

    /// <summary>The finished image: dB spectrogram, resized, then normalised, 3 x height x width.</summary>
    public void ComputeImage(ReadOnlySpan<float> trace, Span<float> destination, string traceName)
    {
        RequireLength(destination.Length, ImageLength, "image destination", traceName);
        LoadAndPreprocess(trace, traceName);
        if (this.resize is null)
        {
            ComputeStft(destination);
        }
        else
        {
            ComputeStft(decibels);
            this.resize.Apply(decibels, destination, Components);
        }
        Normalize(destination[..ImageLength]);
    }

    /// <summary>The finished image in half precision (for float16 storage).</summary>
    public void ComputeImage(ReadOnlySpan<float> trace, Span<Half> destination, string traceName)
    {
        RequireLength(destination.Length, ImageLength, "image destination", traceName);
        ComputeImage(trace, this.image, traceName);
        for (var i = 0; i < this.image.Length; i++)
            destination[i] = (Half)this.image[i];
    }

    public float[] ComputeImage(ReadOnlySpan<float> trace, string traceName)
    {
        var result = new float[ImageLength];
        ComputeImage(trace, result, traceName);
        return result;
    }

    private static void RequireLength(int actual, int needed, string what, string traceName)
    {
        if (actual < needed)
            throw new ArgumentException($"Trace '{traceName}': the {what} holds {actual} values; {needed} are needed.");
    }

    /// <summary>
    /// De-interleaves E, N, Z into double components, rejecting NaN/infinity, then preprocesses each.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void LoadAndPreprocess(ReadOnlySpan<float> trace, string traceName)
    {
        if (trace.Length != TraceLength)
            throw new ArgumentException(
                $"Trace '{traceName}' has {trace.Length} values; expected {Samples} samples x {Components} components = {TraceLength}."
            );
        var n = Samples;
        for (var i = 0; i < n; i++)
        {
            for (var c = 0; c < Components; c++)
            {
                var value = trace[i * Components + c];
                if (!float.IsFinite(value))
                    throw new NonFiniteTraceException(traceName, i, c, value);
                this.components[c * n + i] = value;
            }
        }

        var pre = Settings.Preprocessing;
        if (pre.IsNone)
            return;
        for (var c = 0; c < Components; c++)
        {
            var x = this.components.AsSpan(c * n, n);
            if (pre.Detrend)
                SignalOps.DetrendLinear(x);
            else if (pre.Demean)
                SignalOps.Demean(x);
            if (taper is not null)
                for (var i = 0; i < n; i++)
                    x[i] *= taper[i];
        }
        bandPass?.ApplyMany(this.components, n, Components);
    }

    /// <summary>All segments of all components into dB, layout [component][frequency][frame].</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void ComputeStft(Span<float> destination)
    {
        if (destination.Length < DecibelsLength)
            throw new ArgumentException(
                $"The dB destination holds {destination.Length} values; {DecibelsLength} are needed.",
                nameof(destination)
            );
        var frames = FrameCount;
        var segments = Components * frames;
        var nperseg = Settings.Nperseg;
        var step = Settings.Step;
        if (laneFft is null)
        {
            for (var s = 0; s < segments; s++)
            {
                var (component, frame) = Math.DivRem(s, frames);
                var samples = this.components.AsSpan(component * Samples + frame * step, nperseg);
                FallbackPower(samples);
                StoreFallback(destination, component, frame);
            }
            return;
        }

        var lanes = LaneRealFft.Lanes;
        for (var first = 0; first < segments; first += lanes)
        {
            for (var lane = 0; lane < lanes; lane++)
            {
                var s = first + lane;
                if (s >= segments)
                {
                    laneFft.Clear(lane);
                    continue;
                }
                var (component, frame) = Math.DivRem(s, frames);
                var samples = this.components.AsSpan(component * Samples + frame * step, nperseg);
                laneFft.Load(lane, samples, Mean(samples), this.window);
            }
            laneFft.Power(lanePower);
            StoreLanes(destination, first, Math.Min(lanes, segments - first));
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static double Mean(ReadOnlySpan<double> x)
    {
        var acc = Vector<double>.Zero;
        var width = Vector<double>.Count;
        var i = 0;
        for (; i + width <= x.Length; i += width)
            acc += new Vector<double>(x.Slice(i, width));
        var sum = Vector.Sum(acc);
        for (; i < x.Length; i++)
            sum += x[i];
        return sum / x.Length;
    }

    /// <summary>Density scaling, one-sided doubling, dB; then scatters each lane to its component and frame.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void StoreLanes(Span<float> destination, int firstSegment, int used)
    {
        var frames = FrameCount;
        var bins = FrequencyCount;
        var nfft = Settings.FftLength;
        var floor = new Vector<double>(SpectrogramSettings.PowerFloor);
        var toDb = new Vector<double>(DecibelsPerNeper);
        var single = new Vector<double>(this.density);
        var doubled = new Vector<double>(2 * this.density);
        var power = lanePower;
        for (var k = 0; k < bins; k++)
        {
            // Every bin but DC and (even nfft) Nyquist carries the power of its negative-frequency twin too.
            var scale = k == 0 || (nfft % 2 == 0 && k == bins - 1) ? single : doubled;
            power[k] = Vector.Log(power[k] * scale + floor) * toDb;
        }
        // The scatter is a transpose (lanes are segments, rows are bins): tens of thousands of strided stores per
        // trace, so unchecked. ComputeStft checked that the destination holds every component, bin and frame.
        var lanes = LaneRealFft.Lanes;
        ref var values = ref Unsafe.As<Vector<double>, double>(ref MemoryMarshal.GetArrayDataReference(power));
        ref var output = ref MemoryMarshal.GetReference(destination);
        for (var lane = 0; lane < used; lane++)
        {
            var (component, frame) = Math.DivRem(firstSegment + lane, frames);
            ref var target = ref Unsafe.Add(ref output, component * bins * frames + frame);
            ref var source = ref Unsafe.Add(ref values, lane);
            for (var k = 0; k < bins; k++)
                Unsafe.Add(ref target, k * frames) = (float)Unsafe.Add(ref source, k * lanes);
        }
    }

    private void FallbackPower(ReadOnlySpan<double> samples)
    {
        var buffer = fallbackBuffer;
        Array.Clear(buffer);
        var mean = Mean(samples);
        for (var i = 0; i < samples.Length; i++)
            buffer[i] = (samples[i] - mean) * this.window[i];
        Fourier.ForwardReal(buffer, Settings.FftLength, FourierOptions.NoScaling);
    }

    private void StoreFallback(Span<float> destination, int component, int frame)
    {
        var frames = FrameCount;
        var bins = FrequencyCount;
        var nfft = Settings.FftLength;
        for (var k = 0; k < bins; k++)
        {
            var re = fallbackBuffer[2 * k];
            var im = fallbackBuffer[2 * k + 1];
            var scale = k == 0 || (nfft % 2 == 0 && k == bins - 1) ? this.density : 2 * this.density;
            var psd = (re * re + im * im) * scale;
            destination[(component * bins + k) * frames + frame] = (float)(
                10.0 * Math.Log10(psd + SpectrogramSettings.PowerFloor)
            );
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static double Sum(ReadOnlySpan<float> x)
    {
        var acc = Vector<double>.Zero;
        var width = Vector<float>.Count;
        var i = 0;
        for (; i + width <= x.Length; i += width)
        {
            Vector.Widen(new Vector<float>(x.Slice(i, width)), out var low, out var high);
            acc += low + high;
        }
        var total = Vector.Sum(acc);
        for (; i < x.Length; i++)
            total += x[i];
        return total;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static double SumOfSquaredDeviations(ReadOnlySpan<float> x, double centre)
    {
        var acc = Vector<double>.Zero;
        var c = new Vector<double>(centre);
        var width = Vector<float>.Count;
        var i = 0;
        for (; i + width <= x.Length; i += width)
        {
            Vector.Widen(new Vector<float>(x.Slice(i, width)), out var low, out var high);
            low -= c;
            high -= c;
            acc += low * low + high * high;
        }
        var total = Vector.Sum(acc);
        for (; i < x.Length; i++)
            total += (x[i] - centre) * (x[i] - centre);
        return total;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Standardize(Span<float> x, float mean, float inverseStd)
    {
        var width = Vector<float>.Count;
        var m = new Vector<float>(mean);
        var k = new Vector<float>(inverseStd);
        var i = 0;
        for (; i + width <= x.Length; i += width)
        {
            var slice = x.Slice(i, width);
            ((new Vector<float>(slice) - m) * k).CopyTo(slice);
        }
        for (; i < x.Length; i++)
            x[i] = (x[i] - mean) * inverseStd;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Normalize(Span<float> image)
    {
        var normalization = Settings.Normalization;
        if (normalization == SpectrogramNormalization.None)
            return;
        var plane = ImageHeight * ImageWidth;
        for (var c = 0; c < Components; c++)
        {
            var x = image.Slice(c * plane, plane);
            if (normalization == SpectrogramNormalization.ZScore)
            {
                var mean = Sum(x) / plane;
                var std = Math.Sqrt(SumOfSquaredDeviations(x, mean) / plane);
                // A flat channel (e.g. a dead component) has no spread: it becomes all zeros, not NaN.
                Standardize(x, (float)mean, std > 0 ? (float)(1.0 / std) : 0f);
            }
            else
            {
                var low = Settings.MinDb;
                var range = Settings.MaxDb - low;
                for (var i = 0; i < plane; i++)
                    x[i] = (float)((Math.Clamp(x[i], low, Settings.MaxDb) - low) / range);
            }
        }
    }
}
