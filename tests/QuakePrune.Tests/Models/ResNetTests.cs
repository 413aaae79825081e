using System.Text.Json.Nodes;
using QuakePrune.Models;
using QuakePrune.Spectrograms;
using QuakePrune.Torch;
using QuakePrune.Training;
using static QuakePrune.Torch.torch;

namespace QuakePrune.Tests.Models;

public class ResNetTests
{
    /// <summary>A small bottleneck ResNet (same code path as ResNet50) so tests stay fast.</summary>
    public static Architecture Tiny(int hidden = 6) =>
        ResNetArchitecture.Custom(
            ResNetBlock.Bottleneck,
            8,
            [
                new ResNetStage(
                    16,
                    [
                        [4, 4],
                        [4, 4],
                    ]
                ),
                new ResNetStage(
                    24,
                    [
                        [6, 6],
                    ]
                ),
            ],
            hidden
        );

    /// <summary>
    /// A small basic-block ResNet (the ResNet18/34 code path): layer1 has no downsample, so the stem and layer1's
    /// stream are one group.
    /// </summary>
    public static Architecture TinyBasic(int hidden = 6) =>
        ResNetArchitecture.Custom(
            ResNetBlock.Basic,
            8,
            [
                new ResNetStage(
                    8,
                    [
                        [6],
                        [6],
                    ]
                ),
                new ResNetStage(
                    16,
                    [
                        [12],
                    ]
                ),
            ],
            hidden
        );

    private static IEnumerable<string> TorchvisionLayout(string file) =>
        File.ReadLines(Path.Combine(AppContext.BaseDirectory, "Models", "Fixtures", file));

    private static IEnumerable<string> Layout(Network model) =>
        model.state_dict().Select(kv => $"{kv.Key} [{string.Join(", ", kv.Value.shape)}]");

    public static TheoryData<string, int, string> Torchvision() =>
        new()
        {
            { "resnet18", 0, "torchvision_resnet18_2classes.txt" },
            { "resnet18", 512, "torchvision_resnet18_hidden512.txt" },
            { "resnet34", 0, "torchvision_resnet34_2classes.txt" },
            { "resnet34", 512, "torchvision_resnet34_hidden512.txt" },
            { "resnet50", 0, "torchvision_resnet50_2classes.txt" },
            { "resnet50", 512, "torchvision_resnet50_hidden512.txt" },
        };

    [Theory]
    [MemberData(nameof(Torchvision))]
    public void State_dict_has_torchvisions_names_shapes_and_order(string arch, int hidden, string fixture)
    {
        using var model = new Network(NetworkBuilders.Create(arch, new NetworkOptions(Hidden: hidden)));
        Assert.Equal(TorchvisionLayout(fixture), Layout(model));
    }

    [Theory]
    [InlineData("resnet18", 11_177_538)]
    [InlineData("resnet34", 21_285_698)]
    [InlineData("resnet50", 23_512_130)]
    public void Two_class_members_have_torchvisions_parameter_counts(string arch, long expected)
    {
        // torchvision.models.resnetNN(num_classes=2): sum(p.numel() for p in parameters()).
        var architecture = NetworkBuilders.Create(arch, new NetworkOptions());
        using var model = new Network(architecture);
        Assert.Equal(expected, model.parameter_count());
        Assert.Equal(expected, ModelCost.Of(architecture, 224, 224).Params);
    }

    [Fact]
    public void The_description_states_every_tensor_its_modules_hold()
    {
        foreach (var architecture in new[] { Tiny(), TinyBasic(), ResNetArchitecture.ResNet50(hidden: 512) })
        {
            using var model = new Network(architecture);
            var graph = architecture.Graph;
            var described = graph.Nodes.SelectMany(n =>
                n.Layer.State(NetworkGraph.InputShapes(n, graph.DefaultShapes))
                    .Select(t => $"{n.Name}.{t.Name} [{string.Join(", ", t.Shape)}]")
            );
            Assert.Equal(described, Layout(model));
        }
    }

    [Fact]
    public void Forward_gives_one_logit_per_class_and_refuses_wrong_channels()
    {
        using var scope = NewDisposeScope();
        using var model = new Network(Tiny());
        model.eval();
        Assert.Equal([3, 2], model.forward(randn(3, 3, 32, 40)).shape);
        var e = Assert.Throws<ArgumentException>(() => model.forward(randn(1, 1, 32, 32)));
        Assert.Contains("[1, 1, 32, 32]", e.Message);
    }

    [Fact]
    public void Same_seed_same_initial_weights()
    {
        using var scope = NewDisposeScope();
        manual_seed(7);
        using var a = new Network(Tiny());
        manual_seed(7);
        using var b = new Network(Tiny());
        foreach (var ((name, x), (_, y)) in a.state_dict().Zip(b.state_dict()))
            Assert.True(x.ToBytes().AsSpan().SequenceEqual(y.ToBytes()), name);
    }

    [Fact]
    public void Fresh_weights_are_initialised_as_torchvision_does()
    {
        using var scope = NewDisposeScope();
        manual_seed(3);
        using var model = new Network(ResNetArchitecture.ResNet18());
        Assert.Equal(Enumerable.Repeat(1f, 64), model.get_parameter("bn1.weight").ToArray<float>());
        Assert.Equal(Enumerable.Repeat(0f, 64), model.get_parameter("layer1.0.bn2.bias").ToArray<float>());
        // He-normal with fan_out: std = sqrt(2 / (out * k * k)) = sqrt(2 / (128 * 9)) for layer2's 3x3 convolutions.
        var values = model.get_parameter("layer2.1.conv1.weight").ToArray<float>();
        var std = Math.Sqrt(values.Average(v => (double)v * v));
        Assert.InRange(std, 0.95 * Math.Sqrt(2.0 / (128 * 9)), 1.05 * Math.Sqrt(2.0 / (128 * 9)));
    }

    [Fact]
    public void Checkpoint_round_trips_weights_architecture_size_and_spectrogram_settings()
    {
        using var dir = new TempDir();
        using var scope = NewDisposeScope();
        using var model = new Network(Tiny());
        model.eval();
        var settings = new SpectrogramSettings { Size = new ImageSize(32, 40) };
        var info = new ModelInfo(
            model.Architecture,
            new ImageSize(32, 40),
            new Dictionary<string, string> { ["training.epochs"] = "3" }
        ).WithSpectrogram(settings);
        var path = dir.File("m.safetensors");
        Checkpoint.Save(model, info, path);

        using var loaded = Checkpoint.Load(path);
        loaded.Model.eval();
        Assert.Equal(model.Architecture, loaded.Info.Architecture);
        Assert.Equal(new ImageSize(32, 40), loaded.Info.InputSize);
        Assert.Equal(settings, loaded.Info.Spectrogram());
        Assert.Equal("3", loaded.Info.Notes["training.epochs"]);
        var x = randn(2, 3, 32, 40);
        Assert.Equal(model.forward(x).ToArray<float>(), loaded.Model.forward(x).ToArray<float>());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Checkpoint_without_metadata_is_rebuilt_from_its_shapes(bool basic)
    {
        using var dir = new TempDir();
        var architecture = (basic ? TinyBasic(hidden: 0) : Tiny(hidden: 0)).WithWidths(
            new Dictionary<string, int> { ["layer1.1.conv1"] = 3 }
        );
        using var model = new Network(architecture);
        var path = dir.File("plain.safetensors");
        model.save(path);
        using var loaded = Checkpoint.Load(path);
        Assert.Equal(model.Architecture, loaded.Info.Architecture);
    }

    [Fact]
    public void A_checkpoint_of_the_first_metadata_form_still_loads()
    {
        // The form checkpoints carried before the network description: family resnet-bottleneck with every width.
        const string legacy =
            "{\"family\":\"resnet-bottleneck\",\"in_channels\":3,\"stem\":8,\"hidden\":6,\"classes\":2,"
            + "\"stages\":[{\"width\":16,\"blocks\":[[4,4],[4,4]]},{\"width\":24,\"blocks\":[[6,6]]}]}";
        using var dir = new TempDir();
        using var model = new Network(Tiny());
        var path = dir.File("legacy.safetensors");
        model.save(path, new Dictionary<string, string> { ["architecture"] = legacy, ["input_size"] = "32x32" });
        using var loaded = Checkpoint.Load(path);
        Assert.Equal(Tiny(), loaded.Info.Architecture);
        Assert.Equal(model.parameter_count(), loaded.Model.parameter_count());
    }

    [Fact]
    public void Checkpoint_with_a_missing_or_misshaped_tensor_is_refused_naming_it()
    {
        using var dir = new TempDir();
        using var scope = NewDisposeScope();
        using var model = new Network(Tiny());
        var info = new ModelInfo(model.Architecture, new ImageSize(32, 32), new Dictionary<string, string>());
        var state = model.state_dict();

        var missing = dir.File("missing.safetensors");
        Safetensors.Save(missing, state.Where(kv => kv.Key != "layer2.0.bn2.running_var"), info.ToMetadata());
        var e = Assert.Throws<InvalidDataException>(() => Checkpoint.Load(missing));
        Assert.Contains("layer2.0.bn2.running_var", e.Message);
        Assert.Contains(missing, e.Message);

        var misshaped = dir.File("misshaped.safetensors");
        Safetensors.Save(
            misshaped,
            state.Select(kv =>
                kv.Key == "layer1.1.conv2.weight" ? new KeyValuePair<string, Tensor>(kv.Key, zeros(4, 4, 1, 1)) : kv
            ),
            info.ToMetadata()
        );
        e = Assert.Throws<InvalidDataException>(() => Checkpoint.Load(misshaped));
        Assert.Contains("layer1.1.conv2.weight", e.Message);

        Assert.Throws<FileNotFoundException>(() => Checkpoint.Load(dir.File("absent.safetensors")));
    }

    [Fact]
    public void A_header_that_claims_other_widths_than_its_tensors_is_refused_by_every_reader()
    {
        // The header is what model show, cost and pruning read without loading a weight: it must agree with the
        // tensors.
        using var dir = new TempDir();
        using var model = new Network(Tiny());
        var wider = Tiny().WithWidths(new Dictionary<string, int> { ["conv1"] = 4096 });
        var claims = dir.File("claims.safetensors");
        model.save(claims, new ModelInfo(wider, new ImageSize(32, 32), new Dictionary<string, string>()).ToMetadata());
        var e = Assert.Throws<InvalidDataException>(() => Checkpoint.ReadInfo(claims));
        Assert.Contains(claims, e.Message);
        Assert.Contains(
            "the header's architecture gives tensor 'conv1.weight' shape [4096, 3, 7, 7], but the file holds [8, 3, 7, 7]",
            e.Message
        );
        Assert.Throws<InvalidDataException>(() => Checkpoint.Load(claims));
    }

    [Fact]
    public void Widths_that_do_not_fit_together_are_refused_naming_the_layer()
    {
        // layer1.0.conv3 writes the residual stream layer1.0.downsample.0 also writes: their widths must agree.
        var e = Assert.Throws<InvalidDataException>(() =>
            new Network(Tiny().WithWidths(new Dictionary<string, int> { ["layer1.0.conv3"] = 15 }))
        );
        Assert.Contains("layer1.0.add", e.Message);
        Assert.Contains(
            "no layer 'layer9.0.conv1'",
            Assert
                .Throws<ArgumentException>(() =>
                    Tiny().WithWidths(new Dictionary<string, int> { ["layer9.0.conv1"] = 3 })
                )
                .Message
        );
        var json = JsonNode.Parse(Tiny().ToJson())!.AsObject();
        json["widths"]!["conv1"] = 0;
        Assert.Contains(
            "conv1",
            Assert.Throws<InvalidDataException>(() => Architecture.FromJson(json.ToJsonString())).Message
        );
    }
}
