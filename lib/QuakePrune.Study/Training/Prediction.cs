using System.Globalization;
using System.Text;
using QuakePrune.Inference;
using QuakePrune.Spectrograms;
using QuakePrune.Stead;

namespace QuakePrune.Training;

/// <summary>One line of predictions.csv; <see cref="Split"/> is empty when unknown.</summary>
public sealed record PredictionRow(string TraceName, int Label, float PEarthquake, string Split);

/// <summary>
/// p(earthquake) and the decision for every trace of a spectrogram file or of raw STEAD-format traces.
/// </summary>
public static class Prediction
{
    public const string Header = "trace_name,label,p_earthquake,split";

    /// <summary>Rows of a data set (one split, or all) in file order.</summary>
    public static List<PredictionRow> FromDataSet(
        IBatchClassifier classifier,
        IImageDataSet data,
        string? split,
        double threshold,
        int batchSize = 64
    )
    {
        var rows = split is null ? Enumerable.Range(0, data.Labels.Count).ToArray() : data.IndicesOf(split);
        if (rows.Length == 0)
            throw new InvalidDataException($"{data.Source}: no images{(split is null ? "" : $" in split '{split}'")}");
        var length = data.Channels * data.Height * data.Width;
        var result = new List<PredictionRow>(rows.Length);
        for (var start = 0; start < rows.Length; start += batchSize)
        {
            var chunk = rows[start..Math.Min(rows.Length, start + batchSize)];
            var images = new float[chunk.Length * length];
            data.ReadImages(chunk, images);
            var p = classifier.ProbabilityOfEarthquake(images, chunk.Length);
            for (var k = 0; k < chunk.Length; k++)
                result.Add(
                    new PredictionRow(data.TraceNames[chunk[k]], p[k] >= threshold ? 1 : 0, p[k], data.Splits[chunk[k]])
                );
        }
        return result;
    }

    /// <summary>
    /// Rows of raw STEAD-format traces (each prefix a PREFIX.hdf5 + PREFIX.csv pair), in CSV order; the spectrograms
    /// are made here with <paramref name="settings"/> (the model's). The split comes from a `split` column when the CSV
    /// has one.
    /// </summary>
    public static List<PredictionRow> FromTraces(
        IBatchClassifier classifier,
        IEnumerable<string> prefixes,
        SpectrogramSettings settings,
        ImageSize inputSize,
        double threshold,
        int batchSize = 64
    )
    {
        var computer = new SpectrogramComputer(settings);
        if (computer.ImageHeight != inputSize.Height || computer.ImageWidth != inputSize.Width)
            throw new InvalidDataException(
                $"the model's spectrogram settings make {computer.ImageHeight}x{computer.ImageWidth} images but it takes {inputSize} input"
            );
        var result = new List<PredictionRow>();
        var images = new float[batchSize * computer.ImageLength];
        var pending = new List<(string Name, string Split)>(batchSize);
        void Flush()
        {
            if (pending.Count == 0)
                return;
            var p = classifier.ProbabilityOfEarthquake(
                pending.Count == batchSize ? images : images[..(pending.Count * computer.ImageLength)],
                pending.Count
            );
            for (var k = 0; k < pending.Count; k++)
                result.Add(new PredictionRow(pending[k].Name, p[k] >= threshold ? 1 : 0, p[k], pending[k].Split));
            pending.Clear();
        }
        foreach (var prefix in prefixes)
        {
            using var pair = SteadPair.Open(prefix);
            foreach (var trace in pair.Traces())
            {
                computer.ComputeImage(
                    trace.Waveform,
                    images.AsSpan(pending.Count * computer.ImageLength, computer.ImageLength),
                    trace.Record.TraceName
                );
                pending.Add((trace.Record.TraceName, trace.Record.ExtraValue("split") ?? ""));
                if (pending.Count == batchSize)
                    Flush();
            }
        }
        Flush();
        return result;
    }

    public static void WriteCsv(string path, IEnumerable<PredictionRow> rows)
    {
        AtomicFile.WriteAllText(
            path,
            CsvText.Write(
                Header.Split(','),
                rows.Select(row =>
                    new[]
                    {
                        row.TraceName,
                        row.Label.ToString(CultureInfo.InvariantCulture),
                        row.PEarthquake.ToString("R", CultureInfo.InvariantCulture),
                        row.Split,
                    }
                )
            )
        );
    }
}
