using QuakePrune.Latency;
using QuakePrune.Models;
using QuakePrune.Pruning;

namespace QuakePrune.Pipeline;

/// <summary>The paper's two GTX 1050 measurements as the calibration of the roofline projection to that GPU.</summary>
public static class PaperProjection
{
    /// <summary>The paper's GTX 1050 figures at 224x224, batch 1: ResNet50 and Prune90 (full scope, 90 %).</summary>
    public const double BaselineMs = 22.45,
        Prune90Ms = 3.6;

    public static GpuProjection Gtx1050()
    {
        var resnet50 = ResNetArchitecture.ResNet50();
        var groups = DependencyGroups.Of(resnet50);
        var prune90 = PruningPlan
            .Create(groups, groups.ToDictionary(g => g.Name, g => new double[g.Channels]), new PruningOptions(0.9))
            .Apply(resnet50);
        return GpuProjection.Calibrate(
            GpuSpec.Gtx1050,
            (ModelCost.Of(resnet50, 224, 224), BaselineMs),
            (ModelCost.Of(prune90, 224, 224), Prune90Ms),
            $"paper: ResNet50 {BaselineMs} ms and Prune90 (full scope, 90%) {Prune90Ms} ms, GTX 1050, 224x224, batch 1"
        );
    }

    /// <summary>
    /// The projection to the GPU named <paramref name="gpu"/> (`bench --project`): only the paper's GTX 1050 is
    /// calibrated.
    /// </summary>
    public static GpuProjection For(string gpu) =>
        GpuSpec.Named(gpu) == GpuSpec.Gtx1050
            ? Gtx1050()
            : throw new ArgumentException($"no calibrated projection for GPU '{gpu}' (known: gtx1050)");
}
