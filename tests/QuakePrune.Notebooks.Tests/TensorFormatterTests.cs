using QuakePrune.Notebooks.Formatting;
using QuakePrune.Torch;

namespace QuakePrune.Notebooks.Tests;

public class TensorFormatterTests
{
    [Fact]
    public void Small_matrices_show_every_value_row_by_row()
    {
        using var t = torch.tensor(new[] { 1f, 2.5f, -3f, 4f, 5f, 6f }, [2, 3]);
        var (text, html) = TensorFormatter.Format(t);
        Assert.Equal(t + "\n1  2.5  -3\n4  5  6", text);
        Assert.Contains("<tr><td>1</td><td>2.5</td><td>-3</td></tr>", html);
    }

    [Fact]
    public void Large_or_higher_rank_tensors_show_their_range_and_count_non_finite_values()
    {
        using var t = torch.tensor(new[] { 1f, 2f, 6f, float.NaN, 3f, 4f, 5f, 7f }, [2, 2, 2]);
        var (text, html) = TensorFormatter.Format(t);
        Assert.Equal(t + "\nmin 1, mean 4, max 7, 1 not finite", text);
        Assert.Contains("<pre>min 1, mean 4, max 7, 1 not finite</pre>", html);
    }

    [Fact]
    public void Tensors_that_require_grad_and_disposed_tensors_format()
    {
        using var weights = torch.zeros([3], requires_grad: true);
        Assert.EndsWith("\n0  0  0", TensorFormatter.Format(weights).PlainText);
        var gone = torch.zeros(2);
        gone.Dispose();
        Assert.Equal("tensor(disposed)", TensorFormatter.Format(gone).PlainText);
    }
}
