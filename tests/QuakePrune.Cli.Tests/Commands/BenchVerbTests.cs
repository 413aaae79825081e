using System.Globalization;
using System.Text.Json.Nodes;
using QuakePrune.Models;
using QuakePrune.Torch;

namespace QuakePrune.Cli.Tests.Commands;

public sealed class BenchVerbTests : IDisposable
{
    private static readonly string[] ResultFields =
    [
        "model",
        "batch",
        "median_ms",
        "p90_ms",
        "p99_ms",
        "mean_ms",
        "std_ms",
        "images_per_s",
        "params",
        "macs",
        "file_bytes",
        "speedup",
    ];

    private readonly string dir = Directory.CreateTempSubdirectory("quakeprune-bench-").FullName;

    public void Dispose() => Directory.Delete(dir, true);

    private string Checkpoint(string name, int width, int seed)
    {
        var architecture = ResNetArchitecture.Custom(
            ResNetBlock.Bottleneck,
            width,
            [
                new ResNetStage(
                    2 * width,
                    [
                        [width, width],
                    ]
                ),
                new ResNetStage(
                    3 * width,
                    [
                        [width, width],
                    ]
                ),
            ]
        );
        torch.manual_seed(seed);
        using var model = new Network(architecture);
        var path = Path.Combine(dir, name);
        Models.Checkpoint.Save(
            model,
            new ModelInfo(architecture, new ImageSize(24, 20), new Dictionary<string, string>()),
            path
        );
        return path;
    }

    private (int Code, string Out, string Err) Bench(params string[] extra) =>
        CliRunner.Run(["bench", "--warmup", "1", "--runs", "3", "--threads", "1", .. extra]);

    [Fact]
    public void Json_has_every_field_per_model_and_batch_with_speedup_against_the_first_model()
    {
        var (large, small) = (Checkpoint("large.safetensors", 8, 1), Checkpoint("small.safetensors", 4, 2));
        var output = Path.Combine(dir, "latency.json");
        var run = Bench("--model", large, "--model", small, "--batch", "1,2", "--out", output);
        Assert.True(run.Code == 0, run.Err);

        var json = JsonNode.Parse(File.ReadAllText(output))!.AsObject();
        Assert.Equal(["machine", "results"], json.Select(p => p.Key));
        var machine = json["machine"]!;
        Assert.False(string.IsNullOrWhiteSpace((string?)machine["cpu"]));
        Assert.Equal(1, (int)machine["threads"]!);
        Assert.Equal("cpu", (string?)machine["device"]);
        Assert.StartsWith("1.", (string?)machine["libtorch"]);
        Assert.True((int)machine["logical_cpus"]! >= 1);

        var results = json["results"]!.AsArray().Select(r => r!.AsObject()).ToArray();
        Assert.Equal(
            [(large, 1), (large, 2), (small, 1), (small, 2)],
            results.Select(r => ((string)r["model"]!, (int)r["batch"]!))
        );
        foreach (var r in results)
        {
            Assert.All(ResultFields, field => Assert.True(r.ContainsKey(field), $"no {field} in {r.ToJsonString()}"));
            Assert.DoesNotContain(r, p => p.Key.StartsWith("projected", StringComparison.Ordinal));
            var median = (double)r["median_ms"]!;
            Assert.True(median > 0 && median <= (double)r["p90_ms"]! && (double)r["p90_ms"]! <= (double)r["p99_ms"]!);
            Assert.Equal((int)r["batch"]! * 1000 / median, (double)r["images_per_s"]!, 6);
            Assert.Equal(new FileInfo((string)r["model"]!).Length, (long)r["file_bytes"]!);
            Assert.Equal(3, (int)r["runs"]!);
            Assert.Equal(1, (int)r["threads"]!);
        }
        Assert.Equal(1.0, (double)results[0]["speedup"]!);
        Assert.Equal(1.0, (double)results[1]["speedup"]!);
        Assert.Equal(
            (double)results[0]["median_ms"]! / (double)results[2]["median_ms"]!,
            (double)results[2]["speedup"]!,
            9
        );
        Assert.Equal(
            (double)results[1]["median_ms"]! / (double)results[3]["median_ms"]!,
            (double)results[3]["speedup"]!,
            9
        );
        Assert.True((long)results[0]["params"]! > (long)results[2]["params"]!);
        Assert.True((long)results[0]["macs"]! > (long)results[2]["macs"]!);
        Assert.Equal(
            ModelCost.Of(Models.Checkpoint.ReadInfo(small).Architecture, 24, 20).Macs,
            (long)results[2]["macs"]!
        );

        Assert.Contains("large.safetensors", run.Out);
        Assert.Contains("speedup", run.Out);
        Assert.Empty(Directory.GetFiles(dir, "*.tmp"));
    }

    [Fact]
    public void Csv_beside_the_json_has_one_row_per_result_with_the_same_columns()
    {
        var model = Checkpoint("m.safetensors", 4, 3);
        var output = Path.Combine(dir, "out", "bench.json");
        var run = Bench(
            "--model",
            model,
            "--model",
            model,
            "--engine",
            "both",
            "--path",
            "plain",
            "--size",
            "16x16",
            "--out",
            output
        );
        Assert.True(run.Code == 0, run.Err);

        var lines = File.ReadAllLines(Path.Combine(dir, "out", "bench.csv"));
        var header = lines[0].Split(',');
        Assert.All(ResultFields, field => Assert.Contains(field, header));
        Assert.Contains("engine", header);
        Assert.Contains("path", header);
        Assert.Equal(5, lines.Length);
        var rows = lines[1..].Select(l => header.Zip(l.Split(',')).ToDictionary(c => c.First, c => c.Second)).ToArray();
        Assert.Equal(["fast", "eager", "fast", "eager"], rows.Select(r => r["engine"]));
        Assert.Equal(["plain", "module", "plain", "module"], rows.Select(r => r["path"]));
        Assert.All(rows, r => Assert.Equal("16x16", r["size"]));

        var json = JsonNode.Parse(File.ReadAllText(output))!["results"]!.AsArray();
        Assert.Equal(
            json.Select(r => (double)r!["median_ms"]!),
            rows.Select(r => double.Parse(r["median_ms"], CultureInfo.InvariantCulture)),
            (a, b) => Math.Abs(a - b) < 1e-3
        );
    }

    [Fact]
    public void Onnx_runtime_times_the_exported_model_beside_ours_a_resnet_or_a_picker()
    {
        var model = Checkpoint("m.safetensors", 4, 3);
        var output = Path.Combine(dir, "ort", "bench.json");
        var run = Bench(
            "--model",
            model,
            "--engine",
            "fast,onnxruntime",
            "--path",
            "plain",
            "--size",
            "16x16",
            "--out",
            output
        );
        Assert.True(run.Code == 0, run.Err);
        Assert.Contains("ONNX Runtime, all graph optimisations", run.Out + run.Err);
        var lines = File.ReadAllLines(Path.Combine(dir, "ort", "bench.csv"));
        var header = lines[0].Split(',');
        var engines = lines[1..].Select(l => l.Split(',')[Array.IndexOf(header, "engine")]).ToArray();
        Assert.Equal(["fast", "onnxruntime"], engines);
        Assert.Empty(
            Directory.GetFiles(Path.GetTempPath(), $"{QuakePrune.Latency.OnnxRuntimeRunner.TemporaryPrefix}*.onnx")
        );

        var picker = Path.Combine(dir, "lite.safetensors");
        var lite = NetworkBuilders.Create("eqt-lite", new NetworkOptions());
        using (var network = new Network(lite))
            QuakePrune.Models.Checkpoint.Save(
                network,
                QuakePrune.Picking.PickingCheckpoint.Info(lite, new Dictionary<string, string>()),
                picker
            );
        var timed = Bench(
            "--model",
            picker,
            "--engine",
            "fast,onnxruntime",
            "--batch",
            "1",
            "--out",
            Path.Combine(dir, "picker", "p.json")
        );
        Assert.True(timed.Code == 0, timed.Err);
        lines = File.ReadAllLines(Path.Combine(dir, "picker", "p.csv"));
        // A picker runs the prepared path too (its every output checked against the module), ONNX Runtime beside it.
        Assert.Equal(
            ["fast", "onnxruntime"],
            lines[1..].Select(l => l.Split(',')[Array.IndexOf(lines[0].Split(','), "engine")])
        );
        Assert.Empty(
            Directory.GetFiles(Path.GetTempPath(), $"{QuakePrune.Latency.OnnxRuntimeRunner.TemporaryPrefix}*.onnx")
        );
    }

    [Fact]
    public void Projection_is_labelled_projected_with_its_assumptions_and_never_replaces_a_measurement()
    {
        var model = Checkpoint("m.safetensors", 4, 4);
        var output = Path.Combine(dir, "projected.json");
        var run = Bench("--model", model, "--project", "gtx1050", "--interleave", "--out", output);
        Assert.True(run.Code == 0, run.Err);

        var json = JsonNode.Parse(File.ReadAllText(output))!;
        var projection = json["projection"]!;
        Assert.Equal("projected, not measured", (string?)projection["label"]);
        Assert.Equal("projected_gtx1050_ms", (string?)projection["column"]);
        Assert.Equal(1.86e12, (double)projection["peak_flops"]!);
        Assert.Equal(112e9, (double)projection["bytes_per_second"]!);
        Assert.InRange((double)projection["efficiency"]!, 0.3, 0.36);
        Assert.Contains("22.45", (string?)projection["calibration"]);
        var result = json["results"]![0]!;
        Assert.True((double)result["projected_gtx1050_ms"]! > 0);
        Assert.NotEqual((double)result["projected_gtx1050_ms"]!, (double)result["median_ms"]!);
        Assert.True((bool)json["machine"]!["interleave"]!);
        Assert.Contains("projected_gtx1050_ms", File.ReadAllLines(Path.ChangeExtension(output, ".csv"))[0]);
        Assert.Contains("NOT measured", run.Out);
    }

    [Fact]
    public void By_default_every_forward_runs_at_exactly_the_thread_count()
    {
        var model = Checkpoint("m.safetensors", 4, 8);
        var output = Path.Combine(dir, "fixed.json");
        var run = CliRunner.Run(
            "bench",
            "--model",
            model,
            "--warmup",
            "1",
            "--runs",
            "2",
            "--threads",
            "2",
            "--out",
            output
        );
        Assert.True(run.Code == 0, run.Err);
        var json = JsonNode.Parse(File.ReadAllText(output))!;
        Assert.False((bool)json["machine"]!["fewer_threads_allowed"]!);
        Assert.Equal(2, (int)json["machine"]!["threads"]!);
        Assert.Equal(2, (int)json["results"]![0]!["threads"]!);
    }

    [Fact]
    public void Cuda_is_measured_synchronised_where_present_and_refused_clearly_where_not()
    {
        var model = Checkpoint("m.safetensors", 4, 5);
        var output = Path.Combine(dir, "cuda.json");
        var run = Bench("--model", model, "--device", "cuda", "--out", output);
        if (torch.cuda.is_available())
        {
            Assert.True(run.Code == 0, run.Err);
            Assert.False(string.IsNullOrEmpty((string?)JsonNode.Parse(File.ReadAllText(output))!["machine"]!["gpu"]));
        }
        else
        {
            Assert.Equal(1, run.Code);
            Assert.Contains("no CUDA device", run.Err);
            Assert.False(File.Exists(output));
        }
    }

    [Fact]
    public void A_missing_or_corrupt_checkpoint_is_named_and_nothing_is_written()
    {
        var good = Checkpoint("good.safetensors", 4, 6);
        var missing = Path.Combine(dir, "missing.safetensors");
        var corrupt = Path.Combine(dir, "corrupt.safetensors");
        File.WriteAllBytes(corrupt, File.ReadAllBytes(good)[..64]);
        var output = Path.Combine(dir, "never.json");

        foreach (var bad in new[] { missing, corrupt })
        {
            var run = Bench("--model", good, "--model", bad, "--out", output);
            Assert.Equal(1, run.Code);
            Assert.Contains(bad, run.Err);
            Assert.False(File.Exists(output));
        }
    }

    [Theory]
    [InlineData("--batch", "0", "--batch must be positive")]
    [InlineData("--path", "fastest", "--path must be auto")]
    [InlineData("--project", "gtx9999", "unknown GPU 'gtx9999'")]
    [InlineData("--engine", "turbo", "--engine takes fast, eager, onnxruntime or both")]
    public void Bad_options_give_one_clear_line(string option, string value, string expected)
    {
        var run = Bench(
            "--model",
            Checkpoint("m.safetensors", 4, 7),
            option,
            value,
            "--out",
            Path.Combine(dir, "x.json")
        );
        Assert.Equal(1, run.Code);
        Assert.Contains(expected, run.Err);
    }
}
