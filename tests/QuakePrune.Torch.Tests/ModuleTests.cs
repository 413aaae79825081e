using QuakePrune.Torch;
using QuakePrune.Torch.Modules;
using static QuakePrune.Torch.torch;

namespace QuakePrune.Torch.Tests;

public class ModuleTests
{
    /// <summary>A model shaped like a torchvision block: named members and a Sequential child.</summary>
    private sealed class Block : nn.Module<Tensor, Tensor>
    {
        public readonly Conv2d conv1;
        public readonly BatchNorm2d bn1;
        public readonly Sequential head;

        public Block(long width = 4)
        {
            conv1 = register_module("conv1", nn.Conv2d(3, width, 3, padding: 1, bias: false));
            bn1 = register_module("bn1", nn.BatchNorm2d(width));
            head = register_module("head", nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(width, 2)));
        }

        public override Tensor forward(Tensor input)
        {
            using var scope = NewDisposeScope();
            return head.call(bn1.call(conv1.call(input)).relu_()).MoveToOuterScope();
        }
    }

    [Fact]
    public void State_dict_uses_PyTorch_dotted_names_in_registration_order()
    {
        using var model = new Block();
        Assert.Equal(
            [
                "conv1.weight",
                "bn1.weight",
                "bn1.bias",
                "bn1.running_mean",
                "bn1.running_var",
                "bn1.num_batches_tracked",
                "head.2.weight",
                "head.2.bias",
            ],
            model.state_dict().Keys
        );
        Assert.Equal(
            ["conv1.weight", "bn1.weight", "bn1.bias", "head.2.weight", "head.2.bias"],
            model.named_parameters().Select(p => p.name)
        );
        Assert.Equal(
            ["bn1.running_mean", "bn1.running_var", "bn1.num_batches_tracked"],
            model.named_buffers().Select(b => b.name)
        );
        Assert.Equal(["conv1", "bn1", "head"], model.named_children().Select(c => c.name));
        Assert.Equal(
            ["", "conv1", "bn1", "head", "head.0", "head.1", "head.2"],
            model.named_modules().Select(m => m.name)
        );
        Assert.Equal(4 * 3 * 9 + 4 + 4 + 4 * 2 + 2, model.parameter_count());
        Assert.Same(model.head[2], model.get_submodule("head.2"));
        Assert.True(model.get_parameter("head.2.weight").requires_grad);
        Assert.False(model.get_buffer("bn1.running_mean").requires_grad);
    }

    [Fact]
    public void Batch_norm_counts_batches_in_training_only_and_tracks_statistics()
    {
        using var bn = nn.BatchNorm2d(2);
        var tracked = bn.num_batches_tracked!;
        Assert.Empty(tracked.shape);
        Assert.Equal(ScalarType.Int64, tracked.dtype);
        using var scope = NewDisposeScope();
        var x = tensor(new float[] { 1, 3, 10, 10, 5, 7, 10, 10 }, [2, 2, 1, 2]);
        bn.call(x);
        bn.call(x);
        Assert.Equal(2L, tracked.item<long>());
        // Channel 0 sees {1, 3, 5, 7}: mean 4; after two updates with momentum 0.1 from 0: 0.4 then 0.76.
        Assert.Equal(0.76f, bn.running_mean!.ToArray<float>()[0], 5);
        bn.eval();
        Assert.False(bn.training);
        var y = bn.call(x);
        Assert.Equal(2L, tracked.item<long>());
        Assert.Equal(x.shape, y.shape);
    }

    [Fact]
    public void Load_state_dict_reports_missing_unexpected_and_mis_shaped_tensors()
    {
        using var source = new Block();
        using var target = new Block();
        using var scope = NewDisposeScope();
        manual_seed(5);
        using (no_grad())
            source.get_parameter("conv1.weight").normal_();
        target.load_state_dict(source.state_dict());
        Assert.Equal(
            source.get_parameter("conv1.weight").ToArray<float>(),
            target.get_parameter("conv1.weight").ToArray<float>()
        );

        var partial = new Dictionary<string, Tensor>(source.state_dict());
        partial.Remove("bn1.running_var");
        partial["extra.weight"] = zeros(1);
        var error = Assert.Throws<InvalidDataException>(() => target.load_state_dict(partial));
        Assert.Contains("missing keys: bn1.running_var", error.Message);
        Assert.Contains("unexpected keys: extra.weight", error.Message);
        var result = target.load_state_dict(partial, strict: false);
        Assert.Equal(["bn1.running_var"], result.missing_keys);
        Assert.Equal(["extra.weight"], result.unexpected_keys);

        using var wider = new Block(width: 5);
        var shapeError = Assert.Throws<InvalidDataException>(() =>
            target.load_state_dict(wider.state_dict(), strict: false)
        );
        Assert.Contains(
            "size mismatch for conv1.weight: checkpoint shape [5, 3, 3, 3], model shape [4, 3, 3, 3]",
            shapeError.Message
        );
    }

    [Fact]
    public void Default_initialisation_matches_PyTorch()
    {
        // Printed by PyTorch 1.13: torch.manual_seed(0); c = nn.Conv2d(3, 4, 3); l = nn.Linear(5, 3);
        // c.weight.flatten()[:6], c.bias, l.weight.flatten()[:4], l.bias.
        manual_seed(0);
        using var conv = nn.Conv2d(3, 4, 3);
        using var linear = nn.Linear(5, 3);
        Assert.Equal(
            [
                -0.0014408392598852515f,
                0.10323861986398697f,
                -0.15839511156082153f,
                -0.14163152873516083f,
                -0.07412299513816833f,
                0.051606908440589905f,
            ],
            conv.weight.ToArray<float>()[..6]
        );
        Assert.Equal(
            [-0.01060392428189516f, 0.028895428404211998f, -0.07881414145231247f, 0.1141955703496933f],
            conv.bias!.ToArray<float>()
        );
        Assert.Equal(
            [-0.27214697003364563f, 0.40578824281692505f, 0.306475430727005f, -0.37712758779525757f],
            linear.weight.ToArray<float>()[..4]
        );
        Assert.Equal(
            [-0.21784371137619019f, -0.15645024180412292f, -0.3665459454059601f],
            linear.bias!.ToArray<float>()
        );
    }

    [Fact]
    public void Init_functions()
    {
        using var scope = NewDisposeScope();
        var w = empty(64, 16, 3, 3);
        manual_seed(1);
        nn.init.kaiming_normal_(w, mode: "fan_out", nonlinearity: "relu");
        // std = sqrt(2 / fan_out), fan_out = 64 * 9.
        Assert.Equal(Math.Sqrt(2.0 / (64 * 9)), w.std().item<double>(), 2);
        Assert.Equal([2f, 2], nn.init.constant_(empty(2), 2).ToArray<float>());
        Assert.Equal([0f, 0], nn.init.zeros_(empty(2)).ToArray<float>());
        Assert.Equal([1f, 1], nn.init.ones_(empty(2)).ToArray<float>());
        Assert.All(nn.init.uniform_(empty(100), -0.5, 0.5).ToArray<float>(), v => Assert.InRange(v, -0.5f, 0.5f));
        Assert.Equal((16L * 9, 64L * 9), nn.init.calculate_fan_in_and_fan_out(w));
    }

    [Fact]
    public void Apply_visits_children_first_and_freezing_stops_gradients()
    {
        using var model = new Block();
        var visited = new List<string>();
        model.apply(m => visited.Add(m.GetType().Name));
        Assert.Equal(
            ["Conv2d", "BatchNorm2d", "AdaptiveAvgPool2d", "Flatten", "Linear", "Sequential", "Block"],
            visited
        );
        model.apply(m =>
        {
            if (m is Conv2d conv)
                nn.init.kaiming_normal_(conv.weight, mode: "fan_out", nonlinearity: "relu");
        });
        model.requires_grad_(false);
        Assert.All(model.parameters(), p => Assert.False(p.requires_grad));
        model.requires_grad_();
        Assert.All(model.parameters(), p => Assert.True(p.requires_grad));
    }

    [Fact]
    public void Train_eval_and_conversions()
    {
        using var model = new Block();
        model.eval();
        Assert.All(model.modules(), m => Assert.False(m.training));
        model.train();
        Assert.All(model.modules(), m => Assert.True(m.training));
        model.to(ScalarType.Float64);
        Assert.Equal(ScalarType.Float64, model.get_parameter("conv1.weight").dtype);
        Assert.True(model.get_parameter("conv1.weight").requires_grad);
        Assert.Equal(ScalarType.Int64, model.get_buffer("bn1.num_batches_tracked").dtype);
        model.to(Device.CPU);
        using var scope = NewDisposeScope();
        Assert.Equal([2L, 2], model.call(randn([2, 3, 8, 8], ScalarType.Float64)).shape);
    }

    [Fact]
    public void Sequential_names_children_by_position()
    {
        using var seq = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Dropout(0.1), nn.Linear(3, 1));
        Assert.Equal(["0", "1", "2", "3"], seq.named_children().Select(c => c.name));
        Assert.Equal(["0.weight", "0.bias", "3.weight", "3.bias"], seq.state_dict().Keys);
        using var named = nn.Sequential(("fc", (nn.Module<Tensor, Tensor>)nn.Linear(2, 2)), ("act", nn.ReLU()));
        Assert.Equal(["fc.weight", "fc.bias"], named.state_dict().Keys);
        using var input = ones(4, 2);
        using var output = seq.call(input);
        Assert.Equal([4L, 1], output.shape);
        Assert.False(input.IsDisposed);
    }
}
