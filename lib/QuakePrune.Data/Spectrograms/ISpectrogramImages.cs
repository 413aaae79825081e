namespace QuakePrune.Spectrograms;

/// <summary>
/// Labelled spectrogram images by row, in train/dev/test splits: a spectrogram file (<see cref="SpectrogramFile"/>), or
/// a subset's traces turned into images as they are read (<see cref="SubsetSpectrograms"/>). What
/// <see cref="SpectrogramLoader"/> cuts into batches. Reading is safe from several threads.
/// </summary>
public interface ISpectrogramImages : IDisposable
{
    /// <summary>The file or folder the images come from, for messages.</summary>
    string Path { get; }

    int Channels { get; }
    int Height { get; }
    int Width { get; }

    /// <summary>Values in one image.</summary>
    int ImageLength { get; }

    /// <summary>1 = earthquake, 0 = noise.</summary>
    IReadOnlyList<long> Labels { get; }

    /// <summary>Rows of one split (train, dev or test), ascending.</summary>
    int[] IndicesOf(string split);

    /// <summary>
    /// Reads the images of any rows, in the order given, into consecutive slots of <paramref name="destination"/>.
    /// </summary>
    void ReadImages(IReadOnlyList<int> indices, Span<float> destination);

    /// <summary>
    /// The images of each batch of rows in turn, each in a new array. A source that computes its images overlaps the
    /// reading of the next batch with the computing of this one; the images are those <see cref="ReadImages"/> gives.
    /// </summary>
    IEnumerable<float[]> ReadBatches(IReadOnlyList<int[]> batches, CancellationToken cancellation)
    {
        foreach (var rows in batches)
        {
            cancellation.ThrowIfCancellationRequested();
            var images = new float[rows.Length * ImageLength];
            ReadImages(rows, images);
            yield return images;
        }
    }
}

/// <summary>What is computed over any <see cref="ISpectrogramImages"/>.</summary>
public static class SpectrogramImages
{
    /// <summary>
    /// The pixel-wise mean of the images of <paramref name="indices"/> (e.g. one class), streamed in blocks.
    /// </summary>
    public static float[] MeanImage(this ISpectrogramImages images, IReadOnlyList<int> indices)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(indices);
        if (indices.Count == 0)
            throw new ArgumentException($"'{images.Path}': the mean of no images is undefined", nameof(indices));
        var length = images.ImageLength;
        var sum = new double[length];
        const int block = 64;
        var buffer = new float[block * length];
        for (var start = 0; start < indices.Count; start += block)
        {
            var n = Math.Min(block, indices.Count - start);
            var slice = buffer.AsSpan(0, n * length);
            images.ReadImages(indices.Skip(start).Take(n).ToArray(), slice);
            for (var k = 0; k < n; k++)
            {
                var image = slice.Slice(k * length, length);
                for (var i = 0; i < length; i++)
                    sum[i] += image[i];
            }
        }
        var mean = new float[length];
        for (var i = 0; i < length; i++)
            mean[i] = (float)(sum[i] / indices.Count);
        return mean;
    }
}
