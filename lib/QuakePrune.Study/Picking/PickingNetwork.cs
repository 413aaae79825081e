using QuakePrune.Inference;
using QuakePrune.Models;
using QuakePrune.Torch;
using static QuakePrune.Torch.torch;

namespace QuakePrune.Picking;

/// <summary>
/// One batch's output curves on the host (Count x 6000 each, probabilities) and the batch's loss against its labels.
/// </summary>
public sealed record CurveBatch(WaveformBatch Batch, float[] Detection, float[] P, float[] S, double Loss);

/// <summary>
/// A split's curves reduced to what picking and scoring need, in subset order, with the mean loss over its samples.
/// </summary>
public sealed record SplitCurves(
    string Split,
    IReadOnlyList<SubsetTrace> Traces,
    IReadOnlyList<CurveSummary> Curves,
    double Loss
)
{
    public IReadOnlyList<TraceTruth> Truths => Traces.Select(t => t.Truth).ToArray();

    /// <summary>EQTransformer's table for this split at <paramref name="thresholds"/>.</summary>
    public PickingScores Score(PickThresholds thresholds) => PickingMetrics.Score(Truths, Curves, thresholds);
}

/// <summary>
/// The contract between a network and the picking stage: a waveform picker takes [N, 3, 6000] (channels Z, N, E,
/// preprocessed by <see cref="WaveformPreprocessing"/>) and returns three outputs, detection, P and S, each [N, 6000]
/// after the sigmoid (SeisBench's EQTransformer and the project's variants of it). Any architecture of that shape is a
/// picker; the stage never asks which builder made it. Training and scoring read the logits, the sigmoids' inputs
/// (<see cref="Logits"/>), so the loss keeps its gradient where a sigmoid saturated.
/// </summary>
public static class PickingNetwork
{
    /// <summary>Whether the network described by <paramref name="architecture"/> is a waveform picker.</summary>
    public static bool IsPicker(Architecture architecture)
    {
        var graph = architecture.Graph;
        return graph.Outputs.Count == 3
            && graph.InputShape.SequenceEqual([1L, WaveformPreprocessing.Channels, WaveformPreprocessing.Samples])
            && LogitNodes(graph) is not null;
    }

    /// <summary>
    /// Refuses a network that is not a waveform picker, naming <paramref name="source"/> and what it takes instead.
    /// </summary>
    public static void Require(Architecture architecture, string source)
    {
        if (IsPicker(architecture))
            return;
        var graph = architecture.Graph;
        throw new InvalidDataException(
            $"{source}: not a waveform picker: it takes [{string.Join(", ", graph.InputShape)}] and gives {graph.Outputs.Count} output(s); "
                + $"a picker takes [1, {WaveformPreprocessing.Channels}, {WaveformPreprocessing.Samples}] and gives detection, P and S, each a sigmoid "
                + "(e.g. --arch eqtransformer)"
        );
    }

    /// <summary>
    /// The layers whose values are the three logits: each output must be a sigmoid, and its input is the logit curve.
    /// Null when an output is not a sigmoid.
    /// </summary>
    private static string[]? LogitNodes(NetworkGraph graph)
    {
        var nodes = graph.Nodes.ToDictionary(n => n.Name, StringComparer.Ordinal);
        var logits = graph
            .Outputs.Select(o =>
                nodes.TryGetValue(o, out var node) && node.Layer is SigmoidLayer && node.Inputs.Count == 1
                    ? node.Inputs[0]
                    : null
            )
            .ToArray();
        return logits.All(l => l is not null) ? logits.Select(l => l!).ToArray() : null;
    }

    /// <summary>
    /// The three logit curves (detection, P, S: the values before each output's sigmoid) for an input batch [N, 3,
    /// 6000], each checked to be [N, 6000]: what the loss takes (<see cref="PickingLoss"/>); sigmoid of each is the
    /// curve.
    /// </summary>
    public static (Tensor Detection, Tensor P, Tensor S) Logits(Network model, Tensor input)
    {
        var nodes = LogitNodes(model.Graph)
            ?? throw new InvalidDataException(
                "picking: the network's outputs are not sigmoids: it is not a waveform picker"
            );
        return Checked(model.ForwardNodes(input, nodes), input.shape[0]);
    }

    /// <summary>The three logit curves, each checked to be [N, 6000].</summary>
    private static (Tensor Detection, Tensor P, Tensor S) Checked(Tensor[] outputs, long batch)
    {
        var expected = new[] { batch, WaveformPreprocessing.Samples };
        string[] names = ["detection", "P", "S"];
        for (var k = 0; k < 3; k++)
            if (!outputs[k].shape.SequenceEqual(expected))
                throw new InvalidDataException(
                    $"picking: the network's {names[k]} output is [{string.Join(", ", outputs[k].shape)}], expected [{string.Join(", ", expected)}]"
                );
        return (outputs[0], outputs[1], outputs[2]);
    }

    /// <summary>
    /// Runs the network over <paramref name="batches"/>, one batch on the host at a time, through the prepared
    /// inference path (<see cref="InferenceModel"/>: batch norms folded, convolutions on oneDNN, recurrences prepared;
    /// checked against the module when prepared) up to the three logits.
    /// </summary>
    public static IEnumerable<CurveBatch> Run(
        Network model,
        IEnumerable<WaveformBatch> batches,
        Device? device = null,
        LossWeights? weights = null
    )
    {
        model.eval();
        // Each batch allocates activations and curves of 6000 samples per trace; returned to the system after every
        // batch, they page-fault back in at the next, which cost more than the network itself.
        keep_freed_cpu_memory();
        var logits = LogitNodes(model.Graph)
            ?? throw new InvalidDataException(
                "picking: the network's outputs are not sigmoids: it is not a waveform picker"
            );
        using var prepared = InferenceModel.Prepare(
            model,
            new InferenceOptions { Outputs = logits, TimePaths = false }
        );
        foreach (var batch in batches)
            yield return RunBatch(prepared, batch, device, weights);
    }

    private static CurveBatch RunBatch(InferenceModel model, WaveformBatch batch, Device? device, LossWeights? weights)
    {
        using var scope = NewDisposeScope();
        using var mode = inference_mode();
        var (x, d, p, s) = batch.ToTensors();
        if (device is { type: not DeviceType.CPU } target)
            (x, d, p, s) = (x.to(target), d.to(target), p.to(target), s.to(target));
        var outputs = model.ForwardAll(x);
        var (ld, lp, ls) = Checked(outputs, x.shape[0]);
        var loss = PickingLoss.Compute(ld, lp, ls, d, p, s, weights).item<double>();
        return new CurveBatch(
            batch,
            ld.sigmoid().cpu().ToArray<float>(),
            lp.sigmoid().cpu().ToArray<float>(),
            ls.sigmoid().cpu().ToArray<float>(),
            loss
        );
    }

    /// <summary>Each trace's curve summary for one split (subset order) and the split's mean loss.</summary>
    public static SplitCurves Summarise(
        Network model,
        WaveformDataSet data,
        string split,
        int batchSize,
        Device? device = null,
        LossWeights? weights = null
    )
    {
        var rows = data.Rows;
        var traces = new List<SubsetTrace>();
        var curves = new List<CurveSummary>();
        double lossSum = 0;
        var options = new WaveformLoaderOptions
        {
            Split = split,
            BatchSize = batchSize,
            Shuffle = false,
        };
        foreach (var result in Run(model, data.Epoch(options, 0), device, weights))
        {
            lossSum += result.Loss * result.Batch.Count;
            for (var i = 0; i < result.Batch.Count; i++)
            {
                traces.Add(rows[result.Batch.Rows[i]]);
                curves.Add(Summary(result, i));
            }
        }
        return new SplitCurves(split, traces, curves, lossSum / traces.Count);
    }

    /// <summary>The curve summary of trace <paramref name="index"/> of a batch.</summary>
    public static CurveSummary Summary(CurveBatch result, int index)
    {
        const int samples = WaveformPreprocessing.Samples;
        var at = index * samples;
        return CurveSummary.FromCurves(
            result.Detection.AsSpan(at, samples),
            result.P.AsSpan(at, samples),
            result.S.AsSpan(at, samples),
            result.Batch.TraceNames[index]
        );
    }
}
