namespace QuakePrune.Pruning;

/// <summary>A tensor's float32 values (row-major) and shape.</summary>
public sealed record TensorValues(float[] Values, long[] Shape)
{
    /// <summary>Per channel along <paramref name="axis"/>, the sum of <paramref name="f"/> over the channel's slice, added into <paramref name="into"/>.</summary>
    public void AccumulatePerChannel(int axis, Func<float, double> f, double[] into)
    {
        var channels = Shape[axis];
        if (channels != into.Length) throw new InvalidDataException($"a tensor of shape [{string.Join(", ", Shape)}] has {channels} channels on axis {axis}, not {into.Length}");
        var outer = Shape[..axis].Aggregate(1L, (a, b) => a * b);
        var inner = Shape[(axis + 1)..].Aggregate(1L, (a, b) => a * b);
        if (outer * channels * inner != Values.Length) throw new InvalidDataException($"{Values.Length} values do not fill a tensor of shape [{string.Join(", ", Shape)}]");
        for (var o = 0L; o < outer; o++)
        for (var c = 0; c < channels; c++)
        {
            double sum = 0;
            var start = (o * channels + c) * inner;
            for (var i = 0L; i < inner; i++) sum += f(Values[start + i]);
            into[c] += sum;
        }
    }
}

/// <summary>
/// A pruning criterion: scores every channel of a group (higher stays). It reads the members' tensors through
/// <paramref name="tensorOf"/> ("layer.tensor" names). A new criterion is a new implementation, registered by one line in
/// <see cref="Importances.All"/>; planning, surgery and the verbs take any.
/// </summary>
public interface IImportance
{
    /// <summary>The name `prune --importance` takes and checkpoints record (l2, l1, bn, random).</summary>
    string Name { get; }

    /// <summary>Settings recorded beside the name in a pruned checkpoint's provenance (a random criterion's seed).</summary>
    IReadOnlyDictionary<string, string> Settings => new Dictionary<string, string>();

    double[] Score(ChannelGroup group, Func<string, TensorValues> tensorOf);
}

/// <summary>
/// The norm of each channel's filter weights (its producers' weight slices): with <see cref="P"/> = 2 the root of the summed
/// squares over every producer (the paper's L2 criterion, Li et al. 2017); with 1 the summed absolute values.
/// </summary>
public sealed record MagnitudeImportance(int P) : IImportance
{
    public string Name => P == 2 ? "l2" : "l1";

    public double[] Score(ChannelGroup group, Func<string, TensorValues> tensorOf)
    {
        if (P is not (1 or 2)) throw new ArgumentException($"magnitude importance: p must be 1 or 2, got {P}");
        var sums = new double[group.Channels];
        foreach (var producer in group.Producers)
        foreach (var tensor in producer.Tensors.Where(t => t.Role == Models.TensorRole.Weight))
            tensorOf($"{producer.Layer}.{tensor.Name}").AccumulatePerChannel(tensor.Axis, P == 2 ? v => (double)v * v : v => Math.Abs((double)v), sums);
        return P == 2 ? sums.Select(Math.Sqrt).ToArray() : sums;
    }
}

/// <summary>
/// Network slimming (Liu et al., 2017): a channel's summed |scale| over the group's normalisations (BatchNorm's gamma).
/// A group without a normalisation (a head's hidden neurons) is scored by the L2 norm of its filters instead.
/// </summary>
public sealed record BatchNormScaleImportance : IImportance
{
    public string Name => "bn";

    public double[] Score(ChannelGroup group, Func<string, TensorValues> tensorOf)
    {
        var scales = group.Members.Where(m => m.Role == MemberRole.ChannelWise)
            .SelectMany(m => m.Tensors.Where(t => t.Role == Models.TensorRole.Scale).Select(t => (m.Layer, Tensor: t))).ToArray();
        if (scales.Length == 0) return Importances.L2.Score(group, tensorOf);
        var sums = new double[group.Channels];
        foreach (var (layer, tensor) in scales) tensorOf($"{layer}.{tensor.Name}").AccumulatePerChannel(tensor.Axis, v => Math.Abs((double)v), sums);
        return sums;
    }
}

/// <summary>
/// The control: uniform random scores, drawn per group from the seed and the group's name (so a group's draw does not
/// depend on which other groups are scored). The same seed gives the same channels.
/// </summary>
public sealed record RandomImportance(long Seed) : IImportance
{
    public string Name => "random";

    public IReadOnlyDictionary<string, string> Settings => new Dictionary<string, string> { ["seed"] = Seed.ToString(System.Globalization.CultureInfo.InvariantCulture) };

    public double[] Score(ChannelGroup group, Func<string, TensorValues> tensorOf)
    {
        // FNV-1a of the name: string.GetHashCode differs from process to process.
        var hash = 2166136261u;
        foreach (var ch in group.Name) hash = (hash ^ ch) * 16777619u;
        var random = new Random(unchecked((int)hash ^ (int)Seed ^ (int)(Seed >> 32)));
        return Enumerable.Range(0, group.Channels).Select(_ => random.NextDouble()).ToArray();
    }
}

/// <summary>A registered criterion: how a verb makes it (from the seed, which only the random one reads) and what the verbs' help says of it.</summary>
public sealed record ImportanceEntry(Func<long, IImportance> Create, string Description)
{
    /// <summary>The name the criterion gives itself (<see cref="IImportance.Name"/>): what `--importance` takes and checkpoints record.</summary>
    public string Name => Create(1).Name;
}

/// <summary>The criteria the verbs offer, and the scoring of groups by any criterion.</summary>
public static class Importances
{
    public static readonly IImportance L2 = new MagnitudeImportance(2);
    public static readonly IImportance L1 = new MagnitudeImportance(1);
    public static readonly IImportance BatchNormScale = new BatchNormScaleImportance();

    /// <summary>
    /// Every criterion `prune --importance` and `retrain --importance` take, in the order their help lists them: the one list
    /// a new criterion is added to, one line each. Names, help and lookups all read it.
    /// </summary>
    public static IReadOnlyList<ImportanceEntry> All { get; } =
    [
        new(_ => L2, "filter L2 norm, the paper's"),
        new(_ => L1, "filter L1 norm"),
        new(_ => BatchNormScale, "batch-norm scale"),
        new(seed => new RandomImportance(seed), "the control, seeded by --seed"),
    ];

    public static IReadOnlyList<string> Names => All.Select(e => e.Name).ToArray();

    /// <summary>Every criterion with what it is, for a verb's help: "l2 (filter L2 norm, the paper's), l1 (filter L1 norm), ...".</summary>
    public static string Described => string.Join(", ", All.Select(e => $"{e.Name} ({e.Description})"));

    /// <summary>The criterion named <paramref name="name"/>; <paramref name="seed"/> seeds the random one.</summary>
    public static IImportance Named(string name, long seed = 1)
    {
        var key = name.Trim().ToLowerInvariant();
        return All.FirstOrDefault(e => e.Name == key)?.Create(seed)
               ?? throw new ArgumentException($"importance must be one of {string.Join(", ", Names)}, got '{name}'");
    }

    /// <summary>Every group's channel scores, by group name.</summary>
    public static Dictionary<string, double[]> Score(IImportance importance, IEnumerable<ChannelGroup> groups, Func<string, TensorValues> tensorOf)
    {
        var scores = new Dictionary<string, double[]>();
        foreach (var group in groups)
        {
            var score = importance.Score(group, tensorOf);
            if (score.Length != group.Channels)
                throw new InvalidOperationException($"importance {importance.Name} gave {score.Length} scores for group {group.Name} of {group.Channels} channels");
            scores[group.Name] = score;
        }
        return scores;
    }
}
