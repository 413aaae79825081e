using System.Buffers.Binary;
using System.IO.Compression;

namespace QuakePrune.Notebooks.Tests;

/// <summary>
/// Reads the pixels of a PNG file as Chromium writes screenshots: 8-bit RGB or RGBA, not interlaced (the IDAT stream
/// inflated, then each row's filter undone, as the PNG specification defines them).
/// </summary>
sealed class Png
{
    public int Width { get; }
    public int Height { get; }
    readonly byte[] pixels;
    readonly int channels;

    public Png(byte[] file)
    {
        Assert.True(
            file.AsSpan(0, 8).SequenceEqual(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A }),
            "not a PNG file"
        );
        var idat = new MemoryStream();
        for (var at = 8; at < file.Length; )
        {
            var length = BinaryPrimitives.ReadInt32BigEndian(file.AsSpan(at));
            var type = System.Text.Encoding.ASCII.GetString(file, at + 4, 4);
            var data = file.AsSpan(at + 8, length);
            if (type == "IHDR")
            {
                Width = BinaryPrimitives.ReadInt32BigEndian(data);
                Height = BinaryPrimitives.ReadInt32BigEndian(data[4..]);
                Assert.True(
                    data[8] == 8 && data[12] == 0,
                    $"only 8-bit, non-interlaced PNGs are read (depth {data[8]}, interlace {data[12]})"
                );
                channels = data[9] switch
                {
                    2 => 3,
                    6 => 4,
                    var c => throw new InvalidDataException($"PNG colour type {c} is not RGB or RGBA"),
                };
            }
            else if (type == "IDAT")
                idat.Write(data);
            at += 12 + length;
        }
        var stride = Width * channels;
        var raw = new byte[(stride + 1) * Height];
        idat.Position = 0;
        using (var inflate = new ZLibStream(idat, CompressionMode.Decompress))
            inflate.ReadExactly(raw);
        pixels = new byte[stride * Height];
        for (var y = 0; y < Height; y++)
        {
            var filter = raw[y * (stride + 1)];
            for (var i = 0; i < stride; i++)
            {
                int a = i >= channels ? pixels[y * stride + i - channels] : 0;
                int b = y > 0 ? pixels[(y - 1) * stride + i] : 0;
                int c = i >= channels && y > 0 ? pixels[(y - 1) * stride + i - channels] : 0;
                var x = raw[y * (stride + 1) + 1 + i];
                pixels[y * stride + i] = (byte)(
                    filter switch
                    {
                        0 => x,
                        1 => x + a,
                        2 => x + b,
                        3 => x + (a + b) / 2,
                        4 => x + Paeth(a, b, c),
                        _ => throw new InvalidDataException($"PNG row {y} has filter {filter}"),
                    }
                );
            }
        }
    }

    static int Paeth(int a, int b, int c)
    {
        int p = a + b - c,
            pa = Math.Abs(p - a),
            pb = Math.Abs(p - b),
            pc = Math.Abs(p - c);
        return pa <= pb && pa <= pc ? a
            : pb <= pc ? b
            : c;
    }

    /// <summary>How many pixels are within <paramref name="tolerance"/> of a colour in each channel.</summary>
    public int CountNear(byte red, byte green, byte blue, int tolerance)
    {
        var count = 0;
        for (var p = 0; p < pixels.Length; p += channels)
            if (
                Math.Abs(pixels[p] - red) <= tolerance
                && Math.Abs(pixels[p + 1] - green) <= tolerance
                && Math.Abs(pixels[p + 2] - blue) <= tolerance
            )
                count++;
        return count;
    }
}
