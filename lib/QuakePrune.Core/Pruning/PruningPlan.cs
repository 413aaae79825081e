using QuakePrune.Models;

namespace QuakePrune.Pruning;

/// <summary>
/// Which groups pruning may touch: <c>Internal</c> = groups inside blocks and hidden neurons; <c>Full</c> adds the stem
/// and residual streams.
/// </summary>
public enum PruningScope
{
    Internal,
    Full,
}

/// <summary>
/// <c>Local</c>: remove the same fraction from every group. <c>Global</c>: one threshold over every group's scores,
/// each group's scaled as its criterion's <see cref="IImportance.Normalisation"/> says (by the group's mean unless told
/// otherwise, so groups of weak channels lose more).
/// </summary>
public enum Ranking
{
    Local,
    Global,
}

/// <param name="Groups">Only these groups (by name) are pruned, within the scope; null: every group of the scope.
/// Sensitivity analysis prunes one unit at a time this way.</param>
public sealed record PruningOptions(
    double Ratio,
    PruningScope Scope = PruningScope.Full,
    Ranking Ranking = Ranking.Local,
    int MinKeep = 1,
    int RoundTo = 1,
    IReadOnlySet<string>? Groups = null
)
{
    /// <summary>The criterion that ranks channels: L2 norm (the paper's) unless given.</summary>
    public IImportance Importance { get; init; } = Importances.L2;

    public void Validate()
    {
        if (!(Ratio >= 0 && Ratio < 1))
            throw new ArgumentException($"pruning ratio must be in [0, 1), got {Ratio}");
        if (MinKeep < 1)
            throw new ArgumentException($"min-keep must be at least 1, got {MinKeep}");
        if (RoundTo < 1)
            throw new ArgumentException($"round-to must be at least 1, got {RoundTo}");
    }

    public bool Covers(GroupKind kind) => Scope == PruningScope.Full || kind is GroupKind.Internal or GroupKind.Hidden;

    public bool Covers(ChannelGroup group) => Covers(group.Kind) && (Groups is null || Groups.Contains(group.Name));
}

/// <summary>
/// Kept channel indices (ascending) of every group; groups outside the scope keep all their channels.
/// </summary>
public sealed record PruningPlan(IReadOnlyList<ChannelGroup> Groups, IReadOnlyDictionary<string, int[]> Kept)
{
    /// <summary>
    /// Number of channels a group keeps when a fraction <paramref name="ratio"/> is removed:
    /// round((1 - ratio) * channels) with halves rounded up, at least minKeep, then rounded up to a
    /// multiple of roundTo, never more than the group has.
    /// </summary>
    public static int KeepCount(int channels, double ratio, int minKeep = 1, int roundTo = 1)
    {
        var keep = (int)Math.Round((1 - ratio) * channels, MidpointRounding.AwayFromZero);
        keep = Math.Max(keep, Math.Min(minKeep, channels));
        keep = (keep + roundTo - 1) / roundTo * roundTo;
        return Math.Min(keep, channels);
    }

    /// <summary>
    /// Plans from per-group channel scores (see <see cref="IImportance"/>). Higher scores stay; ties keep the lower
    /// index.
    /// </summary>
    public static PruningPlan Create(
        IReadOnlyList<ChannelGroup> groups,
        IReadOnlyDictionary<string, double[]> scores,
        PruningOptions options
    )
    {
        options.Validate();
        if (options.Groups is { } named)
        {
            var unknown = named.Where(n => groups.All(g => g.Name != n)).ToArray();
            if (unknown.Length > 0)
                throw new ArgumentException($"no pruning group named {string.Join(", ", unknown)}");
        }
        var inScope = groups.Where(options.Covers).ToArray();
        CheckScores(inScope, scores);
        var keepCounts =
            options.Ranking == Ranking.Local
                ? inScope.ToDictionary(
                    g => g.Name,
                    g => KeepCount(g.Channels, options.Ratio, options.MinKeep, options.RoundTo)
                )
                : GlobalKeepCounts(inScope, scores, options);
        return Create(groups, scores, keepCounts);
    }

    /// <summary>
    /// Plans given how many channels each named group keeps (the top-scoring ones; ties keep the lower index); groups
    /// not named keep all theirs. Iterative pruning uses it to reach widths fixed in advance.
    /// </summary>
    public static PruningPlan Create(
        IReadOnlyList<ChannelGroup> groups,
        IReadOnlyDictionary<string, double[]> scores,
        IReadOnlyDictionary<string, int> keepCounts
    )
    {
        foreach (var (name, keep) in keepCounts)
        {
            var group = groups.FirstOrDefault(g => g.Name == name)
                ?? throw new ArgumentException($"no pruning group named {name}");
            if (keep < 1 || keep > group.Channels)
                throw new ArgumentException($"group {name} has {group.Channels} channels; cannot keep {keep}");
        }
        CheckScores(groups.Where(g => keepCounts.ContainsKey(g.Name)), scores);
        var kept = groups.ToDictionary(
            g => g.Name,
            g =>
                keepCounts.TryGetValue(g.Name, out var k)
                    ? TopIndices(scores[g.Name], k)
                    : Enumerable.Range(0, g.Channels).ToArray()
        );
        return new PruningPlan(groups, kept);
    }

    private static void CheckScores(IEnumerable<ChannelGroup> groups, IReadOnlyDictionary<string, double[]> scores)
    {
        foreach (var g in groups)
        {
            if (!scores.TryGetValue(g.Name, out var s))
                throw new ArgumentException($"no importance scores for group {g.Name}");
            if (s.Length != g.Channels)
                throw new ArgumentException($"group {g.Name} has {g.Channels} channels but {s.Length} scores");
        }
    }

    private static int[] TopIndices(double[] scores, int keep) =>
        Enumerable
            .Range(0, scores.Length)
            .OrderByDescending(i => scores[i])
            .ThenBy(i => i)
            .Take(keep)
            .Order()
            .ToArray();

    private static Dictionary<string, int> GlobalKeepCounts(
        ChannelGroup[] groups,
        IReadOnlyDictionary<string, double[]> scores,
        PruningOptions options
    )
    {
        var total = groups.Sum(g => g.Channels);
        var toRemove = total - KeepCount(total, options.Ratio);
        var candidates = groups
            .SelectMany(
                (g, gi) =>
                    Importances
                        .Normalise(options.Importance.Normalisation, scores[g.Name])
                        .Select((v, i) => (Group: gi, Index: i, Score: v))
            )
            .OrderBy(c => c.Score)
            .ThenBy(c => c.Group)
            .ThenByDescending(c => c.Index);
        var keep = groups.Select(g => g.Channels).ToArray();
        var floor = groups.Select(g => Math.Min(options.MinKeep, g.Channels)).ToArray();
        foreach (var c in candidates)
        {
            if (toRemove == 0)
                break;
            if (keep[c.Group] <= floor[c.Group])
                continue;
            keep[c.Group]--;
            toRemove--;
        }
        return groups
            .Select(
                (g, gi) =>
                    (
                        g.Name,
                        Keep: Math.Min(g.Channels, (keep[gi] + options.RoundTo - 1) / options.RoundTo * options.RoundTo)
                    )
            )
            .ToDictionary(x => x.Name, x => x.Keep);
    }

    /// <summary>
    /// The architecture of the model that keeps exactly the planned channels: each producer's width becomes its group's
    /// kept count.
    /// </summary>
    public Architecture Apply(Architecture architecture) =>
        architecture.WithWidths(
            Groups
                .SelectMany(g => g.Producers.Select(p => (p.Layer, Width: Kept[g.Name].Length)))
                .ToDictionary(x => x.Layer, x => x.Width)
        );
}
