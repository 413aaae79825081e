namespace QuakePrune.Spectrograms;

/// <summary>Small in-place operations on one component of a trace.</summary>
public static class SignalOps
{
    public static void Demean(Span<double> x)
    {
        if (x.Length == 0)
            return;
        var sum = 0.0;
        foreach (var v in x)
            sum += v;
        var mean = sum / x.Length;
        for (var i = 0; i < x.Length; i++)
            x[i] -= mean;
    }

    /// <summary>Subtracts the least-squares straight line through (i, x[i]).</summary>
    public static void DetrendLinear(Span<double> x)
    {
        var n = x.Length;
        if (n < 2)
        {
            Demean(x);
            return;
        }
        var centre = (n - 1) / 2.0;
        double sumY = 0,
            sumTY = 0,
            sumTT = 0;
        for (var i = 0; i < n; i++)
        {
            var t = i - centre;
            sumY += x[i];
            sumTY += t * x[i];
            sumTT += t * t;
        }
        var mean = sumY / n;
        var slope = sumTY / sumTT;
        for (var i = 0; i < n; i++)
            x[i] -= mean + slope * (i - centre);
    }

    /// <summary>
    /// Symmetric Tukey (tapered cosine) window of length <paramref name="length"/>, as scipy.signal.windows.tukey:
    /// alpha 0 is a rectangle, 1 a Hann window; the cosine lobes cover alpha/2 of the length at each end.
    /// </summary>
    public static double[] TukeyWindow(int length, double alpha)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        if (!(alpha >= 0 && alpha <= 1))
            throw new ArgumentOutOfRangeException(nameof(alpha), alpha, "Tukey alpha must lie in [0, 1].");
        var w = new double[length];
        Array.Fill(w, 1.0);
        if (length <= 1 || alpha == 0)
            return w;
        var m = length - 1;
        if (alpha == 1)
        {
            for (var i = 0; i < length; i++)
                w[i] = 0.5 - 0.5 * Math.Cos(2 * Math.PI * i / m);
            return w;
        }
        var width = (int)Math.Floor(alpha * m / 2.0);
        for (var i = 0; i <= width; i++)
            w[i] = 0.5 * (1 + Math.Cos(Math.PI * (-1 + 2.0 * i / alpha / m)));
        for (var i = length - width - 1; i < length; i++)
            w[i] = 0.5 * (1 + Math.Cos(Math.PI * (-2.0 / alpha + 1 + 2.0 * i / alpha / m)));
        return w;
    }
}
