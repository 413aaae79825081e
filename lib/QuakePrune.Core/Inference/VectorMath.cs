using System.Runtime.Intrinsics;

namespace QuakePrune.Inference;

/// <summary>The logistic function (and tanh) on eight floats at once, or one, for the prepared recurrences.</summary>
internal static class VectorMath
{
    public static float Sigmoid(float x) => 1 / (1 + MathF.Exp(-x));

    public static Vector256<float> Sigmoid(Vector256<float> x) =>
        Vector256<float>.One / (Vector256<float>.One + Vector256.Exp(-x));

    /// <summary>
    /// tanh x = 2 sigmoid(2x) - 1: exact at both ends (exp overflowing to infinity gives -1), within 1e-7 of MathF.Tanh
    /// near 0.
    /// </summary>
    public static Vector256<float> Tanh(Vector256<float> x) =>
        Vector256.Create(2f) * Sigmoid(x + x) - Vector256<float>.One;
}
