using System.Diagnostics;
using QuakePrune.Outputs;
using QuakePrune.Stead;

namespace QuakePrune.Synth;

/// <summary>What <see cref="SyntheticStead.Write"/> makes.</summary>
public sealed record SynthOptions
{
    public int Traces { get; init; } = 1000;

    /// <summary>Fraction of noise traces (the rest are earthquakes).</summary>
    public double NoiseFraction { get; init; } = 0.5;
    public ulong Seed { get; init; } = 1;

    /// <summary>Threads making waveforms (the HDF5 writer is one); the output does not depend on it.</summary>
    public int Threads { get; init; } = Environment.ProcessorCount;

    /// <summary>Replace existing PREFIX.hdf5 / PREFIX.csv.</summary>
    public bool Overwrite { get; init; }
}

public sealed record SynthSummary(
    string Hdf5Path,
    string CsvPath,
    int Earthquakes,
    int Noise,
    int Events,
    double Seconds
);

/// <summary>
/// Writes a synthetic data set in STEAD's exact format (`PREFIX.hdf5` + `PREFIX.csv`): earthquakes recorded at
/// several stations (shared source_id) with P and S onsets from distance (Vp ~6, Vs ~3.5 km/s), amplitudes from
/// magnitude and distance, P strongest on Z and S on the horizontals, 1-20 Hz energy and an exponential coda ending at
/// coda_end_sample; noise with microseism, coloured background, and event-like transients and glitches. SNR spans
/// STEAD's range with a low-SNR tail, so the classification task is not trivial. Deterministic by seed.
/// </summary>
public static class SyntheticStead
{
    private const double Vp = 6.0,
        Vs = 3.5;
    private const double Fs = SteadLayout.SamplingRateHz;

    /// <summary>Writes `PREFIX.hdf5` and `PREFIX.csv` (to temporary names, renamed when complete).</summary>
    public static SynthSummary Write(string prefix, SynthOptions options)
    {
        if (options.Traces <= 0)
            throw new ArgumentException($"synth: --traces must be positive, got {options.Traces}");
        if (!(options.NoiseFraction is >= 0 and <= 1))
            throw new ArgumentException($"synth: --noise-fraction must be in 0..1, got {options.NoiseFraction}");
        var clock = Stopwatch.StartNew();
        var (hdf5, csv) = SteadPair.Paths(prefix);
        using var outputs = new OutputSet("synth", options.Overwrite, []);
        var (tmpHdf5, tmpCsv) = (outputs.File(hdf5), outputs.File(csv));
        var plan = Catalogue.Plan(options);
        {
            using (var writer = new SteadWriter(tmpHdf5, tmpCsv))
            {
                const int batch = 256;
                var buffers = new float[Math.Min(batch, plan.Traces.Count)][];
                for (var i = 0; i < buffers.Length; i++)
                    buffers[i] = new float[SteadLayout.Values];
                var records = new SteadRecord[buffers.Length];
                var parallel = new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, options.Threads) };
                for (var start = 0; start < plan.Traces.Count; start += batch)
                {
                    var count = Math.Min(batch, plan.Traces.Count - start);
                    Parallel.For(0, count, parallel, k =>
                    {
                        var rng = new Rng(options.Seed, (ulong)(start + k) + 1);
                        records[k] = Waveforms.Make(plan.Traces[start + k], buffers[k], ref rng);
                    });
                    for (var k = 0; k < count; k++)
                        writer.Write(records[k], buffers[k]);
                }
            }
            outputs.Publish();
        }
        var quakes = plan.Traces.Count(t => t.Event is not null);
        return new SynthSummary(hdf5, csv, quakes, plan.Traces.Count - quakes, plan.Events, clock.Elapsed.TotalSeconds);
    }

    internal sealed record Station(
        string Network,
        string Code,
        string Type,
        double Latitude,
        double Longitude,
        double Elevation,
        double NoiseLevel
    );

    internal sealed record Event(
        string SourceId,
        DateTime Origin,
        double Latitude,
        double Longitude,
        double DepthKm,
        double Magnitude,
        string MagnitudeType,
        string? MagnitudeAuthor,
        double OriginUncertainty,
        double ErrorSec,
        double GapDeg,
        double HorizontalUncertaintyKm,
        double? DepthUncertaintyKm
    );

    /// <summary>One planned trace: a station, a start time, and an event (null for noise).</summary>
    internal sealed record TracePlan(
        Station Station,
        Event? Event,
        DateTime Start,
        string Name,
        double PSample,
        double SSample,
        double DistanceKm,
        double BackAzimuth,
        double PTravel,
        string PStatus,
        string SStatus,
        double PWeight,
        double SWeight
    );

    internal sealed record CataloguePlan(List<TracePlan> Traces, int Events);

    /// <summary>
    /// Stations, events and noise windows, drawn sequentially from the seed (cheap; waveforms are the cost).
    /// </summary>
    internal static class Catalogue
    {
        private static readonly string[] Networks =
        [
            "CI",
            "TA",
            "NC",
            "UW",
            "AK",
            "US",
            "IU",
            "HV",
            "NN",
            "PB",
            "BK",
            "UU",
        ];
        private static readonly (string Type, double Weight)[] Types =
        [
            ("HH", 0.45),
            ("BH", 0.2),
            ("EH", 0.25),
            ("HN", 0.1),
        ];
        private static readonly string[] MagnitudeTypes = ["ml", "ml", "ml", "md", "mb", "mw"];
        private static readonly string[] Statuses = ["manual", "manual", "manual", "automatic", "autopicker"];
        private const string Alphanumeric = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789";

        public static CataloguePlan Plan(SynthOptions options)
        {
            var rng = new Rng(options.Seed, 0);
            var stations = MakeStations(ref rng, Math.Clamp(options.Traces / 25, 12, 400));
            var noise = (int)Math.Round(options.Traces * options.NoiseFraction);
            var quakes = options.Traces - noise;
            var traces = new List<TracePlan>(options.Traces);
            var names = new HashSet<string>();
            var events = 0;
            var epoch = new DateTime(2000, 1, 1, 0, 0, 0, DateTimeKind.Utc);
            while (traces.Count < quakes)
            {
                var ev = MakeEvent(ref rng, epoch, events++);
                var nearest = stations
                    .Select(s => (Station: s, Km: DistanceKm(ev.Latitude, ev.Longitude, s.Latitude, s.Longitude)))
                    .OrderBy(p => p.Km)
                    .Take(8)
                    .ToList();
                var recordings = Math.Min(
                    quakes - traces.Count,
                    1 + (int)Math.Floor(-Math.Log(1 - rng.NextDouble()) * 2.5)
                );
                for (var i = nearest.Count - 1; i > 0; i--)
                {
                    var j = rng.Next(0, i + 1);
                    (nearest[i], nearest[j]) = (nearest[j], nearest[i]);
                }
                foreach (var (station, km) in nearest.Take(recordings))
                {
                    var hypocentral = Math.Sqrt(km * km + ev.DepthKm * ev.DepthKm);
                    var vp = Vp * rng.Uniform(0.93, 1.07);
                    var vs = Vs * rng.Uniform(0.93, 1.07);
                    var pTravel = Math.Round(hypocentral / vp, 2);
                    var pSample = (double)rng.Next(500, 1001);
                    var sSample = Math.Round(pSample + (hypocentral / vs - hypocentral / vp) * Fs);
                    var start = ev.Origin.AddTicks((long)Math.Round((pTravel - pSample / Fs) * 100) * 100_000);
                    var name = $"{station.Code}.{station.Network}_{start:yyyyMMddHHmmss}_EV";
                    // The S onset and some coda must fit in the 60 s window.
                    if (sSample > SteadLayout.Samples - 600 || !names.Add(name))
                        continue;
                    traces.Add(
                        new TracePlan(
                            station,
                            ev,
                            start,
                            name,
                            pSample,
                            sSample,
                            km,
                            Bearing(station.Latitude, station.Longitude, ev.Latitude, ev.Longitude),
                            pTravel,
                            rng.Pick(Statuses),
                            rng.Pick(Statuses),
                            Math.Round(rng.Uniform(0.3, 1.0), 2),
                            Math.Round(rng.Uniform(0.3, 1.0), 2)
                        )
                    );
                }
            }
            while (traces.Count < options.Traces)
            {
                // Noise comes in station-days of a few windows, as STEAD's noise does.
                var station = rng.Pick(stations);
                var day = epoch.AddDays(rng.Next(0, 365 * 19));
                var windows = Math.Min(options.Traces - traces.Count, rng.Next(1, 5));
                for (var w = 0; w < windows; w++)
                {
                    var start = day.AddMinutes(rng.Next(0, 24 * 60)).AddTicks(rng.Next(0, 6000) * 100_000L);
                    var name = $"{station.Code}.{station.Network}_{start:yyyyMMddHHmm}_NO";
                    if (!names.Add(name))
                        continue;
                    traces.Add(new TracePlan(station, null, start, name, 0, 0, 0, 0, 0, "", "", 0, 0));
                }
            }
            // File order mixes classes and events, as a merged STEAD file would be read by trace.
            for (var i = traces.Count - 1; i > 0; i--)
            {
                var j = rng.Next(0, i + 1);
                (traces[i], traces[j]) = (traces[j], traces[i]);
            }
            return new CataloguePlan(traces, events);
        }

        private static List<Station> MakeStations(ref Rng rng, int count)
        {
            var stations = new List<Station>(count);
            var codes = new HashSet<string>();
            while (stations.Count < count)
            {
                var length = rng.Next(3, 6);
                var code = string.Create(length, rng.NextUInt64(), (span, bits) =>
                {
                    for (var i = 0; i < span.Length; i++, bits /= (ulong)Alphanumeric.Length)
                        span[i] = Alphanumeric[(int)(bits % (ulong)Alphanumeric.Length)];
                });
                var network = rng.Pick(Networks);
                if (!codes.Add(code + "." + network))
                    continue;
                var pick = rng.NextDouble();
                var type = Types[^1].Type;
                foreach (var (t, weight) in Types)
                {
                    if (pick < weight)
                    {
                        type = t;
                        break;
                    }
                    pick -= weight;
                }
                // Quiet and noisy sites: the background level spans more than a decade.
                stations.Add(
                    new Station(
                        network,
                        code,
                        type,
                        Math.Round(rng.Uniform(32, 38), 4),
                        Math.Round(rng.Uniform(-122, -115), 4),
                        Math.Round(rng.Uniform(0, 2500), 1),
                        Math.Pow(10, rng.Uniform(1.0, 2.6))
                    )
                );
            }
            return stations;
        }

        private static Event MakeEvent(ref Rng rng, DateTime epoch, int index)
        {
            // Gutenberg-Richter with b = 0.9 above M 1, capped: many small events, few large ones.
            var magnitude = Math.Round(Math.Min(1.0 - Math.Log10(1 - rng.NextDouble()) / 0.9, 6.0), 1);
            var id = rng.Chance(0.6)
                ? (8_000_000 + index * 37 + rng.Next(0, 37)).ToString(System.Globalization.CultureInfo.InvariantCulture)
                : $"{rng.Pick(new[] { "ci", "nc", "uw" })}{10_000_000 + index * 41 + rng.Next(0, 41)}";
            var origin = epoch.AddSeconds(rng.Next(0, 599_000_000)).AddTicks(rng.Next(0, 100) * 100_000L);
            return new Event(
                id,
                origin,
                Math.Round(rng.Uniform(32.3, 37.7), 4),
                Math.Round(rng.Uniform(-121.7, -115.3), 4),
                Math.Round(rng.Uniform(0.5, 25), 2),
                magnitude,
                rng.Pick(MagnitudeTypes),
                rng.Chance(0.3) ? "ci" : null,
                Math.Round(rng.Uniform(0.1, 1.5), 2),
                Math.Round(rng.Uniform(0.05, 1.2), 4),
                Math.Round(rng.Uniform(20, 250), 3),
                Math.Round(rng.Uniform(0.5, 9), 4),
                rng.Chance(0.5) ? null : Math.Round(rng.Uniform(0.3, 5), 2)
            );
        }

        internal static double DistanceKm(double lat1, double lon1, double lat2, double lon2)
        {
            const double radius = 6371.0;
            var p1 = lat1 * Math.PI / 180;
            var p2 = lat2 * Math.PI / 180;
            var dp = p2 - p1;
            var dl = (lon2 - lon1) * Math.PI / 180;
            var a =
                Math.Sin(dp / 2) * Math.Sin(dp / 2) + Math.Cos(p1) * Math.Cos(p2) * Math.Sin(dl / 2) * Math.Sin(dl / 2);
            return 2 * radius * Math.Asin(Math.Min(1, Math.Sqrt(a)));
        }

        private static double Bearing(double lat1, double lon1, double lat2, double lon2)
        {
            var p1 = lat1 * Math.PI / 180;
            var p2 = lat2 * Math.PI / 180;
            var dl = (lon2 - lon1) * Math.PI / 180;
            var y = Math.Sin(dl) * Math.Cos(p2);
            var x = Math.Cos(p1) * Math.Sin(p2) - Math.Sin(p1) * Math.Cos(p2) * Math.Cos(dl);
            return Math.Round((Math.Atan2(y, x) * 180 / Math.PI + 360) % 360, 1);
        }
    }
}
