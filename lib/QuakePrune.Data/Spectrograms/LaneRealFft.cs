using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace QuakePrune.Spectrograms;

/// <summary>
/// Power spectra |X_k|^2 (k = 0..n/2) of real segments of length n (a power of two, at least 4), computed for
/// <see cref="Lanes"/> segments at once: segment l lives in SIMD lane l of every vector, so each butterfly runs
/// on all segments with no shuffles. A real FFT of length n is one complex FFT of length n/2 (even samples as real
/// parts, odd samples as imaginary parts) plus one untangling pass. Twiddles are computed once; no allocation
/// per call. Not thread-safe (owns its buffers).
/// </summary>
internal sealed class LaneRealFft
{
    private readonly int half;
    private readonly int[] bitReverse;
    private readonly double[] twiddleRe;
    private readonly double[] twiddleIm;
    private readonly double[] untangleRe;
    private readonly double[] untangleIm;
    private readonly Vector<double>[] re;
    private readonly Vector<double>[] im;

    public LaneRealFft(int length)
    {
        if (length < 4 || !BitOperations.IsPow2(length))
            throw new ArgumentOutOfRangeException(
                nameof(length),
                length,
                "The lane FFT needs a power-of-two length of at least 4."
            );
        Length = length;
        half = length / 2;
        var bits = BitOperations.Log2((uint)half);
        bitReverse = new int[half];
        for (var i = 0; i < half; i++)
        {
            var reversed = 0;
            for (var b = 0; b < bits; b++)
                reversed |= ((i >> b) & 1) << (bits - 1 - b);
            bitReverse[i] = reversed;
        }
        // exp(-2 pi i k / (n/2)) for the complex stages, exp(-2 pi i k / n) for untangling.
        twiddleRe = new double[half / 2];
        twiddleIm = new double[half / 2];
        for (var k = 0; k < half / 2; k++)
        {
            twiddleRe[k] = Math.Cos(2 * Math.PI * k / half);
            twiddleIm[k] = -Math.Sin(2 * Math.PI * k / half);
        }
        untangleRe = new double[half + 1];
        untangleIm = new double[half + 1];
        for (var k = 0; k <= half; k++)
        {
            untangleRe[k] = Math.Cos(2 * Math.PI * k / length);
            untangleIm[k] = -Math.Sin(2 * Math.PI * k / length);
        }
        this.re = new Vector<double>[half];
        this.im = new Vector<double>[half];
    }

    public static int Lanes => Vector<double>.Count;

    public int Length { get; }

    /// <summary>Number of power values per segment: n/2 + 1.</summary>
    public int BinCount => half + 1;

    /// <summary>
    /// Puts (samples[i] - mean) * window[i] into lane <paramref name="lane"/>, zero-padded to the FFT length.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Load(int lane, ReadOnlySpan<double> samples, double mean, ReadOnlySpan<double> window)
    {
        var count = window.Length;
        if (samples.Length < count || count > Length)
            throw new ArgumentException(
                $"A segment of {samples.Length} samples, a window of {count} and an FFT of {Length} do not fit together."
            );
        // Called once per segment and lane (hundreds of times per trace): unchecked scatter into the lane.
        ref var re = ref Unsafe.Add(
            ref Unsafe.As<Vector<double>, double>(ref MemoryMarshal.GetArrayDataReference(this.re)),
            lane
        );
        ref var im = ref Unsafe.Add(
            ref Unsafe.As<Vector<double>, double>(ref MemoryMarshal.GetArrayDataReference(this.im)),
            lane
        );
        ref var x = ref MemoryMarshal.GetReference(samples);
        ref var w = ref MemoryMarshal.GetReference(window);
        ref var reverse = ref MemoryMarshal.GetArrayDataReference(bitReverse);
        var lanes = Lanes;
        var pairs = count / 2;
        for (var j = 0; j < pairs; j++)
        {
            var slot = Unsafe.Add(ref reverse, j) * lanes;
            Unsafe.Add(ref re, slot) = (Unsafe.Add(ref x, 2 * j) - mean) * Unsafe.Add(ref w, 2 * j);
            Unsafe.Add(ref im, slot) = (Unsafe.Add(ref x, 2 * j + 1) - mean) * Unsafe.Add(ref w, 2 * j + 1);
        }
        for (var j = pairs; j < half; j++)
        {
            var slot = Unsafe.Add(ref reverse, j) * lanes;
            var even = 2 * j;
            Unsafe.Add(ref re, slot) = even < count ? (Unsafe.Add(ref x, even) - mean) * Unsafe.Add(ref w, even) : 0.0;
            Unsafe.Add(ref im, slot) = 0.0;
        }
    }

    /// <summary>Zeros lane <paramref name="lane"/> (for a last group with fewer segments than lanes).</summary>
    public void Clear(int lane)
    {
        var re = MemoryMarshal.Cast<Vector<double>, double>(this.re.AsSpan());
        var im = MemoryMarshal.Cast<Vector<double>, double>(this.im.AsSpan());
        var lanes = Lanes;
        for (var j = 0; j < half; j++)
        {
            re[j * lanes + lane] = 0;
            im[j * lanes + lane] = 0;
        }
    }

    /// <summary>Transforms all lanes and writes |X_k|^2, k = 0..n/2, one vector (all lanes) per bin.</summary>
    public void Power(Span<Vector<double>> power)
    {
        if (power.Length < BinCount)
            throw new ArgumentException($"Power buffer holds {power.Length} bins; {BinCount} needed.", nameof(power));
        ComplexTransform();
        Untangle(power);
    }

    /// <summary>Iterative radix-2 decimation in time on bit-reversed input.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void ComplexTransform()
    {
        var re = this.re.AsSpan();
        var im = this.im.AsSpan();
        var n = half;

        // First stage: twiddle 1.
        for (var a = 0; a < n; a += 2)
        {
            var (ar, ai, br, bi) = (re[a], im[a], re[a + 1], im[a + 1]);
            re[a] = ar + br;
            im[a] = ai + bi;
            re[a + 1] = ar - br;
            im[a + 1] = ai - bi;
        }

        for (var halfSpan = 2; halfSpan < n; halfSpan *= 2)
        {
            var stride = n / (2 * halfSpan);
            for (var j = 0; j < halfSpan; j++)
            {
                var wr = new Vector<double>(twiddleRe[j * stride]);
                var wi = new Vector<double>(twiddleIm[j * stride]);
                for (var a = j; a < n; a += 2 * halfSpan)
                {
                    var b = a + halfSpan;
                    var br = re[b];
                    var bi = im[b];
                    var tr = wr * br - wi * bi;
                    var ti = wr * bi + wi * br;
                    var ar = re[a];
                    var ai = im[a];
                    re[a] = ar + tr;
                    im[a] = ai + ti;
                    re[b] = ar - tr;
                    im[b] = ai - ti;
                }
            }
        }
    }

    /// <summary>
    /// From Z = FFT(even + i odd): E_k = (Z_k + conj Z_{m-k}) / 2, O_k = (Z_k - conj Z_{m-k}) / 2i,
    /// X_k = E_k + exp(-2 pi i k / n) O_k.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Untangle(Span<Vector<double>> power)
    {
        var re = this.re.AsSpan();
        var im = this.im.AsSpan();
        var m = half;
        var halfVector = new Vector<double>(0.5);
        for (var k = 0; k <= m; k++)
        {
            var mirror = k == 0 || k == m ? 0 : m - k;
            var index = k == m ? 0 : k;
            var a = re[index];
            var b = im[index];
            var c = re[mirror];
            var d = im[mirror];
            var evenRe = (a + c) * halfVector;
            var evenIm = (b - d) * halfVector;
            var oddRe = (b + d) * halfVector;
            var oddIm = (c - a) * halfVector;
            var wr = new Vector<double>(untangleRe[k]);
            var wi = new Vector<double>(untangleIm[k]);
            var xr = evenRe + wr * oddRe - wi * oddIm;
            var xi = evenIm + wr * oddIm + wi * oddRe;
            power[k] = xr * xr + xi * xi;
        }
    }
}
