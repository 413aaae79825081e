using System.Globalization;
using QuakePrune.Models;

namespace QuakePrune.Cli.Tests.Commands;

public sealed class PruneVerbTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("quakeprune-cli-").FullName;

    public void Dispose() => Directory.Delete(dir, true);

    private string TinyCheckpoint()
    {
        var architecture = ResNetArchitecture.Custom(
            ResNetBlock.Bottleneck,
            8,
            [
                new ResNetStage(
                    16,
                    [
                        [8, 8],
                        [8, 8],
                    ]
                ),
                new ResNetStage(
                    32,
                    [
                        [8, 8],
                    ]
                ),
            ],
            hidden: 10
        );
        using var model = new Network(architecture);
        var path = Path.Combine(dir, "tiny.safetensors");
        Checkpoint.Save(
            model,
            new ModelInfo(architecture, new ImageSize(32, 32), new Dictionary<string, string>()),
            path
        );
        return path;
    }

    [Fact]
    public void Prune_writes_a_smaller_checkpoint_that_records_how_it_was_made()
    {
        var source = TinyCheckpoint();
        var output = Path.Combine(dir, "p50.safetensors");
        var run = CliRunner.Run("prune", "--model", source, "--ratio", "0.5", "--scope", "full", "--out", output);
        Assert.Equal(0, run.Code);
        Assert.Contains("layer2.residual", run.Out);
        Assert.Contains("parameters", run.Out);

        var info = Checkpoint.ReadInfo(output);
        Assert.Equal(4, info.Architecture.Widths["conv1"]);
        Assert.Equal(5, info.Architecture.Widths["fc.0"]);
        Assert.Equal("0.5", info.Notes["pruning.ratio"]);
        Assert.Equal("full", info.Notes["pruning.scope"]);
        Assert.Equal(new ImageSize(32, 32), info.InputSize);
        Assert.Empty(Directory.GetFiles(dir, "*.tmp*"));
    }

    [Fact]
    public void Records_tell_the_ratio_achieved_and_the_total_since_the_unpruned_model_and_a_ratio_not_reached_is_said()
    {
        var source = TinyCheckpoint();
        var half = Path.Combine(dir, "p50.safetensors");
        Assert.Equal(0, CliRunner.Run("prune", "--model", source, "--ratio", "0.5", "--out", half).Code);
        Assert.Equal("0.5", Checkpoint.ReadInfo(half).Notes["pruning.ratio_achieved"]);
        Assert.False(Checkpoint.ReadInfo(half).Notes.ContainsKey("pruning.cumulative_ratio"));

        // Pruning a pruned model again keeps a fraction of what it kept: the record gives the total since the unpruned
        // model.
        var quarter = Path.Combine(dir, "p50-p50.safetensors");
        var again = CliRunner.Run("prune", "--model", half, "--ratio", "0.5", "--out", quarter);
        Assert.Equal(0, again.Code);
        var notes = Checkpoint.ReadInfo(quarter).Notes;
        var achieved = double.Parse(notes["pruning.ratio_achieved"], CultureInfo.InvariantCulture);
        var total = 1 - 0.5 * (1 - achieved);
        Assert.Equal(total, double.Parse(notes["pruning.cumulative_ratio"], CultureInfo.InvariantCulture), 12);
        Assert.Contains(
            string.Create(
                CultureInfo.InvariantCulture,
                $"was pruned already: {total:P1} of the original channels are now removed"
            ),
            again.Out
        );

        // --round-to larger than every group keeps every channel: nothing is pruned, and the run says so and records
        // it.
        var none = Path.Combine(dir, "p50-round.safetensors");
        var rounded = CliRunner.Run("prune", "--model", source, "--ratio", "0.5", "--round-to", "64", "--out", none);
        Assert.Equal(0, rounded.Code);
        Assert.Contains("warning: removed 0.0 % of the channels in scope, not the 50 % asked", rounded.Err);
        Assert.Equal("0", Checkpoint.ReadInfo(none).Notes["pruning.ratio_achieved"]);
        Assert.Equal("0.5", Checkpoint.ReadInfo(none).Notes["pruning.ratio"]);
    }

    [Fact]
    public void The_criterion_is_chosen_by_name_and_recorded_with_its_seed()
    {
        var source = TinyCheckpoint();
        var l2 = CliRunner.Run(
            "prune",
            "--model",
            source,
            "--ratio",
            "0.5",
            "--out",
            Path.Combine(dir, "l2.safetensors")
        );
        Assert.True(l2.Code == 0, l2.Err);
        Assert.Equal("l2", Checkpoint.ReadInfo(Path.Combine(dir, "l2.safetensors")).Notes["pruning.importance"]);
        var output = Path.Combine(dir, "random.safetensors");
        var random = CliRunner.Run(
            "prune",
            "--model",
            source,
            "--ratio",
            "0.5",
            "--importance",
            "random",
            "--seed",
            "7",
            "--out",
            output
        );
        Assert.True(random.Code == 0, random.Err);
        var notes = Checkpoint.ReadInfo(output).Notes;
        Assert.Equal(("random", "7"), (notes["pruning.importance"], notes["pruning.importance.seed"]));
        Assert.Equal(
            Checkpoint.ReadInfo(Path.Combine(dir, "l2.safetensors")).Architecture,
            Checkpoint.ReadInfo(output).Architecture
        );
    }

    [Fact]
    public void Group_reduction_and_normalisation_are_chosen_by_name_recorded_and_default_to_the_sum_and_the_mean()
    {
        var source = TinyCheckpoint();
        string Prune(string name, params string[] options)
        {
            var output = Path.Combine(dir, $"{name}.safetensors");
            var run = CliRunner.Run([
                "prune",
                "--model",
                source,
                "--ratio",
                "0.5",
                "--ranking",
                "global",
                .. options,
                "--out",
                output,
            ]);
            Assert.True(run.Code == 0, run.Err);
            return output;
        }

        var plain = Checkpoint.ReadInfo(Prune("plain"));
        var named = Checkpoint.ReadInfo(Prune("named", "--group-reduction", "sum", "--normalisation", "mean"));
        Assert.Equal(
            ("sum", "mean"),
            (plain.Notes["pruning.importance.group_reduction"], plain.Notes["pruning.importance.normalisation"])
        );
        Assert.Equal(plain.Architecture, named.Architecture);
        var turned = Checkpoint.ReadInfo(
            Prune("turned", "--importance", "l1", "--group-reduction", "max", "--normalisation", "none")
        );
        Assert.Equal(
            ("l1", "max", "none"),
            (
                turned.Notes["pruning.importance"],
                turned.Notes["pruning.importance.group_reduction"],
                turned.Notes["pruning.importance.normalisation"]
            )
        );
        Assert.False(
            Checkpoint
                .ReadInfo(Prune("random", "--importance", "random"))
                .Notes.ContainsKey("pruning.importance.group_reduction")
        );
    }

    [Theory]
    [InlineData("--group-reduction median", "--group-reduction must be one of sum, mean, max, got 'median'")]
    [InlineData("--ranking global --normalisation sqrt", "--normalisation must be one of none, mean, max, got 'sqrt'")]
    [InlineData(
        "--normalisation max",
        "--normalisation scales each group's scores for --ranking global; a local ranking removes the same fraction of every group whatever the scale"
    )]
    [InlineData(
        "--importance random --group-reduction max",
        "--importance random has no group reduction or normalisation to choose (only l2, l1, bn have)"
    )]
    public void Bad_knobs_are_refused_by_name(string options, string expected)
    {
        var output = Path.Combine(dir, "never.safetensors");
        var run = CliRunner.Run(["prune", "--model", TinyCheckpoint(), .. options.Split(' '), "--out", output]);
        Assert.Equal(1, run.Code);
        Assert.Contains(expected, run.Err);
        Assert.False(File.Exists(output));
    }

    [Fact]
    public void Help_lists_every_registered_criterion()
    {
        var run = CliRunner.Run("prune", "--help");
        Assert.Equal(0, run.Code);
        foreach (var name in QuakePrune.Pruning.Importances.Names)
            Assert.Contains($"{name} (", run.Out);
        Assert.Contains("--group-reduction", run.Out);
        Assert.Contains("--normalisation", run.Out);
    }

    [Fact]
    public void Recalibrate_bn_reestimates_the_batch_norms_on_train_batches_records_it_and_never_writes_over_the_data()
    {
        Assert.Equal(
            0,
            CliRunner.Run("synth", "--out", Path.Combine(dir, "syn"), "--traces", "60", "--seed", "3").Code
        );
        Assert.Equal(
            0,
            CliRunner
                .Run(
                    "extract",
                    "--input",
                    Path.Combine(dir, "syn"),
                    "--out",
                    Path.Combine(dir, "subset"),
                    "--per-class",
                    "20"
                )
                .Code
        );
        var data = Path.Combine(dir, "spec.h5");
        var spectrograms = CliRunner.Run(
            "spectrogram",
            "--subset",
            Path.Combine(dir, "subset"),
            "--out",
            data,
            "--size",
            "32x32",
            "--threads",
            "1"
        );
        Assert.True(spectrograms.Code == 0, spectrograms.Err);
        var source = TinyCheckpoint();
        var output = Path.Combine(dir, "p50-bn.safetensors");

        var run = CliRunner.Run(
            "prune",
            "--model",
            source,
            "--ratio",
            "0.5",
            "--recalibrate-bn",
            "2",
            "--batch",
            "4",
            "--data",
            data,
            "--out",
            output
        );
        Assert.True(run.Code == 0, run.Err);
        Assert.Contains("batch norms recalibrated on 8 train images of spec.h5", run.Out);
        var notes = Checkpoint.ReadInfo(output).Notes;
        Assert.Equal(
            ("2", "4", "8", "spec.h5", "1"),
            (
                notes["pruning.recalibrate_bn.batches"],
                notes["pruning.recalibrate_bn.batch_size"],
                notes["pruning.recalibrate_bn.images"],
                notes["pruning.recalibrate_bn.data"],
                notes["pruning.recalibrate_bn.seed"]
            )
        );
        using (var loaded = Checkpoint.Load(output))
            Assert.Equal(2L, loaded.Model.get_buffer("bn1.num_batches_tracked").item<long>());

        var length = new FileInfo(data).Length;
        var over = CliRunner.Run(
            "prune",
            "--model",
            source,
            "--recalibrate-bn",
            "1",
            "--data",
            data,
            "--out",
            data,
            "--overwrite"
        );
        Assert.Equal(1, over.Code);
        Assert.Contains("is the input", over.Err);
        Assert.Equal(length, new FileInfo(data).Length);
    }

    [Fact]
    public void Explain_lists_every_group_with_its_members()
    {
        var run = CliRunner.Run("prune", "--model", TinyCheckpoint(), "--explain");
        Assert.Equal(0, run.Code);
        Assert.Contains("stem (stem, 8 channels)", run.Out);
        Assert.Contains("layer1.residual (residual, 16 channels)", run.Out);
        Assert.Contains("consumers: layer1.1.conv1, layer2.0.conv1, layer2.0.downsample.0", run.Out);
        Assert.Contains("fc.0 (hidden, 10 channels)", run.Out);
    }

    [Theory]
    [InlineData("--ratio", "1.0", "pruning ratio must be in [0, 1)")]
    [InlineData("--scope", "everything", "--scope must be one of internal, full")]
    [InlineData("--importance", "taylor", "--importance must be one of l2, l1, bn, random, got 'taylor'")]
    [InlineData(
        "--recalibrate-bn",
        "2",
        "--recalibrate-bn needs --data (the spectrogram file whose train split it reads)"
    )]
    [InlineData("--recalibrate-bn", "-1", "--recalibrate-bn must be 0 (off) or a number of batches, got -1")]
    [InlineData("--data", "spec.h5", "--data is read only by --recalibrate-bn N (N > 0)")]
    public void Bad_options_give_one_line_and_no_output(string option, string value, string expected)
    {
        var output = Path.Combine(dir, "never.safetensors");
        var run = CliRunner.Run("prune", "--model", TinyCheckpoint(), option, value, "--out", output);
        Assert.Equal(1, run.Code);
        Assert.Contains(expected, run.Err);
        Assert.False(File.Exists(output));
    }

    [Fact]
    public void Missing_checkpoint_is_named()
    {
        var run = CliRunner.Run(
            "prune",
            "--model",
            Path.Combine(dir, "absent.safetensors"),
            "--out",
            Path.Combine(dir, "x.safetensors")
        );
        Assert.Equal(1, run.Code);
        Assert.Contains("absent.safetensors", run.Err);
    }
}
