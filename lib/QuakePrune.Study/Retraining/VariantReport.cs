using System.Globalization;
using System.Text.Json;
using QuakePrune.Models;
using QuakePrune.Pruning;
using QuakePrune.Statistics;
using QuakePrune.Training;

namespace QuakePrune.Retraining;

/// <summary>
/// One model of the study: <see cref="Model"/> as pruned (or the baseline), <see cref="Retrained"/> its fine-tuned
/// checkpoint (a file, or a retrain output directory holding model.safetensors), if any. <see cref="Reference"/> names
/// another variant of the report it is compared with, pairwise (a control criterion's L2 counterpart);
/// <see cref="Replicates"/> are further retrainings of the same pruned model with other seeds.
/// </summary>
public sealed record VariantSpec(
    string Name,
    string Model,
    string? Retrained = null,
    string? Reference = null,
    IReadOnlyList<string>? Replicates = null
)
{
    /// <summary>Parses NAME=MODEL or NAME=MODEL,RETRAINED (as the report verb takes it).</summary>
    public static VariantSpec Parse(string text)
    {
        var equals = text.IndexOf('=');
        if (equals < 1 || equals == text.Length - 1)
            throw new ArgumentException($"variant '{text}' is not NAME=MODEL or NAME=MODEL,RETRAINED");
        var paths = text[(equals + 1)..].Split(',');
        if (paths.Length > 2 || paths.Any(p => p.Length == 0))
            throw new ArgumentException($"variant '{text}' is not NAME=MODEL or NAME=MODEL,RETRAINED");
        return new VariantSpec(text[..equals], paths[0], paths.Length == 2 ? paths[1] : null);
    }
}

/// <summary>How <see cref="VariantReport.Build"/> scores: the split, the batch size, and whether each pruned model is
/// also scored after batch-norm recalibration (<see cref="BatchNormRecalibration"/>; null: not).</summary>
public sealed record VariantReportOptions
{
    public string Split { get; init; } = ModelMetrics.TestSplit;
    public int BatchSize { get; init; } = 64;
    public RecalibrationOptions? Recalibration { get; init; }
    public Action<VariantRow>? OnRow { get; init; }
}

/// <summary>
/// McNemar's exact test of a variant's final model against another's (<see cref="Against"/>), on the same images at p
/// &gt;= 0.5: <see cref="OnlyThisRight"/> and <see cref="OnlyOtherRight"/> are the discordant images;
/// <see cref="PValueHolm"/> is Holm's adjustment over the report's comparisons of the same kind;
/// <see cref="AccuracyDifference"/> is the paired bootstrap interval of this accuracy minus the other's.
/// </summary>
public sealed record PairedTest(
    string Against,
    int OnlyThisRight,
    int OnlyOtherRight,
    double PValue,
    double PValueHolm,
    Interval AccuracyDifference
);

/// <summary>The final test scores over several retraining seeds: mean and sample standard deviation (n - 1).</summary>
public sealed record SeedSpread(int Seeds, double AccuracyMean, double AccuracySd, double F1Mean, double F1Sd)
{
    public static SeedSpread Of(IReadOnlyList<SplitMetrics> runs)
    {
        static (double Mean, double Sd) MeanSd(IReadOnlyList<double> v)
        {
            var mean = v.Average();
            return (mean, v.Count < 2 ? double.NaN : Math.Sqrt(v.Sum(x => (x - mean) * (x - mean)) / (v.Count - 1)));
        }
        var accuracy = MeanSd(runs.Select(r => r.Accuracy).ToArray());
        var f1 = MeanSd(runs.Select(r => r.F1).ToArray());
        return new SeedSpread(runs.Count, accuracy.Mean, accuracy.Sd, f1.Mean, f1.Sd);
    }
}

/// <summary>
/// One row of the report. Cost (params, MACs at the checkpoint's input size, file bytes, widths) is that of the final
/// model (the retrained one when given). <see cref="Before"/> scores the model as given at p &gt;= 0.5 (the paper's
/// decision), <see cref="BeforeAtDevThreshold"/> at the threshold its own dev scores choose
/// (<see cref="DevThreshold"/>), and <see cref="Recalibrated"/> after batch-norm recalibration; <see cref="After"/>
/// scores the retrained model. The paired tests and <see cref="AcrossSeeds"/> are of the final model.
/// </summary>
public sealed record VariantRow(
    string Variant,
    string Model,
    string? Retrained,
    long Params,
    long Macs,
    string InputSize,
    long FileBytes,
    SplitMetrics Before,
    double? DevThreshold,
    SplitMetrics? BeforeAtDevThreshold,
    SplitMetrics? Recalibrated,
    SplitMetrics? After,
    PairedTest? VersusBaseline,
    PairedTest? VersusReference,
    SeedSpread? AcrossSeeds,
    IReadOnlyDictionary<string, int> Widths,
    string WidthsText
)
{
    /// <summary>The scores of the model the variant ends as: retrained when it was, as given otherwise.</summary>
    public SplitMetrics Final => After ?? Before;
}

/// <summary>The study's table: one row per variant, written as CSV and JSON (each atomically). The first variant is the
/// baseline every other one is compared with.</summary>
public sealed record VariantReport(string Data, string Split, IReadOnlyList<VariantRow> Rows)
{
    public const string Header =
        "variant,params,macs,input_size,file_bytes,"
        + "before_accuracy,before_accuracy_lo,before_accuracy_hi,before_precision,before_recall,before_f1,before_f1_lo,before_f1_hi,"
        + "before_auc,before_auc_lo,before_auc_hi,dev_threshold,before_accuracy_dev_threshold,before_accuracy_dev_threshold_lo,before_accuracy_dev_threshold_hi,"
        + "recalibrated_accuracy,recalibrated_accuracy_lo,recalibrated_accuracy_hi,recalibrated_f1,recalibrated_auc,"
        + "after_accuracy,after_accuracy_lo,after_accuracy_hi,after_precision,after_recall,after_f1,after_f1_lo,after_f1_hi,after_auc,after_auc_lo,after_auc_hi,"
        + "p_vs_baseline,p_vs_baseline_holm,reference,p_vs_reference,p_vs_reference_holm,"
        + "seeds,after_accuracy_seed_mean,after_accuracy_seed_sd,after_f1_seed_mean,after_f1_seed_sd,widths";

    public static VariantReport Build(
        IEnumerable<VariantSpec> variants,
        IImageDataSet data,
        VariantReportOptions? options = null
    )
    {
        options ??= new VariantReportOptions();
        var specs = variants.ToArray();
        if (specs.Length == 0)
            throw new ArgumentException("report: no variants given");
        foreach (var duplicate in specs.GroupBy(s => s.Name).Where(g => g.Count() > 1))
            throw new ArgumentException($"report: variant '{duplicate.Key}' given twice");
        foreach (var spec in specs)
            if (spec.Reference is { } reference && specs.All(s => s.Name != reference))
                throw new ArgumentException(
                    $"report: variant '{spec.Name}' is compared with '{reference}', which the report lacks"
                );
        var rows = new List<VariantRow>();
        var finalCorrect = new Dictionary<string, bool[]>();
        foreach (var (variant, index) in specs.Select((s, i) => (s, i)))
        {
            var scored = Score(variant, data, options, recalibrate: index > 0);
            finalCorrect[variant.Name] = scored.FinalCorrect;
            var info = Checkpoint.ReadInfo(scored.FinalPath);
            var cost = ModelCost.Of(info.Architecture, info.InputSize.Height, info.InputSize.Width);
            var row = new VariantRow(
                variant.Name,
                variant.Model,
                scored.RetrainedPath,
                cost.Params,
                cost.Macs,
                info.InputSize.ToString(),
                new FileInfo(scored.FinalPath).Length,
                scored.Before,
                scored.DevThreshold,
                scored.BeforeAtDevThreshold,
                scored.Recalibrated,
                scored.After,
                null,
                null,
                scored.Replicates.Count > 1 ? SeedSpread.Of(scored.Replicates) : null,
                Retrainer.Widths(info.Architecture),
                CompactWidths(info.Architecture)
            );
            rows.Add(row);
            options.OnRow?.Invoke(row);
        }
        var baseline = specs[0].Name;
        var versusBaseline = Paired(specs.Skip(1).Select(s => (s.Name, baseline)).ToArray(), finalCorrect);
        var versusReference = Paired(
            specs.Where(s => s.Reference is not null).Select(s => (s.Name, s.Reference!)).ToArray(),
            finalCorrect
        );
        return new VariantReport(
            data.Source,
            options.Split,
            rows.Select(r =>
                    r with
                    {
                        VersusBaseline = versusBaseline.GetValueOrDefault(r.Variant),
                        VersusReference = versusReference.GetValueOrDefault(r.Variant),
                    }
                )
                .ToArray()
        );
    }

    /// <summary>
    /// McNemar's test of each (variant, other) pair on the final models, with Holm's adjustment over the family.
    /// </summary>
    private static Dictionary<string, PairedTest> Paired(
        IReadOnlyList<(string Variant, string Other)> pairs,
        IReadOnlyDictionary<string, bool[]> correct
    )
    {
        var tests = pairs
            .Select(p => (p.Variant, p.Other, Test: PairedComparison.McNemar(correct[p.Variant], correct[p.Other])))
            .ToArray();
        var holm = PairedComparison.Holm(tests.Select(t => t.Test.PValue).ToArray());
        return tests
            .Select(
                (t, i) =>
                    (
                        t.Variant,
                        Test: new PairedTest(
                            t.Other,
                            t.Test.B,
                            t.Test.C,
                            t.Test.PValue,
                            holm[i],
                            PairedComparison.AccuracyDifference(correct[t.Variant], correct[t.Other])
                        )
                    )
            )
            .ToDictionary(t => t.Variant, t => t.Test);
    }

    private sealed record VariantScores(
        string? RetrainedPath,
        string FinalPath,
        SplitMetrics Before,
        double? DevThreshold,
        SplitMetrics? BeforeAtDevThreshold,
        SplitMetrics? Recalibrated,
        SplitMetrics? After,
        bool[] FinalCorrect,
        IReadOnlyList<SplitMetrics> Replicates
    );

    private static VariantScores Score(
        VariantSpec variant,
        IImageDataSet data,
        VariantReportOptions options,
        bool recalibrate
    )
    {
        string? InsideDirectory(string? path) =>
            path is not null && Directory.Exists(path) ? Path.Combine(path, Trainer.ModelFileName) : path;
        var retrained = InsideDirectory(variant.Retrained);
        SplitPredictions given;
        double? devThreshold = null;
        SplitMetrics? recalibrated = null;
        using (var loaded = Checkpoint.Load(variant.Model))
        {
            var predictions = ModelMetrics.Predict(
                loaded.Model,
                data,
                [options.Split, Trainer.DevSplit],
                options.BatchSize
            );
            given = predictions.GetValueOrDefault(options.Split) ?? throw NoImages(data, options.Split, variant.Model);
            if (options.Split != Trainer.DevSplit && predictions.TryGetValue(Trainer.DevSplit, out var dev))
                devThreshold = BinaryMetrics.BestF1Threshold(dev.Labels, dev.Probabilities);
            // The model as given is scored above; recalibration then changes only its batch-norm statistics, in place.
            if (recalibrate && options.Recalibration is { } recalibration)
            {
                BatchNormRecalibration.Recalibrate(loaded.Model, data, recalibration);
                recalibrated = SplitMetrics.Of(Predict(loaded.Model, data, options, variant.Model));
            }
        }
        var before = SplitMetrics.Of(given);
        var atDevThreshold = devThreshold is { } t ? SplitMetrics.At(given, t) : null;

        SplitPredictions? after = null;
        if (retrained is not null)
        {
            using var loaded = Checkpoint.Load(retrained);
            after = Predict(loaded.Model, data, options, retrained);
        }
        var replicates = new List<SplitMetrics>();
        if (after is not null)
            replicates.Add(SplitMetrics.Of(after));
        foreach (var replicate in (variant.Replicates ?? []).Select(InsideDirectory))
        {
            using var loaded = Checkpoint.Load(replicate!);
            replicates.Add(SplitMetrics.Of(Predict(loaded.Model, data, options, replicate!)));
        }
        return new VariantScores(
            retrained,
            retrained ?? variant.Model,
            before,
            devThreshold,
            atDevThreshold,
            recalibrated,
            after is null ? null : replicates[0],
            SplitMetrics.Correct(after ?? given),
            replicates
        );
    }

    private static SplitPredictions Predict(
        Network model,
        IImageDataSet data,
        VariantReportOptions options,
        string path
    ) =>
        ModelMetrics.Predict(model, data, [options.Split], options.BatchSize).GetValueOrDefault(options.Split)
        ?? throw NoImages(data, options.Split, path);

    private static InvalidDataException NoImages(IImageDataSet data, string split, string path) =>
        new($"{data.Source}: no images in split '{split}' to score {path} on");

    /// <summary>
    /// Every group's width on one line, by sensitivity unit (<see cref="Sensitivity.Units"/>): "stem 64; layer1 64 64
    /// ...; layer1.residual 256; ...; head 512".
    /// </summary>
    public static string CompactWidths(Architecture a)
    {
        var widths = Retrainer.Widths(a);
        return string.Join(
            "; ",
            Sensitivity
                .Units(a, fullScope: true)
                .Select(u =>
                    $"{u.Name} {string.Join(' ', widths.Where(w => u.Groups.Contains(w.Key)).Select(w => w.Value))}"
                )
        );
    }

    public string ToCsv()
    {
        static string N(double? v) => v is { } x ? x.ToString("R", CultureInfo.InvariantCulture) : "";
        static IEnumerable<string> Bounds(Interval? i) => [N(i?.Lo), N(i?.Hi)];
        static IEnumerable<string> Scores(SplitMetrics? m) =>
            [
                N(m?.Accuracy),
                .. Bounds(m?.AccuracyInterval),
                N(m?.Precision),
                N(m?.Recall),
                N(m?.F1),
                .. Bounds(m?.F1Interval),
                N(m?.RocAuc),
                .. Bounds(m?.RocAucInterval),
            ];
        return CsvText.Write(
            Header.Split(','),
            Rows.Select(r =>
                new[] { r.Variant, Invariant(r.Params), Invariant(r.Macs), r.InputSize, Invariant(r.FileBytes) }
                    .Concat(Scores(r.Before))
                    .Concat([
                        N(r.DevThreshold),
                        N(r.BeforeAtDevThreshold?.Accuracy),
                        .. Bounds(r.BeforeAtDevThreshold?.AccuracyInterval),
                    ])
                    .Concat([
                        N(r.Recalibrated?.Accuracy),
                        .. Bounds(r.Recalibrated?.AccuracyInterval),
                        N(r.Recalibrated?.F1),
                        N(r.Recalibrated?.RocAuc),
                    ])
                    .Concat(Scores(r.After))
                    .Concat([
                        N(r.VersusBaseline?.PValue),
                        N(r.VersusBaseline?.PValueHolm),
                        r.VersusReference?.Against ?? "",
                        N(r.VersusReference?.PValue),
                        N(r.VersusReference?.PValueHolm),
                    ])
                    .Concat([
                        r.AcrossSeeds is { } s ? Invariant(s.Seeds) : "",
                        N(r.AcrossSeeds?.AccuracyMean),
                        N(r.AcrossSeeds?.AccuracySd),
                        N(r.AcrossSeeds?.F1Mean),
                        N(r.AcrossSeeds?.F1Sd),
                    ])
                    .Append(r.WidthsText)
            )
        );
    }

    public string ToJson() => JsonSerializer.Serialize(this, RetrainingJson.Options);

    /// <summary>Writes the CSV to <paramref name="csvPath"/> and the JSON beside it (same name, .json).</summary>
    public void Write(string csvPath) => Write(csvPath, Path.ChangeExtension(csvPath, ".json"));

    /// <summary>Writes the CSV and the JSON to the paths given.</summary>
    public void Write(string csvPath, string jsonPath)
    {
        AtomicFile.WriteAllText(csvPath, ToCsv());
        AtomicFile.WriteAllText(jsonPath, ToJson() + "\n");
    }

    /// <summary>Reads the JSON that <see cref="Write"/> put beside <paramref name="csvPath"/>.</summary>
    public static VariantReport Read(string csvPath)
    {
        var path = Path.ChangeExtension(csvPath, ".json");
        try
        {
            return JsonSerializer.Deserialize<VariantReport>(File.ReadAllText(path), RetrainingJson.Options)
                ?? throw new InvalidDataException($"{path}: empty variant report");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: not a variant report ({e.Message})", e);
        }
    }

    private static string Invariant(long value) => value.ToString(CultureInfo.InvariantCulture);
}
