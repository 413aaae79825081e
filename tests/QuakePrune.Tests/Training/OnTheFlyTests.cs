using System.Runtime.InteropServices;
using QuakePrune.Extract;
using QuakePrune.Hdf5;
using QuakePrune.Models;
using QuakePrune.Spectrograms;
using QuakePrune.Stead;
using QuakePrune.Tests.Spectrograms;
using QuakePrune.Training;

namespace QuakePrune.Tests.Training;

/// <summary>
/// Issue 27, point 4: a subset folder's spectrograms computed on the fly are the spectrogram file's, bit for bit, in
/// the same rows and batches, so training on the folder is training on the file.
/// </summary>
public sealed class OnTheFlyTests(SmallSubset subset) : IClassFixture<SmallSubset>, IDisposable
{
    private readonly TempDir dir = new();

    public void Dispose() => dir.Dispose();

    private static readonly SpectrogramSettings Small = new() { Size = new ImageSize(16, 16) };

    /// <summary>The spectrogram file of the subset, written as the `spectrogram` verb writes it.</summary>
    private string WriteFile(string name, SpectrogramSettings settings) =>
        SpectrogramFile
            .Write(
                new SpectrogramJob
                {
                    Subset = subset.Subset,
                    OutputPath = dir.File(name),
                    Settings = settings,
                    Threads = 2,
                }
            )
            .OutputPath;

    private static int[] Bits(float[] values) => MemoryMarshal.Cast<float, int>(values).ToArray();

    public static TheoryData<string, int> Cases =>
        new()
        {
            { "float32", 1 },
            { "float32", 3 },
            { "float16", 2 },
            { "minmax-native", 3 },
        };

    private static SpectrogramSettings CaseSettings(string name) =>
        name switch
        {
            "float32" => new SpectrogramSettings { Size = new ImageSize(24, 20) },
            "float16" => new SpectrogramSettings { Size = new ImageSize(24, 20), DType = SpectrogramDType.Float16 },
            _ => new SpectrogramSettings
            {
                Normalization = SpectrogramNormalization.MinMax,
                Preprocessing = PreprocessingSettings.None,
                Nperseg = 128,
                Noverlap = 64,
            },
        };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Images_computed_on_the_fly_equal_the_spectrogram_files_bit_for_bit(string settingsName, int threads)
    {
        var settings = CaseSettings(settingsName);
        using var file = ImageDataSets.Open(WriteFile("images.h5", settings));
        using var onTheFly = ImageDataSets.Open(subset.Subset, settings, threads);

        Assert.IsType<SubsetImageDataSet>(onTheFly);
        Assert.Equal(settings, onTheFly.Settings);
        Assert.Equal((file.Channels, file.Height, file.Width), (onTheFly.Channels, onTheFly.Height, onTheFly.Width));
        Assert.Equal(file.Labels, onTheFly.Labels);
        Assert.Equal(file.Splits, onTheFly.Splits);
        Assert.Equal(file.TraceNames, onTheFly.TraceNames);
        Assert.Equal(file.SnrDb, onTheFly.SnrDb);
        var length = file.Channels * file.Height * file.Width;
        foreach (var split in SplitFractions.Names)
        {
            var rows = file.IndicesOf(split);
            Assert.NotEmpty(rows);
            Assert.Equal(rows, onTheFly.IndicesOf(split));
            // Backwards: reads out of the subset's order must give each row its own image too.
            rows = [.. rows.Reverse()];
            var (expected, actual) = (new float[rows.Length * length], new float[rows.Length * length]);
            file.ReadImages(rows, expected);
            onTheFly.ReadImages(rows, actual);
            Assert.Equal(Bits(expected), Bits(actual));
            Assert.Equal(
                Bits(((SpectrogramFileDataSet)file).File.MeanImage(rows)),
                Bits(((SubsetImageDataSet)onTheFly).Images.MeanImage(rows))
            );
        }
        foreach (var (split, shuffle, epoch) in new[] { ("train", true, 0), ("train", true, 3), ("dev", false, 0) })
        {
            var fromFile = file.Batches(split, 5, shuffle, 11, epoch).ToList();
            var computed = onTheFly.Batches(split, 5, shuffle, 11, epoch).ToList();
            Assert.Equal(fromFile.Count, computed.Count);
            foreach (var (a, b) in fromFile.Zip(computed))
            {
                Assert.Equal(a.Indices, b.Indices);
                Assert.Equal(a.Labels, b.Labels);
                Assert.Equal(a.Count, b.Count);
                Assert.Equal(Bits(a.Images), Bits(b.Images));
            }
        }
    }

    [Fact]
    public void Training_one_epoch_on_the_subset_folder_gives_the_weights_of_training_on_its_spectrogram_file()
    {
        var options = TinyImages.Options(dir.File("unused"), epochs: 1) with { Augment = new AugmentOptions() };
        var fromFile = Trainer.Train(
            options with
            {
                Data = WriteFile("train.h5", Small),
                OutputDirectory = dir.File("file-run"),
            }
        );
        var onTheFly = Trainer.Train(
            options with
            {
                Data = subset.Subset,
                Spectrogram = Small,
                LoaderThreads = 2,
                OutputDirectory = dir.File("subset-run"),
            }
        );

        Assert.Equal(fromFile.History.Single().TrainLoss, onTheFly.History.Single().TrainLoss);
        Assert.Equal(fromFile.History.Single().DevLoss, onTheFly.History.Single().DevLoss);
        using var a = Checkpoint.Load(fromFile.ModelPath);
        using var b = Checkpoint.Load(onTheFly.ModelPath);
        var (weightsA, weightsB) = (a.Model.state_dict(), b.Model.state_dict());
        Assert.Equal(weightsA.Keys, weightsB.Keys);
        foreach (var (name, tensor) in weightsA)
            if (tensor.dtype == QuakePrune.Torch.ScalarType.Float32)
                Assert.Equal(Bits(tensor.ToArray<float>()), Bits(weightsB[name].ToArray<float>()));
            else
                Assert.Equal(tensor.ToArray<long>(), weightsB[name].ToArray<long>());
        Assert.Equal(Small, b.Info.Spectrogram());
        Assert.Equal(a.Info.Spectrogram(), b.Info.Spectrogram());
        Assert.Equal("subset", b.Info.Notes[TrainingNotes.Data]);

        // The model records its settings, so a verb scoring it on the folder computes the images it was trained on.
        using var scored = ImageDataSets.OpenFor(subset.Subset, b.Info);
        Assert.Equal(Small, scored.Settings);
        var report = ModelEvaluation.Evaluate(onTheFly.ModelPath, subset.Subset, "test");
        var fileReport = ModelEvaluation.Evaluate(fromFile.ModelPath, dir.File("train.h5"), "test");
        (report with { Data = fileReport.Data }).Write(dir.File("subset-metrics.json"));
        fileReport.Write(dir.File("file-metrics.json"));
        Assert.Equal(
            File.ReadAllText(dir.File("file-metrics.json")),
            File.ReadAllText(dir.File("subset-metrics.json"))
        );
    }

    [Fact]
    public void A_folder_that_is_not_a_subset_is_refused_naming_what_is_missing()
    {
        var empty = dir.File("empty");
        Directory.CreateDirectory(empty);
        var missing = Assert.Throws<FileNotFoundException>(() => ImageDataSets.Open(empty, Small));
        Assert.Equal(
            $"'{empty}' is not a subset folder: '{Path.Combine(empty, SubsetExtractor.CsvName)}' not found "
                + "(`quakeprune extract` writes subset.hdf5 and subset.csv)",
            missing.Message
        );

        // STEAD's own files under the subset's names: no split column, so not a subset.
        var stead = dir.File("stead");
        Directory.CreateDirectory(stead);
        File.Copy(Path.Combine(subset.Subset, SubsetExtractor.Hdf5Name), Path.Combine(stead, SubsetExtractor.Hdf5Name));
        File.WriteAllLines(
            Path.Combine(stead, SubsetExtractor.CsvName),
            File.ReadAllLines(Path.Combine(subset.Subset, SubsetExtractor.CsvName))
                .Select(line => string.Join(',', line.Split(',')[..^1]))
        );
        Assert.Contains(
            "has no 'split' column; make the subset with `quakeprune extract`",
            Assert.Throws<InvalidDataException>(() => ImageDataSets.Open(stead, Small)).Message
        );
    }

    [Fact]
    public void Settings_are_required_for_a_folder_and_must_be_a_files_own_beside_it()
    {
        Assert.StartsWith(
            $"'{subset.Subset}' is a subset folder, whose images are computed on the fly, but no spectrogram settings were given",
            Assert.Throws<ArgumentException>(() => ImageDataSets.Open(subset.Subset)).Message
        );
        var bare = new ModelInfo(TinyImages.Architecture(), new ImageSize(16, 16), new Dictionary<string, string>());
        Assert.Contains(
            "the model records no spectrogram settings",
            Assert.Throws<InvalidDataException>(() => ImageDataSets.OpenFor(subset.Subset, bare)).Message
        );
        Assert.StartsWith(
            "Spectrogram settings: noverlap (256) must be less than nperseg (256)",
            Assert
                .Throws<ArgumentException>(() => ImageDataSets.Open(subset.Subset, Small with { Noverlap = 256 }))
                .Message
        );

        var path = WriteFile("own.h5", Small);
        using (var same = ImageDataSets.Open(path, Small))
            Assert.Equal(Small, same.Settings);
        var other = Assert.Throws<InvalidDataException>(() => ImageDataSets.Open(path, Small with { Nperseg = 128 }));
        Assert.Equal(
            $"spectrogram file '{path}': its images were made with other settings than these (nperseg: 256 in the file, 128 given)",
            other.Message
        );
        // A model's settings are not checked against a file (as before): only a folder takes them.
        using var file = ImageDataSets.OpenFor(path, bare);
        Assert.Equal(Small, file.Settings);
    }

    [Fact]
    public void A_trace_holding_NaN_is_refused_naming_the_trace_and_the_subset()
    {
        var copy = dir.File("nan-subset");
        Directory.CreateDirectory(copy);
        foreach (var file in Directory.GetFiles(subset.Subset))
            File.Copy(file, Path.Combine(copy, Path.GetFileName(file)));
        var row = 5;
        var name = subset.Records[row].TraceName;
        var waveform = subset.Waveform(name);
        waveform[1234 * 3 + 2] = float.NaN;
        using (var h5 = H5File.Open(Path.Combine(copy, SubsetExtractor.Hdf5Name), writable: true))
        using (var data = h5.OpenGroup(SteadLayout.DataGroup))
        using (var dataset = data.OpenDataset(name))
            dataset.Write<float>(waveform);

        using var images = ImageDataSets.Open(copy, Small, 2);
        var expected =
            $"subset '{copy}': Trace '{name}' has a non-finite value (NaN) at sample 1234 of component Z; no spectrogram was made.";
        var length = 3 * 16 * 16;
        Assert.StartsWith(
            expected,
            Assert.Throws<InvalidDataException>(() => images.ReadImages([0, row], new float[2 * length])).Message
        );
        var split = images.Splits[row];
        Assert.StartsWith(
            expected,
            Assert.Throws<InvalidDataException>(() => images.Batches(split, 4, true, 1, 0).ToList()).Message
        );
        images.ReadImages([row + 1], new float[length]);
    }

    [Fact]
    public void The_content_hash_follows_the_subsets_files_and_the_settings()
    {
        using var a = ImageDataSets.Open(subset.Subset, Small);
        using var b = ImageDataSets.Open(subset.Subset, Small, 1);
        using var c = ImageDataSets.Open(subset.Subset, Small with { DType = SpectrogramDType.Float16 });
        Assert.Equal(a.ContentSha256(), b.ContentSha256());
        Assert.NotEqual(a.ContentSha256(), c.ContentSha256());

        var copy = dir.File("edited");
        Directory.CreateDirectory(copy);
        foreach (var file in Directory.GetFiles(subset.Subset))
            File.Copy(file, Path.Combine(copy, Path.GetFileName(file)));
        using (var same = ImageDataSets.Open(copy, Small))
            Assert.Equal(a.ContentSha256(), same.ContentSha256());
        var csv = Path.Combine(copy, SubsetExtractor.CsvName);
        File.WriteAllLines(csv, File.ReadAllLines(csv).SkipLast(1));
        using var fewer = ImageDataSets.Open(copy, Small);
        Assert.NotEqual(a.ContentSha256(), fewer.ContentSha256());
    }
}
