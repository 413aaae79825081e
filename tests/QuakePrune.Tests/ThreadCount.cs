using static QuakePrune.Torch.torch;

namespace QuakePrune.Tests;

/// <summary>
/// libtorch's thread count set for the length of a test and given back after: the count is process-wide, so a test
/// that left its own would hand the tests after it a count that depends on the order they run in.
/// </summary>
public sealed class ThreadCount : IDisposable
{
    private readonly int outer = get_num_threads();

    public ThreadCount(int threads) => set_num_threads(threads);

    public void Dispose() => set_num_threads(outer);
}
