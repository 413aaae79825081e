using QuakePrune.Models;

namespace QuakePrune.Tests.Models;

public class ModelCostTests
{
    [Fact]
    public void ResNet50_with_two_classes_has_torchvisions_parameter_count()
    {
        // torchvision.models.resnet50(num_classes=2): sum(p.numel() for p in parameters()) = 23,512,130.
        Assert.Equal(23_512_130, ModelCost.Of(ResNetArchitecture.ResNet50(), 224, 224).Params);
    }

    [Theory]
    [InlineData("resnet50", 4.09)]
    [InlineData("resnet18", 1.82)]
    [InlineData("resnet34", 3.67)]
    public void Members_cost_their_published_GMACs_at_224(string arch, double gmacs)
    {
        var macs = ModelCost.Of(NetworkBuilders.Create(arch, new NetworkOptions()), 224, 224).Macs;
        Assert.InRange(macs / 1e9, gmacs * 0.99, gmacs * 1.01);
    }

    [Fact]
    public void Convolution_MACs_scale_with_the_input_area()
    {
        var small = ModelCost.Of(ResNetArchitecture.ResNet50(), 64, 64);
        var large = ModelCost.Of(ResNetArchitecture.ResNet50(), 128, 128);
        var convSmall = small.Layers.Where(l => l.Layer is ConvolutionLayer).Sum(l => l.Macs);
        var convLarge = large.Layers.Where(l => l.Layer is ConvolutionLayer).Sum(l => l.Macs);
        Assert.Equal(4.0, (double)convLarge / convSmall, 3);
    }

    [Fact]
    public void Stem_convolution_counts_by_hand()
    {
        var stem = ModelCost.Of(ResNetArchitecture.ResNet50(), 224, 224).Layers[0];
        Assert.Equal(("conv1", "Conv2d"), (stem.Name, stem.Kind));
        Assert.Equal([1, 64, 112, 112], stem.OutputShape);
        Assert.Equal(3L * 64 * 49, stem.Params);
        Assert.Equal(64L * 112 * 112 * 3 * 49, stem.Macs);
        Assert.Equal(4L * (3 * 224 * 224 + 64 * 112 * 112), stem.ActivationBytes);
    }

    [Fact]
    public void Hidden_head_adds_two_linear_layers()
    {
        var cost = ModelCost.Of(ResNetArchitecture.ResNet50(hidden: 512), 64, 64);
        Assert.Equal(23_512_130 - (2048 * 2 + 2) + (2048 * 512 + 512) + (512 * 2 + 2), cost.Params);
        Assert.Contains(cost.Layers, l => l.Name == "fc.3" && l.InChannels == 512 && l.OutChannels == 2);
    }

    [Fact]
    public void Every_layer_but_the_free_flatten_launches_work()
    {
        var cost = ModelCost.Of(ResNetArchitecture.ResNet50(), 224, 224);
        Assert.Equal(cost.Layers.Count - 1, cost.Operations);
        Assert.Equal("flatten", Assert.Single(cost.Layers, l => !l.Layer.LaunchesWork).Name);
    }

    [Fact]
    public void Non_positive_input_size_is_refused()
    {
        var e = Assert.Throws<ArgumentException>(() => ModelCost.Of(ResNetArchitecture.ResNet50(), 0, 64));
        Assert.Contains("0x64", e.Message);
    }

    [Fact]
    public void An_input_of_another_rank_or_channel_count_is_refused()
    {
        Assert.Contains(
            "[N, 3, ...] of rank 4",
            Assert.Throws<ArgumentException>(() => ModelCost.Of(ResNetArchitecture.ResNet50(), [1, 1, 64, 64])).Message
        );
        Assert.Contains(
            "2 spatial axes",
            Assert.Throws<ArgumentException>(() => ResNetArchitecture.ResNet50().Graph.InputShapeAt(1, 64)).Message
        );
    }

    [Fact]
    public void Architecture_round_trips_through_json()
    {
        var a = ResNetArchitecture
            .ResNet50(hidden: 64)
            .WithWidths(new Dictionary<string, int> { ["layer3.2.conv2"] = 7 });
        var back = Architecture.FromJson(a.ToJson());
        Assert.Equal(a, back);
        Assert.Equal(a.ToJson(), back.ToJson());
        Assert.NotEqual(ResNetArchitecture.ResNet50(hidden: 64), back);
    }

    [Theory]
    [InlineData("{\"family\":\"vgg\",\"stages\":[]}", "unknown family")]
    [InlineData("not json", "not valid JSON")]
    [InlineData(
        "{\"family\":\"resnet-bottleneck\",\"in_channels\":3,\"stem\":0,\"hidden\":0,\"classes\":2,\"stages\":[{\"width\":4,\"blocks\":[[1,1]]}]}",
        "stem width"
    )]
    [InlineData("{\"builder\":\"vgg\",\"arguments\":{},\"widths\":{}}", "unknown builder 'vgg'")]
    [InlineData(
        "{\"builder\":\"resnet\",\"arguments\":{\"block\":\"basic\",\"blocks\":[1],\"in_channels\":3,\"hidden_layer\":false},\"widths\":{\"conv1\":4}}",
        "no width for layer 'layer1.0.conv1'"
    )]
    public void Bad_architecture_json_is_refused(string json, string expected)
    {
        var e = Assert.Throws<InvalidDataException>(() => Architecture.FromJson(json));
        Assert.Contains(expected, e.Message);
    }
}
