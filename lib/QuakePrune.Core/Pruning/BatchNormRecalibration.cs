using System.Globalization;
using QuakePrune.Models;
using QuakePrune.Torch.Modules;
using static QuakePrune.Torch.torch;

namespace QuakePrune.Pruning;

/// <summary>
/// How batch-norm statistics are re-estimated: the first <paramref name="Batches"/> batches of
/// <paramref name="Split"/>, shuffled by <paramref name="Seed"/>.
/// </summary>
public sealed record RecalibrationOptions(int Batches, int BatchSize = 32, ulong Seed = 1, string Split = "train")
{
    public void Validate()
    {
        if (Batches < 1)
            throw new ArgumentException($"batch-norm recalibration needs at least 1 batch, got {Batches}");
        if (BatchSize < 1)
            throw new ArgumentException($"batch-norm recalibration needs a batch size of at least 1, got {BatchSize}");
        if (string.IsNullOrEmpty(Split))
            throw new ArgumentException("batch-norm recalibration needs a split to read (e.g. train)");
    }
}

/// <summary>
/// Re-estimates every batch norm's running statistics after pruning, as PyTorch users do: pruning shifts the
/// activations, so the stored statistics no longer match and a pruned model's decisions at p = 0.5 drift though its
/// ranking (AUC) holds.
/// </summary>
public static class BatchNormRecalibration
{
    public const string Note = "pruning.recalibrate_bn";

    /// <summary>
    /// Resets every batch norm's running statistics and re-estimates them as the cumulative average (momentum null)
    /// over the first <see cref="RecalibrationOptions.Batches"/> shuffled batches of the split, forwarded without
    /// gradients on the device where the model lives. Only the batch norms run in train mode (dropout stays off); each
    /// gets its momentum back and the whole model ends in eval mode. A split with fewer images than that many batches
    /// is used whole. No augmentation.
    /// </summary>
    /// <returns>The number of images that were forwarded.</returns>
    public static int Recalibrate(Network model, IImageBatches data, RecalibrationOptions options)
    {
        options.Validate();
        var norms = model.modules().OfType<BatchNorm>().Where(b => b.track_running_stats).ToArray();
        if (norms.Length == 0)
            throw new ArgumentException(
                "batch-norm recalibration: the model has no batch norm with running statistics"
            );
        if (model.Graph.InputShape.Length != 4)
            throw new ArgumentException(
                $"batch-norm recalibration: the model takes {model.Graph.InputShape.Length}-d input, not [N, C, H, W] images"
            );
        if (model.Graph.InChannels != data.Channels)
            throw new InvalidDataException(
                $"{data.Source}: {data.Channels}-channel images, but the model takes {model.Graph.InChannels} channels"
            );
        if (data.IndicesOf(options.Split).Length == 0)
            throw new InvalidDataException($"{data.Source}: no images in split '{options.Split}'");

        var momenta = norms.Select(b => b.momentum).ToArray();
        var device = norms[0].running_mean!.device;
        var images = 0;
        try
        {
            model.eval();
            foreach (var norm in norms)
            {
                norm.train();
                norm.momentum = null;
                norm.reset_running_stats();
            }
            using var gradients = no_grad();
            foreach (
                var batch in data.Batches(options.Split, options.BatchSize, shuffle: true, options.Seed, epoch: 0)
                    .Take(options.Batches)
            )
            {
                using var scope = NewDisposeScope();
                var x = tensor(batch.Images, [batch.Count, data.Channels, data.Height, data.Width], device);
                model.forward(x);
                images += batch.Count;
            }
        }
        finally
        {
            for (var i = 0; i < norms.Length; i++)
                norms[i].momentum = momenta[i];
            model.eval();
        }
        return images;
    }

    /// <summary>
    /// The provenance a recalibrated checkpoint records: batches, batch size, images forwarded, data file, split and
    /// seed.
    /// </summary>
    public static ModelInfo Record(ModelInfo info, IImageBatches data, RecalibrationOptions options, int images) =>
        info.With($"{Note}.batches", options.Batches.ToString(CultureInfo.InvariantCulture))
            .With($"{Note}.batch_size", options.BatchSize.ToString(CultureInfo.InvariantCulture))
            .With($"{Note}.images", images.ToString(CultureInfo.InvariantCulture))
            .With($"{Note}.data", Path.GetFileName(data.Source))
            .With($"{Note}.split", options.Split)
            .With($"{Note}.seed", options.Seed.ToString(CultureInfo.InvariantCulture));
}
