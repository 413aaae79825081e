using QuakePrune.Models;
using QuakePrune.Picking;
using QuakePrune.Torch;

namespace QuakePrune.Tests.Picking;

/// <summary>
/// QuakePrune.PickerTrainer's work (the picking stage's pickers trained side by side): a training request crosses the
/// process boundary as JSON without losing an option, and the program trains what the same options train here.
/// </summary>
public class PickerTrainingProcessTests
{
    private static WaveformTrainOptions Options(string subset, string output) =>
        new()
        {
            Data = subset,
            OutputDirectory = output,
            Architecture = NetworkBuilders.Create("eqt-lite", new NetworkOptions()),
            Epochs = 1,
            BatchSize = 4,
            LearningRate = 2e-3,
            Schedule = WaveformSchedule.Cosine,
            WarmupEpochs = 0,
            DecayEpochs = 1,
            Patience = 0,
            PlateauPatience = 3,
            Threads = 1,
            Seed = 7,
            Augmentation = WaveformAugmentOptions.EqTransformer,
            Labels = LabelSettings.WithSigma(20),
            LossWeights = new(0.05, 0.55, 0.40),
        };

    [Fact]
    public void A_request_carries_every_option_that_is_data_through_json()
    {
        var options = Options("subset", "run") with { Device = Device.Parse("cuda:1") };
        var back = WaveformTrainingRequest.FromJson(WaveformTrainingRequest.Of(options).ToJson(), "test").ToOptions();
        Assert.Equal(options.Architecture!.ToJson(), back.Architecture!.ToJson());
        Assert.Equal(options with { Architecture = null }, back with { Architecture = null });
        var pruned = Options("subset", "run") with { Architecture = null, Init = "pruned.safetensors" };
        Assert.Equal(
            pruned,
            WaveformTrainingRequest.FromJson(WaveformTrainingRequest.Of(pruned).ToJson(), "t").ToOptions()
        );
    }

    [Fact]
    public void The_program_trains_the_weights_the_same_options_train_in_this_process()
    {
        using var dir = new TempDir();
        var subset = TestSubsets.Make(dir, 12, 21);
        WaveformTrainer.Train(Options(subset, dir.File("here")));
        var log = new StringWriter();
        var request = WaveformTrainingRequest.Of(Options(subset, dir.File("there"))).ToJson();
        Assert.Equal(0, PickerTrainingProcess.Run(new StringReader(request), log));
        Assert.StartsWith("epoch 1: train loss ", log.ToString(), StringComparison.Ordinal);
        Assert.Equal(
            File.ReadAllBytes(Path.Combine(dir.File("here"), "model.safetensors")),
            File.ReadAllBytes(Path.Combine(dir.File("there"), "model.safetensors"))
        );
    }

    [Fact]
    public void A_request_that_is_not_one_or_asks_for_the_impossible_exits_1_saying_what()
    {
        var log = new StringWriter();
        Assert.Equal(1, PickerTrainingProcess.Run(new StringReader("{\"Data\": 3"), log));
        Assert.Contains("error: standard input: not a waveform training request", log.ToString());
        log = new StringWriter();
        var request = WaveformTrainingRequest.Of(Options("no-such-subset", "run") with { Epochs = 0 }).ToJson();
        Assert.Equal(1, PickerTrainingProcess.Run(new StringReader(request), log));
        Assert.StartsWith("error: ", log.ToString(), StringComparison.Ordinal);
    }
}
