using QuakePrune.Models;
using QuakePrune.Training;

namespace QuakePrune.Tests.Training;

/// <summary>Small generated data sets and a small ResNet, so training tests finish in seconds.</summary>
public static class TinyImages
{
    public const int Channels = 3;
    public const int Size = 16;

    /// <summary>Bottleneck ResNet with two stages (same code path as ResNet50) and a prunable hidden head.</summary>
    public static Architecture Architecture(int hidden = 8) =>
        ResNetArchitecture.Custom(
            ResNetBlock.Bottleneck,
            8,
            [
                new ResNetStage(
                    16,
                    [
                        [4, 4],
                    ]
                ),
                new ResNetStage(
                    16,
                    [
                        [4, 4],
                    ]
                ),
            ],
            hidden
        );

    /// <summary>
    /// Uniform noise in [-1, 1]; an earthquake adds a bright band across time in the lower rows (low frequencies), so
    /// the classes are separable. Rows alternate earthquake/noise; the splits are given as (name, count) in order.
    /// </summary>
    public static InMemoryImageDataSet Make(int seed, params (string Split, int Count)[] splits)
    {
        var count = splits.Sum(s => s.Count);
        var length = Channels * Size * Size;
        var images = new float[count * length];
        var random = new Random(seed);
        for (var i = 0; i < images.Length; i++)
            images[i] = (float)(random.NextDouble() * 2 - 1);
        var labels = Enumerable.Range(0, count).Select(i => (long)(i % 2 == 0 ? 1 : 0)).ToArray();
        for (var n = 0; n < count; n++)
        {
            if (labels[n] != 1)
                continue;
            for (var c = 0; c < Channels; c++)
            for (var row = 10; row < 14; row++)
            for (var col = 0; col < Size; col++)
                images[n * length + (c * Size + row) * Size + col] += 2;
        }
        var names = splits.SelectMany(s => Enumerable.Repeat(s.Split, s.Count)).ToArray();
        var snr = Enumerable.Range(0, count).Select(i => labels[i] == 1 ? (float)(i % 30) : float.NaN).ToArray();
        return new InMemoryImageDataSet(images, Channels, Size, Size, labels, names, snrDb: snr, source: $"tiny{seed}");
    }

    /// <summary>A quick run on one thread (libtorch's results then do not depend on the machine's cores).</summary>
    public static TrainOptions Options(string directory, int epochs) =>
        new()
        {
            OutputDirectory = directory,
            Architecture = Architecture(),
            Optimizer = OptimizerKind.AdamW,
            LearningRate = 0.01,
            WeightDecay = 0,
            WarmupEpochs = 0,
            Epochs = epochs,
            BatchSize = 8,
            Threads = 1,
            Seed = 7,
        };
}
