using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace QuakePrune.Spectrograms;

/// <summary>
/// Forward-backward (zero-phase) filtering with second-order sections, as scipy.signal.sosfiltfilt with its
/// defaults: odd extension of 3 x (2 sections + 1) samples at each end (fewer when sections are first order),
/// and each pass started from the steady state of a step of the first sample's height, so edges do not ring.
/// The magnitude response is |H|^2 of the single pass; the phase is zero. Not thread-safe (owns scratch).
/// </summary>
public sealed class ZeroPhaseFilter
{
    private readonly double[] sections;
    private readonly double[] initialState;
    private readonly double[] state;
    private readonly Vector256<double>[] coefficients;
    private readonly Vector256<double>[] laneState;
    private double[] scratch = [];
    private Vector256<double>[] laneScratch = [];

    /// <param name="sections">Rows of (b0, b1, b2, 1, a1, a2).</param>
    public ZeroPhaseFilter(double[] sections)
    {
        ArgumentNullException.ThrowIfNull(sections);
        if (sections.Length == 0 || sections.Length % 6 != 0)
            throw new ArgumentException(
                $"Second-order sections come in rows of 6 coefficients; got {sections.Length} values.",
                nameof(sections)
            );
        for (var s = 0; s < sections.Length / 6; s++)
            if (sections[s * 6 + 3] != 1.0)
                throw new ArgumentException(
                    $"Section {s} has a0 = {sections[s * 6 + 3]}; sections must be normalised to a0 = 1.",
                    nameof(sections)
                );
        this.sections = (double[])sections.Clone();
        SectionCount = sections.Length / 6;
        initialState = SteadyStateForUnitStep(this.sections);
        this.state = new double[SectionCount * 2];
        this.coefficients = this.sections.Select(Vector256.Create).ToArray();
        laneState = new Vector256<double>[SectionCount * 2];

        var firstOrderNumerators = 0;
        var firstOrderDenominators = 0;
        for (var s = 0; s < SectionCount; s++)
        {
            if (this.sections[s * 6 + 2] == 0)
                firstOrderNumerators++;
            if (this.sections[s * 6 + 5] == 0)
                firstOrderDenominators++;
        }
        PadLength = 3 * (2 * SectionCount + 1 - Math.Min(firstOrderNumerators, firstOrderDenominators));
    }

    public int SectionCount { get; }

    /// <summary>Samples of odd extension added at each end before filtering.</summary>
    public int PadLength { get; }

    /// <summary>The largest padding a band-pass of this order uses (scipy's default for its sections).</summary>
    public static int DefaultPadLength(int order) => 3 * (2 * order + 1);

    /// <summary>Filters <paramref name="signal"/> in place.</summary>
    public void Apply(Span<double> signal)
    {
        var n = signal.Length;
        var pad = PadLength;
        if (n <= pad)
            throw new ArgumentException(
                $"Zero-phase filtering needs more than {pad} samples (its edge padding); got {n}.",
                nameof(signal)
            );
        var total = n + 2 * pad;
        if (this.scratch.Length < total)
            this.scratch = new double[total];
        var extended = this.scratch.AsSpan(0, total);

        // Odd extension: reflect about the end values, so the extension continues the local slope.
        double first = signal[0],
            last = signal[n - 1];
        for (var i = 0; i < pad; i++)
        {
            extended[i] = 2 * first - signal[pad - i];
            extended[pad + n + i] = 2 * last - signal[n - 2 - i];
        }
        signal.CopyTo(extended.Slice(pad, n));

        RunForward(extended);
        extended.Reverse();
        RunForward(extended);
        extended.Reverse();
        extended.Slice(pad, n).CopyTo(signal);
    }

    /// <summary>
    /// Filters <paramref name="count"/> signals of <paramref name="length"/> samples stored one after another in
    /// <paramref name="signals"/>, in place, up to four at a time in SIMD lanes; each result equals
    /// <see cref="Apply"/>'s.
    /// </summary>
    public void ApplyMany(Span<double> signals, int length, int count)
    {
        if (signals.Length < length * count)
            throw new ArgumentException(
                $"{count} signals of {length} samples need {length * count} values; got {signals.Length}.",
                nameof(signals)
            );
        var pad = PadLength;
        if (length <= pad)
            throw new ArgumentException(
                $"Zero-phase filtering needs more than {pad} samples (its edge padding); got {length}.",
                nameof(length)
            );
        var total = length + 2 * pad;
        if (laneScratch.Length < total)
            laneScratch = new Vector256<double>[total];
        var extended = laneScratch.AsSpan(0, total);
        var lanes = MemoryMarshal.Cast<Vector256<double>, double>(extended);
        const int width = 4;
        for (var first = 0; first < count; first += width)
        {
            var used = Math.Min(width, count - first);
            for (var lane = 0; lane < width; lane++)
            {
                if (lane >= used)
                {
                    for (var i = 0; i < total; i++)
                        lanes[i * width + lane] = 0;
                    continue;
                }
                var x = signals.Slice((first + lane) * length, length);
                double start = x[0],
                    end = x[length - 1];
                for (var i = 0; i < pad; i++)
                {
                    lanes[i * width + lane] = 2 * start - x[pad - i];
                    lanes[(pad + length + i) * width + lane] = 2 * end - x[length - 2 - i];
                }
                for (var i = 0; i < length; i++)
                    lanes[(pad + i) * width + lane] = x[i];
            }
            RunForward(extended);
            extended.Reverse();
            RunForward(extended);
            extended.Reverse();
            for (var lane = 0; lane < used; lane++)
            {
                var x = signals.Slice((first + lane) * length, length);
                for (var i = 0; i < length; i++)
                    x[i] = lanes[(pad + i) * width + lane];
            }
        }
    }

    /// <summary>As the scalar pass, on four independent signals, one per lane.</summary>
    private void RunForward(Span<Vector256<double>> x)
    {
        var state = laneState.AsSpan();
        var start = x[0];
        for (var i = 0; i < state.Length; i++)
            state[i] = Vector256.Create(initialState[i]) * start;
        ReadOnlySpan<Vector256<double>> c = this.coefficients;
        var sections = SectionCount;
        for (var i = 0; i < x.Length; i++)
        {
            var value = x[i];
            for (var s = 0; s < sections; s++)
            {
                var k = s * 6;
                var output = c[k] * value + state[2 * s];
                state[2 * s] = c[k + 1] * value - c[k + 4] * output + state[2 * s + 1];
                state[2 * s + 1] = c[k + 2] * value - c[k + 5] * output;
                value = output;
            }
            x[i] = value;
        }
    }

    /// <summary>One pass of direct form II transposed through all sections, started at the step steady state.</summary>
    private void RunForward(Span<double> x)
    {
        var state = this.state.AsSpan();
        var start = x[0];
        for (var i = 0; i < state.Length; i++)
            state[i] = initialState[i] * start;
        var sos = this.sections.AsSpan();
        var sections = SectionCount;
        for (var i = 0; i < x.Length; i++)
        {
            var value = x[i];
            for (var s = 0; s < sections; s++)
            {
                var c = sos.Slice(s * 6, 6);
                var output = c[0] * value + state[2 * s];
                state[2 * s] = c[1] * value - c[4] * output + state[2 * s + 1];
                state[2 * s + 1] = c[2] * value - c[5] * output;
                value = output;
            }
            x[i] = value;
        }
    }

    /// <summary>
    /// Per-section initial state for a unit step input (scipy's sosfilt_zi): each section's steady state,
    /// scaled by the DC gain of the sections before it.
    /// </summary>
    private static double[] SteadyStateForUnitStep(double[] sos)
    {
        var count = sos.Length / 6;
        var state = new double[count * 2];
        var scale = 1.0;
        for (var s = 0; s < count; s++)
        {
            double b0 = sos[s * 6],
                b1 = sos[s * 6 + 1],
                b2 = sos[s * 6 + 2];
            double a1 = sos[s * 6 + 4],
                a2 = sos[s * 6 + 5];
            // Steady state of z = A z + B for the transposed direct form with a constant input of 1.
            var z0 = (b1 - a1 * b0 + b2 - a2 * b0) / (1 + a1 + a2);
            var z1 = b2 - a2 * b0 - a2 * z0;
            state[2 * s] = scale * z0;
            state[2 * s + 1] = scale * z1;
            scale *= (b0 + b1 + b2) / (1 + a1 + a2);
        }
        return state;
    }
}
