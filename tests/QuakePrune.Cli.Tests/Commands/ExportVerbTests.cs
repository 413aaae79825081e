using QuakePrune.Models;

namespace QuakePrune.Cli.Tests.Commands;

/// <summary>
/// `quakeprune export`: a checkpoint to ONNX, run in-process; what it refuses (ONNX Runtime checks the files, and a
/// layer without an ONNX form is refused, in QuakePrune.Tests).
/// </summary>
public sealed class ExportVerbTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("quakeprune-cli-export-").FullName;

    public void Dispose() => Directory.Delete(dir, true);

    private string File(string name) => Path.Combine(dir, name);

    private string Save(Architecture architecture, string name)
    {
        var path = File(name);
        using var model = new Network(architecture);
        Checkpoint.Save(
            model,
            new ModelInfo(architecture, new ImageSize(32, 32), new Dictionary<string, string>()),
            path
        );
        return path;
    }

    [Fact]
    public void Export_writes_an_onnx_model_of_a_resnet_or_a_picker_once_and_never_over_its_input()
    {
        var resnet = Save(
            ResNetArchitecture.Custom(
                ResNetBlock.Bottleneck,
                8,
                [
                    new ResNetStage(
                        16,
                        [
                            [4, 4],
                        ]
                    ),
                ],
                hidden: 8
            ),
            "resnet.safetensors"
        );
        var onnx = File("resnet.onnx");
        var run = CliRunner.Run("export", "--model", resnet, "--out", onnx);
        Assert.True(run.Code == 0, run.Err);
        Assert.Contains("opset 13", run.Out);
        Assert.Contains("input 'input' [batch, 3, height, width] (trained at 32x32)", run.Out);
        Assert.True(System.IO.File.Exists(onnx));

        Assert.Contains("--overwrite", CliRunner.Run("export", "--model", resnet, "--out", onnx).Err);
        Assert.Equal(0, CliRunner.Run("export", "--model", resnet, "--out", onnx, "--overwrite").Code);
        Assert.Contains("input", CliRunner.Run("export", "--model", resnet, "--out", resnet, "--overwrite").Err);

        var eqt = Save(NetworkBuilders.Create("eqt-lite", new NetworkOptions()), "eqt.safetensors");
        var picker = CliRunner.Run("export", "--model", eqt, "--out", File("eqt.onnx"));
        Assert.True(picker.Code == 0, picker.Err);
        Assert.Contains("input 'input' [batch, 3, 6000], outputs 'detection', 'p', 's'", picker.Out);
        Assert.True(System.IO.File.Exists(File("eqt.onnx")));
        Assert.Contains(
            "not found",
            CliRunner.Run("export", "--model", File("nowhere.safetensors"), "--out", File("x.onnx")).Err
        );
    }
}
