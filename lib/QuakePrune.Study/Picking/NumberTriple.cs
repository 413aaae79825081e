using System.Globalization;

namespace QuakePrune.Picking;

/// <summary>Three comma-separated numbers, as `train --loss-weights` and `--augment-rates` take them.</summary>
internal static class NumberTriple
{
    /// <summary>
    /// The three numbers of <paramref name="text"/>, or null when it holds another count or something that is not a
    /// number.
    /// </summary>
    public static double[]? Parse(string text)
    {
        var values = text.Split(',', StringSplitOptions.TrimEntries)
            .Select(p =>
                double.TryParse(p, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v : double.NaN
            )
            .ToArray();
        return values.Length == 3 && !values.Any(double.IsNaN) ? values : null;
    }
}
