using QuakePrune.Extract;
using QuakePrune.Stead;

namespace QuakePrune.Picking;

/// <summary>
/// One row of a subset as the picking stage needs it: its name, split, catalogue truth and SNR (E, N, Z; dB).
/// </summary>
public sealed record SubsetTrace(int Row, string TraceName, string Split, TraceTruth Truth, double[]? SnrDb);

/// <summary>
/// The one place the picking stage reads a subset (`quakeprune extract`'s subset.hdf5 + subset.csv with its split
/// column): the rows through <see cref="SteadCsvReader"/>, the waveforms through the project's trace source
/// (<see cref="SteadTraceSource"/>: a separate process reads a file this process did not write).
/// The rows are kept (a few hundred bytes each); waveforms are read one at a time on request.
/// </summary>
internal sealed class SubsetTraces : IDisposable
{
    private readonly SteadTraceSource source;

    public string Hdf5Path { get; }
    public string CsvPath { get; }
    public IReadOnlyList<SubsetTrace> Rows { get; }

    private SubsetTraces(string hdf5, string csv, IReadOnlyList<SubsetTrace> rows, SteadTraceSource source)
    {
        Hdf5Path = hdf5;
        CsvPath = csv;
        Rows = rows;
        this.source = source;
    }

    /// <summary>
    /// The files of a subset folder a run reads (declared as inputs, so that no output is ever written over one).
    /// </summary>
    public static IReadOnlyList<string> Files(string subsetDirectory) =>
        [
            subsetDirectory,
            Path.Combine(subsetDirectory, SubsetExtractor.Hdf5Name),
            Path.Combine(subsetDirectory, SubsetExtractor.CsvName),
        ];

    /// <summary>
    /// Opens DIR/subset.hdf5 and DIR/subset.csv, reading every row and checking splits, names and labels.
    /// </summary>
    public static SubsetTraces Open(string subsetDirectory)
    {
        if (string.IsNullOrWhiteSpace(subsetDirectory))
            throw new ArgumentException("waveforms: give the subset folder (made by `quakeprune extract`)");
        if (!Directory.Exists(subsetDirectory))
            throw new DirectoryNotFoundException($"waveforms: subset folder '{subsetDirectory}' not found");
        var hdf5 = Path.Combine(subsetDirectory, SubsetExtractor.Hdf5Name);
        var csv = Path.Combine(subsetDirectory, SubsetExtractor.CsvName);
        if (!File.Exists(csv))
            throw new FileNotFoundException($"waveforms: subset '{subsetDirectory}': CSV file '{csv}' not found", csv);
        if (!File.Exists(hdf5))
            throw new FileNotFoundException(
                $"waveforms: subset '{subsetDirectory}': HDF5 file '{hdf5}' not found",
                hdf5
            );
        var (rows, records) = ReadRows(csv);
        return new SubsetTraces(hdf5, csv, rows, SteadTraceSource.Of(hdf5, csv, records));
    }

    private static (List<SubsetTrace> Rows, List<SteadRecord> Records) ReadRows(string csv)
    {
        using var reader = new SteadCsvReader(csv);
        if (!reader.ExtraColumns.Contains(SubsetExtractor.SplitColumn))
            throw new InvalidDataException(
                $"waveforms: '{csv}' has no '{SubsetExtractor.SplitColumn}' column; make the subset with `quakeprune extract`"
            );
        var rows = new List<SubsetTrace>();
        var records = new List<SteadRecord>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var record in reader.Records())
        {
            var split = record.ExtraValue(SubsetExtractor.SplitColumn) ?? "";
            if (Array.IndexOf(SplitFractions.Names, split) < 0)
                throw new InvalidDataException(
                    $"waveforms: trace '{record.TraceName}' in '{csv}' has split '{split}'; expected {string.Join(", ", SplitFractions.Names)}"
                );
            if (!seen.Add(record.TraceName))
                throw new InvalidDataException($"waveforms: trace '{record.TraceName}' appears twice in '{csv}'");
            var truth = TraceTruth.FromRecord(record);
            PhaseLabels.Check(truth, record.TraceName);
            rows.Add(new SubsetTrace(rows.Count, record.TraceName, split, truth, record.SnrDb));
            records.Add(record);
        }
        if (rows.Count == 0)
            throw new InvalidDataException($"waveforms: '{csv}' lists no traces");
        return (rows, records);
    }

    /// <summary>Reads row <paramref name="row"/>'s waveform (18,000 floats: 6000 samples x E, N, Z).</summary>
    public void Read(int row, Span<float> steadTrace) => source.Read([row], steadTrace);

    public void Dispose() => source.Dispose();
}
