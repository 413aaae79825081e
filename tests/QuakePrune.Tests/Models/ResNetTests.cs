using QuakePrune.Models;
using QuakePrune.Spectrograms;
using QuakePrune.Torch;
using static QuakePrune.Torch.torch;

namespace QuakePrune.Tests.Models;

public class ResNetTests
{
    /// <summary>A small bottleneck ResNet (same code path as ResNet50) so tests stay fast.</summary>
    public static ResNetArchitecture Tiny(int hidden = 6) => new()
    {
        Stem = 8,
        Stages = [new ResNetStage(16, [new BottleneckWidths(4, 4), new BottleneckWidths(4, 4)]), new ResNetStage(24, [new BottleneckWidths(6, 6)])],
        Hidden = hidden,
    };

    private static IEnumerable<string> TorchvisionLayout(string file) =>
        File.ReadLines(Path.Combine(AppContext.BaseDirectory, "Models", "Fixtures", file));

    private static IEnumerable<string> Layout(ResNet model) =>
        model.state_dict().Select(kv => $"{kv.Key} [{string.Join(", ", kv.Value.shape)}]");

    [Theory]
    [InlineData(0, "torchvision_resnet50_2classes.txt")]
    [InlineData(512, "torchvision_resnet50_hidden512.txt")]
    public void ResNet50_state_dict_has_torchvisions_names_shapes_and_order(int hidden, string fixture)
    {
        using var model = new ResNet(ResNetArchitecture.ResNet50(hidden: hidden));
        Assert.Equal(TorchvisionLayout(fixture), Layout(model));
    }

    [Fact]
    public void ResNet50_with_two_classes_has_23_512_130_parameters()
    {
        using var model = new ResNet(ResNetArchitecture.ResNet50());
        Assert.Equal(23_512_130, model.parameter_count());
        Assert.Equal(ModelCost.Of(model.Architecture, 224, 224).Params, model.parameter_count());
    }

    [Fact]
    public void Forward_gives_one_logit_per_class_and_refuses_wrong_channels()
    {
        using var scope = NewDisposeScope();
        using var model = new ResNet(Tiny());
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
        using var a = new ResNet(Tiny());
        manual_seed(7);
        using var b = new ResNet(Tiny());
        foreach (var ((name, x), (_, y)) in a.state_dict().Zip(b.state_dict()))
            Assert.True(x.ToBytes().AsSpan().SequenceEqual(y.ToBytes()), name);
    }

    [Fact]
    public void Checkpoint_round_trips_weights_architecture_size_and_spectrogram_settings()
    {
        using var dir = new TempDir();
        using var scope = NewDisposeScope();
        using var model = new ResNet(Tiny());
        model.eval();
        var settings = new SpectrogramSettings { Size = new ImageSize(32, 40) };
        var info = new ModelInfo(model.Architecture, new ImageSize(32, 40), settings, new Dictionary<string, string> { ["training.epochs"] = "3" });
        var path = dir.File("m.safetensors");
        Checkpoint.Save(model, info, path);

        using var loaded = Checkpoint.Load(path);
        loaded.Model.eval();
        Assert.Equal(model.Architecture, loaded.Info.Architecture);
        Assert.Equal(new ImageSize(32, 40), loaded.Info.InputSize);
        Assert.Equal(settings, loaded.Info.Spectrogram);
        Assert.Equal("3", loaded.Info.Notes["training.epochs"]);
        var x = randn(2, 3, 32, 40);
        Assert.Equal(model.forward(x).ToArray<float>(), loaded.Model.forward(x).ToArray<float>());
    }

    [Fact]
    public void Checkpoint_without_metadata_is_rebuilt_from_its_shapes()
    {
        using var dir = new TempDir();
        using var model = new ResNet(Tiny(hidden: 0));
        var path = dir.File("plain.safetensors");
        model.save(path);
        using var loaded = Checkpoint.Load(path);
        Assert.Equal(model.Architecture, loaded.Info.Architecture);
    }

    [Fact]
    public void Checkpoint_with_a_missing_or_misshaped_tensor_is_refused_naming_it()
    {
        using var dir = new TempDir();
        using var scope = NewDisposeScope();
        using var model = new ResNet(Tiny());
        var info = new ModelInfo(model.Architecture, new ImageSize(32, 32), null, new Dictionary<string, string>());
        var state = model.state_dict();

        var missing = dir.File("missing.safetensors");
        Safetensors.Save(missing, state.Where(kv => kv.Key != "layer2.0.bn2.running_var"), info.ToMetadata());
        var e = Assert.Throws<InvalidDataException>(() => Checkpoint.Load(missing));
        Assert.Contains("layer2.0.bn2.running_var", e.Message);
        Assert.Contains(missing, e.Message);

        var misshaped = dir.File("misshaped.safetensors");
        Safetensors.Save(misshaped, state.Select(kv => kv.Key == "layer1.1.conv2.weight"
            ? new KeyValuePair<string, Tensor>(kv.Key, zeros(4, 4, 1, 1)) : kv), info.ToMetadata());
        e = Assert.Throws<InvalidDataException>(() => Checkpoint.Load(misshaped));
        Assert.Contains("layer1.1.conv2.weight", e.Message);

        Assert.Throws<FileNotFoundException>(() => Checkpoint.Load(dir.File("absent.safetensors")));
    }
}
