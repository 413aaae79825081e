namespace QuakePrune.Pruning;

/// <summary>L2-norm importance of channels: a filter's (or neuron's) norm; for coupled groups the root of the summed squared norms of every producer's slice.</summary>
public static class Importance
{
    /// <param name="weightOf">The float32 values of a layer's weight (<c>{layer}.weight</c>), output channels first, row-major.</param>
    public static Dictionary<string, double[]> Of(IEnumerable<ChannelGroup> groups, Func<string, ReadOnlyMemory<float>> weightOf)
    {
        var result = new Dictionary<string, double[]>();
        foreach (var group in groups)
        {
            var sumSquares = new double[group.Channels];
            foreach (var producer in group.Producers)
            {
                var weight = weightOf(producer.Layer).Span;
                if (weight.Length % group.Channels != 0)
                    throw new InvalidDataException($"{producer.Layer}.weight has {weight.Length} values, not a multiple of its {group.Channels} output channels");
                var slice = weight.Length / group.Channels;
                for (var c = 0; c < group.Channels; c++)
                {
                    double s = 0;
                    foreach (var v in weight.Slice(c * slice, slice)) s += (double)v * v;
                    sumSquares[c] += s;
                }
            }
            result[group.Name] = sumSquares.Select(Math.Sqrt).ToArray();
        }
        return result;
    }
}
