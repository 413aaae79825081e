using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using QuakePrune.Torch;
using QuakePrune.Training;

namespace QuakePrune.Cli.Commands;

/// <summary>
/// The launcher options of the training verbs, torchrun's in our words: `--nproc N` runs the verb as N processes on
/// this machine (rendezvous on a free localhost port), `--rdzv HOST:PORT --nnodes M --node-rank R` joins M machines
/// (the node of rank 0 hosts the store on PORT). The verb then re-runs itself once per local rank with RANK,
/// LOCAL_RANK, WORLD_SIZE, MASTER_ADDR and MASTER_PORT set (<see cref="DistributedContext.FromEnvironment"/> reads
/// them), prefixes each child's lines with its rank, and stops the others when one fails or the launcher is signalled;
/// children die with the launcher.
/// </summary>
public sealed class DataParallel
{
    /// <summary>Set in the children: the launcher's pid, whose death ends them.</summary>
    private const string LauncherVariable = "QUAKEPRUNE_LAUNCHER_PID";

    private readonly Option<int> nproc = new("--nproc")
    {
        Description =
            "Data-parallel processes on this machine (gloo on CPU, NCCL on CUDA); --batch is split over all of them [default: 1]",
        DefaultValueFactory = _ => 1,
    };

    private readonly Option<string?> rdzv = new("--rdzv")
    {
        Description =
            "HOST:PORT of rank 0's store, for several machines (with --nnodes and --node-rank; the same on every machine)",
    };

    private readonly Option<int> nnodes = new("--nnodes")
    {
        Description = "Machines in the run (each runs --nproc processes)",
        DefaultValueFactory = _ => 1,
    };
    private readonly Option<int> nodeRank = new("--node-rank")
    {
        Description = "This machine's number, 0..nnodes-1 (0 hosts the store)",
        DefaultValueFactory = _ => 0,
    };

    private readonly Option<bool> syncBatchNorm = new("--sync-bn")
    {
        Description =
            "Batch norm statistics over every rank's rows (PyTorch's SyncBatchNorm), not each process's own batch / N",
    };

    /// <summary>The options a training verb adds: the launcher's, and --sync-bn, which its ranks read.</summary>
    public IEnumerable<Option> Options => [.. LauncherOptions, syncBatchNorm];

    /// <summary>The options that start processes (each takes a value); the ranks run without them.</summary>
    private IEnumerable<Option> LauncherOptions => [nproc, rdzv, nnodes, nodeRank];

    /// <summary>
    /// Runs the verb as child processes when the options ask for it and returns the exit code; null when this process
    /// trains (alone, or as a rank the environment names). <paramref name="threads"/>: the --threads option, given to
    /// each child as the machine's cores divided among them unless set. <paramref name="outputDirectory"/> says what a
    /// signal keeps.
    /// </summary>
    public int? Launch(
        ParseResult parse,
        string verb,
        Option threads,
        string outputDirectory,
        CancellationToken cancellation
    )
    {
        var (local, nodes, node, endpoint) = (
            parse.GetValue(nproc),
            parse.GetValue(nnodes),
            parse.GetValue(nodeRank),
            parse.GetValue(rdzv)
        );
        if (node >= nodes)
            throw new ArgumentException($"{verb}: --node-rank {node} must be below --nnodes {nodes}");
        if (nodes > 1 && endpoint is null)
            throw new ArgumentException(
                $"{verb}: --nnodes {nodes} needs --rdzv HOST:PORT (rank 0's machine and a port open to the others)"
            );
        if (local == 1 && nodes == 1 && endpoint is null)
            return null;
        if (Environment.GetEnvironmentVariable("WORLD_SIZE") is { Length: > 0 } world)
            throw new ArgumentException(
                $"{verb}: --nproc/--rdzv start processes, but this one already is a rank of a run (WORLD_SIZE={world}); drop them"
            );
        var (host, port) = endpoint is null
            ? ("127.0.0.1", LaunchedProcesses.FreeLoopbackPort())
            : Endpoint(verb, endpoint);

        var args = ChildArguments(parse);
        if (parse.GetResult(threads) is null or { Implicit: true })
            args.AddRange([
                "--threads",
                Math.Max(1, Environment.ProcessorCount / local).ToString(CultureInfo.InvariantCulture),
            ]);
        var children = new List<Process>();
        var forwarding = new List<Task>();
        try
        {
            for (var rank = 0; rank < local; rank++)
            {
                var start = new ProcessStartInfo(
                    CommandLineProcess.DotnetHost(),
                    [typeof(DataParallel).Assembly.Location, .. args]
                )
                {
                    RedirectStandardOutput = true,
                    RedirectStandardError = true,
                    UseShellExecute = false,
                };
                var environment = new Dictionary<string, int>
                {
                    ["RANK"] = node * local + rank,
                    ["LOCAL_RANK"] = rank,
                    ["WORLD_SIZE"] = nodes * local,
                    ["LOCAL_WORLD_SIZE"] = local,
                    ["MASTER_PORT"] = port,
                };
                foreach (var (name, value) in environment)
                    start.Environment[name] = value.ToString(CultureInfo.InvariantCulture);
                start.Environment["MASTER_ADDR"] = host;
                start.Environment[LauncherVariable] = Environment.ProcessId.ToString(CultureInfo.InvariantCulture);
                var child = Process.Start(start)
                    ?? throw new InvalidOperationException($"{verb}: cannot start rank {node * local + rank}");
                children.Add(child);
                forwarding.Add(Forward(child.StandardOutput, Console.Out, $"[rank {node * local + rank}] "));
                forwarding.Add(Forward(child.StandardError, Console.Error, $"[rank {node * local + rank}] "));
            }
            Console.Error.WriteLine(
                string.Create(
                    CultureInfo.InvariantCulture,
                    $"{verb}: {local} processes on this machine, {nodes * local} in all; rendezvous at {host}:{port}"
                ) + (parse.GetValue(syncBatchNorm) ? "; batch norm over every rank's rows (--sync-bn)" : "")
            );
            return Wait(verb, children, outputDirectory, cancellation);
        }
        finally
        {
            foreach (var child in children)
            {
                if (!child.HasExited)
                    child.Kill(entireProcessTree: true);
                child.WaitForExit();
            }
            // A child's last lines (its error) come after its exit.
            Task.WaitAll([.. forwarding], TimeSpan.FromSeconds(10));
            foreach (var child in children)
                child.Dispose();
        }
    }

    /// <summary>
    /// This process's rank when the environment names one (a child of <see cref="Launch"/>, or of torchrun), with batch
    /// norm synchronised under --sync-bn; null: one process. A child of the launcher ends when the launcher does.
    /// </summary>
    public DistributedContext? Join(ParseResult parse, Device device)
    {
        if (
            Environment.GetEnvironmentVariable(LauncherVariable) is { Length: > 0 } launcher
            && !LaunchedProcesses.DieWithParent(int.Parse(launcher, CultureInfo.InvariantCulture))
        )
            throw new InvalidOperationException("distributed: the launcher has gone; stopping");
        var context = DistributedContext.FromEnvironment(device);
        if (context is not null)
            context.SyncBatchNorm = parse.GetValue(syncBatchNorm);
        return context;
    }

    /// <summary>
    /// Where a verb's closing line says its output went: rank 0 writes it, the other ranks only say so.
    /// </summary>
    public static string Written(string path, DistributedContext? distributed) =>
        distributed is { IsMain: false } ? $"{path} (written by rank 0)" : path;

    /// <summary>The device a rank trains on: its own GPU (LOCAL_RANK) when the run is on CUDA.</summary>
    public static Device DeviceOf(Device device, DistributedContext? distributed) =>
        distributed is not null && device.type == DeviceType.CUDA && device.index < 0
            ? new Device(DeviceType.CUDA, distributed.LocalRank)
            : device;

    /// <summary>Waits for every child; the first that fails (or a signal to the launcher) stops the others.</summary>
    private static int Wait(string verb, List<Process> children, string outputDirectory, CancellationToken cancellation)
    {
        var exits = children.Select(c => c.WaitForExitAsync()).ToList();
        var cancelled = Task.Delay(Timeout.Infinite, cancellation).ContinueWith(_ => { }, TaskScheduler.Default);
        var running = exits.ToList();
        while (running.Count > 0)
        {
            var done = Task.WhenAny([.. running, cancelled]).GetAwaiter().GetResult();
            if (done == cancelled)
            {
                // Each rank stops at the same step (they agree), saves nothing more, and says what its run kept.
                foreach (var child in children)
                    Signal(child, 2);
                Task.WaitAll([.. exits]);
                var history = Path.Combine(outputDirectory, Trainer.HistoryFileName);
                if (File.Exists(Path.Combine(outputDirectory, Trainer.StateFileName)) && File.Exists(history))
                    TrainingState.KeepOnInterruption(
                        outputDirectory,
                        File.ReadAllLines(history).Skip(1).Count(l => l.Length > 0)
                    );
                throw new OperationCanceledException(cancellation);
            }
            running.Remove((Task)done);
            var rank = exits.IndexOf((Task)done);
            if (children[rank].ExitCode == 0)
                continue;
            var failed = children[rank].ExitCode;
            if (running.Count > 0)
            {
                Console.Error.WriteLine($"{verb}: rank {rank} failed (exit {failed}); stopping the others");
                foreach (var child in children)
                    Signal(child, 15);
                // A rank blocked in a collective sees its peer gone within seconds; past that it is killed (Launch's
                // finally).
                Task.WaitAll([.. running], TimeSpan.FromSeconds(30));
            }
            return failed;
        }
        return 0;
    }

    /// <summary>The verb's own command line without the launcher's options.</summary>
    private List<string> ChildArguments(ParseResult parse)
    {
        var launcher = LauncherOptions.Select(o => o.Name).ToHashSet(StringComparer.Ordinal);
        var tokens = parse.Tokens.Select(t => t.Value).ToList();
        var args = new List<string>();
        for (var i = 0; i < tokens.Count; i++)
        {
            if (launcher.Contains(tokens[i]))
                i++;
            else if (!launcher.Any(name => tokens[i].StartsWith(name + "=", StringComparison.Ordinal)))
                args.Add(tokens[i]);
        }
        return args;
    }

    private static (string Host, int Port) Endpoint(string verb, string text)
    {
        var colon = text.LastIndexOf(':');
        if (
            colon > 0
            && int.TryParse(text.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port)
            && port is >= 1 and <= 65535
        )
            return (text[..colon], port);
        throw new ArgumentException($"{verb}: --rdzv '{text}' is not HOST:PORT (a port in 1..65535)");
    }

    private static Task Forward(StreamReader from, TextWriter to, string prefix) =>
        Task.Run(async () =>
        {
            while (await from.ReadLineAsync() is { } line)
                lock (to)
                    to.WriteLine(prefix + line);
        });

    /// <summary>
    /// Sends <paramref name="signal"/> (2: SIGINT, 15: SIGTERM); a child that has exited is left alone.
    /// </summary>
    private static void Signal(Process child, int signal)
    {
        if (!child.HasExited)
            LaunchedProcesses.Signal(child.Id, signal);
    }
}
