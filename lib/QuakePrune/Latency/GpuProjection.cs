using QuakePrune.Models;

namespace QuakePrune.Latency;

/// <summary>A GPU described by its FP32 peak and memory bandwidth.</summary>
public sealed record GpuSpec(string Name, double PeakFlops, double BytesPerSecond)
{
    /// <summary>GeForce GTX 1050 (Pascal, 640 cores at 1455 MHz boost): 1.86 TFLOP/s FP32, 112 GB/s GDDR5.</summary>
    public static readonly GpuSpec Gtx1050 = new("GeForce GTX 1050", 1.86e12, 112e9);

    public static GpuSpec Named(string name) => name.ToLowerInvariant() switch
    {
        "gtx1050" => Gtx1050,
        _ => throw new ArgumentException($"unknown GPU '{name}' for projection (known: gtx1050)"),
    };
}

/// <summary>
/// Projected (never measured) batch-1 latency on a GPU: each layer takes the longer of its arithmetic
/// (2 FLOPs per MAC at peak) and its memory traffic (weights + activations at full bandwidth), scaled by
/// one efficiency factor, plus a fixed overhead per launched layer. The factor and the overhead are
/// calibrated so that the paper's two measurements are met exactly.
/// </summary>
public sealed record GpuProjection(GpuSpec Gpu, double Efficiency, double OverheadMsPerLayer, string Calibration)
{
    /// <summary>The paper's GTX 1050 figures at 224x224, batch 1: ResNet50 22.45 ms, Prune90 3.6 ms.</summary>
    public static GpuProjection PaperGtx1050()
    {
        var baseline = ModelCost.Of(ResNetArchitecture.ResNet50(), 224, 224);
        var prune90 = ModelCost.Of(Pruning.PruningPlan.Create(
            Pruning.DependencyGroups.Of(ResNetArchitecture.ResNet50()),
            Pruning.DependencyGroups.Of(ResNetArchitecture.ResNet50()).ToDictionary(g => g.Name, g => new double[g.Channels]),
            new Pruning.PruningOptions(0.9)).Apply(ResNetArchitecture.ResNet50()), 224, 224);
        return Calibrate(GpuSpec.Gtx1050, (baseline, 22.45), (prune90, 3.6),
            "paper: ResNet50 22.45 ms and Prune90 (full scope, 90%) 3.6 ms, GTX 1050, 224x224, batch 1");
    }

    /// <summary>Solves efficiency and per-layer overhead from two (model, measured ms) points with equal layer counts.</summary>
    public static GpuProjection Calibrate(GpuSpec gpu, (ModelCost Cost, double Ms) large, (ModelCost Cost, double Ms) small, string description)
    {
        if (large.Cost.Operations != small.Cost.Operations)
            throw new ArgumentException("calibration points must have the same number of layers");
        var rooflineLarge = RooflineMs(gpu, large.Cost);
        var rooflineSmall = RooflineMs(gpu, small.Cost);
        var scale = (large.Ms - small.Ms) / (rooflineLarge - rooflineSmall);
        var overhead = (large.Ms - scale * rooflineLarge) / large.Cost.Operations;
        if (!(scale > 0) || overhead < 0)
            throw new ArgumentException($"calibration points give no physical model (scale {scale:G3}, overhead {overhead:G3} ms)");
        return new GpuProjection(gpu, 1 / scale, overhead, description);
    }

    /// <summary>Sum over layers of max(arithmetic time, memory time) at the GPU's peak, in ms.</summary>
    public static double RooflineMs(GpuSpec gpu, ModelCost cost) =>
        cost.Layers.Sum(l => Math.Max(2.0 * l.Macs / gpu.PeakFlops, l.Bytes / gpu.BytesPerSecond)) * 1e3;

    public double ProjectMs(ModelCost cost) => RooflineMs(Gpu, cost) / Efficiency + OverheadMsPerLayer * cost.Operations;
}
