namespace QuakePrune.Pipeline;

/// <summary>
/// Where each stage of one run reads and writes: <c>runs/&lt;preset&gt;/</c>, one file format per hand-over.
/// </summary>
public sealed record StudyPaths(string Root)
{
    public static StudyPaths For(string runsDirectory, Preset preset) =>
        new(Path.GetFullPath(Path.Combine(runsDirectory, preset.Name)));

    /// <summary>Prefix of the synthetic STEAD written when no real STEAD is given.</summary>
    public string SyntheticPrefix => Path.Combine(Root, "data", "synthetic");
    public string Subset => Path.Combine(Root, "subset");
    public string Spectrograms => Path.Combine(Root, "spectrograms.h5");

    /// <summary>
    /// Stage 02's record when the images are computed on the fly: their settings and counts, instead of the file.
    /// </summary>
    public string SpectrogramSettings => Path.Combine(Root, "spectrograms.json");
    public string Baseline => Path.Combine(Root, "baseline");
    public string BaselineModel => Path.Combine(Baseline, "model.safetensors");
    public string BaselineMetrics => Path.Combine(Baseline, "metrics.json");

    public string Pruned(StudyVariant variant) => Path.Combine(Root, "pruned", $"{variant.Name}.safetensors");

    /// <summary>A pruned model's retraining: <paramref name="replicate"/> 0 is the study's (seed
    /// <see cref="Preset.Seed"/>), k the retraining with seed + k (<see cref="Preset.RetrainSeeds"/>), in
    /// <c>retrained/&lt;variant&gt;-seed&lt;seed&gt;</c>.</summary>
    public string Retrained(StudyVariant variant, Preset? preset = null, int replicate = 0) =>
        replicate == 0
            ? Path.Combine(Root, "retrained", variant.Name)
            : Path.Combine(
                Root,
                "retrained",
                $"{variant.Name}-seed{(preset ?? throw new ArgumentNullException(nameof(preset))).Seed + (ulong)replicate}"
            );

    public string Sensitivity => Path.Combine(Root, "sensitivity.csv");
    public string Report => Path.Combine(Root, "report.csv");
    public string Latency => Path.Combine(Root, "latency.json");
    public string Summary => Path.Combine(Root, "summary.csv");

    /// <summary>
    /// The EQTransformer study: its subset (when the preset draws one), one training run per picker (its
    /// model.safetensors and metrics.json), the pruned checkpoints before retraining, the pickers' latency and the
    /// comparison.
    /// </summary>
    public string Picking => Path.Combine(Root, "eqtransformer");
    public string PickingSubset => Path.Combine(Picking, "subset");

    public string PickingRun(string picker) => Path.Combine(Picking, picker);

    public string PickingMetrics(string picker) => Path.Combine(PickingRun(picker), "metrics.json");

    public string PickingPruned(string picker) => Path.Combine(Picking, "pruned", $"{picker}.safetensors");

    public string PickingLatency => Path.Combine(Picking, "latency.json");
    public string PickingComparison => Path.Combine(Picking, PickingStage.ComparisonFileName);

    /// <summary>
    /// Data the study never saw: a second synthetic draw and its subset (<see cref="PickingStage.Unseen"/>).
    /// </summary>
    public string PickingUnseen => Path.Combine(Picking, "unseen");

    /// <summary>
    /// Every file and folder a run writes in its root (and all `pipeline --overwrite` removes there).
    /// </summary>
    public static IReadOnlyList<string> Entries { get; } =
    [
        "data",
        "subset",
        "spectrograms.h5",
        "spectrograms.json",
        "baseline",
        "pruned",
        "retrained",
        "sensitivity.csv",
        "report.csv",
        "report.json",
        "latency.json",
        "latency.csv",
        "summary.csv",
        "eqtransformer",
    ];
}
