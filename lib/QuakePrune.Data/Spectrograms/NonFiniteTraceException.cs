namespace QuakePrune.Spectrograms;

/// <summary>A trace holds NaN or infinity, so no honest image can be made from it.</summary>
public sealed class NonFiniteTraceException(string traceName, int sample, int component, float value)
    : Exception(
        $"Trace '{traceName}' has a non-finite value ({value}) at sample {sample} of component {SpectrogramComputer.ComponentNames[component]}; no spectrogram was made."
    )
{
    public string TraceName { get; } = traceName;
    public int Sample { get; } = sample;

    /// <summary>0 = E, 1 = N, 2 = Z.</summary>
    public int Component { get; } = component;
}
