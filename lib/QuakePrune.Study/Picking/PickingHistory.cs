using QuakePrune.Training;

namespace QuakePrune.Picking;

/// <summary>
/// A waveform run's history.csv (<see cref="HistoryFile{TRecord}"/>); an undefined F1 is an empty cell.
/// </summary>
public static class PickingHistory
{
    public const string Header =
        "epoch,learning_rate,train_loss,dev_loss,dev_detection_f1,dev_p_f1,dev_s_f1,traces_per_second,seconds,best";

    public static readonly HistoryFile<WaveformEpochRecord> Layout = new(
        Header,
        "waveform training history",
        r =>
            [
                HistoryCells.Number(r.Epoch),
                HistoryCells.Number(r.LearningRate),
                HistoryCells.Number(r.TrainLoss),
                HistoryCells.Number(r.DevLoss),
                HistoryCells.Optional(r.DevDetectionF1),
                HistoryCells.Optional(r.DevPF1),
                HistoryCells.Optional(r.DevSF1),
                HistoryCells.Number(r.TracesPerSecond),
                HistoryCells.Number(r.Seconds),
                HistoryCells.Flag(r.Best),
            ],
        f => new WaveformEpochRecord(
            f.Int(0),
            f.Double(1),
            f.Double(2),
            f.Double(3),
            f.Optional(4),
            f.Optional(5),
            f.Optional(6),
            f.Double(7),
            f.Double(8),
            f.Flag(9)
        )
    );

    public static void Write(string path, IReadOnlyList<WaveformEpochRecord> records) => Layout.Write(path, records);

    public static List<WaveformEpochRecord> Read(string path) => Layout.Read(path);
}
