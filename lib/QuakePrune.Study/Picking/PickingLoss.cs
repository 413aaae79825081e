using QuakePrune.Torch;
using F = QuakePrune.Torch.torch.nn.functional;

namespace QuakePrune.Picking;

/// <summary>
/// EQTransformer's training loss: the binary cross-entropy of each output curve against its label curve, averaged over
/// every sample of the batch, weighted 0.05 (detection), 0.40 (P) and 0.55 (S) and summed (smousavi05/EQTransformer,
/// core/trainer.py: loss_weights [0.05, 0.40, 0.55], loss_types binary_crossentropy; the same weights as SeisBench's
/// EQTransformer training in pick-benchmark).
/// <para>
/// It is taken on the logits, the values before each output's sigmoid (<see cref="PickingNetwork.Logits"/>), as
/// libtorch's binary_cross_entropy_with_logits: the same loss as on probabilities, but its gradient, sigmoid(z) - y,
/// never vanishes. On probabilities it must be clipped (Keras clips to [1e-7, 1 - 1e-7]; PyTorch's BCELoss bounds the
/// logarithm and its backward's denominator), and where the sigmoid has saturated past the clip the gradient is zero.
/// Picks are labelled on about 40 of a window's 6000 samples, so the P and S outputs fall below 1e-7 everywhere within
/// two epochs, the labelled samples included, and never rise again: with Keras's clip, eqtransformer trained on
/// synthetic traces had nearly every P output below 1e-7 and P and S F1 0 (issue 22).
/// </para>
/// </summary>
public static class PickingLoss
{
    /// <summary>
    /// The weighted loss of a batch from the three logit curves: each argument is [N, 6000] (or any shape, the same for
    /// an output and its label). <paramref name="weights"/>: EQTransformer's unless given. Returns a scalar tensor that
    /// carries the logits' autograd graph.
    /// </summary>
    public static Tensor Compute(
        Tensor detection,
        Tensor p,
        Tensor s,
        Tensor detectionLabels,
        Tensor pLabels,
        Tensor sLabels,
        LossWeights? weights = null
    )
    {
        weights ??= LossWeights.EqTransformer;
        using var d = BinaryCrossEntropy(detection, detectionLabels, "detection");
        using var lp = BinaryCrossEntropy(p, pLabels, "P");
        using var ls = BinaryCrossEntropy(s, sLabels, "S");
        using var wd = d * weights.Detection;
        using var wp = lp * weights.P;
        using var sum = wd + wp;
        return sum.add(ls, weights.S);
    }

    /// <summary>
    /// Mean over all elements of -(y log sigmoid(z) + (1 - y) log(1 - sigmoid(z))), from the logits z. The shapes must
    /// be equal: libtorch would otherwise broadcast [N, 1, 6000] against [N, 6000] into [N, N, 6000] without a word.
    /// </summary>
    public static Tensor BinaryCrossEntropy(Tensor logits, Tensor labels, string curve = "output")
    {
        var shape = logits.shape;
        var labelShape = labels.shape;
        if (!shape.SequenceEqual(labelShape))
            throw new ArgumentException(
                $"loss: the {curve} curve has shape [{string.Join(", ", shape)}] but its labels have [{string.Join(", ", labelShape)}]"
            );
        return F.binary_cross_entropy_with_logits(logits, labels);
    }
}

/// <summary>
/// The weights of the detection, P and S terms of <see cref="PickingLoss"/>. Adam scales each parameter's step by its
/// own gradient's size, so the weights matter where the three heads share the network: they set how much of the shared
/// encoder, residual, recurrent and attention layers serves each curve.
/// </summary>
public sealed record LossWeights(double Detection, double P, double S)
{
    /// <summary>EQTransformer's (core/trainer.py loss_weights): 0.05 detection, 0.40 P, 0.55 S.</summary>
    public static LossWeights EqTransformer { get; } = new(0.05, 0.40, 0.55);

    public void Validate()
    {
        if (new[] { Detection, P, S }.Any(w => !(w >= 0) || !double.IsFinite(w)) || Detection + P + S <= 0)
            throw new ArgumentException($"loss weights must be finite, not negative and not all zero, got {this}");
    }

    /// <summary>"D,P,S", as `train --loss-weights` takes them.</summary>
    public static LossWeights Parse(string text)
    {
        var values = NumberTriple.Parse(text)
            ?? throw new ArgumentException(
                $"--loss-weights takes three numbers DETECTION,P,S (EQTransformer's: 0.05,0.4,0.55), got '{text}'"
            );
        var weights = new LossWeights(values[0], values[1], values[2]);
        weights.Validate();
        return weights;
    }

    public override string ToString() => FormattableString.Invariant($"{Detection:R},{P:R},{S:R}");
}
