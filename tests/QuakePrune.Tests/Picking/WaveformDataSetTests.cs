using QuakePrune.Extract;
using QuakePrune.Picking;
using QuakePrune.Stead;

namespace QuakePrune.Tests.Picking;

public class WaveformDataSetTests
{
    private const int Samples = WaveformPreprocessing.Samples;
    private const int Window = WaveformPreprocessing.WindowLength;

    [Fact]
    public void Batches_hold_preprocessed_windows_and_their_labels()
    {
        using var dir = new TempDir();
        var subset = TestSubsets.Make(dir, 30, 3);
        using var data = WaveformDataSet.Open(subset);
        Assert.Equal(30, data.Count);
        var batches = data.Epoch(new WaveformLoaderOptions { Split = "train", BatchSize = 4 }, 0).ToList();
        Assert.Equal([4, 4, 2], batches.Select(b => b.Count));
        Assert.Equal(data.RowsOf("train").Order(), batches.SelectMany(b => b.Rows).Order());
        foreach (var batch in batches)
        {
            Assert.Equal(batch.Count * Window, batch.Inputs.Length);
            Assert.Equal(batch.Count * Samples, batch.Detection.Length);
            for (var i = 0; i < batch.Count; i++)
            {
                var trace = data.Rows[batch.Rows[i]];
                Assert.Equal(trace.TraceName, batch.TraceNames[i]);
                var expected = new float[Window];
                WaveformPreprocessing.FromStead(
                    TestSubsets.Waveform(subset, trace.TraceName),
                    expected,
                    trace.TraceName
                );
                Assert.Equal(expected, batch.Inputs.AsSpan(i * Window, Window).ToArray());
                var (d, p, s) = (new float[Samples], new float[Samples], new float[Samples]);
                PhaseLabels.Write(trace.Truth, data.Labels, d, p, s, trace.TraceName);
                Assert.Equal(d, batch.Detection.AsSpan(i * Samples, Samples).ToArray());
                Assert.Equal(p, batch.P.AsSpan(i * Samples, Samples).ToArray());
                Assert.Equal(s, batch.S.AsSpan(i * Samples, Samples).ToArray());
            }
        }
        Assert.Contains(batches.SelectMany(b => b.Rows), r => data.Rows[r].Truth.IsEarthquake);
        Assert.Contains(batches.SelectMany(b => b.Rows), r => !data.Rows[r].Truth.IsEarthquake);
    }

    [Fact]
    public void The_order_depends_only_on_seed_and_epoch()
    {
        using var dir = new TempDir();
        using var data = WaveformDataSet.Open(TestSubsets.Make(dir, 60, 4));
        var options = new WaveformLoaderOptions { Split = "train", Seed = 7 };
        Assert.Equal(data.Order(options, 0), data.Order(options, 0));
        Assert.NotEqual(data.Order(options, 0), data.Order(options, 1));
        Assert.NotEqual(data.Order(options, 0), data.Order(options with { Seed = 8 }, 0));
        Assert.Equal(data.RowsOf("train"), data.Order(options with { Shuffle = false }, 3));
        Assert.Equal(3, data.Epoch(options with { BatchSize = 6, DropLast = true }, 0).Count());
    }

    [Fact]
    public void In_order_serves_every_row_of_the_subset_in_its_order()
    {
        using var dir = new TempDir();
        using var data = WaveformDataSet.Open(TestSubsets.Make(dir, 11, 5));
        var batches = data.InOrder(4).ToList();
        Assert.Equal(Enumerable.Range(0, 11), batches.SelectMany(b => b.Rows));
        Assert.Equal(data.Rows.Select(r => r.TraceName), batches.SelectMany(b => b.TraceNames));
        Assert.Equal(new[] { "train", "dev", "test" }, data.Rows.Take(3).Select(r => r.Split));
        using var tensors = new DisposableTensors(batches[0]);
        Assert.Equal([4L, 3, Samples], tensors.Input.shape);
        Assert.Equal([4L, Samples], tensors.S.shape);
    }

    private sealed class DisposableTensors : IDisposable
    {
        public readonly QuakePrune.Torch.Tensor Input,
            Detection,
            P,
            S;

        public DisposableTensors(WaveformBatch batch) => (Input, Detection, P, S) = batch.ToTensors();

        public void Dispose()
        {
            Input.Dispose();
            Detection.Dispose();
            P.Dispose();
            S.Dispose();
        }
    }

    [Fact]
    public void Augmentation_is_off_by_default_and_seeded_when_on()
    {
        using var dir = new TempDir();
        using var data = WaveformDataSet.Open(TestSubsets.Make(dir, 30, 6));
        var plain = new WaveformLoaderOptions
        {
            Split = "train",
            BatchSize = 100,
            Seed = 3,
        };
        var augmented = plain with
        {
            Augmentation = new WaveformAugmentOptions
            {
                ShiftProbability = 1,
                NoiseProbability = 1,
                DropChannelProbability = 1,
                MinimumSnrDb = -100,
            },
        };
        var a = data.Epoch(plain, 0).Single();
        var b = data.Epoch(augmented, 0).Single();
        var c = data.Epoch(augmented, 0).Single();
        var d = data.Epoch(augmented, 1).Single();
        Assert.Equal(a.Rows, b.Rows);
        Assert.NotEqual(a.Inputs, b.Inputs);
        Assert.Equal(b.Inputs, c.Inputs);
        Assert.Equal(b.P, c.P);
        Assert.NotEqual(b.Inputs, d.Inputs);
        Assert.Equal(
            a.Inputs,
            data.Epoch(plain with { Augmentation = new WaveformAugmentOptions() }, 0).Single().Inputs
        );
    }

    [Fact]
    public void A_bad_subset_is_refused_when_opened()
    {
        using var dir = new TempDir();
        Assert.Throws<DirectoryNotFoundException>(() => WaveformDataSet.Open(dir.File("nowhere")));
        var subset = TestSubsets.Make(dir, 12, 7, r => r.IsEarthquake ? r with { CodaEndSample = null } : r);
        var e = Assert.Throws<InvalidDataException>(() => WaveformDataSet.Open(subset));
        Assert.Contains("coda_end_sample", e.Message);
        Assert.Contains("_EV'", e.Message);
        using var data = WaveformDataSet.Open(TestSubsets.Make(dir, 12, 7, name: "ok"));
        Assert.Throws<ArgumentException>(() => data.RowsOf("validation"));
        Assert.Throws<ArgumentException>(() =>
            data.Epoch(new WaveformLoaderOptions { Split = "train", BatchSize = 0 }, 0)
        );
        Assert.Throws<ArgumentException>(() =>
            data.Epoch(
                new WaveformLoaderOptions
                {
                    Split = "train",
                    Augmentation = new WaveformAugmentOptions { ShiftProbability = 2 },
                },
                0
            )
        );
    }

    [Fact]
    public void A_subset_without_a_split_column_is_refused()
    {
        using var dir = new TempDir();
        var subset = TestSubsets.Make(dir, 6, 8);
        var rows = SteadCsv.ReadAll(Path.Combine(subset, SubsetExtractor.CsvName));
        SteadCsv.Write(Path.Combine(subset, SubsetExtractor.CsvName), rows);
        var e = Assert.Throws<InvalidDataException>(() => WaveformDataSet.Open(subset));
        Assert.Contains("'split'", e.Message);
    }
}
