using System.Globalization;
using System.Text;
using System.Text.Json;
using QuakePrune.Models;
using QuakePrune.Training;

namespace QuakePrune.Retraining;

/// <summary>
/// One model of the study: <see cref="Model"/> as pruned (or the baseline), <see cref="Retrained"/> its fine-tuned
/// checkpoint (a file, or a retrain output directory holding model.safetensors), if any.
/// </summary>
public sealed record VariantSpec(string Name, string Model, string? Retrained = null)
{
    /// <summary>Parses NAME=MODEL or NAME=MODEL,RETRAINED (as the report verb takes it).</summary>
    public static VariantSpec Parse(string text)
    {
        var equals = text.IndexOf('=');
        if (equals < 1 || equals == text.Length - 1) throw new ArgumentException($"variant '{text}' is not NAME=MODEL or NAME=MODEL,RETRAINED");
        var paths = text[(equals + 1)..].Split(',');
        if (paths.Length > 2 || paths.Any(p => p.Length == 0)) throw new ArgumentException($"variant '{text}' is not NAME=MODEL or NAME=MODEL,RETRAINED");
        return new VariantSpec(text[..equals], paths[0], paths.Length == 2 ? paths[1] : null);
    }
}

/// <summary>
/// One row of the report. Cost (params, MACs at the checkpoint's input size, file bytes, widths) is that of the final
/// model (the retrained one when given); <see cref="Before"/> scores the model as given, <see cref="After"/> the retrained one.
/// </summary>
public sealed record VariantRow(
    string Variant, string Model, string? Retrained, long Params, long Macs, string InputSize, long FileBytes, SplitMetrics Before, SplitMetrics? After,
    IReadOnlyDictionary<string, int> Widths, string WidthsText);

/// <summary>The study's table: one row per variant, written as CSV and JSON (each atomically).</summary>
public sealed record VariantReport(string Data, string Split, IReadOnlyList<VariantRow> Rows)
{
    public const string Header =
        "variant,params,macs,input_size,file_bytes,before_accuracy,before_precision,before_recall,before_f1," +
        "after_accuracy,after_precision,after_recall,after_f1,widths";

    public static VariantReport Build(IEnumerable<VariantSpec> variants, IImageDataSet data, string split = ModelMetrics.TestSplit, int batchSize = 64,
        Action<VariantRow>? onRow = null)
    {
        var rows = new List<VariantRow>();
        foreach (var variant in variants)
        {
            if (rows.Any(r => r.Variant == variant.Name)) throw new ArgumentException($"report: variant '{variant.Name}' given twice");
            var retrained = variant.Retrained is { } r && Directory.Exists(r) ? Path.Combine(r, Trainer.ModelFileName) : variant.Retrained;
            var before = Score(variant.Model, data, split, batchSize);
            var after = retrained is null ? null : Score(retrained, data, split, batchSize);
            var final = retrained ?? variant.Model;
            var info = Checkpoint.ReadInfo(final);
            var cost = ModelCost.Of(info.Architecture, info.InputSize.Height, info.InputSize.Width);
            var row = new VariantRow(variant.Name, variant.Model, retrained, cost.Params, cost.Macs, info.InputSize.ToString(), new FileInfo(final).Length,
                before, after, Retrainer.Widths(info.Architecture), CompactWidths(info.Architecture));
            rows.Add(row);
            onRow?.Invoke(row);
        }
        if (rows.Count == 0) throw new ArgumentException("report: no variants given");
        return new VariantReport(data.Source, split, rows);
    }

    /// <summary>
    /// Every group's width on one line, by sensitivity unit (<see cref="Sensitivity.Units"/>): "stem 64; layer1 64 64 ...;
    /// layer1.residual 256; ...; head 512".
    /// </summary>
    public static string CompactWidths(Architecture a)
    {
        var widths = Retrainer.Widths(a);
        return string.Join("; ", Sensitivity.Units(a, fullScope: true).Select(u => $"{u.Name} {string.Join(' ', widths.Where(w => u.Groups.Contains(w.Key)).Select(w => w.Value))}"));
    }

    public string ToCsv()
    {
        static IEnumerable<string> Scores(SplitMetrics? m) => m is null
            ? ["", "", "", ""]
            : new[] { m.Accuracy, m.Precision, m.Recall, m.F1 }.Select(v => v.ToString("R", CultureInfo.InvariantCulture));
        return CsvText.Write(Header.Split(','), Rows.Select(r => new[] { r.Variant, Invariant(r.Params), Invariant(r.Macs), r.InputSize, Invariant(r.FileBytes) }
            .Concat(Scores(r.Before)).Concat(Scores(r.After)).Append(r.WidthsText)));
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

    private static SplitMetrics Score(string path, IImageDataSet data, string split, int batchSize)
    {
        using var loaded = Checkpoint.Load(path);
        return ModelMetrics.Score(loaded.Model, data, split, batchSize)
               ?? throw new InvalidDataException($"{data.Source}: no images in split '{split}' to score {path} on");
    }

    private static string Invariant(long value) => value.ToString(CultureInfo.InvariantCulture);
}
