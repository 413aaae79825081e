using System.Numerics;

namespace QuakePrune.Spectrograms;

/// <summary>
/// Digital Butterworth band-pass as second-order sections, designed the way scipy.signal.butter(...,
/// btype='bandpass', output='sos') does: analog prototype poles, low-pass to band-pass transform,
/// bilinear transform with prewarped corners, then poles and zeros paired into sections nearest-first
/// with the sections whose poles lie closest to the unit circle last.
/// </summary>
public static class ButterworthBandPass
{
    public const int MaxOrder = 16;

    /// <summary>
    /// Sections as a flat array of <c>order</c> rows of (b0, b1, b2, a0, a1, a2), a0 = 1; the gain sits in the first
    /// row.
    /// </summary>
    public static double[] Design(int order, double lowHz, double highHz, double samplingRate)
    {
        if (order < 1 || order > MaxOrder)
            throw new ArgumentOutOfRangeException(nameof(order), order, $"Butterworth order must be 1..{MaxOrder}.");
        var nyquist = samplingRate / 2;
        if (!(lowHz > 0 && lowHz < highHz && highHz < nyquist))
            throw new ArgumentException(
                $"Band-pass corners must satisfy 0 < low < high < Nyquist ({nyquist} Hz); got {lowHz}..{highHz} Hz."
            );

        // Prewarp: corners as fractions of Nyquist, mapped with a design sampling rate of 2.
        var warpedLow = 4 * Math.Tan(Math.PI * (2 * lowHz / samplingRate) / 2);
        var warpedHigh = 4 * Math.Tan(Math.PI * (2 * highHz / samplingRate) / 2);
        var bandwidth = warpedHigh - warpedLow;
        var centre = Math.Sqrt(warpedLow * warpedHigh);

        // Analog low-pass prototype: poles on the left unit half-circle, no zeros, gain 1.
        var prototype = new Complex[order];
        for (var i = 0; i < order; i++)
        {
            var m = -order + 1 + 2 * i;
            prototype[i] = -Complex.Exp(new Complex(0, Math.PI * m / (2.0 * order)));
        }

        // Low-pass to band-pass: each pole splits into two around the centre frequency; order zeros at s = 0.
        var analogPoles = new Complex[2 * order];
        for (var i = 0; i < order; i++)
        {
            var scaled = prototype[i] * (bandwidth / 2);
            var root = Complex.Sqrt(scaled * scaled - centre * centre);
            analogPoles[i] = scaled + root;
            analogPoles[order + i] = scaled - root;
        }
        var gain = Math.Pow(bandwidth, order);

        // Bilinear transform (fs = 2): s = 0 zeros go to z = 1, the zeros at infinity to z = -1.
        const double twiceFs = 4.0;
        var poles = new Complex[2 * order];
        var denominator = Complex.One;
        for (var i = 0; i < poles.Length; i++)
        {
            poles[i] = (twiceFs + analogPoles[i]) / (twiceFs - analogPoles[i]);
            denominator *= twiceFs - analogPoles[i];
        }
        gain *= (Complex.Pow(twiceFs, order) / denominator).Real;
        var zeros = new Complex[2 * order];
        for (var i = 0; i < order; i++)
        {
            zeros[i] = Complex.One;
            zeros[order + i] = -Complex.One;
        }
        return ToSections(zeros, poles, gain);
    }

    /// <summary>Pairs poles and zeros into sections (scipy's zpk2sos with pairing 'nearest', digital).</summary>
    internal static double[] ToSections(Complex[] zerosIn, Complex[] polesIn, double gain)
    {
        if (zerosIn.Length != polesIn.Length || polesIn.Length % 2 != 0)
            throw new ArgumentException("Section pairing needs as many zeros as poles, an even number of each.");
        var sectionCount = polesIn.Length / 2;
        var zeros = ConjugatePairsThenReals(zerosIn);
        var poles = ConjugatePairsThenReals(polesIn);
        var sos = new double[sectionCount * 6];

        for (var section = sectionCount - 1; section >= 0; section--)
        {
            var p1 = TakeAt(poles, ClosestToUnitCircle(poles, realOnly: false));
            Complex[] sectionZeros,
                sectionPoles;
            if (IsReal(p1) && poles.Count(IsReal) == 0)
            {
                // The last real pole: a first-order section (padded with a pole and a zero at the origin).
                var z1 = TakeAt(zeros, Nearest(zeros, p1, Kind.Real));
                (sectionZeros, sectionPoles) = ([z1, Complex.Zero], [p1, Complex.Zero]);
            }
            else if (
                poles.Count + 1 == zeros.Count
                && !IsReal(p1)
                && poles.Count(IsReal) == 1
                && zeros.Count(IsReal) == 1
            )
            {
                // Keep the one real zero for the one real pole left: this complex pole takes complex zeros.
                var z1 = TakeAt(zeros, Nearest(zeros, p1, Kind.Complex));
                (sectionZeros, sectionPoles) = ([z1, Complex.Conjugate(z1)], [p1, Complex.Conjugate(p1)]);
            }
            else
            {
                var p2 = IsReal(p1) ? TakeAt(poles, ClosestToUnitCircle(poles, realOnly: true)) : Complex.Conjugate(p1);
                if (zeros.Count == 0)
                {
                    (sectionZeros, sectionPoles) = ([], [p1, p2]);
                }
                else
                {
                    var z1 = TakeAt(zeros, Nearest(zeros, p1, Kind.Any));
                    if (!IsReal(z1))
                        sectionZeros = [z1, Complex.Conjugate(z1)];
                    else if (zeros.Count > 0)
                        sectionZeros = [z1, TakeAt(zeros, Nearest(zeros, p1, Kind.Real))];
                    else
                        sectionZeros = [z1];
                    sectionPoles = [p1, p2];
                }
            }
            WriteSection(sos.AsSpan(section * 6, 6), sectionZeros, sectionPoles);
        }
        for (var i = 0; i < 3; i++)
            sos[i] *= gain;
        return sos;
    }

    private enum Kind
    {
        Any,
        Real,
        Complex,
    }

    private static bool IsReal(Complex value) => value.Imaginary == 0;

    private static Complex TakeAt(List<Complex> values, int index)
    {
        var value = values[index];
        values.RemoveAt(index);
        return value;
    }

    private static int ClosestToUnitCircle(List<Complex> values, bool realOnly)
    {
        var best = -1;
        var bestDistance = double.PositiveInfinity;
        for (var i = 0; i < values.Count; i++)
        {
            if (realOnly && !IsReal(values[i]))
                continue;
            var distance = Math.Abs(1 - values[i].Magnitude);
            if (distance < bestDistance)
            {
                best = i;
                bestDistance = distance;
            }
        }
        return best >= 0 ? best : throw new InvalidOperationException("Section pairing found no pole to take.");
    }

    private static int Nearest(List<Complex> values, Complex target, Kind kind)
    {
        var best = -1;
        var bestDistance = double.PositiveInfinity;
        for (var i = 0; i < values.Count; i++)
        {
            var real = IsReal(values[i]);
            if ((kind == Kind.Real && !real) || (kind == Kind.Complex && real))
                continue;
            var distance = (values[i] - target).Magnitude;
            if (distance < bestDistance)
            {
                best = i;
                bestDistance = distance;
            }
        }
        return best >= 0
            ? best
            : throw new InvalidOperationException(
                $"Section pairing found no {kind.ToString().ToLowerInvariant()} zero to take."
            );
    }

    /// <summary>
    /// One member (positive imaginary part, conjugates averaged) of each complex pair, ordered by real part then
    /// imaginary part, followed by the real values in ascending order; values within 100 eps of the real axis are real.
    /// </summary>
    private static List<Complex> ConjugatePairsThenReals(Complex[] values)
    {
        const double tolerance = 100 * 2.220446049250313e-16; // 100 machine epsilons, as scipy
        var reals = new List<double>();
        var upper = new List<Complex>();
        var lower = new List<Complex>();
        foreach (var v in values)
        {
            if (Math.Abs(v.Imaginary) <= tolerance * v.Magnitude)
                reals.Add(v.Real);
            else if (v.Imaginary > 0)
                upper.Add(v);
            else
                lower.Add(v);
        }
        if (upper.Count != lower.Count)
            throw new ArgumentException("Complex poles or zeros come without their conjugates.");
        Comparison<Complex> byRealThenImaginary = (a, b) =>
        {
            var byReal = a.Real.CompareTo(b.Real);
            return byReal != 0 ? byReal : Math.Abs(a.Imaginary).CompareTo(Math.Abs(b.Imaginary));
        };
        upper.Sort(byRealThenImaginary);
        lower.Sort(byRealThenImaginary);
        var result = new List<Complex>(upper.Count + reals.Count);
        for (var i = 0; i < upper.Count; i++)
        {
            if ((upper[i] - Complex.Conjugate(lower[i])).Magnitude > tolerance * lower[i].Magnitude)
                throw new ArgumentException("Complex poles or zeros come without their conjugates.");
            result.Add((upper[i] + Complex.Conjugate(lower[i])) / 2);
        }
        reals.Sort();
        result.AddRange(reals.Select(r => new Complex(r, 0)));
        return result;
    }

    /// <summary>
    /// Expands up to two zeros and two poles into a section, polynomials right-aligned as scipy does.
    /// </summary>
    private static void WriteSection(Span<double> row, Complex[] zeros, Complex[] poles)
    {
        var b = Polynomial(zeros);
        var a = Polynomial(poles);
        row.Clear();
        for (var i = 0; i < b.Length; i++)
            row[3 - b.Length + i] = b[i];
        for (var i = 0; i < a.Length; i++)
            row[6 - a.Length + i] = a[i];
    }

    private static double[] Polynomial(Complex[] roots)
    {
        // Monic polynomial with these roots, highest power first; conjugate pairs make it real.
        var coefficients = new Complex[roots.Length + 1];
        coefficients[0] = Complex.One;
        for (var r = 0; r < roots.Length; r++)
        for (var i = r + 1; i >= 1; i--)
            coefficients[i] -= roots[r] * coefficients[i - 1];
        return coefficients.Select(c => c.Real).ToArray();
    }
}
