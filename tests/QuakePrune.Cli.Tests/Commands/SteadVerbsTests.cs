namespace QuakePrune.Cli.Tests.Commands;

/// <summary>The synth, extract and stead info verbs, run in-process as the command line would.</summary>
public sealed class SteadVerbsTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("quakeprune-cli-").FullName;

    public void Dispose() => Directory.Delete(dir, true);

    private static (int Code, string Out, string Err) Run(params string[] args) => CliRunner.Run(args);

    [Fact]
    public void Synth_then_info_then_extract()
    {
        var prefix = Path.Combine(dir, "syn");
        var synth = Run("synth", "--out", prefix, "--traces", "120", "--seed", "2", "--noise-fraction", "0.25");
        Assert.Equal(0, synth.Code);
        Assert.Contains("90 earthquakes", synth.Out);
        Assert.True(File.Exists(prefix + ".hdf5") && File.Exists(prefix + ".csv"));

        var info = Run("stead", "info", "--input", prefix);
        Assert.Equal(0, info.Code);
        Assert.Contains("earthquake_local: 90", info.Out);
        Assert.Contains("noise: 30", info.Out);
        Assert.Contains("missing from HDF5: 0", info.Out);

        var output = Path.Combine(dir, "subset");
        var extract = Run(
            "extract",
            "--input",
            prefix,
            "--out",
            output,
            "--per-class",
            "20",
            "--split",
            "0.6,0.2,0.2",
            "--receiver-type",
            "HH,BH,EH,HN",
            "--magnitude",
            "0:9"
        );
        Assert.Equal(0, extract.Code);
        Assert.Contains("40 traces (20 earthquakes, 20 noise)", extract.Out);
        Assert.Contains("extract: 40/40", extract.Err);
        Assert.Equal(41, File.ReadAllLines(Path.Combine(output, "subset.csv")).Length);
    }

    [Fact]
    public void Bad_inputs_give_one_line_and_no_output()
    {
        var output = Path.Combine(dir, "never");
        var missing = Run("extract", "--input", Path.Combine(dir, "absent"), "--out", output, "--per-class", "5");
        Assert.Equal(1, missing.Code);
        Assert.StartsWith("error: ", missing.Err);
        Assert.Contains("absent.csv", missing.Err);
        Assert.False(Directory.Exists(output));
        var badSplit = Run("extract", "--input", Path.Combine(dir, "absent"), "--out", output, "--split", "0.5,0.1");
        Assert.Equal(1, badSplit.Code);
        Assert.Contains("--split", badSplit.Err);
        var badRange = Run("extract", "--input", Path.Combine(dir, "absent"), "--out", output, "--magnitude", "5:1");
        Assert.Contains("--magnitude", badRange.Err);
        Assert.Equal(1, Run("synth", "--out", Path.Combine(dir, "x"), "--traces", "0").Code);
    }

    [Fact]
    public void Info_prints_the_hdf5_and_direct_OneDnn_versions()
    {
        var info = Run("info");
        Assert.Equal(0, info.Code);
        Assert.Matches("\"hdf5\": \"1\\.\\d+\\.\\d+", info.Out);
        Assert.Matches("\"onednn_direct\": \"2\\.\\d+\\.\\d+", info.Out);
    }
}
