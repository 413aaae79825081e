using System.Globalization;
using System.Text;

namespace QuakePrune.Training;

/// <summary>history.csv: one row per finished epoch, rewritten whole (atomically) after each.</summary>
public static class History
{
    public const string Header =
        "epoch,learning_rate,train_loss,train_accuracy,dev_loss,dev_accuracy,dev_precision,dev_recall,dev_f1,images_per_second,seconds,best";

    public static void Write(string path, IReadOnlyList<EpochRecord> records)
    {
        AtomicFile.WriteAllText(path, CsvText.Write(Header.Split(','), records.Select(r => new[]
        {
            r.Epoch.ToString(CultureInfo.InvariantCulture), Number(r.LearningRate), Number(r.TrainLoss), Number(r.TrainAccuracy), Number(r.DevLoss),
            Number(r.DevAccuracy), Number(r.DevPrecision), Number(r.DevRecall), Number(r.DevF1), Number(r.ImagesPerSecond), Number(r.Seconds), r.Best ? "1" : "0",
        })));
    }

    public static List<EpochRecord> Read(string path)
    {
        var lines = File.ReadAllLines(path);
        if (lines.Length == 0 || lines[0] != Header) throw new InvalidDataException($"{path}: not a training history (expected the header '{Header}')");
        var records = new List<EpochRecord>();
        for (var i = 1; i < lines.Length; i++)
        {
            if (lines[i].Length == 0) continue;
            var f = lines[i].Split(',');
            if (f.Length != 12) throw new InvalidDataException($"{path}: line {i + 1} has {f.Length} fields, expected 12");
            try
            {
                double D(int k) => double.Parse(f[k], CultureInfo.InvariantCulture);
                records.Add(new EpochRecord(int.Parse(f[0], CultureInfo.InvariantCulture), D(1), D(2), D(3), D(4), D(5), D(6), D(7), D(8), D(9), D(10),
                    f[11] == "1"));
            }
            catch (FormatException e)
            {
                throw new InvalidDataException($"{path}: line {i + 1}: {e.Message}", e);
            }
        }
        return records;
    }

    private static string Number(double value) => value.ToString("G6", CultureInfo.InvariantCulture);
}
