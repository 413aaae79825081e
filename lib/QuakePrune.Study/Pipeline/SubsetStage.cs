using QuakePrune.Extract;
using QuakePrune.Synth;

namespace QuakePrune.Pipeline;

/// <summary>
/// Stage 01: a balanced, leak-free subset of STEAD (real chunks, or synthetic STEAD made once per run).
/// </summary>
public static class SubsetStage
{
    /// <summary>
    /// The STEAD prefixes to draw from: the given real ones, else the run's synthetic STEAD (written if absent).
    /// </summary>
    public static IReadOnlyList<string> Sources(Preset preset, StudyPaths paths, string steadPrefixes)
    {
        var real = steadPrefixes.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (real.Length > 0)
            return real;
        if (preset.SynthTraces == 0)
            throw new ArgumentException(
                $"preset '{preset.Name}' runs on the real STEAD: give its chunk prefixes (e.g. /data/stead/chunk1,/data/stead/chunk2)"
            );
        var prefix = paths.SyntheticPrefix;
        if (!File.Exists(prefix + ".hdf5") || !File.Exists(prefix + ".csv"))
        {
            Directory.CreateDirectory(Path.GetDirectoryName(prefix)!);
            SyntheticStead.Write(
                prefix,
                new SynthOptions
                {
                    Traces = preset.SynthTraces,
                    NoiseFraction = preset.SynthNoiseFraction,
                    Seed = preset.Seed,
                    Overwrite = true,
                }
            );
        }
        return [prefix];
    }

    public static ExtractSummary Run(Preset preset, StudyPaths paths, string steadPrefixes = "") =>
        SubsetExtractor.Extract(
            new ExtractOptions
            {
                Inputs = Sources(preset, paths, steadPrefixes),
                OutputDirectory = paths.Subset,
                PerClass = preset.PerClass,
                MinSnrDb = double.IsFinite(preset.MinSnrDb) ? preset.MinSnrDb : null,
                Seed = preset.Seed,
                Overwrite = true,
            }
        );
}
