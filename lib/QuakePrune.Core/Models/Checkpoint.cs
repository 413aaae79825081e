using QuakePrune.Torch;
using static QuakePrune.Torch.torch;

namespace QuakePrune.Models;

/// <summary>
/// What a checkpoint carries beside its weights, in its safetensors <c>__metadata__</c>: the architecture (every
/// width), the input size, and every other key in <see cref="Notes"/>: provenance (training, pruning) and the
/// spectrogram settings that made its training images (keys under <see cref="SpectrogramPrefix"/>), so that a
/// checkpoint alone can rebuild the model and run it on raw traces. This layer knows no spectrograms: the study reads
/// and writes those notes as typed settings (<c>QuakePrune.Training.SpectrogramNotes</c>).
/// </summary>
public sealed record ModelInfo(
    Architecture Architecture,
    ImageSize InputSize,
    IReadOnlyDictionary<string, string> Notes
)
{
    public const string ArchitectureKey = "architecture";
    public const string InputSizeKey = "input_size";

    /// <summary>The notes that hold the spectrogram settings, one key per setting after this prefix.</summary>
    public const string SpectrogramPrefix = "spectrogram.";
    public const string LabelsKey = "labels";

    /// <summary>
    /// Class index order of a classifier's output: 0 = noise, 1 = earthquake. A network of several outputs
    /// (EQTransformer's curves) records their names instead.
    /// </summary>
    public const string Labels = "noise,earthquake";

    /// <summary>
    /// The network's input at batch 1: for an image network [1, C, H, W] at <see cref="InputSize"/>; a waveform
    /// network's description fixes its window itself ([1, 3, 6000] for EQTransformer), and <see cref="InputSize"/>
    /// means nothing for it.
    /// </summary>
    public long[] InputShape =>
        Architecture.Graph.InputShape.Length == 4
            ? Architecture.Graph.InputShapeAt(1, InputSize.Height, InputSize.Width)
            : Architecture.Graph.InputShape.ToArray();

    public ModelInfo With(string key, string value) =>
        this with
        {
            Notes = new Dictionary<string, string>(Notes) { [key] = value },
        };

    /// <summary>
    /// The notes but the spectrogram settings: the provenance, as `model show` lists it and ONNX export records it.
    /// </summary>
    public IEnumerable<KeyValuePair<string, string>> Provenance =>
        Notes.Where(kv => !kv.Key.StartsWith(SpectrogramPrefix, StringComparison.Ordinal));

    public Dictionary<string, string> ToMetadata() =>
        new(Notes)
        {
            [ArchitectureKey] = Architecture.ToJson(),
            [InputSizeKey] = InputSize.ToString(),
            [LabelsKey] = Architecture.Graph.Outputs.Count == 1 ? Labels : string.Join(",", Architecture.Graph.Outputs),
        };

    /// <summary>
    /// The architecture a header claims, checked against the tensors the file holds (names and shapes, from the same
    /// header's layout, without reading a weight): a header that claims other widths than its tensors have is refused,
    /// so no reader (model show, cost, pruning) reports widths the weights do not have.
    /// </summary>
    private static Architecture RequireMatchingTensors(
        Architecture architecture,
        IReadOnlyDictionary<string, long[]> shapes
    )
    {
        var graph = architecture.Graph;
        var expected = graph
            .Nodes.SelectMany(node =>
                node.Layer.State(NetworkGraph.InputShapes(node, graph.DefaultShapes))
                    .Select(t => (Name: $"{node.Name}.{t.Name}", t.Shape))
            )
            .ToArray();
        foreach (var (name, shape) in expected)
        {
            if (!shapes.TryGetValue(name, out var actual))
                throw new InvalidDataException(
                    $"the header's architecture has tensor '{name}' [{string.Join(", ", shape)}], which the file lacks"
                );
            if (!actual.SequenceEqual(shape))
                throw new InvalidDataException(
                    $"the header's architecture gives tensor '{name}' shape [{string.Join(", ", shape)}], but the file holds [{string.Join(", ", actual)}]"
                );
        }
        var extra = shapes
            .Keys.Except(expected.Select(e => e.Name), StringComparer.Ordinal)
            .Order(StringComparer.Ordinal)
            .ToArray();
        if (extra.Length > 0)
            throw new InvalidDataException(
                $"the file holds tensors the header's architecture lacks ({string.Join(", ", extra.Take(5))}{(extra.Length > 5 ? ", ..." : "")})"
            );
        return architecture;
    }

    /// <summary>
    /// Reads the metadata; without an architecture (a torchvision export, say) it is recognised from the tensor names
    /// and shapes.
    /// </summary>
    public static ModelInfo FromMetadata(
        IReadOnlyDictionary<string, string> metadata,
        IReadOnlyDictionary<string, long[]> shapes,
        string source
    )
    {
        try
        {
            var architecture = metadata.TryGetValue(ArchitectureKey, out var json)
                ? RequireMatchingTensors(Architecture.FromJson(json), shapes)
                : Architecture.FromShapes(shapes);
            var size = metadata.TryGetValue(InputSizeKey, out var text)
                ? ImageSize.Parse(text) ?? throw new InvalidDataException($"input_size '{text}' is not HxW")
                : new ImageSize(224, 224);
            var notes = metadata
                .Where(kv => kv.Key is not (ArchitectureKey or InputSizeKey or LabelsKey))
                .ToDictionary(kv => kv.Key, kv => kv.Value);
            return new ModelInfo(architecture, size, notes);
        }
        catch (Exception e) when (e is InvalidDataException or ArgumentException or FormatException)
        {
            throw new InvalidDataException($"{source}: {e.Message}", e);
        }
    }
}

/// <summary>A model and what its checkpoint says about it.</summary>
public sealed record LoadedModel(Network Model, ModelInfo Info) : IDisposable
{
    public void Dispose() => Model.Dispose();
}

/// <summary>Saving and loading models as safetensors with their <see cref="ModelInfo"/>.</summary>
public static class Checkpoint
{
    public static void Save(Network model, ModelInfo info, string path)
    {
        if (!model.Architecture.Equals(info.Architecture))
            throw new ArgumentException(
                $"{path}: the model's architecture differs from the one its metadata would record"
            );
        AtomicFile.Write(path, partial => model.save(partial, info.ToMetadata()));
    }

    /// <summary>The metadata alone (the header), without reading the weights.</summary>
    public static ModelInfo ReadInfo(string path)
    {
        RequireFile(path);
        var layout = Safetensors.ReadLayout(path).ToDictionary(t => t.name, t => t.shape);
        return ModelInfo.FromMetadata(Safetensors.ReadMetadata(path), layout, path);
    }

    /// <summary>Builds the model its metadata (or its shapes) describe and loads its weights, strictly.</summary>
    public static LoadedModel Load(string path, Device? device = null)
    {
        var info = ReadInfo(path);
        var model = new Network(info.Architecture, initialise: false);
        try
        {
            model.load(path, strict: true);
            RequireFinite(model, path);
            if (device is { } target)
                model.to(target);
        }
        catch
        {
            model.Dispose();
            throw;
        }
        return new LoadedModel(model, info);
    }

    /// <summary>A weight holding NaN or Inf makes every output NaN: refused here, naming the tensor.</summary>
    private static void RequireFinite(Network model, string path)
    {
        foreach (var (name, tensor) in model.state_dict())
        {
            if (
                tensor.dtype
                is not (ScalarType.Float32 or ScalarType.Float64 or ScalarType.Float16 or ScalarType.BFloat16)
            )
                continue;
            // x - x is 0 for every finite x and NaN for NaN and Inf, so the sum is NaN exactly when one value is not
            // finite.
            using var difference = tensor - tensor;
            using var total = difference.sum();
            using var wide = total.to(ScalarType.Float64);
            if (double.IsNaN(wide.item<double>()))
                throw new InvalidDataException(
                    $"{path}: tensor '{name}' holds NaN or infinite values; the checkpoint is not usable"
                );
        }
    }

    private static void RequireFile(string path)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException($"model checkpoint not found: {path}", path);
    }
}
