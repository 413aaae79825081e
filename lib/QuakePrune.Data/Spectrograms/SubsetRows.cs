using QuakePrune.Extract;
using QuakePrune.Stead;

namespace QuakePrune.Spectrograms;

/// <summary>
/// The per-trace columns of a subset CSV that spectrogram images keep: the spectrogram file's writer and the images
/// computed on the fly read them alike, so both list the same traces with the same labels, splits and SNR.
/// </summary>
internal sealed record SubsetRows(string[] Names, long[] Labels, string[] Splits, float[] SnrDb)
{
    /// <summary>A folder means DIR/subset.hdf5 + DIR/subset.csv; anything else is a STEAD prefix.</summary>
    public static (string Hdf5, string Csv) Paths(string subset, string verb)
    {
        if (string.IsNullOrWhiteSpace(subset))
            throw new ArgumentException($"{verb}: give the subset folder (--subset DIR)");
        var (hdf5, csv) = Directory.Exists(subset)
            ? (Path.Combine(subset, SubsetExtractor.Hdf5Name), Path.Combine(subset, SubsetExtractor.CsvName))
            : SteadPair.Paths(subset);
        if (!File.Exists(csv))
            throw new FileNotFoundException($"{verb}: subset '{subset}': CSV file '{csv}' not found", csv);
        if (!File.Exists(hdf5))
            throw new FileNotFoundException($"{verb}: subset '{subset}': HDF5 file '{hdf5}' not found", hdf5);
        return (hdf5, csv);
    }

    /// <summary>
    /// The columns of every record, in order; a record without a known split, or listed twice, is refused.
    /// </summary>
    public static SubsetRows Of(IReadOnlyList<SteadRecord> records, string csvPath, string verb)
    {
        if (records.Count > 0 && records[0].ExtraValue(SubsetExtractor.SplitColumn) is null)
            throw new InvalidDataException(
                $"{verb}: '{csvPath}' has no '{SubsetExtractor.SplitColumn}' column; make the subset with `quakeprune extract`"
            );
        var names = new List<string>();
        var labels = new List<long>();
        var splits = new List<string>();
        var snr = new List<float>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var record in records)
        {
            var split = record.ExtraValue(SubsetExtractor.SplitColumn) ?? "";
            if (Array.IndexOf(SplitFractions.Names, split) < 0)
                throw new InvalidDataException(
                    $"{verb}: trace '{record.TraceName}' in '{csvPath}' has split '{split}'; expected {string.Join(", ", SplitFractions.Names)}"
                );
            if (!seen.Add(record.TraceName))
                throw new InvalidDataException($"{verb}: trace '{record.TraceName}' appears twice in '{csvPath}'");
            names.Add(record.TraceName);
            labels.Add(record.IsEarthquake ? 1 : 0);
            splits.Add(split);
            snr.Add(record.IsEarthquake && record.MeanSnrDb is { } mean ? (float)mean : float.NaN);
        }
        if (names.Count == 0)
            throw new InvalidDataException($"{verb}: '{csvPath}' lists no traces (a header only)");
        return new SubsetRows([.. names], [.. labels], [.. splits], [.. snr]);
    }
}
