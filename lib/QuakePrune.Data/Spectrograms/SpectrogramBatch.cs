namespace QuakePrune.Spectrograms;

/// <summary>Many traces to images on several threads, one <see cref="SpectrogramComputer"/> per thread.</summary>
public static class SpectrogramBatch
{
    /// <summary>
    /// Computes the images of <c>traceNames.Count</c> consecutive traces (each samples x 3, samples first) into
    /// consecutive images (each 3 x height x width). Each thread takes one contiguous block of traces.
    /// </summary>
    public static void ComputeImages(
        SpectrogramSettings settings,
        ReadOnlyMemory<float> traces,
        Memory<float> images,
        IReadOnlyList<string> traceNames,
        int threads,
        int samplesPerComponent = SpectrogramComputer.SteadSamples
    )
    {
        ArgumentNullException.ThrowIfNull(traceNames);
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        var probe = new SpectrogramComputer(settings, samplesPerComponent);
        var count = traceNames.Count;
        int traceLength = probe.TraceLength,
            imageLength = probe.ImageLength;
        if (traces.Length != count * traceLength)
            throw new ArgumentException(
                $"{count} traces need {count * traceLength} values; got {traces.Length}.",
                nameof(traces)
            );
        if (images.Length < count * imageLength)
            throw new ArgumentException(
                $"{count} images need {count * imageLength} values; the destination holds {images.Length}.",
                nameof(images)
            );

        var blocks = Math.Min(threads, Math.Max(count, 1));
        Parallel.For(0, blocks, new ParallelOptions { MaxDegreeOfParallelism = blocks }, block =>
        {
            var computer = block == 0 ? probe : new SpectrogramComputer(settings, samplesPerComponent);
            var start = (int)((long)count * block / blocks);
            var end = (int)((long)count * (block + 1) / blocks);
            for (var i = start; i < end; i++)
                computer.ComputeImage(
                    traces.Span.Slice(i * traceLength, traceLength),
                    images.Span.Slice(i * imageLength, imageLength),
                    traceNames[i]
                );
        });
    }
}
