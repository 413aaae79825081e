namespace QuakePrune.Synth;

/// <summary>A second-order IIR section (RBJ cookbook coefficients), run in place over a signal.</summary>
public readonly struct Biquad
{
    private readonly float b0,
        b1,
        b2,
        a1,
        a2;

    private Biquad(double b0, double b1, double b2, double a0, double a1, double a2)
    {
        this.b0 = (float)(b0 / a0);
        this.b1 = (float)(b1 / a0);
        this.b2 = (float)(b2 / a0);
        this.a1 = (float)(a1 / a0);
        this.a2 = (float)(a2 / a0);
    }

    public static Biquad LowPass(double cutoffHz, double sampleRateHz, double q = 0.7071)
    {
        var w = 2 * Math.PI * cutoffHz / sampleRateHz;
        var alpha = Math.Sin(w) / (2 * q);
        var c = Math.Cos(w);
        return new Biquad((1 - c) / 2, 1 - c, (1 - c) / 2, 1 + alpha, -2 * c, 1 - alpha);
    }

    public static Biquad HighPass(double cutoffHz, double sampleRateHz, double q = 0.7071)
    {
        var w = 2 * Math.PI * cutoffHz / sampleRateHz;
        var alpha = Math.Sin(w) / (2 * q);
        var c = Math.Cos(w);
        return new Biquad((1 + c) / 2, -(1 + c), (1 + c) / 2, 1 + alpha, -2 * c, 1 - alpha);
    }

    /// <summary>Filters <paramref name="x"/> in place (direct form I).</summary>
    public void Apply(Span<float> x)
    {
        float x1 = 0,
            x2 = 0,
            y1 = 0,
            y2 = 0;
        for (var i = 0; i < x.Length; i++)
        {
            var x0 = x[i];
            var y0 = b0 * x0 + b1 * x1 + b2 * x2 - a1 * y1 - a2 * y2;
            x2 = x1;
            x1 = x0;
            y2 = y1;
            y1 = y0;
            x[i] = y0;
        }
    }
}
