using System.Runtime.InteropServices;
using QuakePrune.Torch;
using static QuakePrune.Torch.torch;
using F = QuakePrune.Torch.torch.nn.functional;

namespace QuakePrune.Torch.Tests;

public class NativeSafetyTests
{
    [Fact]
    public void ShapeMismatchesBecomeManagedExceptionsWithLibtorchsText()
    {
        using var scope = NewDisposeScope();
        var conv = Assert.Throws<TorchException>(() => F.conv2d(ones(1, 2, 8, 8), ones(4, 3, 3, 3)));
        Assert.Contains("expected input[1, 2, 8, 8] to have 3 channels, but got 2 channels instead", conv.Message);
        Assert.IsAssignableFrom<ExternalException>(conv);
        var matmul = Assert.Throws<TorchException>(() => ones(2, 3).matmul(ones(2, 3)));
        Assert.Contains("cannot be multiplied (2x3 and 2x3)", matmul.Message);
        Assert.Throws<TorchException>(() => ones(6).view(4));
        Assert.Throws<TorchException>(() => cat([ones(2, 2), ones(3, 3)], 0));
        Assert.Contains("CUDA", Assert.Throws<TorchException>(() => ones(2).to(Device.CUDA)).Message);
        // The process and libtorch carry on.
        Assert.Equal(9f, (ones(3, 3) * 1).sum().item<float>());
    }

    [Fact]
    public void ErrorsOnOtherThreadsStayOnThoseThreads()
    {
        var messages = new string[4];
        Parallel.For(0, 4, k =>
        {
            using var a = ones(k + 1, 2);
            using var b = ones(3, 2);
            messages[k] = Assert.Throws<TorchException>(() => a.matmul(b)).Message;
        });
        for (var k = 0; k < 4; k++) Assert.Contains($"({k + 1}x2 and 3x2)", messages[k]);
    }

    private static long ResidentKilobytes()
    {
        var line = File.ReadLines("/proc/self/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture);
    }

    private static void Cycles(int count)
    {
        for (var k = 0; k < count; k++)
        {
            using (NewDisposeScope())
            {
                var a = randn(64, 64);
                var b = (a * 2 + 1).relu();
                _ = b.sum().item<float>();
            }
            using var c = zeros(64, 64);
            using var d = c.add(1);
            _ = d.ToArray<float>();
        }
    }

    [Fact]
    public void TenThousandCreateUseDisposeCyclesKeepMemoryBounded()
    {
        // Every cycle makes ~80 KB of tensors: a leak of them would add ~800 MB over 10,000 cycles.
        Cycles(1000);
        GC.Collect();
        var before = ResidentKilobytes();
        Cycles(10_000);
        GC.Collect();
        var growth = ResidentKilobytes() - before;
        Assert.True(growth < 64 * 1024, $"resident memory grew by {growth} KB over 10,000 cycles");
    }
}
