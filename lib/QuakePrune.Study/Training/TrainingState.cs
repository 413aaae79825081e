using System.Globalization;
using QuakePrune.Models;
using QuakePrune.Outputs;
using QuakePrune.Torch;
using static QuakePrune.Torch.torch;

namespace QuakePrune.Training;

/// <summary>
/// What every trainer of the project shares: the resumable state file (state.safetensors: the model's weights, each
/// optimiser's moments, the run's counters and a fingerprint of the options that must not change between a run and its
/// resumption) and the per-epoch seed of torch's generator. The classifier trainer (<see cref="Trainer"/>) and the
/// waveform trainer (<c>Picking.WaveformTrainer</c>) both save and resume through here.
/// </summary>
public static class TrainingState
{
    private const string ModelPrefix = "model.";
    private const string OptimizerPrefix = "optimizer.";
    private const string StatePrefix = "state.";
    private const string FingerprintKey = "fingerprint";

    /// <summary>
    /// The fingerprint's entry for the data's content (<see cref="Resumption.Sha256"/>): a fingerprint is KEY=VALUE
    /// entries joined by ';', which <see cref="Load"/> compares one by one to name what changed.
    /// </summary>
    public const string DataEntry = "data_sha256";

    /// <summary>
    /// The fingerprint's entry for the network (<see cref="Models.Architecture.ToJson"/>), named without its long
    /// value.
    /// </summary>
    public const string ArchitectureEntry = "architecture";

    /// <summary>
    /// The seed of torch's generator (dropout) during one epoch: the same for a run resumed at that epoch.
    /// </summary>
    public static long EpochSeed(long seed, int epoch) =>
        (long)(new Rng(unchecked((ulong)seed), 0x7E9A_0000UL + (ulong)epoch).NextUInt64() >> 1);

    /// <summary>
    /// Writes the state whole or not at all (<see cref="AtomicFile"/>) with the model's metadata and the run's
    /// counters.
    /// </summary>
    public static void Save(
        string path,
        Network model,
        IReadOnlyList<(string Name, optim.Optimizer Optimizer)> groups,
        ModelInfo info,
        string fingerprint,
        IReadOnlyDictionary<string, string> counters
    )
    {
        var tensors = new List<KeyValuePair<string, Tensor>>();
        foreach (var (name, value) in model.state_dict())
            tensors.Add(new(ModelPrefix + name, value));
        foreach (var (group, optimizer) in groups)
        foreach (var (name, value) in optimizer.state_dict())
            tensors.Add(new($"{OptimizerPrefix}{group}.{name}", value));
        var metadata = info.ToMetadata();
        metadata[StatePrefix + FingerprintKey] = fingerprint;
        foreach (var (key, value) in counters)
            metadata[StatePrefix + key] = value;
        AtomicFile.Write(path, partial => Safetensors.Save(partial, tensors, metadata));
    }

    /// <summary>
    /// Loads the weights and optimiser moments saved by <see cref="Save"/> into <paramref name="model"/> and
    /// <paramref name="groups"/>, after checking the fingerprint (a changed option is named); returns the counters,
    /// read through <see cref="Counters"/>.
    /// </summary>
    public static Counters Load(
        string path,
        Network model,
        IReadOnlyList<(string Name, optim.Optimizer Optimizer)> groups,
        string fingerprint
    )
    {
        using var scope = NewDisposeScope();
        var file = Safetensors.LoadTensors(path);
        var counters = new Counters(path, file.Metadata);
        var saved = counters.Text(FingerprintKey);
        if (saved != fingerprint)
            throw new InvalidDataException($"{path}: {Difference(saved, fingerprint)}");
        try
        {
            model.load_state_dict(Section(file.Tensors, ModelPrefix));
            foreach (var (group, optimizer) in groups)
                optimizer.load_state_dict(Section(file.Tensors, $"{OptimizerPrefix}{group}."));
        }
        catch (Exception e)
            when (e is FormatException or InvalidDataException && !e.Message.StartsWith(path, StringComparison.Ordinal))
        {
            throw new InvalidDataException($"{path}: {e.Message}", e);
        }
        return counters;
    }

    /// <summary>
    /// What differs between the saved fingerprint and this run's: the data first, then every changed option.
    /// </summary>
    private static string Difference(string saved, string now)
    {
        var (was, current) = (Entries(saved), Entries(now));
        string? Was(string key) => was.FirstOrDefault(e => e.Key == key).Value;
        string? Now(string key) => current.FirstOrDefault(e => e.Key == key).Value;
        if (Was(DataEntry) != Now(DataEntry))
            return Was(DataEntry) is { } data
                ? $"the run was started on other data: the SHA-256 of its content was {data[..16]}..., now {Now(DataEntry)?[..16]}... "
                    + "(another file of the same name, or the file changed); resume on the data the run started with, or train into another folder"
                : "the state records no fingerprint of its data's content (an earlier quakeprune wrote it), so the data cannot be checked; "
                    + "use --overwrite instead of --resume to start again, or train into another folder";
        var changed = current
            .Select(e => e.Key)
            .Union(was.Select(e => e.Key))
            .Where(key => Was(key) != Now(key))
            .Select(key =>
                key == ArchitectureEntry
                    ? "architecture: another network"
                    : $"{key}={Was(key) ?? "(none)"} -> {key}={Now(key) ?? "(none)"}"
            );
        return $"the run was started with other settings ({string.Join(", ", changed)}); resume with the same options";
    }

    private static List<KeyValuePair<string, string>> Entries(string fingerprint) =>
        fingerprint
            .Split(';')
            .Select(entry => entry.Split('=', 2))
            .Select(kv => KeyValuePair.Create(kv[0], kv.Length > 1 ? kv[1] : ""))
            .ToList();

    /// <summary>A saved run's counters, each read by name; a missing or malformed one is named with the file.</summary>
    public sealed class Counters(string path, IReadOnlyDictionary<string, string> metadata)
    {
        public string Text(string key) =>
            metadata.TryGetValue(StatePrefix + key, out var value)
                ? value
                : throw new InvalidDataException(
                    $"{path}: not a training state (no '{StatePrefix}{key}' in its metadata)"
                );

        public int Int(string key) => Parse(key, t => int.Parse(t, NumberStyles.Integer, CultureInfo.InvariantCulture));

        public double Double(string key) =>
            Parse(key, t => double.Parse(t, NumberStyles.Float, CultureInfo.InvariantCulture));

        public bool Bool(string key) => Text(key) == "true";

        private T Parse<T>(string key, Func<string, T> parse)
        {
            var text = Text(key);
            try
            {
                return parse(text);
            }
            catch (FormatException)
            {
                throw new InvalidDataException($"{path}: state counter '{key}' is '{text}', not a number");
            }
        }
    }

    /// <summary>
    /// Records what an interruption keeps of the run in <paramref name="directory"/> once its state holds
    /// <paramref name="epochs"/> epochs.
    /// </summary>
    public static void KeepOnInterruption(string directory, int epochs) =>
        Interruption.Keep(
            epochs == 0
                ? "at epoch 1, before any epoch had finished; nothing was kept"
                : $"at epoch {epochs + 1}: the training state and history of epoch {epochs} and the best model so far are kept in '{directory}'; --resume continues"
        );

    /// <summary>A counter's text: integers plainly, doubles round-tripping, booleans as true/false.</summary>
    public static string Format(int value) => value.ToString(CultureInfo.InvariantCulture);

    public static string Format(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    public static string Format(bool value) => value ? "true" : "false";

    private static Dictionary<string, Tensor> Section(IReadOnlyDictionary<string, Tensor> tensors, string prefix) =>
        tensors
            .Where(kv => kv.Key.StartsWith(prefix, StringComparison.Ordinal))
            .ToDictionary(kv => kv.Key[prefix.Length..], kv => kv.Value);
}
