using QuakePrune.Extract;
using QuakePrune.Stead;
using QuakePrune.Synth;

namespace QuakePrune.Tests.Picking;

/// <summary>
/// Small subsets (subset.hdf5 + subset.csv with a split column) made from synthetic STEAD for the picking tests.
/// </summary>
internal static class TestSubsets
{
    /// <summary>
    /// Writes a synthetic STEAD of <paramref name="traces"/> traces and, in DIR/subset, the subset that keeps them in
    /// file order with splits train, dev, test, train, ... (row i gets split i % 3); <paramref name="edit"/> may change
    /// rows. Returns the subset folder, DIR/<paramref name="name"/>.
    /// </summary>
    public static string Make(
        TempDir dir,
        int traces,
        ulong seed,
        Func<SteadRecord, SteadRecord>? edit = null,
        string name = "subset"
    )
    {
        var prefix = dir.File($"{name}-synth-{seed}");
        SyntheticStead.Write(
            prefix,
            new SynthOptions
            {
                Traces = traces,
                Seed = seed,
                Threads = 1,
            }
        );
        var subset = dir.File(name);
        Directory.CreateDirectory(subset);
        using var pair = SteadPair.Open(prefix);
        using var writer = new SteadWriter(
            Path.Combine(subset, SubsetExtractor.Hdf5Name),
            Path.Combine(subset, SubsetExtractor.CsvName),
            [SubsetExtractor.SplitColumn]
        );
        var row = 0;
        foreach (var trace in pair.Traces())
        {
            var record = trace.Record.WithExtra(SubsetExtractor.SplitColumn, SplitFractions.Names[row++ % 3]);
            writer.Write(edit is null ? record : edit(record), trace.Waveform);
        }
        return subset;
    }

    /// <summary>The raw STEAD waveform (6000 x E, N, Z) of a trace of a subset.</summary>
    public static float[] Waveform(string subset, string traceName)
    {
        using var waveforms = new SteadWaveforms(Path.Combine(subset, SubsetExtractor.Hdf5Name));
        return waveforms.Read(traceName);
    }
}
