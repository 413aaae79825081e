using QuakePrune.Picking;
using QuakePrune.Torch;
using static QuakePrune.Torch.torch;

namespace QuakePrune.Tests.Picking;

public class LossTests
{
    /// <summary>-(y log x + (1 - y) log(1 - x)) with x = sigmoid(z), averaged, in double.</summary>
    private static double Bce(float[] z, float[] y)
    {
        double sum = 0;
        for (var i = 0; i < z.Length; i++)
        {
            var x = 1 / (1 + Math.Exp(-z[i]));
            sum -= y[i] * Math.Log(x) + (1 - y[i]) * Math.Log(1 - x);
        }
        return sum / z.Length;
    }

    [Fact]
    public void The_loss_is_the_weighted_mean_binary_cross_entropy_of_the_three_curves()
    {
        using var scope = NewDisposeScope();
        float[] d = [2.2f, -1.4f, 0.4f, -2.9f],
            p = [-2.2f, 0.8f, -0.8f, 0f],
            s = [-0.4f, -0.4f, 4.6f, -4.6f];
        float[] yd = [1, 0, 1, 0],
            yp = [0, 1, 0.5f, 0],
            ys = [0, 0.2f, 1, 0];
        long[] shape = [2, 2];
        var loss = PickingLoss.Compute(
            tensor(d, shape),
            tensor(p, shape),
            tensor(s, shape),
            tensor(yd, shape),
            tensor(yp, shape),
            tensor(ys, shape)
        );
        Assert.Empty(loss.shape);
        var expected = 0.05 * Bce(d, yd) + 0.40 * Bce(p, yp) + 0.55 * Bce(s, ys);
        Assert.Equal(expected, loss.item<float>(), 1e-5);
        Assert.Equal(new LossWeights(0.05, 0.40, 0.55), LossWeights.EqTransformer);
        var boosted = PickingLoss.Compute(
            tensor(d, shape),
            tensor(p, shape),
            tensor(s, shape),
            tensor(yd, shape),
            tensor(yp, shape),
            tensor(ys, shape),
            new LossWeights(0.05, 0.55, 0.40)
        );
        Assert.Equal(0.05 * Bce(d, yd) + 0.55 * Bce(p, yp) + 0.40 * Bce(s, ys), boosted.item<float>(), 1e-5);
        Assert.Equal(new LossWeights(0.05, 0.55, 0.4), LossWeights.Parse(" 0.05, 0.55,0.4"));
        Assert.Equal("0.05,0.55,0.4", LossWeights.Parse("0.05,0.55,0.4").ToString());
        Assert.Contains(
            "three numbers",
            Assert.Throws<ArgumentException>(() => LossWeights.Parse("0.05,0.55")).Message
        );
        Assert.Throws<ArgumentException>(() => LossWeights.Parse("0,-1,2"));
    }

    /// <summary>
    /// The defect of issue 22: on probabilities clipped to [1e-7, 1 - 1e-7] a pick whose output had fallen below 1e-7
    /// had no gradient, so the P and S heads, pushed to zero by the 5960 unlabelled samples, never learned. On logits
    /// the gradient is sigmoid(z) - y wherever z lies, and the loss stays finite.
    /// </summary>
    [Fact]
    public void Gradients_stay_alive_and_finite_however_far_the_sigmoid_saturated()
    {
        using var scope = NewDisposeScope();
        float[] logits = [-1.1f, 1.4f, -40f, 40f, -200f];
        float[] labels = [1, 0, 1, 0, 1];
        var p = tensor(logits, [1, 5], requires_grad: true);
        var zeros = torch.zeros(1, 5);
        var loss = PickingLoss.Compute(zeros, p, zeros, zeros, tensor(labels, [1, 5]), zeros);
        loss.backward();
        var grad = p.grad!.ToArray<float>();
        // d/dz of 0.40 * mean(BCE) = 0.40 / 5 * (sigmoid(z) - y).
        for (var i = 0; i < logits.Length; i++)
            Assert.Equal(0.08 * (1 / (1 + Math.Exp(-logits[i])) - labels[i]), grad[i], 1e-6);
        Assert.Equal(-0.08, grad[2], 1e-6);
        Assert.Equal(-0.08, grad[4], 1e-6);
        Assert.True(float.IsFinite(loss.item<float>()));
        // A wrong answer 200 logits deep costs 200, not infinity.
        var saturated = PickingLoss.BinaryCrossEntropy(tensor(new[] { -200f }, [1]), tensor(new[] { 1f }, [1]));
        Assert.Equal(200, saturated.item<float>(), 1e-3);
    }

    [Fact]
    public void Shapes_that_would_broadcast_are_refused_naming_the_curve()
    {
        using var scope = NewDisposeScope();
        var outputs = torch.zeros(2, 1, 6000);
        var labels = torch.zeros(2, 6000);
        var e = Assert.Throws<ArgumentException>(() =>
            PickingLoss.Compute(labels, labels, outputs, labels, labels, labels)
        );
        Assert.Contains("S curve", e.Message);
        Assert.Contains("[2, 1, 6000]", e.Message);
    }
}
