using QuakePrune.Notebooks.Formatting;
using QuakePrune.Torch;

namespace QuakePrune.Notebooks.Tests;

public class TensorFormatterTests
{
    [Fact]
    public void SmallMatricesShowEveryValueRowByRow()
    {
        using var t = torch.tensor(new[] { 1f, 2.5f, -3f, 4f, 5f, 6f }, [2, 3]);
        var bundle = FormatterRegistry.CreateDefault().Format(t);
        Assert.Equal(t + "\n1  2.5  -3\n4  5  6", bundle.PlainText);
        Assert.Contains("<tr><td>1</td><td>2.5</td><td>-3</td></tr>", bundle[MimeTypes.Html]!.GetValue<string>());
    }

    [Fact]
    public void LargeOrHigherRankTensorsShowTheirRangeAndCountNonFiniteValues()
    {
        using var t = torch.tensor(new[] { 1f, 2f, 6f, float.NaN, 3f, 4f, 5f, 7f }, [2, 2, 2]);
        var bundle = FormatterRegistry.CreateDefault().Format(t);
        Assert.Equal(t + "\nmin 1, mean 4, max 7, 1 not finite", bundle.PlainText);
    }

    [Fact]
    public void TensorsThatRequireGradAndDisposedTensorsFormat()
    {
        using var weights = torch.zeros([3], requires_grad: true);
        Assert.EndsWith("\n0  0  0", FormatterRegistry.CreateDefault().Format(weights).PlainText);
        var gone = torch.zeros(2);
        gone.Dispose();
        Assert.Equal("tensor(disposed)", FormatterRegistry.CreateDefault().Format(gone).PlainText);
    }
}
