using System.Diagnostics;
using QuakePrune.Models;
using QuakePrune.Torch;

namespace QuakePrune.Picking;

/// <summary>The thresholds a run picks with and where they came from (said in every output that uses them).</summary>
public sealed record ThresholdSetting(PickThresholds Thresholds, string Source)
{
    public const string DefaultSource = "defaults (0.5 each): the checkpoint records no thresholds chosen on dev";

    /// <summary>
    /// The thresholds of the checkpoint's notes (chosen on dev by the trainer), else 0.5 for each, with a sentence
    /// saying which.
    /// </summary>
    public static ThresholdSetting For(ModelInfo info, string source) =>
        PickingNotes.StoredThresholds(info.Notes, source) is { } stored
            ? new ThresholdSetting(
                stored,
                "from the checkpoint: "
                    + (info.Notes.GetValueOrDefault(PickingNotes.ThresholdRule) ?? "chosen on dev by the trainer")
            )
            : new ThresholdSetting(PickThresholds.Half, DefaultSource);
}

/// <summary>What a pick run did.</summary>
public sealed record PickSummary(
    int Traces,
    int Detected,
    int WithP,
    int WithS,
    ThresholdSetting Thresholds,
    double Seconds
)
{
    public double TracesPerSecond => Traces / Seconds;
}

/// <summary>
/// `quakeprune pick`: every trace of a subset, in subset order and unaugmented, through a picker; one picks.csv row per
/// trace and, when asked, curves.h5 with exactly what the network was fed and the three curves it returned.
/// </summary>
public static class WaveformPicker
{
    /// <param name="picksPath">Where to write picks.csv (a verb passes its output set's partial name).</param>
    /// <param name="curvesPath">Where to write curves.h5, or null for none.</param>
    public static PickSummary Pick(
        LoadedModel loaded,
        WaveformDataSet data,
        ThresholdSetting thresholds,
        string picksPath,
        string? curvesPath,
        int batchSize,
        Device? device = null,
        CancellationToken cancellation = default
    )
    {
        thresholds.Thresholds.Validate();
        PickingNetwork.Require(loaded.Info.Architecture, "pick");
        var clock = Stopwatch.StartNew();
        var rows = data.Rows;
        using var picks = new PicksCsvWriter(picksPath);
        using var curves = curvesPath is null
            ? null
            : new CurvesWriter(curvesPath, rows.Select(r => r.TraceName).ToArray());
        int detected = 0,
            withP = 0,
            withS = 0;
        foreach (var result in PickingNetwork.Run(loaded.Model, data.InOrder(batchSize), device))
        {
            cancellation.ThrowIfCancellationRequested();
            var batch = result.Batch;
            for (var i = 0; i < batch.Count; i++)
            {
                var traced = PickingNetwork.Summary(result, i).Picks(thresholds.Thresholds);
                picks.Write(new PickRow(batch.TraceNames[i], rows[batch.Rows[i]].Split, traced));
                if (traced.Detected)
                    detected++;
                if (traced.P is not null)
                    withP++;
                if (traced.S is not null)
                    withS++;
            }
            curves?.Write(batch.Inputs, result.Detection, result.P, result.S);
        }
        picks.Complete();
        curves?.Complete();
        return new PickSummary(rows.Count, detected, withP, withS, thresholds, clock.Elapsed.TotalSeconds);
    }
}
