using QuakePrune.Models;
using QuakePrune.Spectrograms;

namespace QuakePrune.Cli.Tests.Commands;

public sealed class ModelVerbTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("quakeprune-model-").FullName;

    public void Dispose() => Directory.Delete(dir, true);

    [Fact]
    public void Init_writes_a_seeded_resnet50_and_show_prints_its_cost()
    {
        var path = Path.Combine(dir, "r50.safetensors");
        var init = CliRunner.Run("model", "init", "--hidden", "0", "--out", path, "--size", "64x48", "--seed", "3");
        Assert.True(init.Code == 0, init.Err);
        var info = Checkpoint.ReadInfo(path);
        Assert.Equal(ResNetArchitecture.ResNet50(), info.Architecture);
        Assert.Equal(new ImageSize(64, 48), info.InputSize);
        Assert.Equal("3", info.Notes["init.seed"]);
        Assert.Empty(Directory.GetFiles(dir, "*.tmp"));

        var show = CliRunner.Run("model", "show", path, "--size", "224x224");
        Assert.True(show.Code == 0, show.Err);
        Assert.Contains("layer4.2.conv3", show.Out);
        Assert.Contains("total: 23,512,130 parameters", show.Out);
        Assert.Contains("(4.087 GMACs) at 224x224", show.Out);
        Assert.Contains("MB moved", show.Out);
    }

    [Fact]
    public void Init_writes_resnet18_as_torchvision_builds_it_and_names_the_known_architectures()
    {
        var path = Path.Combine(dir, "r18.safetensors");
        var init = CliRunner.Run("model", "init", "--arch", "resnet18", "--classes", "2", "--hidden", "0", "--out", path);
        Assert.True(init.Code == 0, init.Err);
        // torchvision.models.resnet18(num_classes=2) has 11,177,538 parameters; the names are checked against its state dict in ResNetTests.
        Assert.Contains("resnet18, 2 classes, hidden 0: 11,177,538 parameters", init.Out);
        Assert.Equal(ResNetArchitecture.ResNet18(), Checkpoint.ReadInfo(path).Architecture);
        var unknown = CliRunner.Run("model", "init", "--arch", "vgg16", "--out", Path.Combine(dir, "never.safetensors"));
        Assert.Equal(1, unknown.Code);
        Assert.Contains("resnet18, resnet34, resnet50", unknown.Err);
    }

    [Fact]
    public void Same_seed_same_weights()
    {
        var (a, b) = (Path.Combine(dir, "a.safetensors"), Path.Combine(dir, "b.safetensors"));
        Assert.Equal(0, CliRunner.Run("model", "init", "--out", a, "--seed", "9", "--size", "32x32").Code);
        Assert.Equal(0, CliRunner.Run("model", "init", "--out", b, "--seed", "9", "--size", "32x32").Code);
        Assert.Equal(File.ReadAllBytes(a), File.ReadAllBytes(b));
    }

    [Fact]
    public void Show_names_a_missing_checkpoint()
    {
        var missing = Path.Combine(dir, "absent.safetensors");
        var run = CliRunner.Run("model", "show", missing);
        Assert.Equal(1, run.Code);
        Assert.Contains(missing, run.Err);
    }
}
