using QuakePrune.Extract;
using QuakePrune.Hdf5;
using QuakePrune.Spectrograms;
using QuakePrune.Stead;
using QuakePrune.Synth;

namespace QuakePrune.Tests.Spectrograms;

/// <summary>
/// A small synthetic subset (40 traces with a split column) shared read-only by the spectrogram file tests.
/// </summary>
public sealed class SmallSubset : IDisposable
{
    public TempDir Dir { get; } = new();
    public string Subset => Dir.File("subset");
    public List<SteadRecord> Records { get; }

    public SmallSubset()
    {
        SyntheticStead.Write(
            Dir.File("syn"),
            new SynthOptions
            {
                Traces = 60,
                Seed = 7,
                Threads = 2,
            }
        );
        SubsetExtractor.Extract(
            new ExtractOptions
            {
                Inputs = [Dir.File("syn")],
                OutputDirectory = Subset,
                PerClass = 20,
                Seed = 2,
                Split = new SplitFractions(0.5, 0.25, 0.25),
            }
        );
        Records = SteadCsv.ReadAll(Path.Combine(Subset, SubsetExtractor.CsvName));
    }

    public float[] Waveform(string traceName)
    {
        using var waveforms = new SteadWaveforms(Path.Combine(Subset, SubsetExtractor.Hdf5Name));
        return waveforms.Read(traceName);
    }

    public void Dispose() => Dir.Dispose();
}

public sealed class SpectrogramFileTests(SmallSubset subset) : IClassFixture<SmallSubset>, IDisposable
{
    private readonly TempDir dir = new();

    public void Dispose() => dir.Dispose();

    private static readonly SpectrogramSettings Small = new() { Size = new ImageSize(32, 24) };

    private SpectrogramJob Job(string name, SpectrogramSettings settings, string? source = null) =>
        new()
        {
            Subset = source ?? subset.Subset,
            OutputPath = dir.File(name),
            Settings = settings,
            Threads = 2,
            BatchSize = 7,
        };

    /// <summary>A copy of the subset whose trace number <paramref name="row"/> holds a NaN.</summary>
    private (string Subset, string TraceName) SubsetWithNaN(int row)
    {
        var copy = dir.File("nan-subset");
        Directory.CreateDirectory(copy);
        foreach (var file in Directory.GetFiles(subset.Subset))
            File.Copy(file, Path.Combine(copy, Path.GetFileName(file)));
        var name = subset.Records[row].TraceName;
        var waveform = subset.Waveform(name);
        waveform[1234 * 3 + 2] = float.NaN;
        using var h5 = H5File.Open(Path.Combine(copy, SubsetExtractor.Hdf5Name), writable: true);
        using var data = h5.OpenGroup(SteadLayout.DataGroup);
        using var dataset = data.OpenDataset(name);
        dataset.Write<float>(waveform);
        return (copy, name);
    }

    [Fact]
    public void A_non_finite_pixel_is_refused_by_every_read_naming_the_trace_and_the_pixel()
    {
        var summary = SpectrogramFile.Write(Job("nan-pixel.h5", Small));
        var row = 3;
        using (var h5 = H5File.Open(summary.OutputPath, writable: true))
        using (var images = h5.OpenDataset(SpectrogramFile.ImagesDataset))
        {
            var image = new float[3 * 32 * 24];
            image[1 * 32 * 24 + 5 * 24 + 7] = float.NaN;
            images.WriteRows<float>(row, image);
        }
        using var file = SpectrogramFile.Open(summary.OutputPath);
        var expected = $"image {row} (trace '{file.TraceNames[row]}') holds NaN at channel 1, row 5, column 7";
        Assert.Contains(expected, Assert.Throws<InvalidDataException>(() => file.ReadImage(row)).Message);
        Assert.Contains(
            expected,
            Assert.Throws<InvalidDataException>(() => file.ReadImages([0, row], new float[2 * 3 * 32 * 24])).Message
        );
        Assert.Equal(3 * 32 * 24, file.ReadImage(row + 1).Length);
        Assert.Contains(
            "image 1 holds Infinity",
            Assert
                .Throws<ArgumentException>(() =>
                    new QuakePrune.Training.InMemoryImageDataSet(
                        [0, 0, 0, 0, float.PositiveInfinity, 0, 0, 0],
                        1,
                        2,
                        2,
                        [0, 1],
                        ["train", "test"]
                    )
                )
                .Message
        );
    }

    [Fact]
    public void File_round_trip_holds_the_computers_images_and_the_subsets_columns()
    {
        var summary = SpectrogramFile.Write(Job("a.h5", Small));
        Assert.Equal(subset.Records.Count, summary.Count);
        Assert.Equal([3, 32, 24], summary.ImageShape);
        Assert.Empty(summary.SkippedNonFinite);

        using var file = SpectrogramFile.Open(summary.OutputPath);
        Assert.Equal(Small, file.Settings);
        Assert.Equal(subset.Records.Count, file.Count);
        Assert.Equal([3, 32, 24], file.ImageShape);
        Assert.Equal(SpectrogramDType.Float32, file.StoredDType);
        Assert.Equal(subset.Records.Select(r => r.TraceName), file.TraceNames);
        Assert.Equal(subset.Records.Select(r => r.IsEarthquake ? 1L : 0L), file.Labels);
        Assert.Equal(subset.Records.Select(r => r.ExtraValue("split")!), file.Splits);
        Assert.Equal(subset.Records.Select(r => r.IsEarthquake ? (float)r.MeanSnrDb!.Value : float.NaN), file.SnrDb);
        Assert.Contains(file.Labels, l => l == 0);
        Assert.Contains(file.Labels, l => l == 1);

        var computer = new SpectrogramComputer(Small);
        var all = file.ReadImages(0, file.Count);
        for (var i = 0; i < file.Count; i++)
        {
            var expected = computer.ComputeImage(subset.Waveform(file.TraceNames[i]), file.TraceNames[i]);
            Assert.Equal(expected, all.AsSpan(i * file.ImageLength, file.ImageLength).ToArray());
        }
        Assert.Equal(all.AsSpan(5 * file.ImageLength, file.ImageLength).ToArray(), file.ReadImage(file.TraceNames[5]));
        Assert.Throws<KeyNotFoundException>(() => file.ReadImage("no-such-trace"));

        foreach (var split in summary.Splits)
        {
            Assert.Equal(split.Earthquakes, file.IndicesOf(split.Split, 1).Length);
            Assert.Equal(split.Noise, file.IndicesOf(split.Split, 0).Length);
            Assert.Equal(split.Earthquakes.ToString(), file.Attributes[$"count_{split.Split}_earthquake"]);
        }
        Assert.Equal(file.Count, summary.Splits.Sum(s => s.Total));
        Assert.Equal(file.Count.ToString(), file.Attributes[SpectrogramFile.CountAttribute]);
    }

    [Fact]
    public void Images_are_chunked_one_sample_per_chunk_and_settings_are_root_attributes()
    {
        var summary = SpectrogramFile.Write(Job("b.h5", Small));
        using var h5 = H5File.Open(summary.OutputPath);
        using var images = h5.OpenDataset(SpectrogramFile.ImagesDataset);
        Assert.Equal([1L, 3, 32, 24], images.ChunkShape!);
        Assert.Equal(H5ElementType.Float32, images.ElementType);
        Assert.Equal(256, h5.Attributes.ReadDouble("nperseg"));
        Assert.Equal("zscore", h5.Attributes.ReadString("normalize"));
        foreach (var key in Small.ToMap().Keys)
            Assert.True(h5.Attributes.Contains(key), key);
        using var labels = h5.OpenDataset(SpectrogramFile.LabelsDataset);
        Assert.Equal(H5ElementType.Int64, labels.ElementType);
        Assert.Empty(Directory.GetFiles(dir.Path, ".*partial*"));
    }

    [Fact]
    public void Float16_native_images_equal_the_computers_rounded_to_half_whatever_the_threads()
    {
        var settings = SpectrogramSettings.ScipyParity with { DType = SpectrogramDType.Float16 };
        var summary = SpectrogramFile.Write(Job("h.h5", settings) with { Threads = 3, BatchSize = 3 });
        using var file = SpectrogramFile.Open(summary.OutputPath);
        Assert.Equal(settings, file.Settings);
        Assert.Equal(SpectrogramDType.Float16, file.StoredDType);
        Assert.Equal([3, 129, 90], file.ImageShape);
        var computer = new SpectrogramComputer(settings);
        foreach (var i in new[] { 0, 17, file.Count - 1 })
        {
            var expected = computer
                .ComputeImage(subset.Waveform(file.TraceNames[i]), file.TraceNames[i])
                .Select(v => (float)(Half)v);
            Assert.Equal(expected, file.ReadImage(i));
        }
    }

    [Fact]
    public void A_NaN_trace_fails_naming_it_and_leaves_nothing_behind()
    {
        var (source, name) = SubsetWithNaN(13);
        var job = Job("nan.h5", Small, source);
        var error = Assert.Throws<NonFiniteTraceException>(() => SpectrogramFile.Write(job));
        Assert.Equal(name, error.TraceName);
        Assert.Contains(name, error.Message);
        Assert.False(File.Exists(job.OutputPath));
        Assert.Empty(Directory.GetFiles(dir.Path));
    }

    [Fact]
    public void A_NaN_trace_is_skipped_and_counted_with_the_option()
    {
        var (source, name) = SubsetWithNaN(13);
        var summary = SpectrogramFile.Write(Job("skip.h5", Small, source) with { SkipNonFinite = true });
        Assert.Equal([name], summary.SkippedNonFinite);
        Assert.Equal(subset.Records.Count - 1, summary.Count);
        using var file = SpectrogramFile.Open(summary.OutputPath);
        Assert.Equal(subset.Records.Select(r => r.TraceName).Where(n => n != name), file.TraceNames);
        Assert.Equal(subset.Records.Where(r => r.TraceName != name).Select(r => r.IsEarthquake ? 1L : 0L), file.Labels);
        Assert.Equal("1", file.Attributes["skipped_nonfinite"]);
        var computer = new SpectrogramComputer(Small);
        foreach (var i in new[] { 12, 13, file.Count - 1 })
            Assert.Equal(
                computer.ComputeImage(subset.Waveform(file.TraceNames[i]), file.TraceNames[i]),
                file.ReadImage(i)
            );
    }

    [Fact]
    public void Bad_inputs_are_named_and_an_existing_output_is_kept()
    {
        var missing = Assert.Throws<FileNotFoundException>(() =>
            SpectrogramFile.Write(Job("m.h5", Small, dir.File("absent")))
        );
        Assert.Contains("absent.csv", missing.Message);

        var existing = dir.File("exists.h5");
        File.WriteAllText(existing, "keep me");
        var exists = Assert.Throws<IOException>(() => SpectrogramFile.Write(Job("exists.h5", Small)));
        Assert.Contains("--overwrite", exists.Message);
        Assert.Equal("keep me", File.ReadAllText(existing));

        var noSplit = dir.File("nosplit");
        Directory.CreateDirectory(noSplit);
        File.Copy(
            Path.Combine(subset.Subset, SubsetExtractor.Hdf5Name),
            Path.Combine(noSplit, SubsetExtractor.Hdf5Name)
        );
        SteadCsv.Write(
            Path.Combine(noSplit, SubsetExtractor.CsvName),
            subset.Records.Select(r => r with { Extra = [] })
        );
        var error = Assert.Throws<InvalidDataException>(() => SpectrogramFile.Write(Job("n.h5", Small, noSplit)));
        Assert.Contains("'split'", error.Message);

        var tooLong = Assert.Throws<ArgumentException>(() =>
            SpectrogramFile.Write(Job("l.h5", Small with { Nperseg = 8000 }))
        );
        Assert.Contains("nperseg", tooLong.Message);
        Assert.Equal(
            ["exists.h5"],
            Directory
                .GetFileSystemEntries(dir.Path)
                .Select(Path.GetFileName)
                .Where(n => n!.EndsWith(".h5") || n.Contains("partial"))
        );

        File.WriteAllText(dir.File("bad.h5"), "not hdf5");
        Assert.ThrowsAny<Exception>(() => SpectrogramFile.Open(dir.File("bad.h5")));
        Assert.Throws<FileNotFoundException>(() => SpectrogramFile.Open(dir.File("none.h5")));
    }

    [Fact]
    public void Mean_image_of_a_class_is_the_mean_of_its_images()
    {
        var summary = SpectrogramFile.Write(Job("mean.h5", Small));
        using var file = SpectrogramFile.Open(summary.OutputPath);
        var earthquakes = Enumerable.Range(0, file.Count).Where(i => file.Labels[i] == 1).ToArray();
        var mean = file.MeanImage(earthquakes);
        var images = earthquakes.Select(file.ReadImage).ToArray();
        for (var p = 0; p < file.ImageLength; p += 97)
            Assert.Equal(images.Average(image => (double)image[p]), mean[p], 1e-5);
    }
}
