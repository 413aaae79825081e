using System.Globalization;
using CsvHelper;

namespace QuakePrune.Picking;

/// <summary>One row of picks.csv: a trace, its split and its picks.</summary>
public sealed record PickRow(string TraceName, string Split, TracePicks Picks);

/// <summary>
/// Writes picks.csv, the `pick` verb's table: trace_name, split, detection_probability (the detection curve's maximum),
/// p_sample, p_probability, s_sample, s_probability; the pick cells are empty where nothing passed its threshold.
/// Samples are integers, probabilities the shortest text that reads back as the same float32. Rows are streamed into
/// the file given, which is the partial name an <see cref="Outputs.OutputSet"/> handed out (the set publishes it once
/// the run has completed it, and removes it otherwise).
/// </summary>
public sealed class PicksCsvWriter : IDisposable
{
    public static IReadOnlyList<string> Columns { get; } =
    ["trace_name", "split", "detection_probability", "p_sample", "p_probability", "s_sample", "s_probability"];

    private readonly CsvWriter csv;
    private readonly string[] cells = new string[7];
    private bool completed;

    public string Path { get; }

    /// <param name="path">The file to write (an output set's partial name); it is created or truncated.</param>
    public PicksCsvWriter(string path)
    {
        if (string.IsNullOrWhiteSpace(path))
            throw new ArgumentException("picks: give an output file name");
        Path = path;
        var writer = new StreamWriter(path, false, new System.Text.UTF8Encoding(false));
        csv = CsvWriter.Create(writer, CsvText.Options, leaveOpen: false);
        csv.WriteRecord(Columns.ToArray());
    }

    public void Write(PickRow row)
    {
        if (completed)
            throw new InvalidOperationException($"picks: '{Path}' is already complete");
        var picks = row.Picks;
        cells[0] = row.TraceName;
        cells[1] = row.Split;
        cells[2] = Number(picks.DetectionProbability);
        cells[3] = picks.P is { } p ? p.Sample.ToString(CultureInfo.InvariantCulture) : "";
        cells[4] = picks.P is { } pp ? Number(pp.Probability) : "";
        cells[5] = picks.S is { } s ? s.Sample.ToString(CultureInfo.InvariantCulture) : "";
        cells[6] = picks.S is { } sp ? Number(sp.Probability) : "";
        csv.WriteRecord(cells);
    }

    private static string Number(float value) => value.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>Flushes and closes the file; no row may follow.</summary>
    public void Complete()
    {
        csv.Dispose();
        completed = true;
    }

    public void Dispose() => csv.Dispose();
}
