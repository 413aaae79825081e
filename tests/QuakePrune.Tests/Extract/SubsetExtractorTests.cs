using QuakePrune.Extract;
using QuakePrune.Hdf5;
using QuakePrune.Stead;
using QuakePrune.Synth;

namespace QuakePrune.Tests.Extract;

/// <summary>Two synthetic inputs shared by the extraction tests (read-only; a test that edits one copies it).</summary>
public sealed class TwoInputs : IDisposable
{
    public TempDir Dir { get; } = new();

    public TwoInputs()
    {
        SyntheticStead.Write(Dir.File("one"), new SynthOptions { Traces = 400, Seed = 4 });
        SyntheticStead.Write(
            Dir.File("two"),
            new SynthOptions
            {
                Traces = 200,
                Seed = 5,
                NoiseFraction = 0.3,
            }
        );
    }

    public void Dispose() => Dir.Dispose();
}

public sealed class SubsetExtractorTests(TwoInputs inputs) : IClassFixture<TwoInputs>, IDisposable
{
    private readonly TempDir dir = CopyOf(inputs.Dir);

    private static TempDir CopyOf(TempDir source)
    {
        var copy = new TempDir();
        foreach (var file in Directory.GetFiles(source.Path))
            File.Copy(file, copy.File(Path.GetFileName(file)));
        return copy;
    }

    public void Dispose() => dir.Dispose();

    private ExtractOptions Options(string output) =>
        new()
        {
            Inputs = [dir.File("one"), dir.File("two")],
            OutputDirectory = dir.File(output),
            PerClass = 150,
            Seed = 3,
        };

    [Fact]
    public void Subset_is_stead_with_a_split_column_deterministic_and_leak_free()
    {
        var summary = SubsetExtractor.Extract(Options("a"));
        SubsetExtractor.Extract(Options("b"));
        Assert.Equal(150, summary.Earthquakes);
        Assert.Equal(150, summary.Noise);
        Assert.Equal(File.ReadAllText(dir.File("a/subset.csv")), File.ReadAllText(dir.File("b/subset.csv")));
        Assert.NotEqual(
            File.ReadAllText(dir.File("a/subset.csv")),
            File.ReadAllText(SubsetExtractor.Extract(Options("c") with { Seed = 4 }).CsvPath)
        );
        Assert.EndsWith("trace_name,split", File.ReadLines(dir.File("a/subset.csv")).First());
        using var pair = SteadPair.Open(dir.File("a/subset"));
        var rows = pair.Records().ToList();
        Assert.Equal(300, rows.Count);
        var splits = rows.GroupBy(r => r.ExtraValue("split")!).ToDictionary(g => g.Key, g => g.Count());
        Assert.InRange(splits["train"], 0.75 * 300, 0.85 * 300);
        Assert.InRange(splits["dev"], 0.06 * 300, 0.14 * 300);
        Assert.InRange(splits["test"], 0.06 * 300, 0.14 * 300);
        foreach (var ev in rows.Where(r => r.IsEarthquake).GroupBy(r => r.SourceId))
            Assert.Single(ev.Select(r => r.ExtraValue("split")).Distinct());
        foreach (
            var day in rows.Where(r => !r.IsEarthquake)
                .GroupBy(r => (r.NetworkCode, r.ReceiverCode, r.TraceStartTime!.Value.Date))
        )
            Assert.Single(day.Select(r => r.ExtraValue("split")).Distinct());
        using var one = new SteadWaveforms(dir.File("one.hdf5"));
        using var two = new SteadWaveforms(dir.File("two.hdf5"));
        using var subset = new SteadWaveforms(pair.Hdf5Path);
        foreach (var row in rows.Take(40))
        {
            var source = one.Contains(row.TraceName) ? one : two;
            Assert.Equal(source.Read(row.TraceName), pair.ReadWaveform(row));
            Assert.Equal(SteadCsv.Format(row), SteadCsv.Format(subset.ReadAttributes(row.TraceName)));
        }
        Assert.Empty(Directory.GetFileSystemEntries(dir.Path, "*partial*"));
    }

    [Fact]
    public void Filters_hold()
    {
        var summary = SubsetExtractor.Extract(
            Options("f") with
            {
                PerClass = null,
                Earthquakes = 1000,
                Noise = 5,
                MinSnrDb = 10,
                Magnitude = new ValueRange(1.2, 3),
                DistanceKm = ValueRange.Parse("5:120", "--distance-km"),
                PStatus = ["manual"],
                ReceiverTypes = ["HH", "BH"],
            }
        );
        Assert.Equal(5, summary.Noise);
        var rows = SteadCsv.ReadAll(summary.CsvPath);
        Assert.Equal(summary.EarthquakesMatched, rows.Count(r => r.IsEarthquake));
        Assert.All(rows, r => Assert.Contains(r.ReceiverType, new[] { "HH", "BH" }));
        Assert.All(rows.Where(r => r.IsEarthquake), r =>
        {
            Assert.True(r.MeanSnrDb >= 10);
            Assert.InRange(r.SourceMagnitude!.Value, 1.2, 3);
            Assert.InRange(r.SourceDistanceKm!.Value, 5, 120);
            Assert.Equal("manual", r.PStatus);
        });
    }

    [Fact]
    public void Missing_inputs_and_absent_traces_fail_without_output()
    {
        var missing = Assert.Throws<FileNotFoundException>(() =>
            SubsetExtractor.Extract(Options("x") with { Inputs = [dir.File("nothing")] })
        );
        Assert.Contains("nothing.csv", missing.Message);
        File.Copy(dir.File("one.csv"), dir.File("ghost.csv"));
        using (var file = H5File.Create(dir.File("ghost.hdf5")))
        using (file.CreateGroup("data")) { }
        var absent = Assert.Throws<InvalidDataException>(() =>
            SubsetExtractor.Extract(Options("x") with { Inputs = [dir.File("ghost")] })
        );
        Assert.Contains("absent from", absent.Message);
        Assert.Contains("_", absent.Message);
        Assert.False(Directory.Exists(dir.File("x")));
        Assert.Empty(Directory.GetFileSystemEntries(dir.Path, "*partial*"));
    }

    [Fact]
    public void Non_finite_traces_fail_or_are_skipped_and_counted()
    {
        var rows = SteadCsv.ReadAll(dir.File("two.csv"));
        using (var file = H5File.Open(dir.File("two.hdf5"), writable: true))
        using (var data = file.OpenGroup("data"))
        using (var d = data.OpenDataset(rows[0].TraceName))
        {
            var w = d.Read<float>();
            w[100] = float.PositiveInfinity;
            d.Write<float>(w);
        }
        var options = Options("n") with { Inputs = [dir.File("two")], PerClass = null };
        Assert.Contains(
            rows[0].TraceName,
            Assert.Throws<InvalidDataException>(() => SubsetExtractor.Extract(options)).Message
        );
        Assert.False(Directory.Exists(dir.File("n")));
        var summary = SubsetExtractor.Extract(options with { SkipNonFinite = true });
        Assert.Equal(1, summary.SkippedNonFinite);
        Assert.Equal(199, summary.Total);
    }

    [Fact]
    public void Existing_output_is_kept_unless_overwriting_and_foreign_content_always()
    {
        Directory.CreateDirectory(dir.File("busy"));
        File.WriteAllText(dir.File("busy/keep.txt"), "x");
        Assert.Throws<IOException>(() => SubsetExtractor.Extract(Options("busy")));
        Assert.Contains(
            "not made by quakeprune",
            Assert.Throws<IOException>(() => SubsetExtractor.Extract(Options("busy") with { Overwrite = true })).Message
        );
        Assert.True(File.Exists(dir.File("busy/keep.txt")));
        var first = SubsetExtractor.Extract(Options("made"));
        Assert.Throws<IOException>(() => SubsetExtractor.Extract(Options("made")));
        SubsetExtractor.Extract(Options("made") with { Overwrite = true, Seed = 9 });
        Assert.NotEqual(0, first.Total);
        File.WriteAllText(dir.File("made/notes.txt"), "mine");
        Assert.Contains(
            "notes.txt",
            Assert.Throws<IOException>(() => SubsetExtractor.Extract(Options("made") with { Overwrite = true })).Message
        );
        Assert.True(File.Exists(dir.File("made/notes.txt")));
        Assert.True(File.Exists(dir.File("made/subset.hdf5")));
    }
}
