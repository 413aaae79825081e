using QuakePrune.Picking;
using QuakePrune.Torch;
using static QuakePrune.Torch.torch;

namespace QuakePrune.Tests.Picking;

public class LossTests
{
    /// <summary>-(y log x + (1 - y) log(1 - x)) averaged, in double, with x clipped as Keras clips it.</summary>
    private static double Bce(float[] x, float[] y)
    {
        double sum = 0;
        for (var i = 0; i < x.Length; i++)
        {
            var c = Math.Clamp(x[i], PickingLoss.Epsilon, 1 - PickingLoss.Epsilon);
            sum -= y[i] * Math.Log(c) + (1 - y[i]) * Math.Log(1 - c);
        }
        return sum / x.Length;
    }

    [Fact]
    public void The_loss_is_the_weighted_mean_binary_cross_entropy_of_the_three_curves()
    {
        using var scope = NewDisposeScope();
        float[] d = [0.9f, 0.2f, 0.6f, 0.05f], p = [0.1f, 0.7f, 0.3f, 0.5f], s = [0.4f, 0.4f, 0.99f, 0.01f];
        float[] yd = [1, 0, 1, 0], yp = [0, 1, 0.5f, 0], ys = [0, 0.2f, 1, 0];
        long[] shape = [2, 2];
        var loss = PickingLoss.Compute(tensor(d, shape), tensor(p, shape), tensor(s, shape), tensor(yd, shape), tensor(yp, shape), tensor(ys, shape));
        Assert.Empty(loss.shape);
        var expected = 0.05 * Bce(d, yd) + 0.40 * Bce(p, yp) + 0.55 * Bce(s, ys);
        Assert.Equal(expected, loss.item<float>(), 1e-5);
        Assert.Equal((0.05, 0.40, 0.55), (PickingLoss.DetectionWeight, PickingLoss.PWeight, PickingLoss.SWeight));
    }

    [Fact]
    public void Gradients_flow_to_the_outputs_and_stay_finite_where_the_sigmoid_saturated()
    {
        using var scope = NewDisposeScope();
        float[] values = [0.25f, 0.8f, 1f, 0f];
        float[] labels = [1, 0, 0, 0];
        var p = tensor(values, [1, 4], requires_grad: true);
        var zeros = torch.zeros(1, 4);
        var half = full([1, 4], 0.5);
        var loss = PickingLoss.Compute(half, p, half, zeros, tensor(labels, [1, 4]), zeros);
        loss.backward();
        var grad = p.grad!.ToArray<float>();
        // d/dx of 0.40 * mean(BCE) = 0.40 / 4 * (x - y) / (x (1 - x)) inside the clip; 0 where x was clipped.
        Assert.Equal(0.1 * (0.25 - 1) / (0.25 * 0.75), grad[0], 1e-5);
        Assert.Equal(0.1 * 0.8 / (0.8 * 0.2), grad[1], 1e-4);
        Assert.Equal(0f, grad[2]);
        Assert.Equal(0f, grad[3]);
        // A saturated wrong answer costs -log(1 - float32(1 - 1e-7)) = 15.9, not infinity.
        Assert.True(float.IsFinite(loss.item<float>()));
        var saturated = PickingLoss.BinaryCrossEntropy(tensor(new[] { 1f }, [1]), tensor(new[] { 0f }, [1]));
        Assert.Equal(-Math.Log(1 - (double)(float)(1 - PickingLoss.Epsilon)), saturated.item<float>(), 1e-4);
    }

    [Fact]
    public void Shapes_that_would_broadcast_are_refused_naming_the_curve()
    {
        using var scope = NewDisposeScope();
        var outputs = torch.zeros(2, 1, 6000);
        var labels = torch.zeros(2, 6000);
        var e = Assert.Throws<ArgumentException>(() => PickingLoss.Compute(labels, labels, outputs, labels, labels, labels));
        Assert.Contains("S curve", e.Message);
        Assert.Contains("[2, 1, 6000]", e.Message);
    }
}
