using QuakePrune.Hdf5;
using QuakePrune.Stead;

namespace QuakePrune.Tests.Stead;

public class SteadHdf5Tests
{
    private static string Fixture => SteadCsvTests.DataFile("h5py-fixture");

    [Fact]
    public void H_5py_written_file_reads_with_attributes()
    {
        using var pair = SteadPair.Open(Fixture);
        using var waveforms = new SteadWaveforms(pair.Hdf5Path);
        var rows = pair.Records().ToList();
        Assert.Equal(4, rows.Count);
        var fromAttributes = waveforms.ReadAttributes("109C.TA_20060723155859_EV");
        Assert.Equal(SteadCsv.Format(rows[0]), SteadCsv.Format(fromAttributes));
        Assert.Equal([56.79999924, 55.40000153, 47.40000153], fromAttributes.SnrDb!);
        Assert.Equal(2896.0, fromAttributes.CodaEndSample);
        var second = waveforms.ReadAttributes("B084.PB_20061103155652_EV");
        Assert.Equal(600.0, second.PArrivalSample);
        Assert.Equal("EH", second.ReceiverType);
        Assert.Equal("ci10276477", second.SourceId);
        var noise = waveforms.ReadAttributes("109C.TA_201511220015_NO");
        Assert.Equal(TraceCategory.Noise, noise.TraceCategory);
        Assert.Null(noise.PArrivalSample);
        Assert.Null(noise.SnrDb);
        var sparse = waveforms.ReadAttributes("109C.TA_201511230812_NO");
        Assert.Null(sparse.ReceiverElevationM);
        Assert.Null(sparse.SourceId);
        var traces = pair.Traces().ToList();
        Assert.Equal(rows.Select(r => r.TraceName), traces.Select(t => t.Record.TraceName));
        Assert.All(traces, t => Assert.Equal(18000, t.Waveform.Length));
        Assert.NotEqual(0f, traces[0].Waveform[17999]);
        Assert.Equal(4, pair.TraceNames().Count());
        Assert.Equal(waveforms.Read(rows[3].TraceName), pair.ReadWaveform(rows[3]));
    }

    [Fact]
    public void Writer_output_reads_back_as_written()
    {
        using var dir = new TempDir();
        var rows = SteadCsv.ReadAll(SteadCsvTests.DataFile("stead-100samples.csv")).Take(5).ToList();
        var wave = Enumerable.Range(0, SteadLayout.Values).Select(i => (float)Math.Sin(i * 0.01)).ToArray();
        using (var writer = new SteadWriter(dir.File("p.hdf5"), dir.File("p.csv")))
            foreach (var row in rows)
                writer.Write(row, wave);
        using var pair = SteadPair.Open(dir.File("p"));
        using var waveforms = new SteadWaveforms(pair.Hdf5Path);
        Assert.Equal(rows.Select(SteadCsv.Format), pair.Records().Select(SteadCsv.Format));
        foreach (var row in rows)
        {
            Assert.Equal(wave, pair.ReadWaveform(row));
            Assert.Equal(SteadCsv.Format(row), SteadCsv.Format(waveforms.ReadAttributes(row.TraceName)));
        }
        Assert.Equal(rows.Select(r => r.TraceName), waveforms.Groups[0].LinkNames(H5LinkOrder.Creation));
    }

    [Fact]
    public void Wrong_shapes_types_and_values_name_the_trace()
    {
        using var dir = new TempDir();
        var path = dir.File("bad.hdf5");
        using (var file = H5File.Create(path))
        using (var data = file.CreateGroup("data"))
        {
            using (data.WriteDataset("short_EV", new float[9000], [3000, 3])) { }
            using (data.WriteDataset("double_EV", new double[18000], [6000, 3])) { }
            var nan = new float[18000];
            nan[5] = float.NaN;
            using (data.WriteDataset("nan_EV", nan, [6000, 3])) { }
        }
        using var waveforms = new SteadWaveforms(path);
        Assert.Contains("'short_EV'", Assert.Throws<InvalidDataException>(() => waveforms.Read("short_EV")).Message);
        Assert.Contains("(3000, 3)", Assert.Throws<InvalidDataException>(() => waveforms.Read("short_EV")).Message);
        Assert.Contains("float64", Assert.Throws<InvalidDataException>(() => waveforms.Read("double_EV")).Message);
        Assert.Contains("'absent_EV'", Assert.Throws<KeyNotFoundException>(() => waveforms.Read("absent_EV")).Message);
        Assert.Equal(1, SteadLayout.CountNonFinite(waveforms.Read("nan_EV")));
    }

    [Fact]
    public void The2019_layout_is_read()
    {
        using var dir = new TempDir();
        var path = dir.File("old.hdf5");
        using (var file = H5File.Create(path))
        {
            using var quake = file.CreateGroup("earthquake");
            using var local = quake.CreateGroup("local");
            using (local.WriteDataset("A.B_20000101000000_EV", new float[18000], [6000, 3])) { }
            using var other = file.CreateGroup("non_earthquake");
            using var noise = other.CreateGroup("noise");
            using (noise.WriteDataset("A.B_200001010000_NO", Enumerable.Repeat(1f, 18000).ToArray(), [6000, 3])) { }
        }
        using var waveforms = new SteadWaveforms(path);
        Assert.Equal(["A.B_20000101000000_EV", "A.B_200001010000_NO"], waveforms.TraceNames());
        Assert.Equal(1f, waveforms.Read("A.B_200001010000_NO")[0]);
        Assert.Equal(TraceCategory.Noise, waveforms.ReadAttributes("A.B_200001010000_NO").TraceCategory);
    }

    [Fact]
    public void Truncated_file_is_a_clear_error()
    {
        using var dir = new TempDir();
        var bytes = File.ReadAllBytes(Fixture + ".hdf5");
        var path = dir.File("cut.hdf5");
        File.WriteAllBytes(path, bytes[..(bytes.Length / 3)]);
        var error = Assert.ThrowsAny<IOException>(() =>
        {
            using var waveforms = new SteadWaveforms(path);
            foreach (var name in waveforms.TraceNames())
                waveforms.Read(name);
        });
        Assert.Contains(path, error.Message);
    }
}
