using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;

namespace QuakePrune.Torch;

/// <summary>
/// A function whose forward and backward passes are written here and which autograd differentiates: PyTorch's
/// torch.autograd.Function. Use a new instance for each <see cref="Apply"/>: the instance is the call's context, its
/// fields what <see cref="Forward"/> leaves for <see cref="Backward"/>. Forward runs without recording gradients;
/// Backward runs when autograd reaches the node, on the thread that runs that part of the backward pass. Tensors kept
/// with <see cref="Keep"/> are disposed when autograd frees the node (after the backward pass, or when the graph is
/// dropped). An exception in Forward is rethrown by Apply as it was; one in Backward fails the backward pass with its
/// message (a <see cref="TorchException"/>).
/// </summary>
public abstract class AutogradFunction
{
    private readonly List<Tensor> kept = [];
    private ExceptionDispatchInfo? failure;

    /// <summary>The outputs, one per expected output; the inputs are this call's own handles.</summary>
    protected abstract Tensor[] Forward(Tensor[] inputs);

    /// <summary>
    /// Each input's gradient (null: none) from each output's (zeros for an output that was not used).
    /// </summary>
    protected abstract Tensor?[] Backward(Tensor[] outputGradients);

    /// <summary>
    /// Keeps <paramref name="tensor"/> for <see cref="Backward"/>: out of every dispose scope until then.
    /// </summary>
    protected Tensor Keep(Tensor tensor)
    {
        kept.Add(tensor.DetachFromDisposeScope());
        return tensor;
    }

    /// <summary>Runs the function on <paramref name="inputs"/>; its <paramref name="outputs"/> results.</summary>
    public unsafe Tensor[] Apply(int outputs, params Tensor[] inputs)
    {
        var results = new IntPtr[outputs];
        var state = GCHandle.Alloc(this);
        var status = Tensor.CallWithHandles(inputs, handles =>
        {
            fixed (IntPtr* input = handles)
            fixed (IntPtr* output = results)
                return Native.qp_function_apply(
                    &ForwardCallback,
                    &BackwardCallback,
                    &ReleaseCallback,
                    GCHandle.ToIntPtr(state),
                    input,
                    handles.Length,
                    output,
                    outputs
                );
        });
        if (status != 0)
        {
            failure?.Throw();
            throw Native.LastError();
        }
        return [.. results.Select(r => new Tensor(r))];
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static unsafe int ForwardCallback(IntPtr state, IntPtr* inputs, long count, IntPtr* outputs, long expected)
    {
        var function = (AutogradFunction)GCHandle.FromIntPtr(state).Target!;
        return function.Call(inputs, count, outputs, expected, function.Forward);
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static unsafe int BackwardCallback(
        IntPtr state,
        IntPtr* gradients,
        long count,
        IntPtr* outputs,
        long expected
    )
    {
        var function = (AutogradFunction)GCHandle.FromIntPtr(state).Target!;
        return function.Call(gradients, count, outputs, expected, function.Backward);
    }

    /// <summary>Autograd freed the node (or recorded none): the kept tensors and the handle to this go.</summary>
    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static void ReleaseCallback(IntPtr state)
    {
        var handle = GCHandle.FromIntPtr(state);
        foreach (var tensor in ((AutogradFunction)handle.Target!).kept)
            tensor.Dispose();
        handle.Free();
    }

    /// <summary>
    /// Runs one pass: wraps the shim's new handles, hands back a new handle per result. Nothing may be thrown into
    /// native code: a failure is kept for <see cref="Apply"/> and its message given to the shim.
    /// </summary>
    private unsafe int Call(IntPtr* inputs, long count, IntPtr* outputs, long expected, Func<Tensor[], Tensor?[]> pass)
    {
        try
        {
            using var scope = torch.NewDisposeScope();
            var arguments = new Tensor[count];
            for (var k = 0; k < count; k++)
                arguments[k] = new Tensor(inputs[k]);
            var results = pass(arguments);
            if (results.Length != expected)
                throw new InvalidOperationException($"{results.Length} results where {expected} are expected");
            for (var k = 0; k < expected; k++)
                outputs[k] = results[k] is { } result ? Native.Check(Native.qp_tensor_new_handle(result.Handle)) : 0;
            return 0;
        }
        catch (Exception e)
        {
            failure = ExceptionDispatchInfo.Capture(e);
            Native.qp_set_callback_error($"{GetType().Name}: {e.Message}");
            return -1;
        }
    }
}

internal static unsafe partial class Native
{
    [LibraryImport(Lib)]
    internal static partial IntPtr qp_tensor_new_handle(TensorHandle tensor);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial void qp_set_callback_error(string message);

    [LibraryImport(Lib)]
    internal static partial int qp_function_apply(
        delegate* unmanaged[Cdecl]<IntPtr, IntPtr*, long, IntPtr*, long, int> forward,
        delegate* unmanaged[Cdecl]<IntPtr, IntPtr*, long, IntPtr*, long, int> backward,
        delegate* unmanaged[Cdecl]<IntPtr, void> release,
        IntPtr state,
        IntPtr* inputs,
        long count,
        IntPtr* outputs,
        long expected
    );
}
