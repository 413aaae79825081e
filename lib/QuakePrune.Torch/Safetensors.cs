using System.Buffers.Binary;
using System.Text;
using System.Text.Json;

namespace QuakePrune.Torch;

/// <summary>
/// One tensor as safetensors stores it: dtype name ("F32", "I64"...), shape, raw little-endian row-major bytes.
/// </summary>
public sealed record SafetensorsEntry(string Dtype, long[] Shape, byte[] Data);

/// <summary>A loaded state dict: tensors in file order, and the <c>__metadata__</c> string map.</summary>
public sealed record SafetensorsFile(
    OrderedDictionary<string, Tensor> Tensors,
    IReadOnlyDictionary<string, string> Metadata
);

/// <summary>
/// The safetensors format, in C#: an 8-byte little-endian header length N, N bytes of JSON header
/// (name -> dtype, shape, data_offsets relative to the end of the header; optional "__metadata__" string map;
/// padded with spaces to a multiple of 8), then the raw data, contiguous and in header order.
/// Tensors are written sorted by name; files are written to a temporary name and renamed when complete.
/// </summary>
public static class Safetensors
{
    private const string MetadataKey = "__metadata__";
    private const long MaxHeaderBytes = 100_000_000;

    private static readonly (string name, ScalarType type)[] Dtypes =
    [
        ("F32", ScalarType.Float32),
        ("F16", ScalarType.Float16),
        ("BF16", ScalarType.BFloat16),
        ("F64", ScalarType.Float64),
        ("I64", ScalarType.Int64),
        ("I32", ScalarType.Int32),
        ("I16", ScalarType.Int16),
        ("I8", ScalarType.Int8),
        ("U8", ScalarType.Byte),
        ("BOOL", ScalarType.Bool),
    ];

    public static string DtypeName(ScalarType type) =>
        Dtypes.FirstOrDefault(d => d.type == type).name
        ?? throw new ArgumentException($"safetensors has no name for element type {type}");

    public static ScalarType ScalarTypeOf(string dtype) =>
        Dtypes.Any(d => d.name == dtype)
            ? Dtypes.First(d => d.name == dtype).type
            : throw new ArgumentException($"unsupported safetensors dtype '{dtype}'");

    // ---- raw level

    /// <summary>
    /// Writes raw entries and metadata to <paramref name="path"/>, as torch.save writes: straight to the path, flushed
    /// to disk. A caller that must never leave half a file writes a partial name and renames it (QuakePrune's
    /// AtomicFile does, under the one partial-name scheme that every run recognises and reclaims).
    /// </summary>
    public static void Write(
        string path,
        IEnumerable<KeyValuePair<string, SafetensorsEntry>> tensors,
        IReadOnlyDictionary<string, string>? metadata = null
    )
    {
        if (!BitConverter.IsLittleEndian)
            throw new PlatformNotSupportedException("safetensors writing assumes a little-endian machine");
        var entries = tensors.OrderBy(t => t.Key, StringComparer.Ordinal).ToList();
        foreach (var (name, entry) in entries)
        {
            if (name == MetadataKey)
                throw new ArgumentException($"{path}: '{MetadataKey}' cannot be a tensor name");
            var expected = ElementCount(entry.Shape, path, name) * torch.ElementSize(ScalarTypeOf(entry.Dtype));
            if (entry.Data.LongLength != expected)
                throw new ArgumentException(
                    $"{path}: tensor '{name}' has {entry.Data.LongLength} bytes, its {entry.Dtype} shape [{string.Join(", ", entry.Shape)}] needs {expected}"
                );
        }
        var header = EncodeHeader(entries, metadata);
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        using var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20);
        Span<byte> length = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)header.Length);
        stream.Write(length);
        stream.Write(header);
        foreach (var (_, entry) in entries)
            stream.Write(entry.Data);
        stream.Flush(true);
    }

    /// <summary>The JSON header, space-padded to a multiple of 8 bytes (no length prefix).</summary>
    public static byte[] EncodeHeader(
        IReadOnlyList<KeyValuePair<string, SafetensorsEntry>> entries,
        IReadOnlyDictionary<string, string>? metadata
    )
    {
        using var buffer = new MemoryStream();
        using (
            var json = new Utf8JsonWriter(
                buffer,
                new JsonWriterOptions
                {
                    Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
                }
            )
        )
        {
            json.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                json.WriteStartObject(MetadataKey);
                foreach (var (key, value) in metadata.OrderBy(m => m.Key, StringComparer.Ordinal))
                    json.WriteString(key, value);
                json.WriteEndObject();
            }
            long offset = 0;
            foreach (var (name, entry) in entries)
            {
                json.WriteStartObject(name);
                json.WriteString("dtype", entry.Dtype);
                json.WriteStartArray("shape");
                foreach (var extent in entry.Shape)
                    json.WriteNumberValue(extent);
                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                offset += entry.Data.LongLength;
                json.WriteNumberValue(offset);
                json.WriteEndArray();
                json.WriteEndObject();
            }
            json.WriteEndObject();
        }
        var padded = (buffer.Length + 7) / 8 * 8;
        while (buffer.Length < padded)
            buffer.WriteByte((byte)' ');
        return buffer.ToArray();
    }

    /// <summary>Reads every entry (in file order) and the metadata, checking the header against the file.</summary>
    public static (
        OrderedDictionary<string, SafetensorsEntry> Tensors,
        IReadOnlyDictionary<string, string> Metadata
    ) Read(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20);
        var (layout, metadata, bodyStart) = ReadHeader(stream, path);
        var tensors = new OrderedDictionary<string, SafetensorsEntry>();
        foreach (var (name, dtype, shape, begin, end) in layout)
        {
            var data = new byte[end - begin];
            stream.Position = bodyStart + begin;
            stream.ReadExactly(data);
            tensors.Add(name, new SafetensorsEntry(dtype, shape, data));
        }
        return (tensors, metadata);
    }

    /// <summary>Only the <c>__metadata__</c> map (reads the header, not the data).</summary>
    public static IReadOnlyDictionary<string, string> ReadMetadata(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        return ReadHeader(stream, path).metadata;
    }

    /// <summary>Names, dtypes and shapes (reads the header, not the data).</summary>
    public static IReadOnlyList<(string name, string dtype, long[] shape)> ReadLayout(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        return ReadHeader(stream, path).layout.Select(l => (l.name, l.dtype, l.shape)).ToList();
    }

    private static (
        List<(string name, string dtype, long[] shape, long begin, long end)> layout,
        Dictionary<string, string> metadata,
        long bodyStart
    ) ReadHeader(FileStream stream, string path)
    {
        var fileLength = stream.Length;
        if (fileLength < 8)
            throw new InvalidDataException(
                $"{path}: truncated safetensors file ({fileLength} bytes, no header length)"
            );
        Span<byte> lengthBytes = stackalloc byte[8];
        stream.ReadExactly(lengthBytes);
        var headerLength = BinaryPrimitives.ReadUInt64LittleEndian(lengthBytes);
        if (headerLength > MaxHeaderBytes)
            throw new InvalidDataException($"{path}: bad safetensors header length {headerLength}");
        if ((long)headerLength > fileLength - 8)
            throw new InvalidDataException(
                $"{path}: truncated safetensors file: header of {headerLength} bytes, file of {fileLength}"
            );
        var header = new byte[headerLength];
        stream.ReadExactly(header);
        var bodyStart = 8 + (long)headerLength;
        var bodyLength = fileLength - bodyStart;
        var layout = new List<(string, string, long[], long, long)>();
        var metadata = new Dictionary<string, string>();
        try
        {
            using var document = JsonDocument.Parse(header);
            if (document.RootElement.ValueKind != JsonValueKind.Object)
                throw new InvalidDataException("the header is not a JSON object");
            foreach (var property in document.RootElement.EnumerateObject())
            {
                if (property.Name == MetadataKey)
                {
                    foreach (var item in property.Value.EnumerateObject())
                        metadata[item.Name] =
                            item.Value.ValueKind == JsonValueKind.String
                                ? item.Value.GetString()!
                                : throw new InvalidDataException($"metadata '{item.Name}' is not a string");
                    continue;
                }
                layout.Add(ParseEntry(property, path, bodyLength));
            }
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: bad safetensors header: {e.Message}", e);
        }
        catch (InvalidOperationException e)
        {
            throw new InvalidDataException($"{path}: bad safetensors header: {e.Message}", e);
        }
        // The data must be covered exactly: contiguous, no gaps, no overlap, nothing after.
        long expected = 0;
        foreach (var entry in layout.OrderBy(l => l.Item4))
        {
            if (entry.Item4 != expected)
                throw new InvalidDataException(
                    $"{path}: tensor '{entry.Item1}': data_offsets start at {entry.Item4}, expected {expected} (gap or overlap)"
                );
            expected = entry.Item5;
        }
        if (expected != bodyLength)
            throw new InvalidDataException(
                expected < bodyLength
                    ? $"{path}: {bodyLength - expected} bytes after the last tensor"
                    : $"{path}: truncated safetensors file: the data needs {expected} bytes, the file holds {bodyLength}"
            );
        return (layout, metadata, bodyStart);
    }

    private static (string, string, long[], long, long) ParseEntry(JsonProperty property, string path, long bodyLength)
    {
        var name = property.Name;
        (string, string, long[], long, long) Fail(string what) =>
            throw new InvalidDataException($"{path}: tensor '{name}': {what}");
        var value = property.Value;
        if (value.ValueKind != JsonValueKind.Object)
            Fail("header entry is not an object");
        if (!value.TryGetProperty("dtype", out var dtypeElement) || dtypeElement.ValueKind != JsonValueKind.String)
            Fail("no dtype");
        var dtype = dtypeElement.GetString()!;
        if (!Dtypes.Any(d => d.name == dtype))
            Fail($"unsupported dtype '{dtype}'");
        if (!value.TryGetProperty("shape", out var shapeElement) || shapeElement.ValueKind != JsonValueKind.Array)
            Fail("no shape");
        var shape = shapeElement.EnumerateArray().Select(e => e.TryGetInt64(out var v) && v >= 0 ? v : -1).ToArray();
        if (shape.Any(v => v < 0))
            Fail("shape holds a value that is not a non-negative integer");
        if (
            !value.TryGetProperty("data_offsets", out var offsetsElement)
            || offsetsElement.ValueKind != JsonValueKind.Array
            || offsetsElement.GetArrayLength() != 2
        )
            Fail("no data_offsets [begin, end]");
        var begin = offsetsElement[0].TryGetInt64(out var b) ? b : -1;
        var end = offsetsElement[1].TryGetInt64(out var e) ? e : -1;
        if (begin < 0 || end < begin)
            Fail($"bad data_offsets [{offsetsElement[0]}, {offsetsElement[1]}]");
        if (end > bodyLength)
            Fail($"data_offsets [{begin}, {end}] out of range: the data section holds {bodyLength} bytes");
        long needed;
        try
        {
            needed = checked(ElementCount(shape, path, name) * torch.ElementSize(ScalarTypeOf(dtype)));
        }
        catch (OverflowException)
        {
            return Fail($"shape [{string.Join(", ", shape)}] holds more than 2^63 bytes of {dtype}: no file can");
        }
        if (end - begin != needed)
            Fail(
                $"data_offsets span {end - begin} bytes, its {dtype} shape [{string.Join(", ", shape)}] needs {needed}"
            );
        return (name, dtype, shape, begin, end);
    }

    private static long ElementCount(long[] shape, string path, string name)
    {
        long count = 1;
        foreach (var extent in shape)
        {
            if (extent < 0)
                throw new ArgumentException($"{path}: tensor '{name}' has a negative extent");
            count = checked(count * extent);
        }
        return count;
    }

    // ---- tensors

    public static SafetensorsEntry ToEntry(Tensor tensor) =>
        new(DtypeName(tensor.dtype), tensor.shape, tensor.ToBytes());

    /// <summary>
    /// Writes tensors (any device; copied to the CPU) and metadata to <paramref name="path"/> (<see cref="Write"/>).
    /// </summary>
    public static void Save(
        string path,
        IEnumerable<KeyValuePair<string, Tensor>> tensors,
        IReadOnlyDictionary<string, string>? metadata = null
    ) => Write(path, tensors.Select(t => KeyValuePair.Create(t.Key, ToEntry(t.Value))), metadata);

    /// <summary>
    /// Loads every tensor (CPU) in file order, with the metadata. The tensors join the current dispose scope, if any.
    /// </summary>
    public static SafetensorsFile LoadTensors(string path)
    {
        var (entries, metadata) = Read(path);
        var tensors = new OrderedDictionary<string, Tensor>();
        foreach (var (name, entry) in entries)
            tensors.Add(name, torch.from_bytes(entry.Data, ScalarTypeOf(entry.Dtype), entry.Shape));
        return new SafetensorsFile(tensors, metadata);
    }
}
