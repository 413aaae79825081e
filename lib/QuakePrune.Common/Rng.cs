namespace QuakePrune;

/// <summary>
/// A small, fast, seedable generator (xoshiro256**, seeded through SplitMix64) so every trace has its own
/// stream derived from (seed, trace index): the same seed gives the same file whatever the thread count.
/// </summary>
public struct Rng
{
    private ulong s0,
        s1,
        s2,
        s3;

    public Rng(ulong seed, ulong stream = 0)
    {
        var x = seed ^ (stream * 0x9E3779B97F4A7C15UL) ^ 0xD1B54A32D192ED03UL;
        s0 = SplitMix(ref x);
        s1 = SplitMix(ref x);
        s2 = SplitMix(ref x);
        s3 = SplitMix(ref x);
    }

    private static ulong SplitMix(ref ulong x)
    {
        var z = x += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    public ulong NextUInt64()
    {
        var result = ulong.RotateLeft(s1 * 5, 7) * 9;
        var t = s1 << 17;
        s2 ^= s0;
        s3 ^= s1;
        s1 ^= s2;
        s0 ^= s3;
        s2 ^= t;
        s3 = ulong.RotateLeft(s3, 45);
        return result;
    }

    /// <summary>Uniform in [0, 1).</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    public double Uniform(double min, double max) => min + (max - min) * NextDouble();

    /// <summary>Uniform integer in [min, max).</summary>
    public int Next(int min, int max) => min + (int)((NextUInt64() >> 33) % (ulong)(max - min));

    public bool Chance(double p) => NextDouble() < p;

    /// <summary>Standard normal (Box-Muller).</summary>
    public double Gaussian()
    {
        var u = 1.0 - NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u)) * Math.Cos(2 * Math.PI * NextDouble());
    }

    /// <summary>Unit-variance white noise, uniform: cheap, and Gaussian enough once band-pass filtered.</summary>
    public float White() =>
        (float)((NextUInt64() >> 40) * (1.0 / (1UL << 24)) * 3.4641016151377544 - 1.7320508075688772);

    public T Pick<T>(IReadOnlyList<T> items) => items[Next(0, items.Count)];
}
