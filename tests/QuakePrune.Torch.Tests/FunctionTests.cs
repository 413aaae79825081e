using static QuakePrune.Torch.torch;

namespace QuakePrune.Torch.Tests;

/// <summary>
/// Functions written in C# that autograd differentiates (<see cref="AutogradFunction"/>): their gradients, the tensors
/// they keep for the backward pass freed with the graph, and their failures named, never fatal.
/// </summary>
public class FunctionTests
{
    /// <summary>
    /// a * b + exp(a), with its gradient written by hand; it keeps both inputs for the backward pass.
    /// </summary>
    private sealed class ProductPlusExponential : AutogradFunction
    {
        private Tensor a = null!;
        private Tensor b = null!;

        public bool FailBackward { get; init; }

        protected override Tensor[] Forward(Tensor[] inputs)
        {
            if (inputs[0].shape.Length != inputs[1].shape.Length)
                throw new ArgumentException("a and b differ in rank");
            (a, b) = (Keep(inputs[0]), Keep(inputs[1]));
            return [a * b + a.exp()];
        }

        protected override Tensor?[] Backward(Tensor[] outputGradients)
        {
            if (FailBackward)
                throw new InvalidOperationException("no gradient today");
            var g = outputGradients[0];
            return [g * (b + a.exp()), g * a];
        }
    }

    [Fact]
    public void A_function_written_in_csharp_has_the_gradients_of_its_backward_pass()
    {
        manual_seed(3);
        var a = randn([3, 4], ScalarType.Float64);
        var b = randn([3, 4], ScalarType.Float64);
        GradientTests.CheckGradients(inputs => new ProductPlusExponential().Apply(1, inputs)[0], a, b);
    }

    [Fact]
    public void What_a_function_keeps_is_freed_with_its_graph_or_at_once_without_one()
    {
        // Tensors another test left to the finaliser are freed first, so none is freed during the count.
        GC.Collect();
        GC.WaitForPendingFinalizers();
        var before = live_tensors();
        using (NewDisposeScope())
        {
            var a = ones([2, 2], requires_grad: true);
            var b = full([2, 2], 3.0);
            new ProductPlusExponential().Apply(1, a, b)[0].sum().backward();
            Assert.All(a.grad!.ToArray<float>(), g => Assert.Equal(3 + MathF.E, g, 5));
        }
        using (NewDisposeScope())
        {
            // A graph dropped without a backward pass.
            var a = ones([2, 2], requires_grad: true);
            new ProductPlusExponential().Apply(1, a, a);
        }
        using (NewDisposeScope())
        using (no_grad())
            new ProductPlusExponential().Apply(1, ones(2), ones(2));
        GC.Collect();
        GC.WaitForPendingFinalizers();
        Assert.Equal(before, live_tensors());
    }

    [Fact]
    public void A_failing_pass_is_an_exception_that_names_the_function()
    {
        using var scope = NewDisposeScope();
        var a = ones([2, 2], requires_grad: true);
        var forward = Assert.Throws<ArgumentException>(() => new ProductPlusExponential().Apply(1, a, ones(2)));
        Assert.Equal("a and b differ in rank", forward.Message);
        Assert.Contains(
            "ProductPlusExponential: no gradient today",
            Assert
                .Throws<TorchException>(() =>
                    new ProductPlusExponential { FailBackward = true }
                        .Apply(1, a, ones([2, 2]))[0]
                        .sum()
                        .backward()
                )
                .Message
        );
        var wrongCount = Assert.Throws<InvalidOperationException>(() => new ProductPlusExponential().Apply(2, a, a));
        Assert.Equal("1 results where 2 are expected", wrongCount.Message);
        // The process goes on: the same function works afterwards.
        new ProductPlusExponential().Apply(1, a, a)[0].sum().backward();
        Assert.NotNull(a.grad);
    }
}
