using QuakePrune.Hdf5;
using QuakePrune.Outputs;
using QuakePrune.Picking;

namespace QuakePrune.Tests.Picking;

public class OutputFilesTests
{
    private const int Samples = WaveformPreprocessing.Samples;

    [Fact]
    public void Picks_csv_has_its_seven_columns_and_empty_cells_where_nothing_passed()
    {
        using var dir = new TempDir();
        var path = dir.File("out/picks.csv");
        using (var outputs = new OutputSet("pick", overwrite: false, inputs: []))
        {
            using (var writer = new PicksCsvWriter(outputs.File(path)))
            {
                writer.Write(
                    new PickRow(
                        "A.B_1_EV",
                        "test",
                        new TracePicks(0.97f, true, new CurvePeak(701, 0.8125f), new CurvePeak(1203, 0.3f))
                    )
                );
                writer.Write(new PickRow("A.B_2_NO", "dev", new TracePicks(0.1f, false, null, null)));
                writer.Write(new PickRow("A.B_3_EV", "train", new TracePicks(0.6f, true, new CurvePeak(0, 1f), null)));
                writer.Complete();
                Assert.Throws<InvalidOperationException>(() =>
                    writer.Write(new PickRow("late", "test", new TracePicks(0.1f, false, null, null)))
                );
            }
            Assert.False(File.Exists(path));
            outputs.Publish();
        }
        Assert.Equal(
            [
                "trace_name,split,detection_probability,p_sample,p_probability,s_sample,s_probability",
                "A.B_1_EV,test,0.97,701,0.8125,1203,0.3",
                "A.B_2_NO,dev,0.1,,,,",
                "A.B_3_EV,train,0.6,0,1,,",
            ],
            File.ReadAllLines(path)
        );
        Assert.Single(Directory.GetFiles(dir.File("out"), "*", SearchOption.AllDirectories));
    }

    /// <summary>
    /// The writers go through the project's output set: no unasked replacement, nothing left when abandoned.
    /// </summary>
    [Fact]
    public void Picks_csv_never_replaces_a_file_unasked_and_leaves_nothing_when_abandoned()
    {
        using var dir = new TempDir();
        var path = dir.File("picks.csv");
        File.WriteAllText(path, "mine");
        using (var refusing = new OutputSet("pick", overwrite: false, inputs: []))
        {
            var e = Assert.Throws<IOException>(() => refusing.File(path));
            Assert.Contains("--overwrite", e.Message);
        }
        Assert.Equal("mine", File.ReadAllText(path));
        using (var abandoning = new OutputSet("pick", overwrite: true, inputs: []))
        using (var abandoned = new PicksCsvWriter(abandoning.File(path)))
            abandoned.Write(new PickRow("x", "test", new TracePicks(0.5f, true, null, null)));
        Assert.Equal("mine", File.ReadAllText(path));
        Assert.Single(Directory.GetFiles(dir.Path));
        using (var outputs = new OutputSet("pick", overwrite: true, inputs: []))
        {
            using (var writer = new PicksCsvWriter(outputs.File(path)))
            {
                writer.Write(new PickRow("x", "test", new TracePicks(0.5f, true, null, null)));
                writer.Complete();
            }
            outputs.Publish();
        }
        Assert.Equal(2, File.ReadAllLines(path).Length);
        Assert.Throws<ArgumentException>(() => new PicksCsvWriter(" "));
    }

    private static float[] Ramp(int length, float offset) =>
        Enumerable.Range(0, length).Select(i => offset + i * 1e-4f).ToArray();

    [Fact]
    public void Curves_h5_holds_names_inputs_and_curves_in_order_chunked_by_trace()
    {
        using var dir = new TempDir();
        var path = dir.File("curves.h5");
        string[] names = ["A.B_1_EV", "A.B_2_NO", "A.B_3_EV"];
        var inputs = Ramp(3 * 3 * Samples, -1);
        var (d, p, s) = (Ramp(3 * Samples, 0), Ramp(3 * Samples, 0.1f), Ramp(3 * Samples, 0.2f));
        using (var outputs = new OutputSet("pick", overwrite: false, inputs: []))
        {
            using (var writer = new CurvesWriter(outputs.File(path), names))
            {
                writer.Write(
                    inputs.AsSpan(0, 2 * 3 * Samples),
                    d.AsSpan(0, 2 * Samples),
                    p.AsSpan(0, 2 * Samples),
                    s.AsSpan(0, 2 * Samples)
                );
                writer.Write(
                    inputs.AsSpan(2 * 3 * Samples),
                    d.AsSpan(2 * Samples),
                    p.AsSpan(2 * Samples),
                    s.AsSpan(2 * Samples)
                );
                writer.Complete();
            }
            Assert.False(File.Exists(path));
            outputs.Publish();
        }
        Assert.Single(Directory.GetFiles(dir.Path));
        using (var reader = new CurvesReader(path))
        {
            Assert.Equal(names, reader.TraceNames);
            Assert.Equal(inputs.AsSpan(2 * 3 * Samples).ToArray(), reader.ReadInput(2));
            var curves = reader.ReadCurves(1);
            Assert.Equal(d.AsSpan(Samples, Samples).ToArray(), curves.Detection);
            Assert.Equal(p.AsSpan(Samples, Samples).ToArray(), curves.P);
            Assert.Equal(s.AsSpan(Samples, Samples).ToArray(), curves.S);
        }
        using var file = H5File.Open(path);
        foreach (
            var (name, shape) in new[]
            {
                ("input", new long[] { 3, 3, Samples }),
                ("detection", [3, Samples]),
                ("p", [3, Samples]),
                ("s", [3, Samples]),
            }
        )
        {
            using var dataset = file.OpenDataset(name);
            Assert.Equal(shape, dataset.Shape);
            Assert.Equal(H5ElementType.Float32, dataset.ElementType);
            Assert.Equal([1L, .. shape[1..]], dataset.ChunkShape!);
        }
        Assert.Equal("ZNE", file.Attributes.ReadString(CurvesFile.ComponentOrderAttribute));
        Assert.Equal(100.0, file.Attributes.ReadDouble(CurvesFile.SamplingRateAttribute));
    }

    [Fact]
    public void An_incomplete_curves_file_is_never_published()
    {
        using var dir = new TempDir();
        var path = dir.File("curves.h5");
        using (var outputs = new OutputSet("pick", overwrite: false, inputs: []))
        using (var writer = new CurvesWriter(outputs.File(path), ["a", "b"]))
        {
            writer.Write(new float[3 * Samples], new float[Samples], new float[Samples], new float[Samples]);
            var e = Assert.Throws<InvalidOperationException>(writer.Complete);
            Assert.Contains("1 of 2 rows", e.Message);
            Assert.Throws<ArgumentException>(() =>
                writer.Write(
                    new float[2 * 3 * Samples],
                    new float[2 * Samples],
                    new float[2 * Samples],
                    new float[2 * Samples]
                )
            );
            Assert.Throws<ArgumentException>(() =>
                writer.Write(new float[3 * Samples], new float[Samples], new float[Samples - 1], new float[Samples])
            );
        }
        Assert.Empty(Directory.GetFiles(dir.Path));
        File.WriteAllText(path, "mine");
        using (var refusing = new OutputSet("pick", overwrite: false, inputs: []))
            Assert.Throws<IOException>(() => refusing.File(path));
        Assert.Throws<ArgumentException>(() => new CurvesWriter(dir.File("none.h5"), []));
        Assert.Equal("mine", File.ReadAllText(path));
        Assert.Throws<Hdf5Exception>(() => new CurvesReader(path));
    }
}
