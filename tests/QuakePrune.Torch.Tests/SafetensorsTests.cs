using System.Buffers.Binary;
using System.Text;
using QuakePrune.Torch;
using static QuakePrune.Torch.torch;

namespace QuakePrune.Torch.Tests;

public sealed class SafetensorsTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("qp-safetensors-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    private string PathOf(string name) => Path.Combine(folder, name);

    [Fact]
    public void Every_dtype_round_trips_with_metadata()
    {
        using var scope = NewDisposeScope();
        var tensors = new Dictionary<string, Tensor>
        {
            ["f32"] = tensor(new[] { 1.5f, -2f, 3f, 4f, 5f, 6f }, [2, 3]),
            ["f16"] = tensor(new[] { (Half)0.25, (Half)(-8) }),
            ["f64"] = tensor(new[] { Math.PI }),
            ["i64"] = scalar_tensor(42L, ScalarType.Int64),
            ["i32"] = tensor(new[] { -7, 9 }),
            ["u8"] = tensor(new byte[] { 0, 200 }),
            ["bool"] = tensor(new[] { true, false, true }),
            ["empty"] = zeros([0, 3]),
        };
        var metadata = new Dictionary<string, string>
        {
            ["architecture"] = "{\"widths\": [64, 128]}",
            ["format"] = "pt",
        };
        var path = PathOf("all.safetensors");
        Safetensors.Save(path, tensors, metadata);
        var loaded = Safetensors.LoadTensors(path);
        Assert.Equal(tensors.Keys.Order(StringComparer.Ordinal), loaded.Tensors.Keys);
        Assert.Equal(metadata, loaded.Metadata);
        Assert.Equal(metadata, Safetensors.ReadMetadata(path));
        foreach (var (name, original) in tensors)
        {
            var copy = loaded.Tensors[name];
            Assert.Equal(original.dtype, copy.dtype);
            Assert.Equal(original.shape, copy.shape);
            Assert.Equal(original.ToBytes(), copy.ToBytes());
        }
        Assert.Empty(Directory.GetFiles(folder, "*.tmp"));
    }

    [Fact]
    public void Header_layout_is_byte_exact()
    {
        var path = PathOf("layout.safetensors");
        Safetensors.Write(
            path,
            [
                KeyValuePair.Create("b", new SafetensorsEntry("F32", [2], [0, 0, 0x80, 0x3f, 0, 0, 0, 0x40])),
                KeyValuePair.Create("a", new SafetensorsEntry("I64", [], [7, 0, 0, 0, 0, 0, 0, 0])),
            ],
            new Dictionary<string, string> { ["arch"] = "x" }
        );
        var bytes = File.ReadAllBytes(path);
        var n = (int)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        const string json =
            "{\"__metadata__\":{\"arch\":\"x\"},\"a\":{\"dtype\":\"I64\",\"shape\":[],\"data_offsets\":[0,8]},"
            + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]}}";
        Assert.Equal(0, n % 8);
        Assert.Equal(json.PadRight(n), Encoding.UTF8.GetString(bytes, 8, n));
        Assert.Equal(8 + n + 16, bytes.Length);
        // Data follows the header in name order: a (int64 7), then b (float32 1, 2).
        Assert.Equal(7L, BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(8 + n)));
        Assert.Equal(1f, BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(8 + n + 8)));
        Assert.Equal(2f, BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(8 + n + 12)));
        Assert.Equal(
            [("a", "I64", Array.Empty<long>()), ("b", "F32", new long[] { 2 })],
            Safetensors.ReadLayout(path).Select(l => (l.name, l.dtype, l.shape)),
            (x, y) => x.Item1 == y.Item1 && x.Item2 == y.Item2 && x.Item3.SequenceEqual(y.Item3)
        );
    }

    private string WriteRaw(string name, string header, int dataBytes)
    {
        var path = PathOf(name);
        var headerBytes = Encoding.UTF8.GetBytes(header);
        var bytes = new byte[8 + headerBytes.Length + dataBytes];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)headerBytes.Length);
        headerBytes.CopyTo(bytes, 8);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    [Fact]
    public void Damaged_files_give_errors_naming_file_and_tensor()
    {
        var good = PathOf("good.safetensors");
        Safetensors.Write(good, [KeyValuePair.Create("w", new SafetensorsEntry("F32", [4], new byte[16]))]);
        var truncated = PathOf("truncated.safetensors");
        File.WriteAllBytes(truncated, File.ReadAllBytes(good)[..^4]);
        var error = Assert.Throws<InvalidDataException>(() => Safetensors.Read(truncated));
        Assert.Contains(truncated, error.Message);
        Assert.Contains("truncated", error.Message);

        var tiny = PathOf("tiny.safetensors");
        File.WriteAllBytes(tiny, [1, 2, 3]);
        Assert.Contains("truncated", Assert.Throws<InvalidDataException>(() => Safetensors.Read(tiny)).Message);

        var badJson = WriteRaw("json.safetensors", "{\"w\": [1, 2", 0);
        Assert.Contains(
            "bad safetensors header",
            Assert.Throws<InvalidDataException>(() => Safetensors.Read(badJson)).Message
        );

        var outOfRange = WriteRaw(
            "range.safetensors",
            "{\"w\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}",
            8
        );
        var rangeError = Assert.Throws<InvalidDataException>(() => Safetensors.Read(outOfRange)).Message;
        Assert.Contains("tensor 'w'", rangeError);
        Assert.Contains("out of range", rangeError);

        var wrongSize = WriteRaw(
            "size.safetensors",
            "{\"w\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,16]}}",
            16
        );
        Assert.Contains("needs 12", Assert.Throws<InvalidDataException>(() => Safetensors.Read(wrongSize)).Message);

        var gap = WriteRaw("gap.safetensors", "{\"w\":{\"dtype\":\"U8\",\"shape\":[4],\"data_offsets\":[4,8]}}", 8);
        Assert.Contains("gap or overlap", Assert.Throws<InvalidDataException>(() => Safetensors.Read(gap)).Message);

        var dtype = WriteRaw(
            "dtype.safetensors",
            "{\"w\":{\"dtype\":\"C64\",\"shape\":[1],\"data_offsets\":[0,8]}}",
            8
        );
        Assert.Contains(
            "unsupported dtype 'C64'",
            Assert.Throws<InvalidDataException>(() => Safetensors.Read(dtype)).Message
        );
    }

    [Fact]
    public void Modules_save_and_load_with_metadata()
    {
        manual_seed(3);
        using var model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2), nn.Flatten(), nn.Linear(8, 2));
        using var copy = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2), nn.Flatten(), nn.Linear(8, 2));
        var path = PathOf("model.safetensors");
        model.save(path, new Dictionary<string, string> { ["preset"] = "ci" });
        Assert.Equal("ci", copy.load(path)["preset"]);
        foreach (var (name, tensor) in model.state_dict())
            Assert.Equal(tensor.ToBytes(), copy.state_dict()[name].ToBytes());

        using var other = nn.Sequential(nn.Conv2d(1, 3, 3), nn.BatchNorm2d(3), nn.Flatten(), nn.Linear(12, 2));
        var error = Assert.Throws<InvalidDataException>(() => other.load(path));
        Assert.Contains(path, error.Message);
        Assert.Contains("size mismatch for 0.weight", error.Message);
    }
}
