using System.Text.Json;
using System.Text.Json.Serialization;
using QuakePrune.Models;
using QuakePrune.Statistics;
using QuakePrune.Torch;

namespace QuakePrune.Picking;

/// <summary>
/// What `quakeprune evaluate` writes for a waveform picker: EQTransformer's table on one split (detection precision,
/// recall, F1; P and S pick precision, recall, F1 within 0.5 s and residual mean, std and MAE in samples) at thresholds
/// chosen on dev with 95 % bootstrap intervals over the split's traces, the same table at 0.5, the dev grids the
/// thresholds came from, and the split's mean loss.
/// </summary>
public sealed record PickingEvaluationReport(
    string Model,
    string Data,
    string Split,
    int Traces,
    int Earthquakes,
    int Noise,
    double Loss,
    string ThresholdSource,
    PickingScores AtChosenThresholds,
    PickingIntervals Intervals,
    PickingScores AtHalf,
    ThresholdChoice DevChoice
)
{
    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Converters = { new JsonStringEnumConverter() },
    };

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    /// <summary>Writes the JSON to <paramref name="path"/> (a verb passes its output set's partial name).</summary>
    public void WriteTo(string path) => File.WriteAllText(path, ToJson() + "\n");

    public override string ToString()
    {
        var c = AtChosenThresholds;
        var t = c.Thresholds;
        return FormattableString.Invariant(
                $"{Split}: {Traces} traces ({Earthquakes} earthquakes, {Noise} noise); loss {Loss:0.0000}\n"
            )
            + FormattableString.Invariant(
                $"thresholds detection {t.Detection:0.##}, P {t.P:0.##}, S {t.S:0.##} ({ThresholdSource})\n"
            )
            + Line("detection", c.Detection, Intervals.DetectionF1)
            + "\n"
            + Phase(c.P, Intervals.PF1)
            + "\n"
            + Phase(c.S, Intervals.SF1)
            + "\n"
            + FormattableString.Invariant(
                $"at 0.5: detection F1 {Ratio(AtHalf.Detection.F1)}, P F1 {Ratio(AtHalf.P.F1)}, S F1 {Ratio(AtHalf.S.F1)}"
            );
    }

    private static string Line(string name, RatesFromCounts r, Interval f1) =>
        $"{name}: precision {Ratio(r.Precision)}, recall {Ratio(r.Recall)}, F1 {Ratio(r.F1)} [95 % {Ratio(f1.Lo)}, {Ratio(f1.Hi)}] "
        + $"(TP {r.TruePositives}, FP {r.FalsePositives}, FN {r.FalseNegatives})";

    private static string Phase(PhaseScores p, Interval f1) =>
        Line($"{p.Phase} within {PickingMetrics.ToleranceSamples} samples", p, f1)
        + FormattableString.Invariant(
            $"; residual mean {Samples(p.ResidualMean)}, std {Samples(p.ResidualStd)}, MAE {Samples(p.ResidualMae)} samples"
        )
        + (p.Unscored > 0 ? $"; {p.Unscored} earthquakes without a catalogue {p.Phase} not scored" : "");

    private static string Ratio(double? value) =>
        value is { } v ? v.ToString("0.0000", System.Globalization.CultureInfo.InvariantCulture) : "undefined";

    private static string Samples(double? value) =>
        value is { } v ? v.ToString("0.00", System.Globalization.CultureInfo.InvariantCulture) : "-";
}

/// <summary>A waveform picker scored on a subset: `quakeprune evaluate` and notebook 07.</summary>
public static class PickingEvaluation
{
    public static PickingEvaluationReport Evaluate(
        string modelPath,
        string subsetDirectory,
        string split,
        int batchSize = 64,
        Device? device = null
    )
    {
        using var loaded = PickingCheckpoint.Load(modelPath, device);
        using var data = WaveformDataSet.Open(subsetDirectory);
        return Evaluate(
            loaded,
            data,
            split,
            Path.GetFileName(modelPath),
            Path.GetFileName(Path.TrimEndingDirectorySeparator(subsetDirectory)),
            batchSize,
            device
        );
    }

    /// <summary>
    /// Chooses the thresholds on dev (<see cref="ThresholdSearch"/>, the same rule the trainer records), then scores
    /// <paramref name="split"/> at them and at 0.5.
    /// </summary>
    public static PickingEvaluationReport Evaluate(
        LoadedModel loaded,
        WaveformDataSet data,
        string split,
        string modelName,
        string dataName,
        int batchSize = 64,
        Device? device = null
    )
    {
        PickingNetwork.Require(loaded.Info.Architecture, modelName);
        var dev = PickingNetwork.Summarise(loaded.Model, data, WaveformTrainer.DevSplit, batchSize, device);
        var choice = ThresholdSearch.Choose(dev.Truths, dev.Curves);
        var scored =
            split == WaveformTrainer.DevSplit
                ? dev
                : PickingNetwork.Summarise(loaded.Model, data, split, batchSize, device);
        var earthquakes = scored.Traces.Count(t => t.Truth.IsEarthquake);
        var outcomes = PickingMetrics.Outcomes(scored.Truths, scored.Curves, choice.Thresholds);
        return new PickingEvaluationReport(
            modelName,
            dataName,
            split,
            scored.Traces.Count,
            earthquakes,
            scored.Traces.Count - earthquakes,
            scored.Loss,
            choice.Rule,
            PickingMetrics.Score(outcomes, choice.Thresholds),
            PickingMetrics.Intervals(outcomes),
            scored.Score(PickThresholds.Half),
            choice
        );
    }
}
