using QuakePrune.Models;
using QuakePrune.Spectrograms;

namespace QuakePrune.Training;

/// <summary>
/// The spectrogram settings a checkpoint records, typed. <see cref="ModelInfo"/> (QuakePrune.Core, which knows no
/// spectrograms) keeps them as notes under <see cref="ModelInfo.SpectrogramPrefix"/>, the keys
/// <see cref="SpectrogramSettings.ToMap"/> writes: the same metadata as when the settings were a field of their own.
/// </summary>
public static class SpectrogramNotes
{
    /// <summary>
    /// The settings that made the model's training images; null when it records none (a picker, an imported network).
    /// </summary>
    /// <exception cref="InvalidDataException">The notes under the prefix are not settings.</exception>
    public static SpectrogramSettings? Spectrogram(this ModelInfo info)
    {
        if (!info.Notes.Keys.Any(IsSpectrogramKey))
            return null;
        try
        {
            return SpectrogramSettings.FromMap(info.Notes, ModelInfo.SpectrogramPrefix);
        }
        catch (Exception e) when (e is ArgumentException or FormatException)
        {
            throw new InvalidDataException($"the checkpoint's spectrogram settings: {e.Message}", e);
        }
    }

    /// <summary>
    /// <paramref name="info"/> recording <paramref name="settings"/> in place of any it recorded; none when null.
    /// </summary>
    public static ModelInfo WithSpectrogram(this ModelInfo info, SpectrogramSettings? settings)
    {
        var notes = info.Notes.Where(kv => !IsSpectrogramKey(kv.Key)).ToDictionary(kv => kv.Key, kv => kv.Value);
        if (settings is not null)
            foreach (var (key, value) in settings.ToMap(ModelInfo.SpectrogramPrefix))
                notes[key] = value;
        return info with { Notes = notes };
    }

    private static bool IsSpectrogramKey(string key) =>
        key.StartsWith(ModelInfo.SpectrogramPrefix, StringComparison.Ordinal);
}
