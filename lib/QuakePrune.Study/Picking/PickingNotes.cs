using System.Globalization;

namespace QuakePrune.Picking;

/// <summary>
/// What a waveform picker's checkpoint records of its training (its safetensors metadata): the thresholds chosen on dev
/// at the kept epoch and the rule that chose them, so that `pick` and `evaluate` state where their thresholds came
/// from.
/// </summary>
public static class PickingNotes
{
    public const string DetectionThreshold = "picking.detection_threshold";
    public const string PThreshold = "picking.p_threshold";
    public const string SThreshold = "picking.s_threshold";
    public const string ThresholdRule = "picking.threshold_rule";
    public const string DevLoss = "training.dev_loss";

    /// <summary>
    /// The label curves the picker was trained on: the pick Gaussian's sigma and half-width, in samples.
    /// </summary>
    public const string LabelSigma = "picking.label_sigma";
    public const string LabelHalfWidth = "picking.label_half_width";

    /// <summary>The loss's detection, P and S weights the picker was trained with ("0.05,0.4,0.55").</summary>
    public const string LossWeights = "picking.loss_weights";

    /// <summary>How the learning rate moved ("cosine, warm-up 0.5 epochs" or "plateau, patience 10").</summary>
    public const string Schedule = "training.schedule";

    /// <summary>The notes that record <paramref name="choice"/>.</summary>
    public static IEnumerable<KeyValuePair<string, string>> Of(ThresholdChoice choice) =>
        [
            new(DetectionThreshold, Number(choice.Thresholds.Detection)),
            new(PThreshold, Number(choice.Thresholds.P)),
            new(SThreshold, Number(choice.Thresholds.S)),
            new(ThresholdRule, choice.Rule),
        ];

    /// <summary>
    /// The thresholds a checkpoint's notes record, or null when it records none (a model not trained by the waveform
    /// trainer: `model init`'s, or SeisBench's). Recorded values that are not numbers in [0, 1] (NaN included) are
    /// refused, naming the checkpoint and the key.
    /// </summary>
    public static PickThresholds? StoredThresholds(IReadOnlyDictionary<string, string> notes, string source)
    {
        string[] keys = [DetectionThreshold, PThreshold, SThreshold];
        var present = keys.Count(notes.ContainsKey);
        if (present == 0)
            return null;
        if (present != 3)
            throw new InvalidDataException(
                $"{source}: the checkpoint records only some picking thresholds ({string.Join(", ", keys.Where(notes.ContainsKey))})"
            );
        var values = keys.Select(key =>
                double.TryParse(notes[key], NumberStyles.Float, CultureInfo.InvariantCulture, out var v)
                && v >= 0
                && v <= 1
                    ? v
                    : throw new InvalidDataException($"{source}: '{key}' is '{notes[key]}', not a threshold in [0, 1]")
            )
            .ToArray();
        return new PickThresholds(values[0], values[1], values[2]);
    }

    private static string Number(double value) => value.ToString("R", CultureInfo.InvariantCulture);
}
