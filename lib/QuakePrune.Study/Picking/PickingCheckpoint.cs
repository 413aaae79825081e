using QuakePrune.Models;
using QuakePrune.Torch;
using QuakePrune.Training;

namespace QuakePrune.Picking;

/// <summary>
/// Waveform pickers as checkpoints: the metadata they carry, and loading one with the picker contract checked.
/// </summary>
public static class PickingCheckpoint
{
    /// <summary>
    /// A picker's metadata: its architecture and notes, no spectrogram settings. <see cref="ModelInfo"/> carries an
    /// image size for every model; a picker's input is the fixed window of <see cref="WaveformPreprocessing"/>, given
    /// here as 1 x 1 so that no image path mistakes it for a spectrogram size.
    /// </summary>
    public static ModelInfo Info(Architecture architecture, IReadOnlyDictionary<string, string> notes) =>
        new ModelInfo(architecture, new ImageSize(1, 1), notes).WithSpectrogram(null);

    /// <summary>Loads a checkpoint and refuses it, naming it, unless it is a waveform picker.</summary>
    public static LoadedModel Load(string path, Device? device = null)
    {
        var info = Checkpoint.ReadInfo(path);
        PickingNetwork.Require(info.Architecture, path);
        return Checkpoint.Load(path, device);
    }

    /// <summary>
    /// Whether the checkpoint at <paramref name="path"/> is a waveform picker (its header alone is read).
    /// </summary>
    public static bool IsPicker(string path) => PickingNetwork.IsPicker(Checkpoint.ReadInfo(path).Architecture);
}
