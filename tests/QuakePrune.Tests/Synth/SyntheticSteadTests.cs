using QuakePrune.Stead;
using QuakePrune.Synth;

namespace QuakePrune.Tests.Synth;

public class SyntheticSteadTests
{
    [Fact]
    public void Same_seed_same_files_whatever_the_threads()
    {
        using var dir = new TempDir();
        SyntheticStead.Write(
            dir.File("a"),
            new SynthOptions
            {
                Traces = 60,
                Seed = 9,
                Threads = 1,
            }
        );
        SyntheticStead.Write(
            dir.File("b"),
            new SynthOptions
            {
                Traces = 60,
                Seed = 9,
                Threads = 4,
            }
        );
        SyntheticStead.Write(dir.File("c"), new SynthOptions { Traces = 60, Seed = 10 });
        Assert.Equal(File.ReadAllText(dir.File("a.csv")), File.ReadAllText(dir.File("b.csv")));
        Assert.NotEqual(File.ReadAllText(dir.File("a.csv")), File.ReadAllText(dir.File("c.csv")));
        using var a = SteadPair.Open(dir.File("a"));
        using var b = SteadPair.Open(dir.File("b"));
        foreach (var row in a.Records())
            Assert.Equal(a.ReadWaveform(row), b.ReadWaveform(row));
        Assert.Empty(Directory.GetFiles(dir.Path, "*.tmp-*"));
    }

    [Fact]
    public void Traces_are_stead_shaped_and_physically_consistent()
    {
        using var dir = new TempDir();
        var summary = SyntheticStead.Write(
            dir.File("s"),
            new SynthOptions
            {
                Traces = 300,
                NoiseFraction = 0.4,
                Seed = 2,
            }
        );
        Assert.Equal(180, summary.Earthquakes);
        Assert.Equal(120, summary.Noise);
        using var pair = SteadPair.Open(dir.File("s"));
        var rows = pair.Records().ToList();
        Assert.Equal(rows.Count, rows.Select(r => r.TraceName).Distinct().Count());
        var quakes = rows.Where(r => r.IsEarthquake).ToList();
        Assert.All(quakes, r => Assert.EndsWith("_EV", r.TraceName));
        Assert.All(rows.Where(r => !r.IsEarthquake), r => Assert.EndsWith("_NO", r.TraceName));
        Assert.All(rows.Where(r => !r.IsEarthquake), r => Assert.Null(r.SnrDb));
        Assert.True(quakes.GroupBy(r => r.SourceId).Any(g => g.Count() > 1), "events are recorded at several stations");
        var zPEnergy = 0.0;
        var hPEnergy = 0.0;
        var hSEnergy = 0.0;
        var zSEnergy = 0.0;
        foreach (var r in quakes)
        {
            Assert.InRange(r.PArrivalSample!.Value, 500, 1000);
            var sMinusP = (r.SArrivalSample!.Value - r.PArrivalSample.Value) / 100.0;
            var hypocentral = Math.Sqrt(
                r.SourceDistanceKm!.Value * r.SourceDistanceKm.Value + r.SourceDepthKm!.Value * r.SourceDepthKm.Value
            );
            Assert.InRange(
                sMinusP,
                hypocentral * (1 / 3.75 - 1 / 5.58) - 0.05,
                hypocentral * (1 / 3.25 - 1 / 6.42) + 0.05
            );
            Assert.InRange(r.CodaEndSample!.Value, r.SArrivalSample.Value, 5999);
            Assert.Equal(3, r.SnrDb!.Length);
            var w = pair.ReadWaveform(r);
            var p = (int)r.PArrivalSample.Value;
            var s = (int)r.SArrivalSample.Value;
            // The SNR written is the waveform's: signal from P to the coda's end over the noise before P.
            var end = (int)r.CodaEndSample.Value;
            for (var c = 0; c < 3; c++)
            {
                double signal = 0,
                    noise = 0;
                for (var i = p; i < end; i++)
                    signal += w[3 * i + c] * (double)w[3 * i + c];
                for (var i = 0; i < p; i++)
                    noise += w[3 * i + c] * (double)w[3 * i + c];
                Assert.Equal(10 * Math.Log10(signal / (end - p) / (noise / p)), r.SnrDb[c], 0.06);
            }
            for (var i = p; i < Math.Min(s, p + 150); i++)
            {
                zPEnergy += w[3 * i + 2] * (double)w[3 * i + 2];
                hPEnergy += (w[3 * i] * (double)w[3 * i] + w[3 * i + 1] * (double)w[3 * i + 1]) / 2;
            }
            for (var i = s; i < Math.Min(6000, s + 300); i++)
            {
                zSEnergy += w[3 * i + 2] * (double)w[3 * i + 2];
                hSEnergy += (w[3 * i] * (double)w[3 * i] + w[3 * i + 1] * (double)w[3 * i + 1]) / 2;
            }
        }
        Assert.True(zPEnergy > 2 * hPEnergy, "P is strongest on Z");
        Assert.True(hSEnergy > 2 * zSEnergy, "S is strongest on the horizontals");
        var snr = quakes.Select(r => r.MeanSnrDb!.Value).Order().ToList();
        Assert.True(snr[snr.Count / 10] < 8, "a tail of low-SNR events");
        Assert.True(snr[snr.Count / 2] > 10, "most events stand out of the noise");
    }
}
