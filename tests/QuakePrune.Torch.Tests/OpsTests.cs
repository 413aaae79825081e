using QuakePrune.Torch;
using static QuakePrune.Torch.torch;
using F = QuakePrune.Torch.torch.nn.functional;

namespace QuakePrune.Torch.Tests;

/// <summary>Op results against values worked out by hand (or, where noted, printed once by PyTorch 1.13).</summary>
public class OpsTests
{
    private static void Near(double[] expected, double[] actual, double tolerance = 1e-12)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++)
            Assert.True(
                Math.Abs(expected[i] - actual[i]) <= tolerance,
                $"element {i}: expected {expected[i]}, got {actual[i]}"
            );
    }

    [Fact]
    public void Creation_shapes_and_dtypes_round_trip()
    {
        using var scope = NewDisposeScope();
        var a = tensor(new float[] { 1, 2, 3, 4, 5, 6 }, [2, 3]);
        Assert.Equal([2L, 3], a.shape);
        Assert.Equal(ScalarType.Float32, a.dtype);
        Assert.Equal(Device.CPU.type, a.device.type);
        Assert.Equal([1f, 2, 3, 4, 5, 6], a.ToArray<float>());
        Assert.Equal([true, false, true], tensor(new[] { true, false, true }).ToArray<bool>());
        Assert.Equal(new byte[] { 0, 255, 7 }, tensor(new byte[] { 0, 255, 7 }).ToArray<byte>());
        Assert.Equal([long.MaxValue, -1], tensor(new[] { long.MaxValue, -1L }).ToArray<long>());
        Assert.Equal([int.MinValue, 3], tensor(new[] { int.MinValue, 3 }).ToArray<int>());
        Assert.Equal([(Half)0.5, (Half)(-2)], tensor(new[] { (Half)0.5, (Half)(-2) }).ToArray<Half>());
        Assert.Equal([0.1, 0.2], tensor(new[] { 0.1, 0.2 }).ToArray<double>());
        Assert.Equal([0f, 0, 0, 0], zeros(2, 2).ToArray<float>());
        Assert.Equal([1.0, 1], ones([2], ScalarType.Float64).ToArray<double>());
        Assert.Equal([7L, 7], full([2], 7, ScalarType.Int64).ToArray<long>());
        Assert.Equal([0L, 1, 2, 3], arange(4).ToArray<long>());
        Assert.Equal(ScalarType.Float32, arange(0.0, 1.0, 0.25).dtype);
        Assert.Equal([0f, 0.25f, 0.5f, 0.75f], arange(0.0, 1.0, 0.25).ToArray<float>());
        Assert.Empty(scalar_tensor(3.5).shape);
        Assert.Equal(3.5, scalar_tensor(3.5).item<double>());
        Assert.Equal(ScalarType.Float16, a.to(ScalarType.Float16).dtype);
        Assert.Throws<ArgumentException>(() => a.ToArray<double>());
        Assert.Throws<ArgumentException>(() => tensor(new float[] { 1, 2, 3 }, [2, 2]));
        Assert.Equal(0, tensor(Array.Empty<float>()).numel());
    }

    [Fact]
    public void Random_numbers_follow_the_seed()
    {
        using var scope = NewDisposeScope();
        manual_seed(42);
        var first = randn(5).ToArray<float>();
        var firstUniform = rand(3).ToArray<float>();
        manual_seed(42);
        Assert.Equal(first, randn(5).ToArray<float>());
        Assert.Equal(firstUniform, rand(3).ToArray<float>());
        Assert.All(firstUniform, v => Assert.InRange(v, 0f, 1f));
        var permutation = randperm(10).ToArray<long>();
        Assert.Equal(Enumerable.Range(0, 10).Select(i => (long)i), permutation.Order());
    }

    [Fact]
    public void Arithmetic_operators_and_promotion()
    {
        using var scope = NewDisposeScope();
        var a = tensor(new[] { 1.0, 2.0, 3.0 });
        var b = tensor(new[] { 4.0, 5.0, 6.0 });
        Assert.Equal([5.0, 7, 9], (a + b).ToArray<double>());
        Assert.Equal([-3.0, -3, -3], (a - b).ToArray<double>());
        Assert.Equal([4.0, 10, 18], (a * b).ToArray<double>());
        Assert.Equal([0.25, 0.4, 0.5], (a / b).ToArray<double>());
        Assert.Equal([3.0, 4, 5], (a + 2).ToArray<double>());
        Assert.Equal([9.0, 8, 7], (10 - a).ToArray<double>());
        Assert.Equal([6.0, 3, 2], (6 / a).ToArray<double>());
        Assert.Equal([-1.0, -2, -3], (-a).ToArray<double>());
        Assert.Equal([9.0, 12, 15], a.add(b, alpha: 2).ToArray<double>());
        Assert.Equal([1.0, 4, 9], a.pow(2).ToArray<double>());
        var integers = tensor(new long[] { 1, 2 });
        Assert.Equal(ScalarType.Int64, (integers + 1).dtype);
        Assert.Equal(ScalarType.Float32, (integers + 0.5).dtype);
        Assert.Equal([false, true, false], a.eq(2).ToArray<bool>());
        Assert.Equal([true, false, false], a.lt(full([3], 2.0, ScalarType.Float64)).ToArray<bool>());
        Assert.Equal([false, false, true], a.gt(2.5).ToArray<bool>());
        Assert.Equal([true, true, false], a.le(2).ToArray<bool>());
        Assert.Equal([2.0, 2, 3], a.clamp(2).ToArray<double>());
        Assert.Equal([1.0, 2, 2], a.clamp(max: 2).ToArray<double>());
        Assert.Equal([4.0, 2, 6], where(a.ne(2), b, a).ToArray<double>());
        Assert.Equal([1.0, Math.Sqrt(2), Math.Sqrt(3)], a.sqrt().ToArray<double>());
        Assert.Equal([Math.Log(1), Math.Log(2), Math.Log(3)], a.log().ToArray<double>());
        Assert.Equal([Math.Exp(1), Math.Exp(2), Math.Exp(3)], a.exp().ToArray<double>());
        Assert.Equal([1.0, 2, 3], (-a).abs().ToArray<double>());
        Assert.Equal([0.0, 2, 0], tensor(new[] { -1.0, 2, -3 }).relu().ToArray<double>());
        var m = tensor(new[] { 1.0, 2, 3, 4 }, [2, 2]);
        Assert.Equal([7.0, 10, 15, 22], m.matmul(m).ToArray<double>());
    }

    [Fact]
    public void In_place_ops_change_the_tensor()
    {
        using var scope = NewDisposeScope();
        var a = tensor(new[] { 1.0, 2.0 });
        var b = tensor(new[] { 3.0, 4.0 });
        a.add_(b, alpha: 0.5);
        Assert.Equal([2.5, 4.0], a.ToArray<double>());
        a.mul_(2).sub_(b);
        Assert.Equal([2.0, 4.0], a.ToArray<double>());
        a.addcmul_(b, b, 0.5);
        Assert.Equal([6.5, 12.0], a.ToArray<double>());
        a.addcdiv_(b, b, -1);
        Assert.Equal([5.5, 11.0], a.ToArray<double>());
        a.div_(11).clamp_(max: 0.5);
        Assert.Equal([0.5, 0.5], a.ToArray<double>());
        a.copy_(b).sqrt_();
        Assert.Equal([Math.Sqrt(3), 2.0], a.ToArray<double>());
        a.fill_(-2).relu_();
        Assert.Equal([0.0, 0.0], a.ToArray<double>());
        b.zero_();
        Assert.Equal([0.0, 0.0], b.ToArray<double>());
    }

    [Fact]
    public void Shape_ops_and_indexing()
    {
        using var scope = NewDisposeScope();
        var a = arange(24).reshape(2, 3, 4);
        Assert.Equal([2L, 12], a.view(2, 12).shape);
        Assert.Equal([2L, 12], a.flatten(1).shape);
        Assert.Equal([4L, 2, 3], a.permute(2, 0, 1).shape);
        Assert.False(a.permute(2, 0, 1).is_contiguous());
        Assert.True(a.permute(2, 0, 1).contiguous().is_contiguous());
        Assert.Equal([0L, 4, 8, 12, 16, 20], a.permute(2, 0, 1).contiguous().ToArray<long>()[..6]);
        Assert.Equal([4L, 5, 6, 7], a.select(0, 0).narrow(0, 1, 1).flatten().ToArray<long>());
        Assert.Equal([2L, 3, 1, 4], a.unsqueeze(2).shape);
        Assert.Equal([2L, 3, 4], a.unsqueeze(2).squeeze(2).shape);
        var rows = arange(6).reshape(3, 2);
        Assert.Equal([4L, 5, 0, 1], rows.index_select(0, tensor(new long[] { 2, 0 })).ToArray<long>());
        Assert.Equal([0L, 1, 2, 3, 4, 5, 0, 1, 2, 3, 4, 5], cat([rows, rows], 0).ToArray<long>());
        Assert.Equal([3L, 4], cat([rows, rows], 1).shape);
        Assert.Equal([2L, 3, 2], stack([rows, rows]).shape);
        Assert.Equal([0L, 2, 4], rows.slice(0, 0, 3).select(1, 0).ToArray<long>());
        Assert.Equal([2L, 3], rows.t().shape);
        Assert.Equal([3L, 4], tensor(new long[] { 1, 2, 3, 4 }).masked_select(arange(4).gt(1)).ToArray<long>());
    }

    [Fact]
    public void Reductions_and_selections()
    {
        using var scope = NewDisposeScope();
        var a = tensor(new[] { 1.0, 5.0, 3.0, 4.0, 2.0, 6.0 }, [2, 3]);
        Assert.Equal(21.0, a.sum().item<double>());
        Assert.Equal([9.0, 12.0], a.sum(1).ToArray<double>());
        Assert.Equal([2L, 1], a.sum(1, keepdim: true).shape);
        Assert.Equal([2.5, 3.5, 4.5], a.mean(0).ToArray<double>());
        Assert.Equal(3.5, a.mean().item<double>());
        // Unbiased std of {1, 5, 3}: mean 3, squares 4 + 4 + 0 = 8, / 2 = 4 -> 2.
        Assert.Equal(2.0, a.std([1]).ToArray<double>()[0], 12);
        Assert.Equal(Math.Sqrt(1 + 25 + 9 + 16 + 4 + 36), a.norm().item<double>(), 12);
        Near([Math.Sqrt(17), Math.Sqrt(29), 3 * Math.Sqrt(5)], a.norm([0]).ToArray<double>());
        Assert.Equal(6.0, a.max().item<double>());
        var (values, indices) = a.max(1);
        Assert.Equal([5.0, 6.0], values.ToArray<double>());
        Assert.Equal([1L, 2], indices.ToArray<long>());
        Assert.Equal([1L, 2], a.argmax(1).ToArray<long>());
        Assert.Equal(5L, a.argmax().item<long>());
        var (top, where) = a.flatten().topk(2);
        Assert.Equal([6.0, 5.0], top.ToArray<double>());
        Assert.Equal([5L, 1], where.ToArray<long>());
        var (sorted, order) = a.flatten().sort(descending: true);
        Assert.Equal([6.0, 5, 4, 3, 2, 1], sorted.ToArray<double>());
        Assert.Equal([5L, 1, 3, 2, 4, 0], order.ToArray<long>());
        var softmax = tensor(new[] { 0.0, Math.Log(3) }).softmax(0).ToArray<double>();
        Near([0.25, 0.75], softmax);
        Near([Math.Log(0.25), Math.Log(0.75)], tensor(new[] { 0.0, Math.Log(3) }).log_softmax(0).ToArray<double>());
    }

    [Fact]
    public void Neural_network_functions()
    {
        using var scope = NewDisposeScope();
        // A 3x3 image of ones convolved with a 2x2 kernel of ones, bias 1: every output is 4 + 1.
        var image = ones([1, 1, 3, 3], ScalarType.Float64);
        Assert.Equal(
            [5.0, 5, 5, 5],
            F.conv2d(image, ones([1, 1, 2, 2], ScalarType.Float64), ones([1], ScalarType.Float64)).ToArray<double>()
        );
        // Padding 1 adds zeros: the corner sees one pixel.
        Assert.Equal(1.0, F.conv2d(image, ones([1, 1, 2, 2], ScalarType.Float64), padding: 1).ToArray<double>()[0]);
        var grid = arange(16.0).reshape(1, 1, 4, 4).to(ScalarType.Float64);
        Assert.Equal([5.0, 7, 13, 15], F.max_pool2d(grid, 2).ToArray<double>());
        Assert.Equal([2.5, 4.5, 10.5, 12.5], F.avg_pool2d(grid, 2).ToArray<double>());
        Assert.Equal([7.5], F.adaptive_avg_pool2d(grid, 1).ToArray<double>());
        Assert.Equal([1L, 1, 1, 1], F.adaptive_avg_pool2d(grid, 1).shape);
        // Linear: y = x W^T + b.
        var x = tensor(new[] { 1.0, 2.0 }, [1, 2]);
        var w = tensor(new[] { 1.0, 0, 0, 1, 1, 1 }, [3, 2]);
        Assert.Equal([1.5, 2.5, 3.5], F.linear(x, w, full([3], 0.5, ScalarType.Float64)).ToArray<double>());
        // Batch norm in eval mode: (x - mean) / sqrt(var + eps) * gamma + beta.
        var input = tensor(new[] { 1.0, 3.0 }, [1, 2, 1, 1]);
        var normalised = F.batch_norm(
            input,
            tensor(new[] { 1.0, 1.0 }),
            tensor(new[] { 4.0, 1.0 }),
            tensor(new[] { 2.0, 1.0 }),
            tensor(new[] { 0.0, 1.0 }),
            training: false,
            eps: 0
        );
        Assert.Equal([0.0, 3.0], normalised.ToArray<double>());
        // Batch norm in training mode updates the running statistics with the momentum (unbiased variance).
        var runningMean = zeros([1], ScalarType.Float64);
        var runningVar = ones([1], ScalarType.Float64);
        F.batch_norm(tensor(new[] { 1.0, 3.0 }, [2, 1, 1, 1]), runningMean, runningVar, training: true, momentum: 0.5);
        Assert.Equal([1.0], runningMean.ToArray<double>());
        Assert.Equal([1.5], runningVar.ToArray<double>());
        // Dropout: identity in eval; in training every element is 0 or x / (1 - p).
        var values = ones([1000], ScalarType.Float64);
        Assert.Equal(values.ToArray<double>(), F.dropout(values, 0.5, training: false).ToArray<double>());
        Assert.All(F.dropout(values, 0.5).ToArray<double>(), v => Assert.True(v is 0.0 or 2.0));
    }

    [Fact]
    public void Losses_and_interpolation_match_PyTorch()
    {
        using var scope = NewDisposeScope();
        var logits = tensor(new[] { 2.0, 0.5, -1.0, 0.1, 0.2, 0.3 }, [2, 3]);
        var target = tensor(new long[] { 0, 2 });
        // Hand value: mean of -log softmax at the targets.
        double Nll(double[] row, int k) => -(row[k] - Math.Log(row.Sum(Math.Exp)));
        var expected = (Nll([2.0, 0.5, -1.0], 0) + Nll([0.1, 0.2, 0.3], 2)) / 2;
        Assert.Equal(expected, F.cross_entropy(logits, target).item<double>(), 12);
        // Printed by PyTorch 1.13 (F.cross_entropy(logits, t, weight=[1, 2, 3], label_smoothing=0.1)).
        Assert.Equal(
            0.8961025048802536,
            F.cross_entropy(logits, target, tensor(new[] { 1.0, 2.0, 3.0 }), label_smoothing: 0.1).item<double>(),
            12
        );
        Assert.Equal([2L], F.cross_entropy(logits, target, reduction: nn.Reduction.None).shape);
        // Printed by PyTorch 1.13: F.interpolate(arange(12).reshape(1, 1, 3, 4), size=(5, 6), mode="bilinear",
        // align_corners=False).
        var image = arange(12.0).to(ScalarType.Float64).reshape(1, 1, 3, 4);
        Near(
            [
                0.0,
                0.49999999999999994,
                1.1666666666666665,
                1.8333333333333333,
                2.5,
                3.0,
                1.5999999999999999,
                2.0999999999999996,
                2.766666666666666,
                3.433333333333333,
                4.1,
                4.6,
                4.0,
                4.5,
                5.166666666666666,
                5.833333333333334,
                6.5,
                7.0,
                6.3999999999999995,
                6.8999999999999995,
                7.566666666666666,
                8.233333333333333,
                8.899999999999999,
                9.4,
                8.0,
                8.5,
                9.166666666666666,
                9.833333333333334,
                10.499999999999998,
                10.999999999999998,
            ],
            F.interpolate(image, size: (5, 6), mode: "bilinear").ToArray<double>()
        );
        // Same, scale_factor=2: row 1 of the 6x8 result.
        Near(
            [1.0, 1.25, 1.75, 2.25, 2.75, 3.25, 3.75, 4.0],
            F.interpolate(image, scale_factor: (2, 2), mode: "bilinear").select(2, 1).flatten().ToArray<double>()
        );
        Assert.Equal([1L, 1, 6, 8], F.interpolate(image, scale_factor: (2, 2)).shape);
    }

    [Fact]
    public void Autograd_basics()
    {
        using var scope = NewDisposeScope();
        var x = tensor(new[] { 1.0, 2.0, 3.0 }, requires_grad: true);
        Assert.True(x.requires_grad);
        Assert.True(x.is_leaf);
        Assert.Null(x.grad);
        (x * x).sum().backward();
        Assert.Equal([2.0, 4, 6], x.grad!.ToArray<double>());
        (x * 3).sum().backward();
        Assert.Equal([5.0, 7, 9], x.grad!.ToArray<double>());
        x.grad = null;
        Assert.Null(x.grad);
        var y = x * 2;
        Assert.False(y.is_leaf);
        Assert.False(y.detach().requires_grad);
        using (no_grad())
        {
            Assert.False(is_grad_enabled());
            Assert.False((x * 2).requires_grad);
        }
        Assert.True(is_grad_enabled());
        using (inference_mode())
        {
            Assert.True(is_inference_mode_enabled());
            Assert.False((x * 2).requires_grad);
        }
        Assert.False(is_inference_mode_enabled());
    }

    [Fact]
    public void Dispose_scope_frees_what_it_does_not_hand_out()
    {
        Tensor kept,
            inner,
            outerOwned;
        using (var outer = NewDisposeScope())
        {
            using (var scope = NewDisposeScope())
            {
                inner = ones(3);
                kept = (inner * 2).MoveToOuterScope();
                Assert.Same(scope, DisposeScope.Current);
            }
            Assert.True(inner.IsDisposed);
            Assert.False(kept.IsDisposed);
            Assert.Equal(1, outer.Count);
            outerOwned = kept;
        }
        Assert.True(outerOwned.IsDisposed);
        Assert.Null(DisposeScope.Current);
        Tensor free;
        using (NewDisposeScope())
            free = ones(2).DetachFromDisposeScope();
        Assert.False(free.IsDisposed);
        free.Dispose();
        Assert.Throws<ObjectDisposedException>(() => free.sum());
    }

    [Fact]
    public void Runtime_settings()
    {
        using (new ThreadCount(1))
            Assert.Equal(1, get_num_threads());
        Assert.StartsWith("1.13", __version__);
        Assert.Contains("PyTorch built with", show_config());
        Assert.Equal(cuda.device_count() > 0, cuda.is_available());
        Assert.Equal("cuda:1", Device.Parse("cuda:1").ToString());
        Assert.Throws<ArgumentException>(() => Device.Parse("tpu"));
    }
}
