using System.CommandLine;
using QuakePrune.Cli.Commands;
using QuakePrune.Hdf5;
using QuakePrune.Spectrograms;

namespace QuakePrune.Cli.Tests.Commands;

/// <summary>The spectrogram verb, run in-process on a small synthetic subset.</summary>
public sealed class SpectrogramCommandTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("quakeprune-cli-").FullName;

    public void Dispose() => Directory.Delete(dir, true);

    private static (int Code, string Out, string Err) Run(params string[] args)
    {
        var root = new RootCommand { SynthCommand.Create(), ExtractCommand.Create(), SpectrogramCommand.Create() };
        var (stdout, stderr) = (Console.Out, Console.Error);
        var (o, e) = (new StringWriter(), new StringWriter());
        Console.SetOut(o);
        Console.SetError(e);
        try
        {
            return (root.Parse(args).Invoke(), o.ToString(), e.ToString());
        }
        finally
        {
            Console.SetOut(stdout);
            Console.SetError(stderr);
        }
    }

    private string MakeSubset()
    {
        var prefix = Path.Combine(dir, "syn");
        Assert.Equal(0, Run("synth", "--out", prefix, "--traces", "40", "--seed", "3").Code);
        var subset = Path.Combine(dir, "subset");
        Assert.Equal(0, Run("extract", "--input", prefix, "--out", subset, "--per-class", "12").Code);
        return subset;
    }

    [Fact]
    public void Writes_the_file_with_the_options_given()
    {
        var subset = MakeSubset();
        var output = Path.Combine(dir, "spec.h5");
        var run = Run(
            "spectrogram",
            "--subset",
            subset,
            "--out",
            output,
            "--size",
            "20x16",
            "--dtype",
            "float16",
            "--normalize",
            "minmax",
            "--minmax-range",
            "-20:30",
            "--bandpass",
            "2-20",
            "--bandpass-order",
            "3",
            "--taper",
            "0.05",
            "--no-detrend",
            "--nfft",
            "512",
            "--threads",
            "2"
        );
        Assert.True(run.Code == 0, run.Err);
        Assert.Contains("24 images of 3x20x16 float16", run.Out);
        Assert.Contains("spectrogram: 24/24", run.Err);
        using (var file = SpectrogramFile.Open(output))
        {
            var s = file.Settings;
            Assert.Equal(new ImageSize(20, 16), s.Size);
            Assert.Equal(SpectrogramDType.Float16, s.DType);
            Assert.Equal(SpectrogramNormalization.MinMax, s.Normalization);
            Assert.Equal((-20.0, 30.0), (s.MinDb, s.MaxDb));
            Assert.Equal(new BandPassSettings(3, 2, 20), s.Preprocessing.BandPass);
            Assert.Equal(0.05, s.Preprocessing.TaperAlpha);
            Assert.False(s.Preprocessing.Detrend);
            Assert.True(s.Preprocessing.Demean);
            Assert.Equal(512, s.Nfft);
            Assert.Equal(24, file.Count);
        }

        Assert.Equal(1, Run("spectrogram", "--subset", subset, "--out", output).Code);
        var again = Run(
            "spectrogram",
            "--subset",
            subset,
            "--out",
            output,
            "--preprocess",
            "none",
            "--normalize",
            "none",
            "--size",
            "native",
            "--overwrite"
        );
        Assert.True(again.Code == 0, again.Err);
        using var native = SpectrogramFile.Open(output);
        Assert.Equal(SpectrogramSettings.ScipyParity with { Size = null }, native.Settings);
    }

    [Fact]
    public void Bad_options_and_inputs_give_one_line_naming_them_and_no_output()
    {
        var output = Path.Combine(dir, "never.h5");
        var missing = Run("spectrogram", "--subset", Path.Combine(dir, "absent"), "--out", output);
        Assert.Equal(1, missing.Code);
        Assert.StartsWith("error: ", missing.Err);
        Assert.Contains("absent.csv", missing.Err);
        Assert.Contains("--size", Run("spectrogram", "--subset", dir, "--out", output, "--size", "224by224").Err);
        Assert.Contains("--dtype", Run("spectrogram", "--subset", dir, "--out", output, "--dtype", "int8").Err);
        Assert.Contains(
            "--preprocess",
            Run("spectrogram", "--subset", dir, "--out", output, "--preprocess", "fancy").Err
        );
        Assert.Contains("--bandpass", Run("spectrogram", "--subset", dir, "--out", output, "--bandpass", "1..45").Err);
        Assert.Contains(
            "--minmax-range",
            Run("spectrogram", "--subset", dir, "--out", output, "--minmax-range", "25:-10").Err
        );
        Assert.Contains("noverlap", Run("spectrogram", "--subset", dir, "--out", output, "--noverlap", "300").Err);
        Assert.False(File.Exists(output));
    }

    [Fact]
    public void A_NaN_trace_fails_with_a_hint_and_is_skipped_with_the_flag()
    {
        var subset = MakeSubset();
        var name = File.ReadLines(Path.Combine(subset, "subset.csv")).Skip(3).First().Split(',')[^2];
        using (var h5 = H5File.Open(Path.Combine(subset, "subset.hdf5"), writable: true))
        using (var data = h5.OpenGroup("data"))
        using (var dataset = data.OpenDataset(name))
        {
            var waveform = dataset.Read<float>();
            waveform[10] = float.PositiveInfinity;
            dataset.Write<float>(waveform);
        }
        var output = Path.Combine(dir, "nan.h5");
        var failed = Run("spectrogram", "--subset", subset, "--out", output, "--size", "8x8");
        Assert.Equal(1, failed.Code);
        Assert.Contains($"'{name}'", failed.Err);
        Assert.Contains("--skip-nonfinite", failed.Err);
        Assert.False(File.Exists(output));
        var skipped = Run("spectrogram", "--subset", subset, "--out", output, "--size", "8x8", "--skip-nonfinite");
        Assert.Equal(0, skipped.Code);
        Assert.Contains("23 images", skipped.Out);
        Assert.Contains("skipped (NaN/Inf): 1", skipped.Out);
    }
}
