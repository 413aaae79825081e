using System.CommandLine;
using System.Globalization;
using QuakePrune.Latency;
using QuakePrune.Outputs;
using QuakePrune.Pipeline;
using QuakePrune.Spectrograms;
using QuakePrune.Torch;

namespace QuakePrune.Cli.Commands;

/// <summary>
/// `quakeprune bench`: batch latency of checkpoints side by side (JSON + CSV + a table), optionally projected to a GPU.
/// </summary>
public static class BenchCommand
{
    public static Command Create()
    {
        var models = new Option<string[]>("--model")
        {
            Description = "Checkpoint to time (.safetensors); repeatable, the first is the speed-up reference",
        };
        var output = new Option<string?>("--out") { Description = "JSON report to write (a CSV is written beside it)" };
        var size = new Option<string?>("--size")
        {
            Description = "Input HxW, e.g. 224x224 (default: each model's stored input size)",
        };
        var batch = new Option<string>("--batch")
        {
            Description = "Batch sizes, comma-separated (e.g. 1,8)",
            DefaultValueFactory = _ => "1",
        };
        var threads = new Option<int>("--threads")
        {
            Description = "libtorch intra-op threads (fixed)",
            DefaultValueFactory = _ => BenchOptions.DefaultThreads,
        };
        var device = new Option<string>("--device")
        {
            Description = "cpu or cuda[:N]",
            DefaultValueFactory = _ => "cpu",
        };
        var warmup = new Option<int>("--warmup")
        {
            Description = "Untimed runs per model and batch first",
            DefaultValueFactory = _ => 10,
        };
        var runs = new Option<int>("--runs")
        {
            Description = "Timed runs per model and batch",
            DefaultValueFactory = _ => 100,
        };
        var seconds = new Option<double?>("--seconds")
        {
            Description = "Time each model and batch for at least S seconds instead of --runs",
        };
        var interleave = new Option<bool>("--interleave")
        {
            Description = "Time in A B A B rounds so drift hits every model alike",
        };
        var engine = new Option<string>("--engine")
        {
            Description =
                "fast (prepared inference path), eager (the plain module), onnxruntime (the model exported to ONNX, ONNX Runtime with all graph "
                + "optimisations), comma-separated for several (both: fast,eager)",
            DefaultValueFactory = _ => "fast",
        };
        var fewerThreads = new Option<bool>("--fewer-threads")
        {
            Description =
                "Let the fast engine run a model with fewer threads than --threads where that measured faster (default: exactly --threads)",
        };
        var project = new Option<string?>("--project")
        {
            Description = "Add a projected (not measured) latency on a GPU: gtx1050",
        };
        var path = new Option<string>("--path")
        {
            Description =
                "Fast engine's path: auto (fastest measured), onednn (direct primitives), mkldnn (through libtorch), channels-last or plain",
            DefaultValueFactory = _ => "auto",
        };
        var overwrite = new Option<bool>("--overwrite")
        {
            Description = "Replace an existing report (never one of the inputs)",
        };
        var command = new Command(
            "bench",
            "Time checkpoints' inference (median, p90, p99, mean, std) side by side; JSON, CSV and a table."
        )
        {
            models,
            output,
            size,
            batch,
            threads,
            device,
            warmup,
            runs,
            seconds,
            interleave,
            engine,
            path,
            fewerThreads,
            project,
            overwrite,
        };
        command.SetAction(parse =>
            CommandErrors.Run(() =>
            {
                var imageSize = parse.GetValue(size) is { } text
                    ? ImageSize.Parse(text) ?? throw new ArgumentException("--size must be HxW, not 'native'")
                    : null;
                var paths = parse.GetValue(models) ?? [];
                var target = parse.GetValue(output) ?? throw new ArgumentException("--out is required");
                if (Path.GetExtension(target).Equals(".csv", StringComparison.OrdinalIgnoreCase))
                    throw new ArgumentException(
                        $"bench: --out {target} must not end in .csv (the CSV is written beside the JSON)"
                    );
                using var outputs = new OutputSet("bench", parse.GetValue(overwrite), paths);
                var (jsonPartial, csvPartial) = (
                    outputs.File(target),
                    outputs.File(Path.ChangeExtension(target, ".csv"))
                );
                var options = new BenchOptions
                {
                    Models = paths,
                    Size = imageSize,
                    Batches = ParseBatches(parse.GetValue(batch)!),
                    Threads = parse.GetValue(threads),
                    Device = Device.Parse(parse.GetValue(device)!),
                    Warmup = parse.GetValue(warmup),
                    Runs = parse.GetValue(runs),
                    Seconds = parse.GetValue(seconds),
                    Interleave = parse.GetValue(interleave),
                    Engine = ParseEngine(parse.GetValue(engine)!),
                    Path = LatencyBench.ParsePath(parse.GetValue(path)!),
                    TuneThreads = parse.GetValue(fewerThreads),
                    Projection = parse.GetValue(project) is { } gpu ? PaperProjection.For(gpu) : null,
                    Log = line => Console.Error.WriteLine(line),
                };
                var report = LatencyBench.Run(options);
                Console.Write(LatencyBench.ToTable(report));
                LatencyBench.Write(report, jsonPartial, csvPartial);
                outputs.Publish();
                Console.WriteLine($"bench: wrote {target} and {Path.ChangeExtension(target, ".csv")}");
                return 0;
            })
        );
        return command;
    }

    private static IReadOnlyList<int> ParseBatches(string text) =>
        text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Select(part =>
                int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var b) && b > 0
                    ? b
                    : throw new ArgumentException(
                        $"--batch must be positive integers separated by commas, got '{text}'"
                    )
            )
            .ToArray();

    private static BenchEngine ParseEngine(string text) =>
        text.Split(',', StringSplitOptions.TrimEntries)
            .Aggregate((BenchEngine)0, (engines, name) => engines
                | (
                    name.ToLowerInvariant() switch
                    {
                        "fast" => BenchEngine.Fast,
                        "eager" => BenchEngine.Eager,
                        "both" => BenchEngine.Both,
                        "onnxruntime" => BenchEngine.OnnxRuntime,
                        _ => throw new ArgumentException(
                            $"--engine takes fast, eager, onnxruntime or both, comma-separated; got '{text}'"
                        ),
                    }
                ));
}
