namespace QuakePrune.Spectrograms;

/// <summary>
/// Bilinear resize of planes, identical to torch.nn.functional.interpolate(mode='bilinear', align_corners=False)
/// without antialiasing: half-pixel centres, source coordinates below 0 clamped to 0, the far neighbour clamped to
/// the last row/column. Weights are computed once per size pair, in float as PyTorch does for float tensors.
/// Immutable and thread-safe.
/// </summary>
public sealed class BilinearResize
{
    private readonly Axis rows;
    private readonly Axis columns;

    public BilinearResize(int sourceHeight, int sourceWidth, int height, int width)
    {
        if (sourceHeight < 1 || sourceWidth < 1 || height < 1 || width < 1)
            throw new ArgumentException(
                $"Resize sizes must be positive; got {sourceHeight}x{sourceWidth} -> {height}x{width}."
            );
        SourceHeight = sourceHeight;
        SourceWidth = sourceWidth;
        Height = height;
        Width = width;
        rows = new Axis(sourceHeight, height);
        columns = new Axis(sourceWidth, width);
    }

    public int SourceHeight { get; }
    public int SourceWidth { get; }
    public int Height { get; }
    public int Width { get; }

    /// <summary>Resizes <paramref name="planes"/> consecutive row-major planes.</summary>
    public void Apply(ReadOnlySpan<float> source, Span<float> destination, int planes)
    {
        var sourcePlane = SourceHeight * SourceWidth;
        var plane = Height * Width;
        if (source.Length < planes * sourcePlane || destination.Length < planes * plane)
            throw new ArgumentException(
                $"Resize of {planes} planes {SourceHeight}x{SourceWidth} -> {Height}x{Width} got buffers of {source.Length} and {destination.Length} values."
            );
        for (var p = 0; p < planes; p++)
        {
            var src = source.Slice(p * sourcePlane, sourcePlane);
            var dst = destination.Slice(p * plane, plane);
            for (var y = 0; y < Height; y++)
            {
                var top = src.Slice(rows.Near[y] * SourceWidth, SourceWidth);
                var bottom = src.Slice(rows.Far[y] * SourceWidth, SourceWidth);
                float wTop = rows.NearWeight[y],
                    wBottom = rows.FarWeight[y];
                var row = dst.Slice(y * Width, Width);
                for (var x = 0; x < Width; x++)
                {
                    int left = columns.Near[x],
                        right = columns.Far[x];
                    float wLeft = columns.NearWeight[x],
                        wRight = columns.FarWeight[x];
                    row[x] =
                        wTop * (wLeft * top[left] + wRight * top[right])
                        + wBottom * (wLeft * bottom[left] + wRight * bottom[right]);
                }
            }
        }
    }

    private sealed class Axis
    {
        public readonly int[] Near;
        public readonly int[] Far;
        public readonly float[] NearWeight;
        public readonly float[] FarWeight;

        public Axis(int sourceSize, int size)
        {
            Near = new int[size];
            Far = new int[size];
            NearWeight = new float[size];
            FarWeight = new float[size];
            var scale = (float)sourceSize / size;
            for (var i = 0; i < size; i++)
            {
                var position = Math.Max(scale * (i + 0.5f) - 0.5f, 0f);
                var near = (int)position;
                Near[i] = near;
                Far[i] = near < sourceSize - 1 ? near + 1 : near;
                FarWeight[i] = position - near;
                NearWeight[i] = 1f - FarWeight[i];
            }
        }
    }
}
