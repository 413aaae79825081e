namespace QuakePrune.Models;

/// <summary>
/// One batch on the host: <see cref="Count"/> images (count x C x H x W float32), their labels and their rows.
/// </summary>
public sealed record HostBatch(float[] Images, long[] Labels, int[] Indices, int Count);

/// <summary>
/// Images of one shape in named splits, read in batches: what this layer (batch-norm recalibration after pruning) needs
/// of a data set. The study's data sets (<c>QuakePrune.Training.IImageDataSet</c>) extend it with labels, trace names,
/// SNR and the spectrogram settings that made the images, which this layer does not know.
/// </summary>
public interface IImageBatches
{
    /// <summary>Where the images come from (a path), for messages.</summary>
    string Source { get; }

    int Channels { get; }
    int Height { get; }
    int Width { get; }

    /// <summary>Rows of one split, ascending.</summary>
    int[] IndicesOf(string split);

    /// <summary>
    /// The batches of one pass over a split: in file order, or shuffled by an order that depends only on
    /// (<paramref name="seed"/>, <paramref name="epoch"/>).
    /// </summary>
    IEnumerable<HostBatch> Batches(string split, int batchSize, bool shuffle, ulong seed, int epoch);
}
