using QuakePrune.Models;
using static QuakePrune.Torch.torch;

namespace QuakePrune.Inference;

/// <summary>
/// p(earthquake) through the prepared inference path (BatchNorm folded, the fastest verified layout): what evaluate,
/// predict and the retraining scores use. Preparing checks the path against the plain model, as every prepared model
/// is.
/// </summary>
public sealed class FastClassifier : IBatchClassifier, IDisposable
{
    private readonly InferenceModel model;
    private readonly ImageSize size;

    /// <summary>
    /// Prepares <paramref name="network"/> (put in eval mode; not modified, and free to dispose afterwards) for images
    /// of <paramref name="inputSize"/>.
    /// </summary>
    public FastClassifier(Network network, ImageSize inputSize)
    {
        if (network.Graph.OutputChannels != 2)
            throw new InvalidOperationException(
                $"p(earthquake) needs a two-class model; this one has {network.Graph.OutputChannels} classes"
            );
        network.eval();
        size = inputSize;
        model = InferenceModel.Prepare(
            network,
            new InferenceOptions
            {
                Size = inputSize,
                Batch = 1,
                TuningRuns = 3,
                TuneThreads = false,
            }
        );
    }

    public InferencePath Path => model.Path;

    public float[] ProbabilityOfEarthquake(float[] images, int count)
    {
        var channels = model.Architecture.Graph.InChannels;
        if (images.Length != (long)count * channels * size.Height * size.Width)
            throw new ArgumentException(
                $"{images.Length} values are not {count} images of {channels}x{size.Height}x{size.Width} (the model's input)"
            );
        using var input = tensor(images, [count, channels, size.Height, size.Width], model.Device);
        var probabilities = model.ProbabilitiesOf(input);
        var earthquake = new float[count];
        for (var i = 0; i < count; i++)
            earthquake[i] = probabilities[i * 2 + 1];
        return earthquake;
    }

    public void Dispose() => model.Dispose();
}
