namespace QuakePrune.Statistics;

/// <summary>The trade-off between a cost to keep low (latency) and a score to keep high (F1).</summary>
public static class ParetoFront
{
    /// <summary>
    /// The indices of the points no other point dominates (another is at least as cheap and at least as good, and
    /// better in one), ordered by cost: the front of a cost-score plot. Points with an undefined cost or score are left
    /// out.
    /// </summary>
    public static IReadOnlyList<int> Of(IReadOnlyList<(double? Cost, double? Score)> points)
    {
        var front = new List<int>();
        var best = double.NegativeInfinity;
        foreach (
            var (index, cost, score) in points
                .Select((p, i) => (i, p.Cost, p.Score))
                .Where(p => p.Cost is { } c && double.IsFinite(c) && p.Score is { } s && double.IsFinite(s))
                .Select(p => (p.i, p.Cost!.Value, p.Score!.Value))
                .OrderBy(p => p.Item2)
                .ThenByDescending(p => p.Item3)
        )
        {
            if (score <= best)
                continue;
            front.Add(index);
            best = score;
        }
        return front;
    }
}
