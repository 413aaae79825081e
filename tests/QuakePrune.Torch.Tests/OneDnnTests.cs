using static QuakePrune.Torch.torch;
using F = QuakePrune.Torch.torch.nn.functional;

namespace QuakePrune.Torch.Tests;

public class OneDnnTests
{
    [Fact]
    public void Debians_libtorch_brings_OneDnn_2_on_OpenMp()
    {
        Assert.True(OneDnn.IsAvailable, OneDnn.Unavailable);
        Assert.StartsWith("2.", OneDnn.Version);
    }

    /// <summary>Runs one convolution primitive on plain (NCHW/OIHW) memories over the tensors' own storage.</summary>
    private static Tensor Convolve(
        Tensor x,
        Tensor weight,
        Tensor bias,
        Tensor? residual,
        DnnlPostOps postOps,
        (long, long) stride,
        (long, long) padding,
        int threads
    )
    {
        long[] outShape =
        [
            x.shape[0],
            weight.shape[0],
            (x.shape[2] + 2 * padding.Item1 - weight.shape[2]) / stride.Item1 + 1,
            (x.shape[3] + 2 * padding.Item2 - weight.shape[3]) / stride.Item2 + 1,
        ];
        var y = residual is null ? zeros(outShape) : residual.clone();
        using var srcMd = DnnlMemoryDesc.Of(x.shape, DnnlTag.Nchw);
        using var weightsMd = DnnlMemoryDesc.Of(weight.shape, DnnlTag.Nchw);
        using var biasMd = DnnlMemoryDesc.Of(bias.shape, DnnlTag.X);
        using var dstMd = DnnlMemoryDesc.Of(outShape, DnnlTag.Nchw);
        using var conv = DnnlPrimitive.Convolution(
            srcMd,
            weightsMd,
            biasMd,
            dstMd,
            stride,
            padding,
            postOps,
            threads,
            "test conv"
        );
        Assert.Equal(threads, conv.Threads);
        Assert.Equal(outShape, conv.Dst.Dims);
        using var src = new DnnlMemory(srcMd, x.data_ptr());
        using var weights = new DnnlMemory(weightsMd, weight.data_ptr());
        using var b = new DnnlMemory(biasMd, bias.data_ptr());
        using var dst = new DnnlMemory(dstMd, y.data_ptr());
        using var scratchpad = conv.Scratchpad.Bytes > 0 ? DnnlMemory.Allocate(conv.Scratchpad) : null;
        var args = new List<DnnlArg>
        {
            src.As(DnnlArg.Src),
            weights.As(DnnlArg.Weights),
            b.As(DnnlArg.Bias),
            dst.As(DnnlArg.Dst),
        };
        if (scratchpad is not null)
            args.Add(scratchpad.As(DnnlArg.Scratchpad));
        conv.Execute(args.ToArray());
        return y;
    }

    [Theory]
    [InlineData(DnnlPostOps.None, 1)]
    [InlineData(DnnlPostOps.Relu, 2)]
    [InlineData(DnnlPostOps.SumRelu, 2)]
    public void A_convolution_with_fused_post_ops_matches_libtorch(DnnlPostOps postOps, int threads)
    {
        using var scope = NewDisposeScope();
        manual_seed(3);
        var x = randn(2, 5, 13, 11);
        var weight = randn(7, 5, 3, 3);
        var bias = randn(7);
        var residual = randn(2, 7, 7, 6);
        var expected = F.conv2d(x, weight, bias, (2, 2), (1, 1), (1, 1));
        if (postOps == DnnlPostOps.SumRelu)
            expected = expected.add(residual);
        if (postOps != DnnlPostOps.None)
            expected = expected.relu();
        var actual = Convolve(
            x,
            weight,
            bias,
            postOps == DnnlPostOps.SumRelu ? residual : null,
            postOps,
            (2, 2),
            (1, 1),
            threads
        );
        Assert.True(actual.sub(expected).abs().max().item<float>() < 1e-4f);
    }

    [Fact]
    public void Creating_and_executing_at_other_thread_counts_leaves_the_callers_count_alone()
    {
        using var scope = NewDisposeScope();
        var before = get_num_threads();
        var x = randn(1, 3, 8, 8);
        var weight = randn(4, 3, 1, 1);
        var bias = randn(4);
        var one = Convolve(x, weight, bias, null, DnnlPostOps.Relu, (1, 1), (0, 0), threads: 1);
        var two = Convolve(x, weight, bias, null, DnnlPostOps.Relu, (1, 1), (0, 0), threads: 2);
        Assert.Equal(before, get_num_threads());
        Assert.Equal(before, OneDnn.Threads);
        Assert.True(one.sub(two).abs().max().item<float>() < 1e-5f);
    }

    [Fact]
    public void Shapes_that_do_not_fit_name_the_call_and_the_layer()
    {
        using var src = DnnlMemoryDesc.Of([1, 3, 8, 8], DnnlTag.Nchw);
        using var weights = DnnlMemoryDesc.Of([4, 5, 3, 3], DnnlTag.Nchw);
        using var bias = DnnlMemoryDesc.Of([4], DnnlTag.X);
        using var dst = DnnlMemoryDesc.Of([1, 4, 8, 8], DnnlTag.Nchw);
        var e = Assert.Throws<InvalidOperationException>(() =>
            DnnlPrimitive.Convolution(src, weights, bias, dst, (1, 1), (1, 1), DnnlPostOps.None, 1, "layer2.0.conv1")
        );
        Assert.Contains("dnnl_convolution_forward_desc_init for layer2.0.conv1 failed: invalid arguments", e.Message);
        Assert.Equal(get_num_threads(), OneDnn.Threads);
    }

    [Fact]
    public void Data_pointers_are_given_for_dense_cpu_tensors_only()
    {
        using var scope = NewDisposeScope();
        var dense = arange(6, ScalarType.Float32).reshape(2, 3);
        Assert.NotEqual(IntPtr.Zero, dense.data_ptr());
        Assert.Contains("not contiguous", Assert.Throws<TorchException>(() => dense.t().data_ptr()).Message);
    }
}
