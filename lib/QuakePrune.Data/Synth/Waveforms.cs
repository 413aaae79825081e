using QuakePrune.Stead;

namespace QuakePrune.Synth;

/// <summary>
/// Makes one synthetic trace's waveform (E, N, Z interleaved, 6000 x 3) and the metadata that matches it.
/// </summary>
internal static class Waveforms
{
    private const int N = SteadLayout.Samples;
    private const double Fs = SteadLayout.SamplingRateHz;

    public static SteadRecord Make(SyntheticStead.TracePlan plan, float[] waveform, ref Rng rng)
    {
        Span<float> e = stackalloc float[N],
            n = stackalloc float[N],
            z = stackalloc float[N],
            work = stackalloc float[N];
        var sigma = plan.Station.NoiseLevel * Math.Pow(10, rng.Uniform(-0.25, 0.25));
        Background(e, sigma, ref rng);
        Background(n, sigma, ref rng);
        Background(z, sigma * 0.8, ref rng);
        var record = Station(plan);
        if (plan.Event is { } ev)
        {
            var coda = Earthquake(plan, ev, sigma, e, n, z, work, ref rng);
            var p = (int)plan.PSample;
            record = record with
            {
                PArrivalSample = plan.PSample,
                PStatus = plan.PStatus,
                PWeight = plan.PWeight,
                PTravelSec = plan.PTravel,
                SArrivalSample = plan.SSample,
                SStatus = plan.SStatus,
                SWeight = plan.SWeight,
                SourceId = ev.SourceId,
                SourceOriginTime = ev.Origin,
                SourceOriginUncertaintySec = ev.OriginUncertainty,
                SourceLatitude = ev.Latitude,
                SourceLongitude = ev.Longitude,
                SourceErrorSec = ev.ErrorSec,
                SourceGapDeg = ev.GapDeg,
                SourceHorizontalUncertaintyKm = ev.HorizontalUncertaintyKm,
                SourceDepthKm = ev.DepthKm,
                SourceDepthUncertaintyKm = ev.DepthUncertaintyKm,
                SourceMagnitude = ev.Magnitude,
                SourceMagnitudeType = ev.MagnitudeType,
                SourceMagnitudeAuthor = ev.MagnitudeAuthor,
                SourceDistanceDeg = Math.Round(plan.DistanceKm / 111.19, 2),
                SourceDistanceKm = Math.Round(plan.DistanceKm, 2),
                BackAzimuthDeg = plan.BackAzimuth,
                // STEAD stored SNR as float32 to one decimal, then printed it as float64: 56.8 reads 56.79999924.
                SnrDb = [Snr(e, p, coda), Snr(n, p, coda), Snr(z, p, coda)],
                CodaEndSample = coda,
                TraceCategory = TraceCategory.EarthquakeLocal,
            };
        }
        else
        {
            NoiseExtras(e, n, z, sigma, ref rng, work);
        }
        for (var i = 0; i < N; i++)
        {
            waveform[3 * i] = e[i];
            waveform[3 * i + 1] = n[i];
            waveform[3 * i + 2] = z[i];
        }
        return record;
    }

    private static SteadRecord Station(SyntheticStead.TracePlan plan) =>
        new()
        {
            NetworkCode = plan.Station.Network,
            ReceiverCode = plan.Station.Code,
            ReceiverType = plan.Station.Type,
            ReceiverLatitude = plan.Station.Latitude,
            ReceiverLongitude = plan.Station.Longitude,
            ReceiverElevationM = plan.Station.Elevation,
            TraceStartTime = plan.Start,
            StartTimeDigits = 6,
            TraceCategory = TraceCategory.Noise,
            TraceName = plan.Name,
        };

    /// <summary>Coloured background (white plus red, low-passed) and microseism (0.1-0.3 Hz), in counts.</summary>
    private static void Background(Span<float> x, double sigma, ref Rng rng)
    {
        var red = 0f;
        var alpha = (float)rng.Uniform(0.9, 0.99);
        var redShare = (float)rng.Uniform(0.2, 0.6);
        for (var i = 0; i < N; i++)
        {
            red = alpha * red + (1 - alpha) * rng.White() * 4;
            x[i] = rng.White() + redShare * red * 3;
        }
        Biquad.LowPass(rng.Uniform(20, 40), Fs).Apply(x);
        var level = (float)sigma;
        for (var i = 0; i < N; i++)
            x[i] *= level;
        // Microseism: a few ocean-wave lines between 0.1 and 0.3 Hz with slowly drifting amplitude.
        var lines = rng.Next(2, 5);
        for (var k = 0; k < lines; k++)
        {
            var f = rng.Uniform(0.1, 0.3);
            var phase = rng.Uniform(0, 2 * Math.PI);
            var amplitude = sigma * rng.Uniform(0.3, 1.5);
            var drift = rng.Uniform(0.005, 0.03);
            var driftPhase = rng.Uniform(0, 2 * Math.PI);
            // Sines by rotation (two multiply-adds a sample) rather than a Math.Sin call per sample.
            var line = new Oscillator(f, phase);
            var envelope = new Oscillator(drift, driftPhase);
            for (var i = 0; i < N; i++)
                x[i] += (float)(amplitude * (0.7 + 0.3 * envelope.Next()) * line.Next());
        }
    }

    /// <summary>
    /// Band-limited white noise (1-20 Hz band edges drawn per trace) of unit RMS into <paramref name="x"/>.
    /// </summary>
    private static void BandNoise(Span<float> x, double lowHz, double highHz, ref Rng rng)
    {
        for (var i = 0; i < x.Length; i++)
            x[i] = rng.White();
        Biquad.HighPass(lowHz, Fs).Apply(x);
        Biquad.HighPass(lowHz, Fs).Apply(x);
        Biquad.LowPass(highHz, Fs).Apply(x);
        Biquad.LowPass(highHz, Fs).Apply(x);
        double power = 0;
        foreach (var v in x)
            power += v * v;
        var scale = (float)(1 / Math.Sqrt(power / x.Length + 1e-12));
        for (var i = 0; i < x.Length; i++)
            x[i] *= scale;
    }

    /// <summary>
    /// Adds P and S phases and the coda; returns coda_end_sample (where the coda sinks to the noise level).
    /// </summary>
    private static double Earthquake(
        SyntheticStead.TracePlan plan,
        SyntheticStead.Event ev,
        double sigma,
        Span<float> e,
        Span<float> n,
        Span<float> z,
        Span<float> work,
        ref Rng rng
    )
    {
        var r = Math.Max(plan.DistanceKm, 1.0);
        // Amplitude from magnitude and distance (a local-magnitude attenuation law), scaled to counts.
        var amplitudeS = Math.Pow(10, ev.Magnitude - 1.11 * Math.Log10(r) - 0.00189 * r + 4.5 + rng.Uniform(-0.4, 0.4));
        var amplitudeP = amplitudeS * rng.Uniform(0.25, 0.5);
        // Smaller events are richer in high frequencies; the band stays within roughly 1-20 Hz.
        var low = rng.Uniform(0.8, 2.0);
        var high = Math.Clamp(22 - 2.5 * ev.Magnitude + rng.Uniform(-3, 3), 6, 20);
        var tauP = rng.Uniform(0.6, 1.8) * Fs;
        var tauS = (1.0 + 1.2 * ev.Magnitude + 0.01 * r) * rng.Uniform(0.8, 1.2) * Fs;
        var p = (int)plan.PSample;
        var s = (int)plan.SSample;
        var ratio = amplitudeS / sigma;
        var coda = Math.Min(N - 1, Math.Round(s + tauS * Math.Log(Math.Max(ratio, 1.0)) + 0.5 * Fs));
        var horizontalP = rng.Uniform(0.25, 0.5);
        var verticalS = rng.Uniform(0.3, 0.6);
        var rotation = rng.Uniform(0, 2 * Math.PI);
        for (var component = 0; component < 3; component++)
        {
            var x = component switch
            {
                0 => e,
                1 => n,
                _ => z,
            };
            var weightP =
                component == 2
                    ? 1.0
                    : horizontalP
                        * (component == 0 ? Math.Abs(Math.Cos(rotation)) + 0.3 : Math.Abs(Math.Sin(rotation)) + 0.3);
            var weightS =
                component == 2 ? verticalS
                : component == 0 ? Math.Abs(Math.Sin(rotation)) * 0.6 + 0.5
                : Math.Abs(Math.Cos(rotation)) * 0.6 + 0.5;
            BandNoise(work, low, high, ref rng);
            AddDecaying(x, work, p, amplitudeP * weightP, 15, tauP);
            BandNoise(work, low * 0.8, high * 0.8, ref rng);
            AddDecaying(x, work, s, amplitudeS * weightS, 30, tauS);
        }
        return coda;
    }

    /// <summary>
    /// Adds <paramref name="carrier"/> from <paramref name="onset"/> on under an envelope that rises linearly over
    /// <paramref name="rise"/> samples and decays as exp(-t/tau); the exponential is kept as a running product.
    /// </summary>
    private static void AddDecaying(
        Span<float> x,
        ReadOnlySpan<float> carrier,
        int onset,
        double amplitude,
        double rise,
        double tau
    )
    {
        var decay = Math.Exp(-1 / tau);
        var level = amplitude;
        for (var i = onset; i < N; i++, level *= decay)
        {
            var t = i - onset;
            x[i] += (float)(level * Math.Min(1.0, t / rise) * carrier[i]);
        }
    }

    /// <summary>A sine at a fixed frequency, advanced one sample at a time by a rotation.</summary>
    private struct Oscillator(double frequencyHz, double phase)
    {
        private readonly double cos = Math.Cos(2 * Math.PI * frequencyHz / Fs),
            sin = Math.Sin(2 * Math.PI * frequencyHz / Fs);
        private double re = Math.Cos(phase),
            im = Math.Sin(phase);

        public double Next()
        {
            var value = im;
            (re, im) = (re * cos - im * sin, re * sin + im * cos);
            return value;
        }
    }

    /// <summary>
    /// SNR in dB of one component: power from P to the coda's end over power before P, stored as float32 to 0.1 dB.
    /// </summary>
    private static double Snr(ReadOnlySpan<float> x, int p, double codaEnd)
    {
        var end = Math.Max(p + 100, (int)codaEnd);
        double signal = 0,
            noise = 0;
        for (var i = p; i < end && i < N; i++)
            signal += (double)x[i] * x[i];
        for (var i = 0; i < p; i++)
            noise += (double)x[i] * x[i];
        var db = 10 * Math.Log10(signal / (Math.Min(end, N) - p) / (noise / p + 1e-12) + 1e-12);
        return (float)Math.Round(db, 1);
    }

    /// <summary>
    /// Event-like transients (local bursts) and instrument glitches (spikes, steps, dropouts) in some noise traces.
    /// </summary>
    private static void NoiseExtras(
        Span<float> e,
        Span<float> n,
        Span<float> z,
        double sigma,
        ref Rng rng,
        Span<float> work
    )
    {
        if (rng.Chance(0.25))
        {
            var bursts = rng.Next(1, 3);
            for (var b = 0; b < bursts; b++)
            {
                var at = rng.Next(200, N - 300);
                var tau = rng.Uniform(0.2, 2.5) * Fs;
                var amplitude = sigma * Math.Pow(10, rng.Uniform(0.2, 1.3));
                BandNoise(work, rng.Uniform(1, 4), rng.Uniform(8, 20), ref rng);
                var weights = (rng.Uniform(0.3, 1), rng.Uniform(0.3, 1), rng.Uniform(0.3, 1));
                var decay = Math.Exp(-1 / tau);
                var level = 1.0;
                for (var i = at; i < N; i++, level *= decay)
                {
                    var envelope = Math.Min(1.0, (i - at) / 10.0) * level;
                    if (level < 1e-3)
                        break;
                    var v = amplitude * envelope * work[i];
                    e[i] += (float)(v * weights.Item1);
                    n[i] += (float)(v * weights.Item2);
                    z[i] += (float)(v * weights.Item3);
                }
            }
        }
        if (rng.Chance(0.12))
        {
            var component = rng.Next(0, 3);
            var x = component switch
            {
                0 => e,
                1 => n,
                _ => z,
            };
            var at = rng.Next(0, N - 200);
            switch (rng.Next(0, 3))
            {
                case 0: // spike
                    var spike = (float)(sigma * rng.Uniform(10, 60) * (rng.Chance(0.5) ? 1 : -1));
                    for (var i = at; i < at + rng.Next(1, 4); i++)
                        x[i] += spike;
                    break;
                case 1: // step with slow recovery (a mass re-centring)
                    var step = sigma * rng.Uniform(5, 20);
                    for (var i = at; i < N; i++)
                        x[i] += (float)(step * Math.Exp(-(i - at) / (3 * Fs)));
                    break;
                default: // dropout: a stretch of flat zeros
                    x.Slice(at, rng.Next(20, 200)).Clear();
                    break;
            }
        }
    }
}
