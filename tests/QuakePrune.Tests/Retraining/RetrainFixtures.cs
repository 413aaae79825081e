using System.Globalization;
using QuakePrune.Models;
using QuakePrune.Training;
using static QuakePrune.Torch.torch;

namespace QuakePrune.Tests.Retraining;

/// <summary>Small separable images and a small bottleneck ResNet, so retraining tests take seconds.</summary>
public static class RetrainFixtures
{
    public const int Size = 16;

    public static Architecture Architecture() =>
        ResNetArchitecture.Custom(
            ResNetBlock.Bottleneck,
            8,
            [
                new ResNetStage(
                    16,
                    [
                        [8, 8],
                    ]
                ),
                new ResNetStage(
                    32,
                    [
                        [12, 12],
                    ]
                ),
            ],
            hidden: 10
        );

    /// <summary>
    /// Gaussian-ish noise; earthquakes (even rows) carry a bright band over the lower frequency rows, so a few epochs
    /// separate the classes. Splits: train, dev, test in that order.
    /// </summary>
    public static InMemoryImageDataSet Data(int seed, int train = 48, int dev = 16, int test = 16)
    {
        var count = train + dev + test;
        var length = 3 * Size * Size;
        var random = new Random(seed);
        var images = new float[count * length];
        for (var i = 0; i < images.Length; i++)
            images[i] = (float)(random.NextDouble() + random.NextDouble() - 1);
        var labels = Enumerable.Range(0, count).Select(i => i % 2 == 0 ? 1L : 0L).ToArray();
        for (var n = 0; n < count; n += 2)
        for (var c = 0; c < 3; c++)
        for (var row = 11; row < 15; row++)
        for (var col = 0; col < Size; col++)
            images[n * length + (c * Size + row) * Size + col] += 3f;
        var splits = Enumerable
            .Repeat("train", train)
            .Concat(Enumerable.Repeat("dev", dev))
            .Concat(Enumerable.Repeat("test", test))
            .ToArray();
        return new InMemoryImageDataSet(images, 3, Size, Size, labels, splits, source: $"retrain-fixture-{seed}");
    }

    /// <summary>
    /// A freshly initialised model saved as a checkpoint, with the training notes a trained baseline carries.
    /// </summary>
    public static string Checkpoint(string path, long seed = 5, double? trainedRate = 0.1, string optimizer = "adamw")
    {
        manual_seed(seed);
        using var model = new Network(Architecture());
        var notes = new Dictionary<string, string> { [TrainingNotes.Optimizer] = optimizer };
        if (trainedRate is { } rate)
            notes[TrainingNotes.LearningRate] = rate.ToString("R", CultureInfo.InvariantCulture);
        QuakePrune.Models.Checkpoint.Save(
            model,
            new ModelInfo(model.Architecture, new ImageSize(Size, Size), notes),
            path
        );
        return path;
    }
}
