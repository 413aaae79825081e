using Microsoft.ML.OnnxRuntime;
using QuakePrune.Export;
using QuakePrune.Models;
using QuakePrune.Torch;

namespace QuakePrune.Latency;

/// <summary>
/// ONNX Runtime as the peer a deployed model would run on: the checkpoint exported (<see cref="OnnxExport"/>) to a
/// temporary file, loaded into a session with every graph optimisation on (constant folding, batch norm folded into
/// convolutions, fused activations) and the bench's thread count, fed the same input as our engines. Its intra-op
/// threads do not spin between runs: in interleaved rounds a spinning pool would take the cores from the next subject.
/// </summary>
public sealed class OnnxRuntimeRunner : IDisposable
{
    private readonly InferenceSession session;
    private readonly OrtValue input;
    private readonly RunOptions run = new();
    private readonly string[] inputNames = [NetworkGraph.Input];
    private readonly string[] outputNames;

    /// <summary>The start of this process's temporary ONNX files, each removed once its session is built.</summary>
    public static string TemporaryPrefix => $"quakeprune-bench-{Environment.ProcessId}-";

    public OnnxRuntimeRunner(LoadedModel loaded, Tensor input, int threads)
    {
        // Named after this process, so a check that it was removed does not see another process's file.
        var path = Path.Combine(Path.GetTempPath(), $"{TemporaryPrefix}{Guid.NewGuid():N}.onnx");
        try
        {
            OnnxExport.Export(loaded, path);
            using var options = new SessionOptions
            {
                GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
                IntraOpNumThreads = threads,
                InterOpNumThreads = 1,
                ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            };
            options.AddSessionConfigEntry("session.intra_op.allow_spinning", "0");
            session = new InferenceSession(path, options);
        }
        catch (OnnxRuntimeException e)
        {
            throw new InvalidOperationException(
                $"ONNX Runtime refused the exported {Path.GetFileName(loaded.Info.Architecture.Builder.Name)}: {e.Message}",
                e
            );
        }
        finally
        {
            File.Delete(path);
        }
        using var cpu = input.to(ScalarType.Float32).contiguous();
        this.input = OrtValue.CreateTensorValueFromMemory(cpu.ToArray<float>(), cpu.shape);
        outputNames = session.OutputMetadata.Keys.ToArray();
    }

    /// <summary>One forward pass, every output computed.</summary>
    public void Run()
    {
        try
        {
            using var outputs = session.Run(run, inputNames, [input], outputNames);
        }
        catch (OnnxRuntimeException e)
        {
            throw new InvalidOperationException($"ONNX Runtime: {e.Message}", e);
        }
    }

    public void Dispose()
    {
        input.Dispose();
        run.Dispose();
        session.Dispose();
    }
}
