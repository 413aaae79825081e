using QuakePrune.Torch;
using static QuakePrune.Torch.torch;
using F = QuakePrune.Torch.torch.nn.functional;

namespace QuakePrune.Torch.Tests;

/// <summary>libtorch's gradients through our bindings against central finite differences, in float64.</summary>
public class GradientTests
{
    /// <summary>
    /// Checks d loss / d inputs[k] for every k, where loss = sum(f(inputs) * R) with a fixed random R,
    /// against (loss(x + h e_i) - loss(x - h e_i)) / 2h for every element i.
    /// </summary>
    internal static void CheckGradients(Func<Tensor[], Tensor> f, params Tensor[] inputs)
    {
        using var scope = NewDisposeScope();
        manual_seed(7);
        Tensor weights;
        using (no_grad())
        {
            using var probe = f(inputs);
            weights = randn(probe.shape, ScalarType.Float64);
        }
        foreach (var x in inputs)
            x.requires_grad = true;
        var loss = f(inputs).mul(weights).sum();
        loss.backward();
        for (var k = 0; k < inputs.Length; k++)
        {
            var analytic = inputs[k].grad!.ToArray<double>();
            var values = inputs[k].detach().ToArray<double>();
            var shape = inputs[k].shape;
            const double h = 1e-6;
            for (var i = 0; i < values.Length; i++)
            {
                double Loss(double delta)
                {
                    using var inner = NewDisposeScope();
                    using var _ = no_grad();
                    var shifted = (double[])values.Clone();
                    shifted[i] += delta;
                    var arguments = (Tensor[])inputs.Clone();
                    arguments[k] = tensor(shifted, shape);
                    return f(arguments).mul(weights).sum().item<double>();
                }
                var numeric = (Loss(h) - Loss(-h)) / (2 * h);
                Assert.True(
                    Math.Abs(numeric - analytic[i]) <= 1e-6 * Math.Max(1, Math.Abs(numeric)),
                    $"input {k} element {i}: analytic {analytic[i]}, numeric {numeric}"
                );
            }
        }
    }

    [Fact]
    public void Conv2d_gradients_match_finite_differences()
    {
        manual_seed(1);
        var x = randn([2, 4, 5, 6], ScalarType.Float64);
        var w = randn([6, 2, 3, 3], ScalarType.Float64);
        var b = randn([6], ScalarType.Float64);
        CheckGradients(
            a => F.conv2d(a[0], a[1], a[2], stride: (2, 1), padding: (1, 2), dilation: (1, 2), groups: 2),
            x,
            w,
            b
        );
    }

    [Fact]
    public void Batch_norm_training_gradients_match_finite_differences()
    {
        manual_seed(2);
        var x = randn([3, 2, 2, 3], ScalarType.Float64);
        var gamma = randn([2], ScalarType.Float64);
        var beta = randn([2], ScalarType.Float64);
        CheckGradients(a => F.batch_norm(a[0], null, null, a[1], a[2], training: true, eps: 1e-5), x, gamma, beta);
    }

    [Fact]
    public void Linear_gradients_match_finite_differences()
    {
        manual_seed(3);
        var x = randn([4, 5], ScalarType.Float64);
        var w = randn([3, 5], ScalarType.Float64);
        var b = randn([3], ScalarType.Float64);
        CheckGradients(a => F.linear(a[0], a[1], a[2]), x, w, b);
    }

    [Fact]
    public void Cross_entropy_gradients_match_finite_differences()
    {
        manual_seed(4);
        var logits = randn([5, 3], ScalarType.Float64);
        var target = tensor(new long[] { 0, 2, 1, 1, 0 });
        var classWeights = tensor(new[] { 1.0, 2.0, 0.5 });
        CheckGradients(a => F.cross_entropy(a[0], target, classWeights, label_smoothing: 0.1), logits);
    }
}
