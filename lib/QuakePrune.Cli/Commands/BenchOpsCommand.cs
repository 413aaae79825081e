using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using QuakePrune.Torch;
using static QuakePrune.Torch.torch;
using F = QuakePrune.Torch.torch.nn.functional;

namespace QuakePrune.Cli.Commands;

/// <summary>
/// `quakeprune bench-ops`: times the bindings on a conv-heavy training step, on tiny ops (per-call overhead) and on
/// EQTransformer's recurrent layer (bidirectional LSTM and GRU forwards), as JSON.
/// environment/bench/torch.sh runs the same work in PyTorch beside it.
/// </summary>
public static class BenchOpsCommand
{
    public static Command Create()
    {
        var threads = new Option<int>("--threads")
        {
            Description = "libtorch intra-op threads",
            DefaultValueFactory = _ => 2,
        };
        var batch = new Option<int>("--batch")
        {
            Description = "images per training step",
            DefaultValueFactory = _ => 32,
        };
        var height = new Option<int>("--height") { DefaultValueFactory = _ => 64 };
        var width = new Option<int>("--width") { DefaultValueFactory = _ => 96 };
        var steps = new Option<int>("--steps") { Description = "timed training steps", DefaultValueFactory = _ => 10 };
        var calls = new Option<int>("--calls")
        {
            Description = "calls per tiny-op block (20 blocks)",
            DefaultValueFactory = _ => 20000,
        };
        var mallocDefault = new Option<bool>("--malloc-default")
        {
            Description = "leave glibc malloc as it is (no torch.keep_freed_cpu_memory)",
        };
        var command = new Command(
            "bench-ops",
            "Time a conv2d forward+backward+SGD step and the per-call overhead of the libtorch bindings (JSON)."
        )
        {
            threads,
            batch,
            height,
            width,
            steps,
            calls,
            mallocDefault,
        };
        command.SetAction(parse =>
            CommandErrors.Run(() =>
            {
                var keepFreed = !parse.GetValue(mallocDefault) && keep_freed_cpu_memory();
                var result = Run(
                    parse.GetValue(threads),
                    parse.GetValue(batch),
                    parse.GetValue(height),
                    parse.GetValue(width),
                    parse.GetValue(steps),
                    parse.GetValue(calls)
                );
                result["malloc"] = keepFreed ? "keep freed memory" : "glibc default";
                Console.WriteLine(result.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
                return 0;
            })
        );
        return command;
    }

    /// <summary>
    /// conv(3->32)-bn-relu-pool, conv(32->64)-bn-relu-pool, conv(64->128)-bn-relu, global pool, linear(128->2).
    /// </summary>
    public static nn.Module<Tensor, Tensor> Network() =>
        nn.Sequential(
            nn.Conv2d(3, 32, 3, padding: 1, bias: false),
            nn.BatchNorm2d(32),
            nn.ReLU(true),
            nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding: 1, bias: false),
            nn.BatchNorm2d(64),
            nn.ReLU(true),
            nn.MaxPool2d(2),
            nn.Conv2d(64, 128, 3, padding: 1, bias: false),
            nn.BatchNorm2d(128),
            nn.ReLU(true),
            nn.AdaptiveAvgPool2d(1),
            nn.Flatten(),
            nn.Linear(128, 2)
        );

    public static JsonObject Run(int threads, int batch, int height, int width, int steps, int calls)
    {
        if (threads < 1 || batch < 1 || height < 4 || width < 4 || steps < 1 || calls < 1)
            throw new ArgumentException(
                "bench-ops: threads, batch, steps and calls must be positive and the image at least 4x4"
            );
        set_num_threads(threads);
        manual_seed(0);
        using var model = Network();
        var optimizer = new optim.SGD(model.parameters(), lr: 0.01, momentum: 0.9);
        using var images = randn(batch, 3, height, width);
        using var labels = randint(0, 2, [batch]);
        var stepMs = new List<double>();
        for (var k = 0; k < steps + 2; k++)
        {
            var clock = Stopwatch.StartNew();
            using (NewDisposeScope())
            {
                optimizer.zero_grad();
                F.cross_entropy(model.call(images), labels).backward();
                optimizer.step();
            }
            if (k >= 2)
                stepMs.Add(clock.Elapsed.TotalMilliseconds);
        }
        optimizer.DisposeState();

        var recurrent = RecurrentForward();
        using var a = ones(1);
        using var b = ones(1);
        return new JsonObject
        {
            ["implementation"] = "QuakePrune.Torch",
            ["libtorch"] = __version__,
            ["threads"] = get_num_threads(),
            ["train_step"] = new JsonObject
            {
                ["network"] = "3 x conv3x3-bn-relu (32, 64, 128), 2 max-pools, global pool, linear; SGD momentum",
                ["batch"] = batch,
                ["input"] = new JsonArray(3, height, width),
                ["steps"] = steps,
                ["median_ms"] = Median(stepMs),
                ["min_ms"] = stepMs.Min(),
            },
            ["per_call_ns"] = new JsonObject
            {
                ["add_out_of_place_1_element"] = PerCall(calls, () =>
                {
                    using var c = a + b;
                }),
                ["add_in_place_1_element"] = PerCall(calls, () => a.add_(b)),
                ["dim_query"] = PerCall(calls, () => a.dim()),
            },
            ["recurrent_forward_us"] = recurrent,
        };
    }

    /// <summary>
    /// EQTransformer's recurrent layer: a bidirectional LSTM (and GRU) 64 -> 16 over 47 steps, one forward under
    /// inference_mode, microseconds per call at batch 1 and 64 (median of 20 blocks).
    /// </summary>
    private static JsonObject RecurrentForward()
    {
        manual_seed(0);
        using var lstm = nn.LSTM(64, 16, bidirectional: true);
        using var gru = nn.GRU(64, 16, bidirectional: true);
        var result = new JsonObject();
        using (inference_mode())
        {
            foreach (var (batch, calls) in new[] { (1, 200), (64, 20) })
            {
                using var x = randn(47, batch, 64);
                result[$"bilstm_64_16_47_steps_batch_{batch}"] = Math.Round(PerCall(calls, () =>
                    {
                        var (output, h, c) = lstm.call(x);
                        output.Dispose();
                        h.Dispose();
                        c.Dispose();
                    }) / 1000, 1);
                result[$"bigru_64_16_47_steps_batch_{batch}"] = Math.Round(PerCall(calls, () =>
                    {
                        var (output, h) = gru.call(x);
                        output.Dispose();
                        h.Dispose();
                    }) / 1000, 1);
            }
        }
        return result;
    }

    /// <summary>Median over 20 blocks of the nanoseconds per call.</summary>
    private static double PerCall(int calls, Action call)
    {
        for (var k = 0; k < calls; k++)
            call();
        var blocks = new List<double>();
        for (var block = 0; block < 20; block++)
        {
            var clock = Stopwatch.StartNew();
            for (var k = 0; k < calls; k++)
                call();
            blocks.Add(clock.Elapsed.TotalNanoseconds / calls);
        }
        return Math.Round(Median(blocks), 1);
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        var mid = sorted.Count / 2;
        return sorted.Count % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }
}
