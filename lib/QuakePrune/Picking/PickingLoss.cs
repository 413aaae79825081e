using QuakePrune.Torch;

namespace QuakePrune.Picking;

/// <summary>
/// EQTransformer's training loss: the binary cross-entropy of each output curve against its label curve, averaged over
/// every sample of the batch, weighted 0.05 (detection), 0.40 (P) and 0.55 (S) and summed (smousavi05/EQTransformer,
/// core/trainer.py: loss_weights [0.05, 0.40, 0.55], loss_types binary_crossentropy; the same weights as SeisBench's
/// EQTransformer training in pick-benchmark).
/// <para>
/// The curves are probabilities (after the sigmoid, as SeisBench's model returns them). Like Keras's
/// binary_crossentropy, which EQTransformer was trained with, each probability is first clipped to [1e-7, 1 - 1e-7]:
/// the loss stays finite and its gradient is zero, not NaN, where the sigmoid has saturated to exactly 0 or 1 in
/// float32. Inside that range it equals PyTorch's <c>BCELoss</c>.
/// </para>
/// </summary>
public static class PickingLoss
{
    public const double DetectionWeight = 0.05;
    public const double PWeight = 0.40;
    public const double SWeight = 0.55;

    /// <summary>Keras's epsilon: probabilities are clipped to [Epsilon, 1 - Epsilon] before the logarithms.</summary>
    public const double Epsilon = 1e-7;

    /// <summary>
    /// The weighted loss of a batch: each argument is [N, 6000] (or any shape, the same for an output and its label).
    /// Returns a scalar tensor that carries the outputs' autograd graph.
    /// </summary>
    public static Tensor Compute(Tensor detection, Tensor p, Tensor s, Tensor detectionLabels, Tensor pLabels, Tensor sLabels)
    {
        using var d = BinaryCrossEntropy(detection, detectionLabels, "detection");
        using var lp = BinaryCrossEntropy(p, pLabels, "P");
        using var ls = BinaryCrossEntropy(s, sLabels, "S");
        using var wd = d * DetectionWeight;
        using var wp = lp * PWeight;
        using var sum = wd + wp;
        return sum.add(ls, SWeight);
    }

    /// <summary>
    /// Mean of -(y log x + (1 - y) log(1 - x)) over all elements, with x clipped to [1e-7, 1 - 1e-7]. The shapes must be
    /// equal: libtorch would otherwise broadcast [N, 1, 6000] against [N, 6000] into [N, N, 6000] without a word.
    /// </summary>
    public static Tensor BinaryCrossEntropy(Tensor probabilities, Tensor labels, string curve = "output")
    {
        var shape = probabilities.shape;
        var labelShape = labels.shape;
        if (!shape.SequenceEqual(labelShape))
            throw new ArgumentException(
                $"loss: the {curve} curve has shape [{string.Join(", ", shape)}] but its labels have [{string.Join(", ", labelShape)}]");
        using var clipped = probabilities.clamp(Epsilon, 1 - Epsilon);
        using var logX = clipped.log();
        using var complement = 1 - clipped;
        using var logComplement = complement.log();
        using var labelComplement = 1 - labels;
        using var positive = labels * logX;
        using var negative = labelComplement * logComplement;
        using var likelihood = positive + negative;
        using var mean = likelihood.mean();
        return mean.neg();
    }
}
