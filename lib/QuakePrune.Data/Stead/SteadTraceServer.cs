using System.Runtime.InteropServices;
using System.Text;
using QuakePrune.Hdf5;

namespace QuakePrune.Stead;

/// <summary>
/// The separate process that reads a STEAD HDF5 file for <see cref="SteadTraceReader"/>: `QuakePrune.Hdf5Reader serve
/// FILE`. Requests arrive on standard input and are answered on standard output, one reply each, in order; the first
/// reply, unasked, says whether the file opened. A request is <see cref="ReadTrace"/> and a name, or
/// <see cref="ListTraces"/>. ReadTrace's reply is <see cref="At"/> and a byte offset for a trace stored as plain
/// little-endian float32 bytes (as h5py writes STEAD: the asking process reads them itself, and 72 kB per trace need
/// not cross the pipe), else <see cref="Ok"/> and the waveform's 18,000 float32 as libhdf5 read them, or
/// <see cref="Absent"/>, or an error. ListTraces's reply is a <see cref="Name"/> and a name per trace, then
/// <see cref="End"/>, or an error. An error is its kind and a message. Strings are .NET's BinaryWriter strings (UTF-8
/// after a 7-bit length), numbers little-endian. The process ends when its input ends.
/// </summary>
public static class SteadTraceServer
{
    internal const byte ReadTrace = 1;
    internal const byte ListTraces = 2;

    internal const byte Ok = 0;
    internal const byte Absent = 1;
    internal const byte Name = 2;
    internal const byte End = 3;

    /// <summary>The file or a trace is not what STEAD stores (a shape, a type, no `data` group).</summary>
    internal const byte InvalidData = 4;

    /// <summary>libhdf5 reported an error (not a crash).</summary>
    internal const byte Hdf5Error = 5;

    /// <summary>Anything else went wrong in the reading process.</summary>
    internal const byte Failed = 6;

    /// <summary>The trace's 18,000 float32 lie in the file as they are, from this byte offset on.</summary>
    internal const byte At = 7;

    /// <summary>
    /// Serves <paramref name="hdf5Path"/> on this process's standard input and output until the input ends.
    /// </summary>
    public static void Serve(string hdf5Path)
    {
        SeparateProcess.EndWithParent();
        SeparateProcess.WidenPipe(1);
        using var input = new RequestInput(Console.OpenStandardInput());
        using var requests = new BinaryReader(input, Encoding.UTF8);
        using var replies = new BinaryWriter(new BufferedStream(Console.OpenStandardOutput(), 1 << 16), Encoding.UTF8);
        try
        {
            Serve(hdf5Path, input, requests, replies);
        }
        catch (Exception e) when (e is EndOfStreamException or IOException)
        {
            // The parent closed the pipes: it has what it needs, or it ended.
        }
    }

    private static void Serve(string hdf5Path, RequestInput input, BinaryReader requests, BinaryWriter replies)
    {
        SteadWaveforms waveforms;
        try
        {
            waveforms = SteadWaveforms.OpenUnchecked(hdf5Path);
        }
        catch (Exception e)
        {
            WriteError(replies, e);
            replies.Flush();
            return;
        }
        using var owned = waveforms;
        replies.Write(Ok);
        replies.Flush();
        var waveform = new float[SteadLayout.Values];
        while (true)
        {
            // Replies go out when no request waits: one write (and one wake-up of the asking process) per batch asked.
            if (!input.Waiting)
                replies.Flush();
            switch (requests.ReadByte())
            {
                case ReadTrace:
                    var name = requests.ReadString();
                    long? offset;
                    try
                    {
                        using var dataset = waveforms.Open(name);
                        offset = dataset.ContiguousFloat32Offset;
                        if (offset is null)
                            dataset.Read<float>(waveform);
                    }
                    catch (Exception e)
                    {
                        WriteError(replies, e);
                        break;
                    }
                    if (offset is { } at)
                    {
                        replies.Write(At);
                        replies.Write(at);
                    }
                    else
                    {
                        replies.Write(Ok);
                        replies.Write(MemoryMarshal.AsBytes(waveform.AsSpan()));
                    }
                    break;
                case ListTraces:
                    try
                    {
                        foreach (var trace in waveforms.TraceNames())
                        {
                            replies.Write(Name);
                            replies.Write(trace);
                        }
                    }
                    catch (Exception e)
                    {
                        WriteError(replies, e);
                        break;
                    }
                    replies.Write(End);
                    break;
                case var other:
                    throw new InvalidDataException($"QuakePrune.Hdf5Reader serve: unknown request {other}");
            }
        }
    }

    /// <summary>
    /// Standard input read in blocks of what the pipe holds (one read for a batch of requests, not three per request),
    /// and able to say whether a request waits: in its block, or in the pipe.
    /// </summary>
    private sealed class RequestInput(Stream pipe) : Stream
    {
        private readonly byte[] block = new byte[1 << 16];
        private int start,
            end;

        public bool Waiting => start < end || SeparateProcess.InputWaiting();

        public override int Read(Span<byte> buffer)
        {
            if (start == end)
            {
                start = 0;
                end = pipe.Read(block);
                if (end == 0)
                    return 0;
            }
            var count = Math.Min(buffer.Length, end - start);
            block.AsSpan(start, count).CopyTo(buffer);
            start += count;
            return count;
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int ReadByte() => start < end ? block[start++] : base.ReadByte();

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override void Flush() { }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
                pipe.Dispose();
            base.Dispose(disposing);
        }
    }

    private static void WriteError(BinaryWriter replies, Exception e)
    {
        replies.Write(
            e switch
            {
                KeyNotFoundException => Absent,
                InvalidDataException => InvalidData,
                Hdf5Exception => Hdf5Error,
                _ => Failed,
            }
        );
        if (e is not KeyNotFoundException)
            replies.Write(e.Message);
    }
}
