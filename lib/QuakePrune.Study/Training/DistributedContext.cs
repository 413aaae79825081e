using System.Globalization;
using QuakePrune.Torch;
using static QuakePrune.Torch.torch;

namespace QuakePrune.Training;

/// <summary>
/// This process's place in a data-parallel run and its c10d process group. The rendezvous is torchrun's: RANK,
/// WORLD_SIZE, LOCAL_RANK, MASTER_ADDR and MASTER_PORT in the environment (set by `--nproc` / `--rdzv`, or by torchrun
/// itself); rank 0 hosts the TCPStore at MASTER_ADDR:MASTER_PORT. Gloo carries CPU tensors (its device on
/// GLOO_SOCKET_IFNAME when set, as PyTorch's), NCCL CUDA ones.
/// <para>
/// What a trainer does with it, as PyTorch's DistributedDataParallel does: <see cref="Attach"/> copies rank 0's
/// parameters and buffers to every rank; after each backward pass <see cref="AverageGradients"/> all-reduces the
/// gradients in flat buckets of about <see cref="BucketBytes"/> and divides them by the world size, so every rank takes
/// the same step. Batch norm computes its statistics per process, unless <see cref="SyncBatchNorm"/> makes them the
/// combined batch's; <see cref="SyncBuffers"/> copies rank 0's running statistics to the others at the end of an epoch
/// (what DDP's per-step buffer broadcast leaves after the last step).
/// </para>
/// </summary>
public sealed class DistributedContext : IDisposable
{
    /// <summary>DDP's default bucket size (bucket_cap_mb = 25).</summary>
    public const long BucketBytes = 25L << 20;

    /// <summary>
    /// PyTorch's default process-group timeout: a collective waits this long for a rank that is still busy.
    /// </summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromMinutes(30);

    private readonly ProcessGroup group;
    private FlatBuckets? gradients;
    private FlatBuckets? buffers;
    private Tensor[] parameters = [];
    private Tensor[] bufferTensors = [];

    private DistributedContext(ProcessGroup group, int localRank)
    {
        this.group = group;
        LocalRank = localRank;
    }

    public int Rank => group.Rank;
    public int WorldSize => group.Size;

    /// <summary>The rank among this machine's processes: the CUDA device it uses.</summary>
    public int LocalRank { get; }

    /// <summary>
    /// Seconds spent in <see cref="AverageGradients"/> so far, waits for slower ranks included: what data parallelism
    /// costs a step.
    /// </summary>
    public double AllReduceSeconds { get; private set; }

    /// <summary>
    /// Whether <see cref="Attach"/> makes every batch norm of the model take its statistics over all ranks' rows
    /// (PyTorch's SyncBatchNorm.convert_sync_batchnorm), so that N ranks train as one process on the combined batch.
    /// </summary>
    public bool SyncBatchNorm { get; set; }

    /// <summary>Rank 0: the one that writes the run's files.</summary>
    public bool IsMain => Rank == 0;

    /// <summary>
    /// The context the environment describes, or null for a single process (no WORLD_SIZE, or 1). A missing or
    /// malformed variable is named. <paramref name="device"/> picks the backend: NCCL for CUDA, gloo otherwise.
    /// </summary>
    public static DistributedContext? FromEnvironment(
        Device device,
        Func<string, string?>? environment = null,
        TimeSpan? timeout = null
    )
    {
        environment ??= Environment.GetEnvironmentVariable;
        if (environment("WORLD_SIZE") is not { Length: > 0 } worldText)
            return null;
        var world = Number(environment, "WORLD_SIZE", worldText, 1, int.MaxValue);
        if (world == 1)
            return null;
        var rank = Number(environment, "RANK", environment("RANK"), 0, world - 1);
        var localRank = environment("LOCAL_RANK") is { Length: > 0 } local
            ? Number(environment, "LOCAL_RANK", local, 0, world - 1)
            : rank;
        var address = environment("MASTER_ADDR") is { Length: > 0 } a
            ? a
            : throw new ArgumentException(
                $"distributed: WORLD_SIZE is {world} but MASTER_ADDR (the host of rank 0's store) is not set"
            );
        var port = Number(environment, "MASTER_PORT", environment("MASTER_PORT"), 1, 65535);
        // Under torchrun's static rendezvous its agent hosts the store and every rank is a client, with keys under a
        // prefix.
        var agentStore =
            environment("TORCHELASTIC_USE_AGENT_STORE") == "True"
                ? $"/worker/attempt_{environment("TORCHELASTIC_RESTART_COUNT") ?? "0"}"
                : null;
        return Connect(
            address,
            port,
            rank,
            world,
            localRank,
            device,
            environment("GLOO_SOCKET_IFNAME"),
            timeout ?? DefaultTimeout,
            agentStore
        );
    }

    /// <summary>
    /// Joins the group: rank 0 hosts the store on <paramref name="address"/>:<paramref name="port"/>, the others
    /// connect to it; with <paramref name="agentPrefix"/>, another process (torchrun's agent) hosts it and every rank
    /// uses keys under the prefix.
    /// </summary>
    public static DistributedContext Connect(
        string address,
        int port,
        int rank,
        int world,
        int localRank,
        Device device,
        string? interfaceName,
        TimeSpan timeout,
        string? agentPrefix = null
    )
    {
        using var tcp = Store.Tcp(address, port, world, rank == 0 && agentPrefix is null, timeout);
        using var store = agentPrefix is null ? null : tcp.WithPrefix(agentPrefix);
        // On one machine (a loopback master) gloo stays on the loopback too; across machines it uses the interface, or
        // the host's address.
        var loopback = address is "127.0.0.1" or "localhost" or "::1";
        var group =
            device.type == DeviceType.CUDA
                ? ProcessGroup.Nccl(store ?? tcp, rank, world, timeout)
                : ProcessGroup.Gloo(store ?? tcp, rank, world, timeout, interfaceName, loopback ? address : null);
        return new DistributedContext(group, localRank);
    }

    private static int Number(Func<string, string?> environment, string name, string? text, int min, int max)
    {
        if (text is null)
            throw new ArgumentException(
                $"distributed: WORLD_SIZE is {environment("WORLD_SIZE")} but {name} is not set"
            );
        return
            int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value)
            && value >= min
            && value <= max
            ? value
            : throw new ArgumentException($"distributed: {name}='{text}' is not a whole number in {min}..{max}");
    }

    /// <summary>
    /// Joins <paramref name="model"/> to the run: rank 0's parameters and buffers are copied to every rank (so a fresh
    /// model, or one resumed from any state, starts the same everywhere), its batch norms are synchronised under
    /// <see cref="SyncBatchNorm"/>, and the gradient buckets are laid out.
    /// </summary>
    public void Attach(nn.Module model)
    {
        gradients?.Dispose();
        buffers?.Dispose();
        foreach (var norm in model.modules().OfType<QuakePrune.Torch.Modules.BatchNorm>())
            norm.process_group = SyncBatchNorm ? group : null;
        parameters = model.parameters().Where(p => p.requires_grad).ToArray();
        bufferTensors = model.buffers().ToArray();
        using var all = new FlatBuckets([.. model.parameters(), .. bufferTensors], BucketBytes);
        using (no_grad())
            all.Exchange([.. model.parameters(), .. bufferTensors], flat => group.Broadcast(flat), 1);
        gradients = new FlatBuckets(parameters, BucketBytes);
        buffers = new FlatBuckets(bufferTensors, BucketBytes);
    }

    /// <summary>
    /// Replaces each parameter's gradient by its mean over the ranks. Every parameter must have one (DDP's default).
    /// </summary>
    public void AverageGradients()
    {
        var attached = gradients
            ?? throw new InvalidOperationException("distributed: attach the model before averaging its gradients");
        using var scope = NewDisposeScope();
        var grads = new Tensor[parameters.Length];
        for (var i = 0; i < parameters.Length; i++)
            grads[i] = parameters[i].grad
                ?? throw new InvalidOperationException(
                    $"distributed: parameter {i} ({string.Join("x", parameters[i].shape)}) has no gradient this step; every parameter must take part in every step"
                );
        var clock = System.Diagnostics.Stopwatch.StartNew();
        attached.Exchange(grads, group.AllReduceSum, 1.0 / WorldSize);
        AllReduceSeconds += clock.Elapsed.TotalSeconds;
    }

    /// <summary>Copies rank 0's buffers (batch norm's running statistics) to every rank.</summary>
    public void SyncBuffers()
    {
        if (buffers is null)
            return;
        using (no_grad())
            buffers.Exchange(bufferTensors, flat => group.Broadcast(flat), 1);
    }

    /// <summary>
    /// The sums of <paramref name="values"/> over the ranks (an epoch's loss, counts), in double precision.
    /// </summary>
    public double[] Sum(params double[] values)
    {
        using var scope = NewDisposeScope();
        var t = tensor(values);
        group.AllReduceSum(t);
        return t.ToArray<double>();
    }

    /// <summary>Whether any rank says yes: ranks stop together (a signal reaches them at different steps).</summary>
    public bool Any(bool value) => Sum(value ? 1 : 0)[0] > 0;

    /// <summary>
    /// Rank 0's <paramref name="value"/> on every rank: decisions (best epoch, early stop) are rank 0's.
    /// </summary>
    public double FromMain(double value)
    {
        using var scope = NewDisposeScope();
        var t = tensor(new[] { value });
        group.Broadcast(t);
        return t.ToArray<double>()[0];
    }

    public void Barrier() => group.Barrier();

    public void Dispose()
    {
        gradients?.Dispose();
        buffers?.Dispose();
        group.Dispose();
    }
}

/// <summary>
/// Tensors laid out in flat buckets, as DDP lays out gradients: consecutive tensors of one dtype and device share a
/// bucket of at most the cap (a larger tensor gets one of its own). A collective then runs once per bucket, not per
/// tensor.
/// </summary>
internal sealed class FlatBuckets : IDisposable
{
    private readonly List<(Tensor Flat, List<(int Index, long Offset, long Count)> Members)> buckets = [];

    public FlatBuckets(IReadOnlyList<Tensor> tensors, long capBytes)
    {
        var members = new List<(int, long, long)>();
        long used = 0;
        (ScalarType, Device)? kind = null;
        void Close()
        {
            if (members.Count == 0)
                return;
            var flat = empty([used], kind!.Value.Item1, kind.Value.Item2).DetachFromDisposeScope();
            buckets.Add((flat, members));
            members = [];
            used = 0;
        }
        for (var i = 0; i < tensors.Count; i++)
        {
            var (count, type, device) = (tensors[i].numel(), tensors[i].dtype, tensors[i].device);
            if (kind != (type, device) || (used + count) * ElementSize(type) > capBytes)
                Close();
            kind = (type, device);
            members.Add((i, used, count));
            used += count;
        }
        Close();
    }

    /// <summary>
    /// Copies the tensors into their buckets, runs <paramref name="collective"/> on each, scales it and copies back.
    /// </summary>
    public void Exchange(IReadOnlyList<Tensor> tensors, Action<Tensor> collective, double scale)
    {
        using var scope = NewDisposeScope();
        foreach (var (flat, members) in buckets)
        {
            foreach (var (index, offset, count) in members)
                flat.narrow(0, offset, count).copy_(tensors[index].reshape(-1));
            collective(flat);
            if (scale != 1)
                flat.mul_(scale);
            foreach (var (index, offset, count) in members)
                tensors[index].copy_(flat.narrow(0, offset, count).view(tensors[index].shape));
        }
    }

    public void Dispose()
    {
        foreach (var (flat, _) in buckets)
            flat.Dispose();
        buckets.Clear();
    }
}
