using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Win32.SafeHandles;
using QuakePrune.Hdf5;

namespace QuakePrune.Stead;

/// <summary>
/// Reads the waveforms of one STEAD HDF5 file by trace name, in the order they were requested, and lists its traces.
/// libhdf5 1.10.8 aborts or segfaults on some damaged files, and nothing in a process survives that: so a file this
/// process did not write is handed to libhdf5 in a separate process only (<see cref="SteadTraceServer"/>), whose crash
/// is reported as a damaged file, naming the file and the trace. There each trace is looked up and checked; a trace
/// stored as plain little-endian float32 bytes (as h5py writes STEAD) is answered with where its bytes lie, and this
/// process reads them from the file itself, bounds checked; any other is read there and sent over the pipe. Requests
/// are pipelined: that process looks up the next traces while this one works on the last. A file this process wrote, or
/// any with QUAKEPRUNE_HDF5_CHECK=off, is read here with libhdf5, in the same order. Errors are the same either way:
/// KeyNotFoundException for an absent trace, InvalidDataException for a trace that is not STEAD's (6000, 3) float32 or
/// a damaged file, <see cref="Hdf5Exception"/> for libhdf5's errors. Not thread-safe.
/// </summary>
internal abstract class SteadTraceReader : IDisposable
{
    /// <summary>
    /// Bytes of requests that may wait unanswered: well under a pipe's 64 KiB, so a request never blocks.
    /// </summary>
    private const int RequestBytesInFlight = 16 << 10;

    private readonly Queue<string> requested = new();
    private int requestedBytes;

    public string Path { get; }

    private SteadTraceReader(string hdf5Path) => Path = hdf5Path;

    /// <summary>
    /// Opens <paramref name="hdf5Path"/>: here when this process may trust it, else by starting the process that reads
    /// it (whose start-up then overlaps the caller's work until the first reply is needed).
    /// </summary>
    public static SteadTraceReader Open(string hdf5Path) =>
        Hdf5Guard.IsTrusted(hdf5Path) ? new InProcess(hdf5Path) : new Separate(hdf5Path);

    /// <summary>Requested traces not yet received.</summary>
    public int Pending => requested.Count;

    /// <summary>
    /// Whether another request may be made before a reply is received (always, when none is pending).
    /// </summary>
    public bool CanRequest(string traceName) =>
        requested.Count == 0 || requestedBytes + Size(traceName) <= RequestBytesInFlight;

    /// <summary>Asks for a trace's waveform, received later by <see cref="Receive"/> in request order.</summary>
    public void Request(string traceName)
    {
        if (!CanRequest(traceName))
            throw new InvalidOperationException($"too many requests pending for '{Path}'; receive first");
        Send(traceName);
        requested.Enqueue(traceName);
        requestedBytes += Size(traceName);
    }

    /// <summary>
    /// Receives the oldest requested trace into <paramref name="destination"/> (18,000 floats: 6000 samples x E, N, Z).
    /// A trace absent from the file, or one libhdf5 cannot read, is an InvalidDataException naming it and
    /// <paramref name="csvPath"/>'s row, the CSV that listed it.
    /// </summary>
    public void Receive(Span<float> destination, string csvPath)
    {
        if (destination.Length != SteadLayout.Values)
            throw new ArgumentException(
                $"a STEAD trace has {SteadLayout.Values} values; the destination holds {destination.Length}"
            );
        if (!requested.TryDequeue(out var name))
            throw new InvalidOperationException($"no trace of '{Path}' was requested");
        requestedBytes -= Size(name);
        try
        {
            Receive(name, destination);
        }
        catch (KeyNotFoundException)
        {
            throw new InvalidDataException($"trace '{name}' of '{csvPath}' is absent from '{Path}'");
        }
        catch (Hdf5Exception e)
        {
            // libhdf5's error stack means little to a user; the trace and the file say where to look.
            throw new InvalidDataException($"trace '{name}' cannot be read: HDF5 file '{Path}' is damaged there", e);
        }
    }

    /// <summary>
    /// Drops every pending request (their waveforms are read and thrown away where already asked for).
    /// </summary>
    public void DiscardPending()
    {
        var scratch = new float[SteadLayout.Values];
        while (requested.TryDequeue(out var name))
        {
            requestedBytes -= Size(name);
            try
            {
                Receive(name, scratch);
            }
            catch (Exception e) when (e is KeyNotFoundException or InvalidDataException or Hdf5Exception)
            {
                // Not a trace the caller still wants: what is wrong with it is reported if it is asked for again, and a
                // reading process that died on it is reported at the next request.
            }
        }
    }

    /// <summary>The names of the file's traces, group by group, in name order; no request may be pending.</summary>
    public abstract IEnumerable<string> TraceNames();

    private protected abstract void Send(string traceName);

    private protected abstract void Receive(string traceName, Span<float> destination);

    public abstract void Dispose();

    private static int Size(string traceName) => Encoding.UTF8.GetByteCount(traceName) + 6;

    private protected void RequireNonePending()
    {
        if (requested.Count > 0)
            throw new InvalidOperationException($"{requested.Count} traces of '{Path}' are still to be received");
    }

    /// <summary>A file this process may trust (it wrote it, or the check is off): libhdf5 reads it here.</summary>
    private sealed class InProcess(string hdf5Path) : SteadTraceReader(hdf5Path)
    {
        private readonly SteadWaveforms waveforms = new(hdf5Path);

        public override IEnumerable<string> TraceNames()
        {
            RequireNonePending();
            return waveforms.TraceNames();
        }

        // Nothing to do until the trace is received: requests cost nothing here.
        private protected override void Send(string traceName) { }

        private protected override void Receive(string traceName, Span<float> destination) =>
            waveforms.Read(traceName, destination);

        public override void Dispose() => waveforms.Dispose();
    }

    /// <summary>
    /// A file read by `QuakePrune.Hdf5Reader serve` in a separate process, over its standard input and output.
    /// </summary>
    private sealed class Separate : SteadTraceReader
    {
        private readonly Process child;
        private readonly BinaryWriter requests;
        private readonly BinaryReader replies;

        /// <summary>The HDF5 file, for the bytes of traces stored plainly, and its length then.</summary>
        private readonly SafeFileHandle data;
        private readonly long dataLength;
        private bool opened;
        private Exception? failure;

        public Separate(string hdf5Path)
            : base(hdf5Path)
        {
            data = File.OpenHandle(hdf5Path);
            dataLength = RandomAccess.GetLength(data);
            try
            {
                child = SeparateProcess.Start(SeparateProcess.Serve, hdf5Path);
            }
            catch
            {
                data.Dispose();
                throw;
            }
            requests = new BinaryWriter(new BufferedStream(child.StandardInput.BaseStream, 1 << 12), Encoding.UTF8);
            replies = new BinaryReader(new BufferedStream(child.StandardOutput.BaseStream, 1 << 16), Encoding.UTF8);
        }

        public override IEnumerable<string> TraceNames()
        {
            RequireNonePending();
            const string doing = "listing its traces";
            try
            {
                Opened();
                requests.Write(SteadTraceServer.ListTraces);
                requests.Flush();
            }
            catch (IOException e) when (e is not Hdf5Exception)
            {
                throw Died(doing, e);
            }
            while (NextName(doing) is { } name)
                yield return name;
        }

        private string? NextName(string doing)
        {
            try
            {
                var status = replies.ReadByte();
                if (status == SteadTraceServer.End)
                    return null;
                return status == SteadTraceServer.Name ? replies.ReadString() : throw ReplyError(status, null);
            }
            catch (IOException e) when (e is not Hdf5Exception)
            {
                throw Died(doing, e);
            }
        }

        private protected override void Send(string traceName)
        {
            if (failure is not null)
                throw failure;
            try
            {
                // Buffered: the requests made before a reply is awaited go out together (Receive flushes them).
                requests.Write(SteadTraceServer.ReadTrace);
                requests.Write(traceName);
            }
            catch (IOException e)
            {
                // The child died on the oldest trace it was asked for.
                throw Died($"reading trace '{(requested.TryPeek(out var oldest) ? oldest : traceName)}'", e);
            }
        }

        private protected override void Receive(string traceName, Span<float> destination)
        {
            long? offset = null;
            try
            {
                requests.Flush();
                Opened();
                var status = replies.ReadByte();
                if (status == SteadTraceServer.At)
                    offset = replies.ReadInt64();
                else if (status == SteadTraceServer.Ok)
                    replies.BaseStream.ReadExactly(MemoryMarshal.AsBytes(destination));
                else
                    throw ReplyError(status, traceName);
            }
            catch (IOException e) when (e is not Hdf5Exception)
            {
                throw Died($"reading trace '{traceName}'", e);
            }
            if (offset is { } at)
                ReadPlain(traceName, at, destination);
        }

        /// <summary>Reads a trace's bytes from the file, where the reading process found them.</summary>
        private void ReadPlain(string traceName, long offset, Span<float> destination)
        {
            var bytes = MemoryMarshal.AsBytes(destination);
            // A damaged header may point anywhere: only bytes inside the file are read.
            if (offset < 0 || offset > dataLength - bytes.Length)
                throw PastTheEnd(traceName);
            for (var done = 0; done < bytes.Length; )
            {
                var read = RandomAccess.Read(data, bytes[done..], offset + done);
                if (read == 0)
                    throw PastTheEnd(traceName);
                done += read;
            }
        }

        private InvalidDataException PastTheEnd(string traceName) =>
            new(
                $"trace '{traceName}' cannot be read: HDF5 file '{Path}' is damaged there (its data would lie past the end of the file)"
            );

        /// <summary>
        /// Reads the child's first reply, whether the file opened; rethrows the failure that ended the child.
        /// </summary>
        private void Opened()
        {
            if (failure is not null)
                throw failure;
            if (opened)
                return;
            var status = replies.ReadByte();
            if (status != SteadTraceServer.Ok)
                throw failure = ReplyError(status, null);
            opened = true;
        }

        /// <summary>
        /// A child whose pipe ended crashed: the file is damaged, and this reader is of no further use.
        /// </summary>
        private Exception Died(string doing, IOException e)
        {
            failure ??= new InvalidDataException(
                $"HDF5 file '{Path}' is damaged: the HDF5 library crashed ({SeparateProcess.Ending(child)}) {(opened ? doing : "opening it")} "
                    + "in the separate process that reads the file; nothing more is read from it",
                e
            );
            return failure;
        }

        /// <summary>
        /// The exception a reply other than Ok stands for: what the same failure in this process throws.
        /// </summary>
        private Exception ReplyError(byte status, string? traceName) =>
            status switch
            {
                SteadTraceServer.Absent => new KeyNotFoundException($"trace '{traceName}' is not in '{Path}'"),
                SteadTraceServer.InvalidData => new InvalidDataException(replies.ReadString()),
                SteadTraceServer.Hdf5Error => new Hdf5Exception(replies.ReadString()),
                SteadTraceServer.Failed => new InvalidOperationException(
                    $"the process reading '{Path}' failed: {replies.ReadString()}"
                ),
                _ => new InvalidOperationException(
                    $"the process reading '{Path}' answered {status}, which is no reply"
                ),
            };

        public override void Dispose()
        {
            // Closing its input ends the child; closing its output ends one still writing replies nobody will read.
            try
            {
                requests.Dispose();
            }
            catch (IOException)
            {
                // The child is gone already.
            }
            replies.Dispose();
            data.Dispose();
            if (!child.WaitForExit(TimeSpan.FromSeconds(10)))
                child.Kill();
            child.WaitForExit();
            child.Dispose();
        }
    }
}
