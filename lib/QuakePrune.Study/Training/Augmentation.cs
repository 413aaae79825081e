namespace QuakePrune.Training;

/// <summary>
/// Changes a host batch in place: each image is shifted along time (vacated columns set to 0, the z-scored mean), then
/// gets frequency and time masks (set to 0) on all channels. The draws depend only on (seed, epoch, step), so a resumed
/// run sees the same images.
/// </summary>
public static class Augmentation
{
    // Keeps the augmentation's stream of draws apart from the shuffle's, which uses (seed, epoch).
    private const ulong StreamSalt = 0x5851F42D4C957F2DUL;

    public static void Apply(
        float[] images,
        int count,
        int channels,
        int height,
        int width,
        AugmentOptions options,
        long seed,
        int epoch,
        int step
    )
    {
        var rng = new Rng(unchecked((ulong)seed ^ StreamSalt), ((ulong)(uint)epoch << 32) | (uint)step);
        var plane = height * width;
        var row = new float[width];
        for (var n = 0; n < count; n++)
        {
            var image = images.AsSpan(n * channels * plane, channels * plane);
            var maxShift = (int)(options.MaxTimeShift * width);
            var shift = maxShift == 0 ? 0 : rng.Next(-maxShift, maxShift + 1);
            if (shift != 0)
                for (var r = 0; r < channels * height; r++)
                {
                    var line = image.Slice(r * width, width);
                    row.AsSpan().Clear();
                    if (shift > 0)
                        line[..(width - shift)].CopyTo(row.AsSpan(shift));
                    else
                        line[-shift..].CopyTo(row);
                    row.CopyTo(line);
                }
            for (var m = 0; m < options.FrequencyMasks; m++)
            {
                var (start, length) = Band(ref rng, height, options.MaxFrequencyMask);
                for (var c = 0; c < channels; c++)
                    image.Slice(c * plane + start * width, length * width).Clear();
            }
            for (var m = 0; m < options.TimeMasks; m++)
            {
                var (start, length) = Band(ref rng, width, options.MaxTimeMask);
                for (var r = 0; r < channels * height; r++)
                    image.Slice(r * width + start, length).Clear();
            }
        }
    }

    /// <summary>A band of 0..max*extent rows or columns at a uniform position.</summary>
    private static (int Start, int Length) Band(ref Rng rng, int extent, double maxFraction)
    {
        var maxLength = (int)(maxFraction * extent);
        var length = maxLength == 0 ? 0 : rng.Next(0, maxLength + 1);
        var start = rng.Next(0, extent - length + 1);
        return (start, length);
    }
}
