using QuakePrune.Models;
using QuakePrune.Torch;
using static QuakePrune.Torch.torch;

namespace QuakePrune.Inference;

/// <summary>
/// Batch inference: p(earthquake) for a batch of host images. Evaluation and prediction call only this, so a faster
/// engine (folded batch norm, oneDNN) can stand in for <see cref="TorchClassifier"/>.
/// </summary>
public interface IBatchClassifier
{
    /// <summary><paramref name="count"/> images, count x C x H x W row-major, to one probability each.</summary>
    float[] ProbabilityOfEarthquake(float[] images, int count);
}

/// <summary>The model itself in eval mode under inference_mode, on its device.</summary>
public sealed class TorchClassifier : IBatchClassifier
{
    private readonly Network model;
    private readonly Device device;
    private readonly ImageSize size;

    public TorchClassifier(Network model, ImageSize inputSize, Device? device = null)
    {
        this.model = model;
        this.device = device ?? Device.CPU;
        size = inputSize;
    }

    public float[] ProbabilityOfEarthquake(float[] images, int count)
    {
        var channels = model.Graph.InChannels;
        if (images.Length != (long)count * channels * size.Height * size.Width)
            throw new ArgumentException(
                $"{images.Length} values are not {count} images of {channels}x{size.Height}x{size.Width} (the model's input)"
            );
        if (model.Graph.OutputChannels != 2)
            throw new InvalidOperationException(
                $"p(earthquake) needs a two-class model; this one has {model.Graph.OutputChannels} classes"
            );
        model.eval();
        using var mode = inference_mode();
        using var scope = NewDisposeScope();
        var input = tensor(images, [count, channels, size.Height, size.Width], device);
        var probabilities = model.forward(input).softmax(1).select(1, 1).cpu();
        return probabilities.ToArray<float>();
    }
}
