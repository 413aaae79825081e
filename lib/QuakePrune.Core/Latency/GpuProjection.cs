using QuakePrune.Models;

namespace QuakePrune.Latency;

/// <summary>
/// A GPU described by its FP32 peak and memory bandwidth; <see cref="Key"/> is its name on the command line.
/// </summary>
public sealed record GpuSpec(string Key, string Name, double PeakFlops, double BytesPerSecond)
{
    /// <summary>GeForce GTX 1050 (Pascal, 640 cores at 1455 MHz boost): 1.86 TFLOP/s FP32, 112 GB/s GDDR5.</summary>
    public static readonly GpuSpec Gtx1050 = new("gtx1050", "GeForce GTX 1050", 1.86e12, 112e9);

    public static GpuSpec Named(string name) =>
        name.ToLowerInvariant() switch
        {
            "gtx1050" => Gtx1050,
            _ => throw new ArgumentException($"unknown GPU '{name}' for projection (known: gtx1050)"),
        };
}

/// <summary>
/// Projected (never measured) batch-1 latency on a GPU: each layer takes the longer of its arithmetic
/// (2 FLOPs per MAC at peak) and its memory traffic (weights + activations at full bandwidth), scaled by
/// one efficiency factor, plus a fixed overhead per launched layer. The factor and the overhead are
/// calibrated on two measured models (<see cref="Calibrate"/>), so that both are met exactly.
/// </summary>
public sealed record GpuProjection(GpuSpec Gpu, double Efficiency, double OverheadMsPerLayer, string Calibration)
{
    /// <summary>
    /// Solves efficiency and per-layer overhead from two (model, measured ms) points with equal layer counts.
    /// </summary>
    public static GpuProjection Calibrate(
        GpuSpec gpu,
        (ModelCost Cost, double Ms) large,
        (ModelCost Cost, double Ms) small,
        string description
    )
    {
        if (large.Cost.Operations != small.Cost.Operations)
            throw new ArgumentException("calibration points must have the same number of layers");
        var rooflineLarge = RooflineMs(gpu, large.Cost);
        var rooflineSmall = RooflineMs(gpu, small.Cost);
        var scale = (large.Ms - small.Ms) / (rooflineLarge - rooflineSmall);
        var overhead = (large.Ms - scale * rooflineLarge) / large.Cost.Operations;
        if (!(scale > 0) || overhead < 0)
            throw new ArgumentException(
                $"calibration points give no physical model (scale {scale:G3}, overhead {overhead:G3} ms)"
            );
        return new GpuProjection(gpu, 1 / scale, overhead, description);
    }

    /// <summary>Sum over layers of max(arithmetic time, memory time) at the GPU's peak, in ms.</summary>
    public static double RooflineMs(GpuSpec gpu, ModelCost cost) =>
        cost.Layers.Sum(l => Math.Max(2.0 * l.Macs / gpu.PeakFlops, l.Bytes / gpu.BytesPerSecond)) * 1e3;

    public double ProjectMs(ModelCost cost) =>
        RooflineMs(Gpu, cost) / Efficiency + OverheadMsPerLayer * cost.Operations;
}
