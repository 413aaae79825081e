using System.Diagnostics;
using System.Text;
using QuakePrune.Stead;

namespace QuakePrune.Extract;

/// <summary>
/// Extracts a balanced, leak-free subset of STEAD in STEAD's format plus a last `split` column.
/// Pass 1 streams the CSVs and keeps, per class, the N rows with the smallest seeded hash of their trace name
/// (a bounded heap: memory grows with N, not with the input). Splits are assigned by group (source_id for
/// earthquakes, station+day for noise). Pass 2 streams the chosen waveforms in input order into a temporary
/// folder that is renamed to the output when complete.
/// </summary>
public static class SubsetExtractor
{
    public const string SplitColumn = "split";
    public const string Hdf5Name = "subset.hdf5";
    public const string CsvName = "subset.csv";

    private sealed record Candidate(ulong Key, int Input, long Row, SteadRecord Record);

    public static ExtractSummary Extract(ExtractOptions options)
    {
        if (options.Inputs.Count == 0) throw new ArgumentException("extract: give at least one --input PREFIX");
        if (options.PerClass is not null && (options.Earthquakes is not null || options.Noise is not null))
            throw new ArgumentException("extract: use --per-class or --earthquakes/--noise, not both");
        foreach (var n in new[] { options.PerClass, options.Earthquakes, options.Noise })
            if (n is < 0) throw new ArgumentException($"extract: counts must not be negative, got {n}");
        var output = Path.GetFullPath(options.OutputDirectory);
        if (Directory.Exists(output) && Directory.EnumerateFileSystemEntries(output).Any() && !options.Overwrite)
            throw new IOException($"extract: output folder '{output}' exists and is not empty (use --overwrite)");
        var pairs = options.Inputs.Select(SteadPair.Paths).ToList();
        foreach (var (prefix, (hdf5, csv)) in options.Inputs.Zip(pairs))
        {
            if (!File.Exists(csv)) throw new FileNotFoundException($"extract: input '{prefix}': CSV file '{csv}' not found", csv);
            if (!File.Exists(hdf5)) throw new FileNotFoundException($"extract: input '{prefix}': HDF5 file '{hdf5}' not found", hdf5);
        }

        var clock = Stopwatch.StartNew();
        var quota = new[] { options.PerClass ?? options.Noise, options.PerClass ?? options.Earthquakes };
        var heaps = new[] { NewHeap(), NewHeap() };
        var matched = new long[2];
        long scanned = 0;
        var extraColumns = new List<string>();
        for (var input = 0; input < pairs.Count; input++)
        {
            using var reader = new SteadCsvReader(pairs[input].Csv);
            foreach (var column in reader.ExtraColumns)
                if (column != SplitColumn && !extraColumns.Contains(column)) extraColumns.Add(column);
            long row = 0;
            foreach (var record in reader.Records())
            {
                row++;
                scanned++;
                if ((scanned & 0xFFFF) == 0)
                {
                    options.Cancellation.ThrowIfCancellationRequested();
                    options.Progress?.Report(new ExtractProgress("scan", scanned, 0, clock.Elapsed));
                }
                if (!Matches(record, options)) continue;
                var cls = record.IsEarthquake ? 1 : 0;
                matched[cls]++;
                if (quota[cls] == 0) continue;
                var candidate = new Candidate(Hash(options.Seed, record.TraceName), input, row, record);
                if (quota[cls] is not { } limit) heaps[cls].Enqueue(candidate, candidate.Key);
                else if (heaps[cls].Count < limit) heaps[cls].Enqueue(candidate, candidate.Key);
                else if (candidate.Key < heaps[cls].Peek().Key) heaps[cls].EnqueueDequeue(candidate, candidate.Key);
            }
        }
        extraColumns.Add(SplitColumn);

        var chosen = new List<(Candidate Candidate, int Split)>();
        for (var cls = 0; cls < 2; cls++)
        {
            var members = heaps[cls].UnorderedItems.Select(x => x.Element).ToList();
            var splits = AssignSplits(members, cls == 1 ? EventGroup : StationDayGroup, options.Split, options.Seed);
            chosen.AddRange(members.Select((c, i) => (c, splits[i])));
        }
        chosen.Sort((a, b) => a.Candidate.Input != b.Candidate.Input ? a.Candidate.Input.CompareTo(b.Candidate.Input) : a.Candidate.Row.CompareTo(b.Candidate.Row));

        var written = new[] { new int[3], new int[3] };
        var skipped = 0;
        var temporary = output.TrimEnd(Path.DirectorySeparatorChar) + $".partial-{Environment.ProcessId}";
        var writeClock = Stopwatch.StartNew();
        try
        {
            if (Directory.Exists(temporary)) Directory.Delete(temporary, true);
            Directory.CreateDirectory(temporary);
            using (var writer = new SteadWriter(Path.Combine(temporary, Hdf5Name), Path.Combine(temporary, CsvName), extraColumns))
            {
                var waveform = new float[SteadLayout.Values];
                var done = 0;
                foreach (var group in chosen.GroupBy(c => c.Candidate.Input))
                {
                    using var waveforms = new SteadWaveforms(pairs[group.Key].Hdf5);
                    foreach (var (candidate, split) in group)
                    {
                        var record = candidate.Record;
                        if (!waveforms.Contains(record.TraceName))
                            throw new InvalidDataException($"extract: trace '{record.TraceName}' of '{pairs[group.Key].Csv}' is absent from '{pairs[group.Key].Hdf5}'");
                        waveforms.Read(record.TraceName, waveform);
                        done++;
                        if ((done & 0xFF) == 0)
                        {
                            options.Cancellation.ThrowIfCancellationRequested();
                            options.Progress?.Report(new ExtractProgress("write", done, chosen.Count, writeClock.Elapsed));
                        }
                        if (SteadLayout.CountNonFinite(waveform) is var bad and > 0)
                        {
                            if (!options.SkipNonFinite)
                                throw new InvalidDataException($"extract: trace '{record.TraceName}' in '{pairs[group.Key].Hdf5}' has {bad} NaN/Inf values (use --skip-non-finite to skip such traces)");
                            skipped++;
                            continue;
                        }
                        writer.Write(record.WithExtra(SplitColumn, SplitFractions.Names[split]), waveform);
                        written[record.IsEarthquake ? 1 : 0][split]++;
                    }
                }
                options.Progress?.Report(new ExtractProgress("write", done, chosen.Count, writeClock.Elapsed));
            }
            Publish(temporary, output);
        }
        finally
        {
            if (Directory.Exists(temporary)) Directory.Delete(temporary, true);
        }
        return new ExtractSummary
        {
            Hdf5Path = Path.Combine(output, Hdf5Name),
            CsvPath = Path.Combine(output, CsvName),
            RowsScanned = scanned,
            EarthquakesMatched = matched[1],
            NoiseMatched = matched[0],
            Written = written,
            SkippedNonFinite = skipped,
            Seconds = clock.Elapsed.TotalSeconds,
            WriteSeconds = writeClock.Elapsed.TotalSeconds,
        };
    }

    /// <summary>Largest keys first, so the top of the heap is the one to drop.</summary>
    private static PriorityQueue<Candidate, ulong> NewHeap() => new(Comparer<ulong>.Create((a, b) => b.CompareTo(a)));

    /// <summary>Replaces <paramref name="output"/> with the finished temporary folder.</summary>
    private static void Publish(string temporary, string output)
    {
        if (Directory.Exists(output))
        {
            var old = output.TrimEnd(Path.DirectorySeparatorChar) + $".old-{Environment.ProcessId}";
            Directory.Move(output, old);
            Directory.Move(temporary, output);
            Directory.Delete(old, true);
        }
        else
        {
            Directory.CreateDirectory(Path.GetDirectoryName(output)!);
            Directory.Move(temporary, output);
        }
    }

    public static bool Matches(SteadRecord r, ExtractOptions o)
    {
        if (o.ReceiverTypes is { Count: > 0 } types && !types.Contains(r.ReceiverType, StringComparer.OrdinalIgnoreCase)) return false;
        if (!r.IsEarthquake) return true;
        if (o.MinSnrDb is { } minSnr && !(r.MeanSnrDb >= minSnr)) return false;
        if (o.Magnitude is { } m && !(r.SourceMagnitude is { } mag && m.Contains(mag))) return false;
        if (o.DistanceKm is { } d && !(r.SourceDistanceKm is { } km && d.Contains(km))) return false;
        if (o.PStatus is { Count: > 0 } statuses && !statuses.Contains(r.PStatus ?? "", StringComparer.OrdinalIgnoreCase)) return false;
        return true;
    }

    private static string EventGroup(SteadRecord r) => "event:" + (r.SourceId ?? r.TraceName);

    private static string StationDayGroup(SteadRecord r) =>
        $"station:{r.NetworkCode}.{r.ReceiverCode}:{r.TraceStartTime?.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture) ?? r.TraceName}";

    /// <summary>
    /// Assigns whole groups to splits: groups in seeded-hash order, each to the split furthest below its target count.
    /// No group is in two splits; fractions hold to within one group's size.
    /// </summary>
    private static int[] AssignSplits(List<Candidate> members, Func<SteadRecord, string> groupOf, SplitFractions fractions, ulong seed)
    {
        var groups = members.Select((c, i) => (Group: groupOf(c.Record), Index: i))
            .GroupBy(x => x.Group)
            .Select(g => (Key: Hash(seed ^ 0x5bd1e995UL, g.Key), Name: g.Key, Indices: g.Select(x => x.Index).ToList()))
            .OrderBy(g => g.Key).ThenBy(g => g.Name, StringComparer.Ordinal)
            .ToList();
        var total = members.Count;
        var counts = new double[3];
        var result = new int[members.Count];
        foreach (var group in groups)
        {
            var best = 0;
            var bestDeficit = double.NegativeInfinity;
            for (var s = 0; s < 3; s++)
            {
                if (fractions[s] <= 0) continue;
                var deficit = (fractions[s] * total - counts[s]) / (fractions[s] * total);
                if (deficit > bestDeficit)
                {
                    bestDeficit = deficit;
                    best = s;
                }
            }
            counts[best] += group.Indices.Count;
            foreach (var i in group.Indices) result[i] = best;
        }
        return result;
    }

    /// <summary>A stable 64-bit hash of text under a seed (FNV-1a then a SplitMix finaliser): the same on every machine and run.</summary>
    public static ulong Hash(ulong seed, string text)
    {
        var h = 0xcbf29ce484222325UL ^ seed;
        foreach (var b in Encoding.UTF8.GetBytes(text))
        {
            h ^= b;
            h *= 0x100000001b3UL;
        }
        h ^= h >> 30;
        h *= 0xBF58476D1CE4E5B9UL;
        h ^= h >> 27;
        h *= 0x94D049BB133111EBUL;
        return h ^ (h >> 31);
    }
}
