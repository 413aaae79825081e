using System.Globalization;

namespace QuakePrune.Picking;

/// <summary>A waveform run's history.csv: one row per finished epoch, rewritten whole (atomically) after each; an undefined F1 is an empty cell.</summary>
public static class PickingHistory
{
    public const string Header = "epoch,learning_rate,train_loss,dev_loss,dev_detection_f1,dev_p_f1,dev_s_f1,traces_per_second,seconds,best";

    public static void Write(string path, IReadOnlyList<WaveformEpochRecord> records) =>
        AtomicFile.WriteAllText(path, CsvText.Write(Header.Split(','), records.Select(r => new[]
        {
            r.Epoch.ToString(CultureInfo.InvariantCulture), Number(r.LearningRate), Number(r.TrainLoss), Number(r.DevLoss), Optional(r.DevDetectionF1),
            Optional(r.DevPF1), Optional(r.DevSF1), Number(r.TracesPerSecond), Number(r.Seconds), r.Best ? "1" : "0",
        })));

    public static List<WaveformEpochRecord> Read(string path)
    {
        var lines = File.ReadAllLines(path);
        if (lines.Length == 0 || lines[0] != Header) throw new InvalidDataException($"{path}: not a waveform training history (expected the header '{Header}')");
        var records = new List<WaveformEpochRecord>();
        for (var i = 1; i < lines.Length; i++)
        {
            if (lines[i].Length == 0) continue;
            var f = lines[i].Split(',');
            if (f.Length != 10) throw new InvalidDataException($"{path}: line {i + 1} has {f.Length} fields, expected 10");
            try
            {
                double D(int k) => double.Parse(f[k], NumberStyles.Float, CultureInfo.InvariantCulture);
                double? O(int k) => f[k].Length == 0 ? null : D(k);
                records.Add(new WaveformEpochRecord(int.Parse(f[0], CultureInfo.InvariantCulture), D(1), D(2), D(3), O(4), O(5), O(6), D(7), D(8), f[9] == "1"));
            }
            catch (FormatException e)
            {
                throw new InvalidDataException($"{path}: line {i + 1}: {e.Message}", e);
            }
        }
        return records;
    }

    private static string Number(double value) => value.ToString("G6", CultureInfo.InvariantCulture);
    private static string Optional(double? value) => value is { } v ? Number(v) : "";
}
