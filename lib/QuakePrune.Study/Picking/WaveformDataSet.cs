using QuakePrune.Extract;
using QuakePrune.Torch;
using QuakePrune.Training;

namespace QuakePrune.Picking;

/// <summary>
/// One batch on the host: <see cref="Count"/> preprocessed windows (<see cref="Inputs"/>: Count x 3 x 6000, channels Z,
/// N, E) and their label curves (<see cref="Detection"/>, <see cref="P"/>, <see cref="S"/>: Count x 6000 each), with
/// the subset rows and trace names they came from.
/// </summary>
public sealed record WaveformBatch(
    int Count,
    int[] Rows,
    string[] TraceNames,
    float[] Inputs,
    float[] Detection,
    float[] P,
    float[] S
)
{
    /// <summary>
    /// The batch as libtorch tensors: input [N, 3, 6000] and detection, P, S labels [N, 6000] (float32, on the CPU).
    /// </summary>
    public (Tensor Input, Tensor Detection, Tensor P, Tensor S) ToTensors() =>
        (
            torch.tensor<float>(Inputs, [Count, WaveformPreprocessing.Channels, WaveformPreprocessing.Samples]),
            torch.tensor<float>(Detection, [Count, WaveformPreprocessing.Samples]),
            torch.tensor<float>(P, [Count, WaveformPreprocessing.Samples]),
            torch.tensor<float>(S, [Count, WaveformPreprocessing.Samples])
        );
}

/// <summary>How a <see cref="WaveformDataSet"/> cuts one split into batches.</summary>
public sealed record WaveformLoaderOptions
{
    /// <summary>train, dev or test.</summary>
    public required string Split { get; init; }

    public int BatchSize { get; init; } = 32;

    /// <summary>Shuffle each epoch (from <see cref="Seed"/> and the epoch number); false keeps subset order.</summary>
    public bool Shuffle { get; init; } = true;

    public ulong Seed { get; init; } = 1;

    /// <summary>Drop the last batch of an epoch when it is smaller than <see cref="BatchSize"/>.</summary>
    public bool DropLast { get; init; }

    /// <summary>Augmentation of the windows (and their labels); none by default.</summary>
    public WaveformAugmentOptions? Augmentation { get; init; }

    /// <summary>
    /// This rank's shard of each epoch in a data-parallel run (<see cref="DistributedSampler"/>;
    /// <see cref="BatchSize"/> is then the global batch); null: the whole split. Augmentation draws by row, so a row is
    /// augmented alike whichever rank takes it.
    /// </summary>
    public (int Rank, int World)? Shard { get; init; }
}

/// <summary>
/// A subset's waveforms as the network's batches: each trace read, optionally augmented, preprocessed
/// (<see cref="WaveformPreprocessing"/>) and labelled (<see cref="PhaseLabels"/>). Memory holds the rows' metadata and
/// one batch at a time, whatever the subset's size. An epoch's order and augmentation depend only on the seed and the
/// epoch number. Not thread-safe: one enumeration at a time.
/// </summary>
public sealed class WaveformDataSet : IDisposable
{
    private readonly SubsetTraces traces;

    private WaveformDataSet(SubsetTraces traces, LabelSettings labels)
    {
        this.traces = traces;
        Labels = labels;
    }

    /// <summary>
    /// Opens a subset folder (subset.hdf5 + subset.csv with its split column, written by `quakeprune extract`). Every
    /// row is checked now (split, duplicate names, labels), so a bad row fails here rather than in the middle of
    /// training.
    /// </summary>
    public static WaveformDataSet Open(string subsetDirectory, LabelSettings? labels = null)
    {
        labels ??= new LabelSettings();
        labels.Validate();
        return new WaveformDataSet(SubsetTraces.Open(subsetDirectory), labels);
    }

    public LabelSettings Labels { get; }

    /// <summary>
    /// The folder and the two files a run on subset <paramref name="subsetDirectory"/> reads: its inputs.
    /// </summary>
    public static IReadOnlyList<string> InputFiles(string subsetDirectory) => SubsetTraces.Files(subsetDirectory);

    /// <summary>
    /// The files whose bytes are the subset's content (subset.hdf5, subset.csv): what a run's data fingerprint hashes.
    /// </summary>
    public static IReadOnlyList<string> ContentFiles(string subsetDirectory) =>
        [
            Path.Combine(subsetDirectory, SubsetExtractor.Hdf5Name),
            Path.Combine(subsetDirectory, SubsetExtractor.CsvName),
        ];

    /// <summary>Every row of the subset, in its order.</summary>
    public IReadOnlyList<SubsetTrace> Rows => traces.Rows;

    public int Count => traces.Rows.Count;

    /// <summary>The rows of one split, in subset order.</summary>
    public int[] RowsOf(string split)
    {
        var rows = traces.Rows.Where(r => r.Split == split).Select(r => r.Row).ToArray();
        if (rows.Length == 0)
            throw new ArgumentException($"waveforms: split '{split}' has no traces in '{traces.CsvPath}'");
        return rows;
    }

    /// <summary>The rows of an epoch in the order they will be served (before a dropped last batch is cut).</summary>
    public int[] Order(WaveformLoaderOptions options, int epoch)
    {
        var order = RowsOf(options.Split);
        if (!options.Shuffle)
            return order;
        var rng = new Rng(options.Seed, (ulong)epoch);
        for (var i = order.Length - 1; i > 0; i--)
        {
            var j = rng.Next(0, i + 1);
            (order[i], order[j]) = (order[j], order[i]);
        }
        return order;
    }

    /// <summary>The batches of one epoch of a split.</summary>
    public IEnumerable<WaveformBatch> Epoch(WaveformLoaderOptions options, int epoch)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.BatchSize < 1)
            throw new ArgumentException($"waveforms: batch size must be at least 1, got {options.BatchSize}");
        options.Augmentation?.Validate();
        var (order, batchSize) = options.Shard is { } shard
            ? (
                DistributedSampler.Shard(Order(options, epoch), shard.Rank, shard.World),
                DistributedSampler.LocalBatch(options.BatchSize, shard.World)
            )
            : (Order(options, epoch), options.BatchSize);
        var batches = options.DropLast ? order.Length / batchSize : (order.Length + batchSize - 1) / batchSize;
        return Batches(
            order,
            batches,
            batchSize,
            options.Augmentation is { Any: true } a ? (a, options.Seed, epoch) : null
        );
    }

    /// <summary>Every row of the subset, in subset order, unaugmented: what `pick` feeds the network.</summary>
    public IEnumerable<WaveformBatch> InOrder(int batchSize)
    {
        if (batchSize < 1)
            throw new ArgumentException($"waveforms: batch size must be at least 1, got {batchSize}");
        var order = Enumerable.Range(0, Count).ToArray();
        return Batches(order, (order.Length + batchSize - 1) / batchSize, batchSize, null);
    }

    private IEnumerable<WaveformBatch> Batches(
        int[] order,
        int batches,
        int batchSize,
        (WaveformAugmentOptions Options, ulong Seed, int Epoch)? augment
    )
    {
        var raw = new float[Stead.SteadLayout.Values];
        for (var b = 0; b < batches; b++)
        {
            var rows = order.AsSpan(b * batchSize, Math.Min(batchSize, order.Length - b * batchSize)).ToArray();
            yield return Read(rows, raw, augment);
        }
    }

    private WaveformBatch Read(
        int[] rows,
        float[] raw,
        (WaveformAugmentOptions Options, ulong Seed, int Epoch)? augment
    )
    {
        const int samples = WaveformPreprocessing.Samples;
        const int window = WaveformPreprocessing.WindowLength;
        var inputs = new float[rows.Length * window];
        var detection = new float[rows.Length * samples];
        var p = new float[rows.Length * samples];
        var s = new float[rows.Length * samples];
        var names = new string[rows.Length];
        for (var i = 0; i < rows.Length; i++)
        {
            var trace = traces.Rows[rows[i]];
            names[i] = trace.TraceName;
            traces.Read(trace.Row, raw);
            var input = inputs.AsSpan(i * window, window);
            WaveformPreprocessing.ToChannelsFirst(raw, input, trace.TraceName);
            var truth = trace.Truth;
            if (augment is var (options, seed, epoch))
            {
                var rng = WaveformAugmentation.RngFor(seed, epoch, trace.Row);
                truth = WaveformAugmentation.Apply(input, truth, trace.SnrDb, options, ref rng);
            }
            WaveformPreprocessing.Normalize(input);
            PhaseLabels.Write(
                truth,
                Labels,
                detection.AsSpan(i * samples, samples),
                p.AsSpan(i * samples, samples),
                s.AsSpan(i * samples, samples),
                trace.TraceName
            );
        }
        return new WaveformBatch(rows.Length, rows, names, inputs, detection, p, s);
    }

    public void Dispose() => traces.Dispose();
}
