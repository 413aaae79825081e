using QuakePrune.Spectrograms;

namespace QuakePrune.Tests.Spectrograms;

/// <summary>
/// One small spectrogram file (float16, so the loader's widening is exercised) shared by the loader tests.
/// </summary>
public sealed class SmallSpectrogramFile : IDisposable
{
    private readonly SmallSubset subset = new();

    public SpectrogramFile File { get; }

    public SmallSpectrogramFile()
    {
        var summary = SpectrogramFile.Write(
            new SpectrogramJob
            {
                Subset = subset.Subset,
                OutputPath = subset.Dir.File("loader.h5"),
                Settings = new SpectrogramSettings { Size = new ImageSize(16, 12), DType = SpectrogramDType.Float16 },
                Threads = 2,
            }
        );
        File = SpectrogramFile.Open(summary.OutputPath);
    }

    public void Dispose()
    {
        File.Dispose();
        subset.Dispose();
    }
}

public sealed class SpectrogramLoaderTests(SmallSpectrogramFile data) : IClassFixture<SmallSpectrogramFile>
{
    private SpectrogramLoader Loader(int batch = 4, ulong seed = 5, bool dropLast = false, int prefetch = 2) =>
        new(
            data.File,
            new SpectrogramLoaderOptions
            {
                Split = "train",
                BatchSize = batch,
                Seed = seed,
                DropLast = dropLast,
                Prefetch = prefetch,
            }
        );

    private static int[] Served(SpectrogramLoader loader, int epoch) =>
        loader.Epoch(epoch).SelectMany(b => b.Indices).ToArray();

    [Fact]
    public void Same_seed_and_epoch_give_the_same_order_and_every_train_index_once()
    {
        var train = data.File.IndicesOf("train");
        Assert.True(train.Length >= 10);
        var loader = Loader();
        var first = Served(loader, 0);
        Assert.Equal(first, Served(loader, 0));
        Assert.Equal(first, Served(Loader(), 0));
        Assert.Equal(train, first.Order());
        Assert.NotEqual(train, first);
        var second = Served(loader, 1);
        Assert.NotEqual(first, second);
        Assert.Equal(train, second.Order());
        Assert.NotEqual(first, Served(Loader(seed: 6), 0));
        Assert.Equal(loader.Order(3), Served(loader, 3));
    }

    [Fact]
    public void Batches_hold_the_files_images_and_labels_and_the_last_is_kept_or_dropped()
    {
        var loader = Loader(batch: 3);
        var count = loader.Count;
        var batches = loader.Epoch(2).ToList();
        Assert.Equal((count + 2) / 3, batches.Count);
        Assert.Equal(loader.BatchesPerEpoch, batches.Count);
        Assert.Equal(count % 3 == 0 ? 3 : count % 3, batches[^1].Count);
        var length = data.File.ImageLength;
        foreach (var batch in batches)
        {
            Assert.Equal([batch.Count, 3, 16, 12], batch.Shape);
            Assert.Equal(batch.Count * length, batch.Images.Length);
            for (var k = 0; k < batch.Count; k++)
            {
                Assert.Equal(data.File.Labels[batch.Indices[k]], batch.Labels[k]);
                Assert.Equal(data.File.ReadImage(batch.Indices[k]), batch.Images.AsSpan(k * length, length).ToArray());
            }
        }

        var dropping = Loader(batch: 3, dropLast: true);
        var kept = dropping.Epoch(2).ToList();
        Assert.Equal(count / 3, kept.Count);
        Assert.All(kept, b => Assert.Equal(3, b.Count));
        Assert.Equal(loader.Order(2).Take(count / 3 * 3), kept.SelectMany(b => b.Indices));

        var ordered = new SpectrogramLoader(
            data.File,
            new SpectrogramLoaderOptions
            {
                Split = "dev",
                Shuffle = false,
                BatchSize = 100,
            }
        );
        Assert.Equal(data.File.IndicesOf("dev"), Assert.Single(ordered.Epoch(0)).Indices);
    }

    [Fact]
    public void Stopping_early_cancels_the_background_task()
    {
        var loader = Loader(batch: 1, prefetch: 2);
        Assert.False(loader.Prefetching);
        var taken = 0;
        foreach (var batch in loader.Epoch(0))
        {
            Assert.True(loader.Prefetching);
            if (++taken == 2)
                break;
        }
        Assert.False(loader.Prefetching);

        using var cancel = new CancellationTokenSource();
        var enumerator = loader.Epoch(1, cancel.Token).GetEnumerator();
        Assert.True(enumerator.MoveNext());
        cancel.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() => enumerator.MoveNext());
        enumerator.Dispose();
        Assert.False(loader.Prefetching);
        Assert.Equal(loader.Count, Served(loader, 0).Length);
    }

    [Fact]
    public void Bad_options_are_named()
    {
        Assert.Contains(
            "'nope'",
            Assert
                .Throws<ArgumentException>(() =>
                    new SpectrogramLoader(data.File, new SpectrogramLoaderOptions { Split = "nope" })
                )
                .Message
        );
        Assert.Contains("batch size", Assert.Throws<ArgumentException>(() => Loader(batch: 0)).Message);
    }
}
