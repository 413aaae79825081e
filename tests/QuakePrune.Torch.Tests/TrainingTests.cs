using QuakePrune.Torch;
using static QuakePrune.Torch.torch;
using F = QuakePrune.Torch.torch.nn.functional;

namespace QuakePrune.Torch.Tests;

public class TrainingTests
{
    /// <summary>
    /// 8x8 images with noise: a vertical bar (class 1) or a horizontal bar (class 0) at a random place.
    /// </summary>
    private static (Tensor images, Tensor labels) Bars(int count, int seed)
    {
        var random = new Random(seed);
        var pixels = new float[count * 64];
        var labels = new long[count];
        for (var n = 0; n < count; n++)
        {
            labels[n] = n % 2;
            var at = random.Next(8);
            for (var i = 0; i < 64; i++)
            {
                var (row, column) = (i / 8, i % 8);
                var onBar = labels[n] == 1 ? column == at : row == at;
                pixels[n * 64 + i] = (onBar ? 1f : 0f) + 0.3f * (float)(random.NextDouble() - 0.5);
            }
        }
        return (tensor(pixels, [count, 1, 8, 8]), tensor(labels));
    }

    [Fact]
    public void Small_cnn_learns_bars_perfectly()
    {
        // One thread: libtorch splits its sums by the thread count, so the run (and whether it converges) would
        // otherwise depend on the machine's cores.
        using var threads = new ThreadCount(1);
        manual_seed(11);
        using var model = nn.Sequential(
            nn.Conv2d(1, 8, 3, padding: 1),
            nn.BatchNorm2d(8),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(8, 8, 3, padding: 1),
            nn.BatchNorm2d(8),
            nn.ReLU(true),
            nn.AdaptiveAvgPool2d(1),
            nn.Flatten(),
            nn.Dropout(0.1),
            nn.Linear(8, 2)
        );
        var optimizer = new optim.SGD(model.named_parameters(), lr: 0.05, momentum: 0.9, weight_decay: 1e-4);
        var schedule = new optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max: 80);
        var (train, trainLabels) = Bars(128, 1);
        var (test, testLabels) = Bars(128, 2);
        model.train();
        for (var step = 0; step < 80; step++)
        {
            using var scope = NewDisposeScope();
            var batch = randperm(128).narrow(0, 0, 32);
            optimizer.zero_grad();
            var loss = F.cross_entropy(
                model.call(train.index_select(0, batch)),
                trainLabels.index_select(0, batch),
                label_smoothing: 0.05
            );
            loss.backward();
            optimizer.step();
            schedule.step();
        }
        model.eval();
        using (NewDisposeScope())
        using (inference_mode())
        {
            var predicted = model.call(test).argmax(1);
            Assert.Equal(128L, predicted.eq(testLabels).sum().item<long>());
        }
    }
}
