using System.Globalization;

namespace QuakePrune.Training;

/// <summary>What every trainer's history row holds; each trainer's row adds its own train and dev measures.</summary>
public abstract record EpochRow(
    int Epoch,
    double LearningRate,
    double TrainLoss,
    double DevLoss,
    double Seconds,
    bool Best
);

/// <summary>
/// A history.csv layout: one row per finished epoch, rewritten whole (atomically) after each, so an interrupted run
/// keeps the rows of its finished epochs. Numbers are written with six significant digits; an undefined one is an empty
/// cell.
/// </summary>
public sealed class HistoryFile<TRecord>(
    string header,
    string kind,
    Func<TRecord, string[]> cells,
    Func<HistoryFile<TRecord>.Fields, TRecord> parse
)
    where TRecord : EpochRow
{
    private readonly string[] columns = header.Split(',');

    public string Header => header;

    public void Write(string path, IReadOnlyList<TRecord> records) =>
        AtomicFile.WriteAllText(path, CsvText.Write(columns, records.Select(cells)));

    public List<TRecord> Read(string path)
    {
        var lines = File.ReadAllLines(path);
        if (lines.Length == 0 || lines[0] != header)
            throw new InvalidDataException($"{path}: not a {kind} (expected the header '{header}')");
        var records = new List<TRecord>();
        for (var i = 1; i < lines.Length; i++)
        {
            if (lines[i].Length == 0)
                continue;
            var f = lines[i].Split(',');
            if (f.Length != columns.Length)
                throw new InvalidDataException(
                    $"{path}: line {i + 1} has {f.Length} fields, expected {columns.Length}"
                );
            try
            {
                records.Add(parse(new Fields(f)));
            }
            catch (FormatException e)
            {
                throw new InvalidDataException($"{path}: line {i + 1}: {e.Message}", e);
            }
        }
        return records;
    }

    /// <summary>One row's cells, read by column index.</summary>
    public readonly struct Fields(string[] cells)
    {
        public int Int(int k) => int.Parse(cells[k], CultureInfo.InvariantCulture);

        public double Double(int k) => double.Parse(cells[k], NumberStyles.Float, CultureInfo.InvariantCulture);

        public double? Optional(int k) => cells[k].Length == 0 ? null : Double(k);

        public bool Flag(int k) => cells[k] == "1";
    }
}

/// <summary>How <see cref="HistoryFile{TRecord}"/> cells are written.</summary>
public static class HistoryCells
{
    public static string Number(int value) => value.ToString(CultureInfo.InvariantCulture);

    public static string Number(double value) => value.ToString("G6", CultureInfo.InvariantCulture);

    public static string Optional(double? value) => value is { } v ? Number(v) : "";

    public static string Flag(bool value) => value ? "1" : "0";
}

/// <summary>
/// The classifier's history.csv (<see cref="Trainer"/>, retraining), read by the notebooks' training curves.
/// </summary>
public static class History
{
    public const string Header =
        "epoch,learning_rate,train_loss,train_accuracy,dev_loss,dev_accuracy,dev_precision,dev_recall,dev_f1,images_per_second,seconds,best";

    public static readonly HistoryFile<EpochRecord> Layout = new(
        Header,
        "training history",
        r =>
            [
                HistoryCells.Number(r.Epoch),
                HistoryCells.Number(r.LearningRate),
                HistoryCells.Number(r.TrainLoss),
                HistoryCells.Number(r.TrainAccuracy),
                HistoryCells.Number(r.DevLoss),
                HistoryCells.Number(r.DevAccuracy),
                HistoryCells.Number(r.DevPrecision),
                HistoryCells.Number(r.DevRecall),
                HistoryCells.Number(r.DevF1),
                HistoryCells.Number(r.ImagesPerSecond),
                HistoryCells.Number(r.Seconds),
                HistoryCells.Flag(r.Best),
            ],
        f => new EpochRecord(
            f.Int(0),
            f.Double(1),
            f.Double(2),
            f.Double(3),
            f.Double(4),
            f.Double(5),
            f.Double(6),
            f.Double(7),
            f.Double(8),
            f.Double(9),
            f.Double(10),
            f.Flag(11)
        )
    );

    public static void Write(string path, IReadOnlyList<EpochRecord> records) => Layout.Write(path, records);

    public static List<EpochRecord> Read(string path) => Layout.Read(path);
}
