using System.Text.Json;
using QuakePrune.Models;
using QuakePrune.Pipeline;
using QuakePrune.Training;

namespace QuakePrune.Tests.Pipeline;

/// <summary>
/// The paper preset's route: no spectrogram file, the stages after 02 compute the images from the subset.
/// </summary>
public sealed class OnTheFlyStudyTests : IDisposable
{
    private readonly TempDir dir = new();

    public void Dispose() => dir.Dispose();

    [Fact]
    public void Only_the_paper_preset_computes_its_spectrograms_on_the_fly()
    {
        Assert.True(Preset.Paper.SpectrogramsOnTheFly);
        Assert.False(Preset.Quick.SpectrogramsOnTheFly);
        Assert.False(Preset.Ci.SpectrogramsOnTheFly);
    }

    [Fact]
    public void Stages_after_02_read_the_subset_on_the_fly_and_02_writes_no_spectrogram_file()
    {
        // The ci preset's data and model on the paper's route.
        var preset = Preset.Ci with { Name = "ci-on-the-fly", SpectrogramsOnTheFly = true };
        var paths = StudyPaths.For(dir.Path, preset);
        var log = new List<string>();
        StudyPipeline.Run(
            preset,
            paths,
            log: log.Add,
            stages: [StudyStage.Subset, StudyStage.Spectrograms, StudyStage.Baseline]
        );

        Assert.False(File.Exists(paths.Spectrograms));
        Assert.Contains(log, l =>
            l.StartsWith("02 spectrograms: 80 images of 3x32x32, computed on the fly,", StringComparison.Ordinal)
        );
        using (var record = JsonDocument.Parse(File.ReadAllText(paths.SpectrogramSettings)))
        {
            Assert.True(record.RootElement.GetProperty("on_the_fly").GetBoolean());
            Assert.Equal(80, record.RootElement.GetProperty("count").GetInt32());
            Assert.Equal("32x32", record.RootElement.GetProperty("settings").GetProperty("size").GetString());
        }
        var settings = SpectrogramStage.Settings(preset);
        Assert.Equal(settings, Checkpoint.ReadInfo(paths.BaselineModel).Spectrogram());
        Assert.True(File.Exists(paths.BaselineMetrics));
    }
}
