namespace QuakePrune.Pruning;

/// <summary>A tensor's float32 values (row-major) and shape.</summary>
public sealed record TensorValues(float[] Values, long[] Shape)
{
    /// <summary>
    /// Per channel along <paramref name="axis"/>, the sum of <paramref name="f"/> over the channel's slice, added into
    /// <paramref name="into"/>.
    /// </summary>
    public void AccumulatePerChannel(int axis, Func<float, double> f, double[] into)
    {
        var channels = Shape[axis];
        if (channels != into.Length)
            throw new InvalidDataException(
                $"a tensor of shape [{string.Join(", ", Shape)}] has {channels} channels on axis {axis}, not {into.Length}"
            );
        var outer = Shape[..axis].Aggregate(1L, (a, b) => a * b);
        var inner = Shape[(axis + 1)..].Aggregate(1L, (a, b) => a * b);
        if (outer * channels * inner != Values.Length)
            throw new InvalidDataException(
                $"{Values.Length} values do not fill a tensor of shape [{string.Join(", ", Shape)}]"
            );
        for (var o = 0L; o < outer; o++)
        for (var c = 0; c < channels; c++)
        {
            double sum = 0;
            var start = (o * channels + c) * inner;
            for (var i = 0L; i < inner; i++)
                sum += f(Values[start + i]);
            into[c] += sum;
        }
    }
}

/// <summary>
/// How a group's score of a channel is made from its members' (Torch-Pruning's group_reduction). Each member layer
/// scores the channel on its own slice (a norm criterion: its summed |w|^p), and the group takes the sum over its
/// members (what the criteria always did: the L2 norm of all the group's filters together), their mean, or the largest
/// (a channel counts as much as its strongest member).
/// </summary>
public enum GroupReduction
{
    Sum,
    Mean,
    Max,
}

/// <summary>
/// How a group's scores are scaled before a global ranking draws one threshold over every group (Torch-Pruning's
/// normalizer): divided by their mean (what the global ranking always did, so that groups of weak channels lose more),
/// by their largest, or left as they are (raw magnitudes compared across groups, so that groups of small weights lose
/// most). Within one group a positive scale changes no order, so a local ranking never reads it.
/// </summary>
public enum ScoreNormalisation
{
    None,
    Mean,
    Max,
}

/// <summary>
/// A pruning criterion: scores every channel of a group (higher stays). It reads the members' tensors through
/// <paramref name="tensorOf"/> ("layer.tensor" names). A new criterion is a new implementation, registered by one line
/// in <see cref="Importances.All"/>; planning, surgery and the verbs take any.
/// </summary>
public interface IImportance
{
    /// <summary>The name `prune --importance` takes and checkpoints record (l2, l1, bn, random).</summary>
    string Name { get; }

    /// <summary>
    /// Settings recorded beside the name in a pruned checkpoint's provenance (a random criterion's seed).
    /// </summary>
    IReadOnlyDictionary<string, string> Settings => new Dictionary<string, string>();

    /// <summary>
    /// How a global ranking scales this criterion's scores, group by group: by their mean unless it says otherwise.
    /// </summary>
    ScoreNormalisation Normalisation => ScoreNormalisation.Mean;

    double[] Score(ChannelGroup group, Func<string, TensorValues> tensorOf);
}

/// <summary>
/// A criterion that scores each member of a group and reduces them (Torch-Pruning's group importances), so its
/// reduction and normalisation can be chosen: `prune --group-reduction`, `--normalisation`. Both are recorded in its
/// settings.
/// </summary>
public interface IGroupImportance : IImportance
{
    GroupReduction Reduction { get; }

    /// <summary>The same criterion with another reduction or normalisation (null: this one's).</summary>
    IGroupImportance With(GroupReduction? reduction, ScoreNormalisation? normalisation);
}

/// <summary>
/// The norm of each channel's filter weights (its producers' weight slices): each producer's summed |w|^p over the
/// channel's slice, reduced over the producers by <see cref="Reduction"/>, then the p-th root. With <see cref="P"/> = 2
/// and the sum, the root of the summed squares over every producer (the paper's L2 criterion, Li et al. 2017); with 1
/// the summed absolute values.
/// </summary>
public sealed record MagnitudeImportance(
    int P,
    GroupReduction Reduction = GroupReduction.Sum,
    ScoreNormalisation Normalisation = ScoreNormalisation.Mean
) : IGroupImportance
{
    public string Name => P == 2 ? "l2" : "l1";

    public IReadOnlyDictionary<string, string> Settings => Importances.Knobs(Reduction, Normalisation);

    public IGroupImportance With(GroupReduction? reduction, ScoreNormalisation? normalisation) =>
        this with
        {
            Reduction = reduction ?? Reduction,
            Normalisation = normalisation ?? Normalisation,
        };

    public double[] Score(ChannelGroup group, Func<string, TensorValues> tensorOf)
    {
        if (P is not (1 or 2))
            throw new ArgumentException($"magnitude importance: p must be 1 or 2, got {P}");
        Func<float, double> power = P == 2 ? v => (double)v * v : v => Math.Abs((double)v);
        var members = group
            .Producers.Select(producer =>
                (
                    Layer: producer.Layer,
                    Weights: producer.Tensors.Where(t => t.Role == Models.TensorRole.Weight).ToArray()
                )
            )
            .Where(m => m.Weights.Length > 0)
            .Select(m =>
                (Action<double[]>)(
                    into =>
                    {
                        foreach (var tensor in m.Weights)
                            tensorOf($"{m.Layer}.{tensor.Name}").AccumulatePerChannel(tensor.Axis, power, into);
                    }
                )
            )
            .ToArray();
        var reduced = Importances.Reduce(Reduction, group.Channels, members);
        return P == 2 ? reduced.Select(Math.Sqrt).ToArray() : reduced;
    }
}

/// <summary>
/// Network slimming (Liu et al., 2017): a channel's |scale| in each of the group's normalisations (BatchNorm's gamma),
/// reduced over them by <see cref="Reduction"/> (summed by default). A group without a normalisation (a head's hidden
/// neurons) is scored by the L2 norm of its filters instead, reduced alike.
/// </summary>
public sealed record BatchNormScaleImportance(
    GroupReduction Reduction = GroupReduction.Sum,
    ScoreNormalisation Normalisation = ScoreNormalisation.Mean
) : IGroupImportance
{
    public string Name => "bn";

    public IReadOnlyDictionary<string, string> Settings => Importances.Knobs(Reduction, Normalisation);

    public IGroupImportance With(GroupReduction? reduction, ScoreNormalisation? normalisation) =>
        this with
        {
            Reduction = reduction ?? Reduction,
            Normalisation = normalisation ?? Normalisation,
        };

    public double[] Score(ChannelGroup group, Func<string, TensorValues> tensorOf)
    {
        var norms = group
            .Members.Where(m => m.Role == MemberRole.ChannelWise)
            .Select(m => (m.Layer, Scales: m.Tensors.Where(t => t.Role == Models.TensorRole.Scale).ToArray()))
            .Where(m => m.Scales.Length > 0)
            .ToArray();
        if (norms.Length == 0)
            return new MagnitudeImportance(2, Reduction, Normalisation).Score(group, tensorOf);
        return Importances.Reduce(
            Reduction,
            group.Channels,
            norms
                .Select(m =>
                    (Action<double[]>)(
                        into =>
                        {
                            foreach (var tensor in m.Scales)
                                tensorOf($"{m.Layer}.{tensor.Name}")
                                    .AccumulatePerChannel(tensor.Axis, v => Math.Abs((double)v), into);
                        }
                    )
                )
                .ToArray()
        );
    }
}

/// <summary>
/// The control: uniform random scores, drawn per group from the seed and the group's name (so a group's draw does not
/// depend on which other groups are scored). The same seed gives the same channels.
/// </summary>
public sealed record RandomImportance(long Seed) : IImportance
{
    public string Name => "random";

    public IReadOnlyDictionary<string, string> Settings =>
        new Dictionary<string, string> { ["seed"] = Seed.ToString(System.Globalization.CultureInfo.InvariantCulture) };

    public double[] Score(ChannelGroup group, Func<string, TensorValues> tensorOf)
    {
        // FNV-1a of the name: string.GetHashCode differs from process to process.
        var hash = 2166136261u;
        foreach (var ch in group.Name)
            hash = (hash ^ ch) * 16777619u;
        var random = new Random(unchecked((int)hash ^ (int)Seed ^ (int)(Seed >> 32)));
        return Enumerable.Range(0, group.Channels).Select(_ => random.NextDouble()).ToArray();
    }
}

/// <summary>
/// A registered criterion: how a verb makes it (from the seed, which only the random one reads) and what the verbs'
/// help says of it.
/// </summary>
public sealed record ImportanceEntry(Func<long, IImportance> Create, string Description)
{
    /// <summary>
    /// The name the criterion gives itself (<see cref="IImportance.Name"/>): what `--importance` takes and checkpoints
    /// record.
    /// </summary>
    public string Name => Create(1).Name;
}

/// <summary>The criteria the verbs offer, and the scoring of groups by any criterion.</summary>
public static class Importances
{
    public static readonly IImportance L2 = new MagnitudeImportance(2);
    public static readonly IImportance L1 = new MagnitudeImportance(1);
    public static readonly IImportance BatchNormScale = new BatchNormScaleImportance();

    /// <summary>
    /// Every criterion `prune --importance` and `retrain --importance` take, in the order their help lists them: the
    /// one list a new criterion is added to, one line each. Names, help and lookups all read it.
    /// </summary>
    public static IReadOnlyList<ImportanceEntry> All { get; } =
    [
        new(_ => L2, "filter L2 norm, the paper's"),
        new(_ => L1, "filter L1 norm"),
        new(_ => BatchNormScale, "batch-norm scale"),
        new(seed => new RandomImportance(seed), "the control, seeded by --seed"),
    ];

    public static IReadOnlyList<string> Names => All.Select(e => e.Name).ToArray();

    /// <summary>
    /// The criteria whose reduction and normalisation can be chosen (<see cref="IGroupImportance"/>).
    /// </summary>
    public static IReadOnlyList<string> NamesWithKnobs =>
        All.Where(e => e.Create(1) is IGroupImportance).Select(e => e.Name).ToArray();

    /// <summary>
    /// Every criterion with what it is, for a verb's help: "l2 (filter L2 norm, the paper's), l1 (filter L1 norm),
    /// ...".
    /// </summary>
    public static string Described => string.Join(", ", All.Select(e => $"{e.Name} ({e.Description})"));

    /// <summary>
    /// The criterion named <paramref name="name"/>; <paramref name="seed"/> seeds the random one. A reduction or
    /// normalisation (null: the criterion's own, the sum and the mean) is refused for a criterion that has none to
    /// choose.
    /// </summary>
    public static IImportance Named(
        string name,
        long seed = 1,
        GroupReduction? reduction = null,
        ScoreNormalisation? normalisation = null
    )
    {
        var key = name.Trim().ToLowerInvariant();
        var importance = All.FirstOrDefault(e => e.Name == key)?.Create(seed)
            ?? throw new ArgumentException($"importance must be one of {string.Join(", ", Names)}, got '{name}'");
        if (reduction is null && normalisation is null)
            return importance;
        return importance is IGroupImportance group
            ? group.With(reduction, normalisation)
            : throw new ArgumentException(
                $"importance {importance.Name} has no group reduction or normalisation to choose "
                    + $"(only {string.Join(", ", NamesWithKnobs)} have)"
            );
    }

    /// <summary>
    /// What a criterion with knobs records of them: group_reduction and normalisation, by their lower-case names.
    /// </summary>
    public static IReadOnlyDictionary<string, string> Knobs(
        GroupReduction reduction,
        ScoreNormalisation normalisation
    ) =>
        new Dictionary<string, string>
        {
            ["group_reduction"] = reduction.ToString().ToLowerInvariant(),
            ["normalisation"] = normalisation.ToString().ToLowerInvariant(),
        };

    /// <summary>
    /// The group's per-channel scores from its members', each of which adds its own into the array it is given. The sum
    /// and the mean add every member into one array in member order, so the sum is, to the last bit, what the criteria
    /// gave before they had a reduction; the largest takes each member's array apart (member scores are never
    /// negative).
    /// </summary>
    public static double[] Reduce(GroupReduction reduction, int channels, IReadOnlyList<Action<double[]>> members)
    {
        var reduced = new double[channels];
        switch (reduction)
        {
            case GroupReduction.Sum:
            case GroupReduction.Mean:
                foreach (var accumulate in members)
                    accumulate(reduced);
                if (reduction == GroupReduction.Mean && members.Count > 1)
                    for (var c = 0; c < channels; c++)
                        reduced[c] /= members.Count;
                return reduced;
            case GroupReduction.Max:
                foreach (var accumulate in members)
                {
                    var own = new double[channels];
                    accumulate(own);
                    for (var c = 0; c < channels; c++)
                        reduced[c] = Math.Max(reduced[c], own[c]);
                }
                return reduced;
            default:
                throw new ArgumentException($"group reduction must be sum, mean or max, got {reduction}");
        }
    }

    /// <summary>
    /// A group's scores scaled as <paramref name="normalisation"/> says: divided by their mean or their largest (all 0
    /// where that is not positive, as when every score is 0: nothing tells the channels apart), or as they are.
    /// </summary>
    public static double[] Normalise(ScoreNormalisation normalisation, double[] scores)
    {
        if (normalisation == ScoreNormalisation.None)
            return scores;
        var by = normalisation switch
        {
            ScoreNormalisation.Mean => scores.Average(),
            ScoreNormalisation.Max => scores.Max(),
            _ => throw new ArgumentException($"normalisation must be none, mean or max, got {normalisation}"),
        };
        return scores.Select(v => by > 0 ? v / by : 0).ToArray();
    }

    /// <summary>Every group's channel scores, by group name.</summary>
    public static Dictionary<string, double[]> Score(
        IImportance importance,
        IEnumerable<ChannelGroup> groups,
        Func<string, TensorValues> tensorOf
    )
    {
        var scores = new Dictionary<string, double[]>();
        foreach (var group in groups)
        {
            var score = importance.Score(group, tensorOf);
            if (score.Length != group.Channels)
                throw new InvalidOperationException(
                    $"importance {importance.Name} gave {score.Length} scores for group {group.Name} of {group.Channels} channels"
                );
            scores[group.Name] = score;
        }
        return scores;
    }
}
