using QuakePrune.Torch;
using static QuakePrune.Torch.torch;

namespace QuakePrune.Torch.Tests;

/// <summary>
/// Optimiser steps against PyTorch 1.13 on a fixed problem: w [2, 2], b [2] (float64), loss = sum((x w^T + b - y)^2)
/// with x = [[1, 2], [-1, 0.5], [0.3, -0.7]], y = [[0, 1], [1, 0], [0.5, 0.5]], three steps from w = [[0.5, -1], [2,
/// 0.25]], b = [0.1, -0.2]. The expected figures were printed once by /usr/bin/python3 with Debian's python3-torch
/// running the same loop (torch.optim.SGD / AdamW with the hyper-parameters named in each case).
/// </summary>
public class OptimTests
{
    private static (Tensor w, Tensor b) Parameters() =>
        (
            tensor(new[] { 0.5, -1.0, 2.0, 0.25 }, [2, 2], requires_grad: true).DetachFromDisposeScope(),
            tensor(new[] { 0.1, -0.2 }, requires_grad: true).DetachFromDisposeScope()
        );

    private static void Train(optim.Optimizer optimizer, Tensor w, Tensor b, int steps)
    {
        for (var k = 0; k < steps; k++)
        {
            using var scope = NewDisposeScope();
            optimizer.zero_grad();
            var x = tensor(new[] { 1.0, 2.0, -1.0, 0.5, 0.3, -0.7 }, [3, 2]);
            var y = tensor(new[] { 0.0, 1.0, 1.0, 0.0, 0.5, 0.5 }, [3, 2]);
            (x.matmul(w.t()) + b - y).pow(2).sum().backward();
            optimizer.step();
        }
    }

    public static TheoryData<string, double[], double[]> Cases =>
        new()
        {
            {
                "sgd_plain",
                [0.2114416485, -0.341731084, 1.2446318779999999, -0.020008813250000014],
                [0.5756081200000001, 0.1200463225]
            },
            {
                "sgd_momentum",
                [-0.0043159453618749665, 0.28481024595249993, 0.5917546269418751, -0.28348558975281246],
                [1.025733679052375, 0.38099015152025006]
            },
            {
                "sgd_nesterov",
                [-0.3666577464300624, -0.004265013610249949, 0.35113843406706235, -0.11423911513909372],
                [0.8353180841580125, 0.613300892971475]
            },
            {
                "adamw",
                [0.4685389938806067, -0.967047296617604, 1.9640468323133748, 0.21930940487055456],
                [0.12965332403945223, -0.16943872799601203]
            },
            {
                "adamw_amsgrad",
                [0.4685389938806067, -0.967047296617604, 1.9640468323133748, 0.21930940487055456],
                [0.12965332403945223, -0.16943872799601203]
            },
        };

    private static optim.Optimizer Make(string name, Tensor[] parameters) =>
        name switch
        {
            "sgd_plain" => new optim.SGD(parameters, lr: 0.05),
            "sgd_momentum" => new optim.SGD(parameters, lr: 0.05, momentum: 0.9, dampening: 0.1, weight_decay: 0.01),
            "sgd_nesterov" => new optim.SGD(parameters, lr: 0.05, momentum: 0.9, weight_decay: 0.01, nesterov: true),
            "adamw" => new optim.AdamW(parameters, lr: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-8, weight_decay: 0.1),
            "adamw_amsgrad" => new optim.AdamW(parameters, lr: 0.01, weight_decay: 0.1, amsgrad: true),
            _ => throw new ArgumentException(name),
        };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Steps_equal_PyTorch(string name, double[] expectedW, double[] expectedB)
    {
        var (w, b) = Parameters();
        Train(Make(name, [w, b]), w, b, 3);
        Assert.Equal(expectedW, w.ToArray<double>(), (e, a) => Math.Abs(e - a) < 1e-12);
        Assert.Equal(expectedB, b.ToArray<double>(), (e, a) => Math.Abs(e - a) < 1e-12);
    }

    [Theory]
    [InlineData("sgd_momentum")]
    [InlineData("adamw")]
    public void Exported_state_resumes_exactly(string name)
    {
        var (w, b) = Parameters();
        var first = Make(name, [w, b]);
        Train(first, w, b, 1);
        var path = Path.Combine(Path.GetTempPath(), $"qp-optim-{Guid.NewGuid():N}.safetensors");
        try
        {
            Safetensors.Save(path, first.state_dict());
            var (w2, b2) = (
                w.detach().clone().requires_grad_().DetachFromDisposeScope(),
                b.detach().clone().requires_grad_().DetachFromDisposeScope()
            );
            Train(first, w, b, 2);
            var resumed = Make(name, [w2, b2]);
            using (NewDisposeScope())
                resumed.load_state_dict(Safetensors.LoadTensors(path).Tensors);
            Train(resumed, w2, b2, 2);
            Assert.Equal(w.ToArray<double>(), w2.ToArray<double>());
            Assert.Equal(b.ToArray<double>(), b2.ToArray<double>());
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void State_is_named_after_parameters()
    {
        using var model = nn.Linear(2, 1);
        var adam = new optim.AdamW(model.named_parameters(), lr: 0.1);
        using var scope = NewDisposeScope();
        model.call(ones(1, 2)).sum().backward();
        adam.step();
        Assert.Equal(
            ["weight.step", "weight.exp_avg", "weight.exp_avg_sq", "bias.step", "bias.exp_avg", "bias.exp_avg_sq"],
            adam.state_dict().Keys
        );
        Assert.Equal(1f, adam.state_dict()["bias.step"].item<float>());
        var bad = new Dictionary<string, Tensor> { ["weight.exp_avg"] = zeros(3), ["nothing.step"] = zeros([]) };
        var error = Assert.Throws<InvalidDataException>(() => adam.load_state_dict(bad));
        Assert.Contains("unexpected state 'nothing.step'", error.Message);
        Assert.Contains("'weight.exp_avg' has shape [3], expected [1, 2]", error.Message);
    }

    [Fact]
    public void Schedulers_follow_PyTorch_s_closed_forms()
    {
        var (w, _) = Parameters();
        var sgd = new optim.SGD([w], lr: 1.0);
        var stepLr = new optim.lr_scheduler.StepLR(sgd, step_size: 2, gamma: 0.5);
        var seen = new List<double> { sgd.lr };
        for (var k = 0; k < 4; k++)
        {
            stepLr.step();
            seen.Add(sgd.lr);
        }
        Assert.Equal([1.0, 1.0, 0.5, 0.5, 0.25], seen);

        var cosine = new optim.SGD([w], lr: 0.1);
        var schedule = new optim.lr_scheduler.CosineAnnealingLR(cosine, T_max: 4, eta_min: 0.02);
        Assert.Equal(0.1, cosine.lr, 15);
        schedule.load_state(2);
        Assert.Equal(0.06, cosine.lr, 15);
        schedule.step();
        schedule.step();
        Assert.Equal(0.02, cosine.lr, 15);

        // Warm-up for 2 epochs (factor 0.1 -> 1), then cosine over 4.
        var warm = new optim.SGD([w], lr: 1.0);
        var warmup = new optim.lr_scheduler.LinearLR(warm, start_factor: 0.1, total_iters: 2);
        var decay = new optim.lr_scheduler.CosineAnnealingLR(warm, T_max: 4);
        var sequence = new optim.lr_scheduler.SequentialLR(warm, [warmup, decay], [2]);
        var lrs = new List<double> { warm.lr };
        for (var k = 0; k < 6; k++)
        {
            sequence.step();
            lrs.Add(warm.lr);
        }
        Assert.Equal(
            [0.1, 0.55, 1.0, Math.Cos(Math.PI / 4) / 2 + 0.5, 0.5, 0.5 - Math.Cos(Math.PI / 4) / 2, 0.0],
            lrs,
            (e, a) => Math.Abs(e - a) < 1e-12
        );
    }
}
