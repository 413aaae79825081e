using QuakePrune.Models;

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
        var init = CliRunner.Run(
            "model",
            "init",
            "--arch",
            "resnet18",
            "--classes",
            "2",
            "--hidden",
            "0",
            "--out",
            path
        );
        Assert.True(init.Code == 0, init.Err);
        // torchvision.models.resnet18(num_classes=2) has 11,177,538 parameters; the names are checked against its state
        // dict in ResNetTests.
        Assert.Contains("resnet18, 2 classes, hidden 0: 11,177,538 parameters", init.Out);
        Assert.Equal(ResNetArchitecture.ResNet18(), Checkpoint.ReadInfo(path).Architecture);
        var unknown = CliRunner.Run(
            "model",
            "init",
            "--arch",
            "vgg16",
            "--out",
            Path.Combine(dir, "never.safetensors")
        );
        Assert.Equal(1, unknown.Code);
        Assert.Contains("resnet18, resnet34, resnet50", unknown.Err);
    }

    [Theory]
    [InlineData("eqtransformer", "376,935 parameters")]
    [InlineData("eqt-gru", "371,047 parameters")]
    [InlineData("eqt-cnn-bilstm", "379,591 parameters")]
    [InlineData("eqt-lite", "100,255 parameters")]
    public void Init_writes_each_eqtransformer_member_and_show_prints_its_curves_and_cost(
        string arch,
        string parameters
    )
    {
        var path = Path.Combine(dir, $"{arch}.safetensors");
        var init = CliRunner.Run("model", "init", "--arch", arch, "--seed", "2", "--out", path);
        Assert.True(init.Code == 0, init.Err);
        Assert.Contains($"{arch}, outputs detection, p, s: {parameters}", init.Out);
        Assert.Contains("at 3x6000", init.Out);
        var info = Checkpoint.ReadInfo(path);
        Assert.Equal(NetworkBuilders.Create(arch, new NetworkOptions()), info.Architecture);
        Assert.Equal([1, 3, 6000], info.InputShape);

        var show = CliRunner.Run("model", "show", path);
        Assert.True(show.Code == 0, show.Err);
        Assert.Contains("input 3x6000, output detection 6000, p 6000, s 6000", show.Out);
        Assert.Contains($"total: {parameters}", show.Out);
        Assert.Contains("pick_decoders.1.convs.6", show.Out);
    }

    [Fact]
    public void A_waveform_network_refuses_an_image_size()
    {
        var path = Path.Combine(dir, "eqt.safetensors");
        var init = CliRunner.Run("model", "init", "--arch", "eqtransformer", "--size", "64x64", "--out", path);
        Assert.Equal(1, init.Code);
        Assert.Contains("3x6000", init.Err);
        Assert.False(File.Exists(path));
        Assert.Equal(0, CliRunner.Run("model", "init", "--arch", "eqtransformer", "--out", path).Code);
        var show = CliRunner.Run("model", "show", path, "--size", "64x64");
        Assert.Equal(1, show.Code);
        Assert.Contains("waveform network", show.Err);
    }

    [Fact]
    public void Cost_prints_parameters_and_macs_of_every_architecture()
    {
        var run = CliRunner.Run("model", "cost");
        Assert.True(run.Code == 0, run.Err);
        Assert.Contains("resnet50", run.Out);
        // 128,739,392 MACs per 3 x 6000 window: the encoder, residual stack and three decoders' convolutions, 1.08 M in
        // the LSTMs.
        Assert.Matches(@"eqtransformer\s+3x6000\s+376,935\s+128\.74\s+1\.08\s+0\.62", run.Out);
        Assert.Matches(@"eqt-lite\s+3x6000\s+100,255\s+33\.62", run.Out);
        var some = CliRunner.Run("model", "cost", "--arch", "eqt-gru", "eqt-cnn-bilstm");
        Assert.True(some.Code == 0, some.Err);
        Assert.Contains("eqt-cnn-bilstm", some.Out);
        Assert.DoesNotContain("resnet18", some.Out);
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
