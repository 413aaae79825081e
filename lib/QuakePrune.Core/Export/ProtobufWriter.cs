using System.Buffers.Binary;
using System.Text;

namespace QuakePrune.Export;

/// <summary>
/// The protobuf wire format, as much of it as an ONNX file needs: varints, 32-bit floats and length-delimited fields
/// (strings, bytes, nested messages). Repeated scalars are written one tag per value, which every proto2 and proto3
/// parser reads. Why not a generated schema: the exporter writes eight message types and never reads one; this writer
/// is the whole dependency.
/// </summary>
public sealed class ProtobufWriter
{
    private readonly MemoryStream bytes = new();

    public ProtobufWriter Int(int field, long value)
    {
        Tag(field, 0);
        Varint(unchecked((ulong)value));
        return this;
    }

    public ProtobufWriter Ints(int field, IEnumerable<long> values)
    {
        foreach (var value in values)
            Int(field, value);
        return this;
    }

    public ProtobufWriter Float(int field, float value)
    {
        Tag(field, 5);
        Span<byte> buffer = stackalloc byte[4];
        BinaryPrimitives.WriteSingleLittleEndian(buffer, value);
        bytes.Write(buffer);
        return this;
    }

    public ProtobufWriter Bytes(int field, ReadOnlySpan<byte> value)
    {
        Tag(field, 2);
        Varint((ulong)value.Length);
        bytes.Write(value);
        return this;
    }

    public ProtobufWriter String(int field, string value) => Bytes(field, Encoding.UTF8.GetBytes(value));

    public ProtobufWriter Message(int field, ProtobufWriter message) =>
        Bytes(field, message.bytes.GetBuffer().AsSpan(0, (int)message.bytes.Length));

    public byte[] ToArray() => bytes.ToArray();

    private void Tag(int field, int wireType) => Varint(((ulong)field << 3) | (uint)wireType);

    private void Varint(ulong value)
    {
        while (value >= 0x80)
        {
            bytes.WriteByte((byte)(value | 0x80));
            value >>= 7;
        }
        bytes.WriteByte((byte)value);
    }
}
