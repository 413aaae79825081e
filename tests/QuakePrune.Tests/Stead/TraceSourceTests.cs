using QuakePrune.Hdf5;
using QuakePrune.Stead;
using QuakePrune.Synth;

namespace QuakePrune.Tests.Stead;

/// <summary>
/// <see cref="SteadTraceSource"/> on a file this process wrote (read here) and on a copy of it (a file this process did
/// not write: read by the separate `QuakePrune.Hdf5Reader serve` process): the same waveforms and the same errors, in
/// any order.
/// </summary>
public class TraceSourceTests
{
    private const int Values = SteadLayout.Values;

    [Fact]
    public void A_copy_read_by_the_reading_process_gives_the_same_waveforms_in_any_order()
    {
        using var dir = new TempDir();
        SyntheticStead.Write(dir.File("s"), new SynthOptions { Traces = 70, Seed = 3 });
        File.Copy(dir.File("s.hdf5"), dir.File("copy.hdf5"));
        using var here = SteadTraceSource.Open(dir.File("s.hdf5"), dir.File("s.csv"));
        using var there = SteadTraceSource.Open(dir.File("copy.hdf5"), dir.File("s.csv"));
        var count = here.Records.Count;
        var expected = new float[count * Values];
        here.Read(0, count, expected);
        Assert.Contains(expected, v => v != 0);

        // One at a time in order (rows asked for ahead), then batches, then out of order and repeated.
        var actual = new float[count * Values];
        for (var row = 0; row < count; row++)
            there.Read([row], actual.AsSpan(row * Values, Values));
        Assert.Equal(expected, actual);
        Array.Clear(actual);
        for (var first = 0; first < count; first += 16)
        {
            var n = Math.Min(16, count - first);
            there.Read(first, n, actual.AsSpan(first * Values, n * Values));
        }
        Assert.Equal(expected, actual);
        int[] rows = [41, 2, 2, count - 1, 0, 1, 2, 40];
        var some = new float[rows.Length * Values];
        there.Read(rows, some);
        for (var i = 0; i < rows.Length; i++)
            Assert.Equal(expected.AsSpan(rows[i] * Values, Values), some.AsSpan(i * Values, Values));
    }

    [Fact]
    public void Chunked_traces_and_bad_traces_read_alike_here_and_in_the_reading_process()
    {
        using var dir = new TempDir();
        SyntheticStead.Write(dir.File("s"), new SynthOptions { Traces = 4, Seed = 5 });
        var template = SteadCsv.ReadAll(dir.File("s.csv"))[0];
        var wave = Enumerable.Range(0, Values).Select(i => (float)Math.Cos(i * 0.003)).ToArray();
        var path = dir.File("mixed.hdf5");
        using (var file = H5File.Create(path))
        using (var data = file.CreateGroup("data"))
        {
            using (data.WriteDataset("plain_EV", wave, [6000, 3])) { }
            // Not plain bytes in the file: the reading process reads it with libhdf5 and sends the values.
            using (data.WriteDataset("chunked_EV", wave, [6000, 3], [1000, 3])) { }
            using (data.WriteDataset("short_EV", new float[9000], [3000, 3])) { }
            using (data.WriteDataset("double_EV", new double[Values], [6000, 3])) { }
        }
        File.Copy(path, dir.File("copy.hdf5"));
        var records = new[] { "plain_EV", "chunked_EV", "short_EV", "double_EV", "absent_EV" }
            .Select(name => template with { TraceName = name })
            .ToList();
        foreach (var hdf5 in new[] { path, dir.File("copy.hdf5") })
        {
            using var source = SteadTraceSource.Of(hdf5, dir.File("s.csv"), records);
            var two = new float[2 * Values];
            source.Read(0, 2, two);
            Assert.Equal(wave, two[..Values]);
            Assert.Equal(wave, two[Values..]);
            var one = new float[Values];
            var shape = Assert.Throws<InvalidDataException>(() => source.Read([2], one)).Message;
            Assert.Contains("'short_EV'", shape);
            Assert.Contains("(3000, 3)", shape);
            Assert.Contains("float64", Assert.Throws<InvalidDataException>(() => source.Read([3], one)).Message);
            var absent = Assert.Throws<InvalidDataException>(() => source.Read([4], one)).Message;
            Assert.Contains("'absent_EV'", absent);
            Assert.Contains(hdf5, absent);
            // An error leaves the source usable.
            source.Read([1], one);
            Assert.Equal(wave, one);
        }
    }
}
