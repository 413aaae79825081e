using System.Globalization;
using QuakePrune.Notebooks.Plotting;
using QuakePrune.Pipeline;
using QuakePrune.Retraining;
using QuakePrune.Statistics;

namespace QuakePrune.Notebooks.Study;

/// <summary>
/// How the notebooks show a score with its 95 % interval: error bars in figures, "value [lo, hi]" in tables.
/// </summary>
public static class Intervals
{
    /// <summary>One score of <paramref name="m"/> with its interval; no value where there are no scores.</summary>
    public static Score Of(SplitMetrics? m, Func<SplitMetrics, (double Value, Interval? Interval)> pick)
    {
        if (m is null)
            return default;
        var (value, interval) = pick(m);
        return Score.Of(value, interval);
    }

    public static Score Accuracy(SplitMetrics? m) => Of(m, x => (x.Accuracy, x.AccuracyInterval));

    public static Score F1(SplitMetrics? m) => Of(m, x => (x.F1, x.F1Interval));

    public static Score RocAuc(SplitMetrics? m) => Of(m, x => (x.RocAuc, x.RocAucInterval));

    /// <summary>Asymmetric error bars from each score to its bounds (none where a score has no interval).</summary>
    public static ErrorBars Bars(IEnumerable<Score> scores)
    {
        var all = scores.ToArray();
        return new ErrorBars
        {
            Array = all.Select(s => s is { Value: { } v, Hi: { } hi } ? hi - v : double.NaN).ToArray(),
            ArrayMinus = all.Select(s => s is { Value: { } v, Lo: { } lo } ? v - lo : double.NaN).ToArray(),
            Thickness = 1,
        };
    }

    /// <summary>
    /// "0.9383 [0.9095, 0.9671]"; the value alone where there is no interval; empty where there is no value.
    /// </summary>
    public static string Text(Score score, string format = "0.000")
    {
        string F(double v) => v.ToString(format, CultureInfo.InvariantCulture);
        return score switch
        {
            { Value: { } v, Lo: { } lo, Hi: { } hi } when double.IsFinite(v) => $"{F(v)} [{F(lo)}, {F(hi)}]",
            { Value: { } v } when double.IsFinite(v) => F(v),
            _ => "",
        };
    }

    /// <summary>A p-value for a table: three decimals, "&lt; 0.001" below that, empty where there is none.</summary>
    public static string PValue(double? p) =>
        p switch
        {
            null => "",
            < 0.001 => "< 0.001",
            { } v => v.ToString("0.000", CultureInfo.InvariantCulture),
        };
}
