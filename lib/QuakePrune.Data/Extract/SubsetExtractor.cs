using System.Diagnostics;
using System.Text;
using QuakePrune.Outputs;
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
        if (options.Inputs.Count == 0)
            throw new ArgumentException("extract: give at least one --input PREFIX");
        if (options.PerClass is not null && (options.Earthquakes is not null || options.Noise is not null))
            throw new ArgumentException("extract: use --per-class or --earthquakes/--noise, not both");
        foreach (var n in new[] { options.PerClass, options.Earthquakes, options.Noise })
            if (n is < 0)
                throw new ArgumentException($"extract: counts must not be negative, got {n}");
        if (options.PerClass is 0)
            throw new ArgumentException("extract: --per-class 0 asks for nothing; give at least 1");
        if (
            options.PStatus?.FirstOrDefault(s =>
                !ExtractOptions.PickStatuses.Contains(s, StringComparer.OrdinalIgnoreCase)
            ) is
            { } status
        )
            throw new ArgumentException(
                $"extract: --p-status '{status}' is not a STEAD pick status (one of {string.Join(", ", ExtractOptions.PickStatuses)})"
            );
        if (options.ReceiverTypes?.FirstOrDefault(t => !ExtractOptions.IsReceiverType(t)) is { } type)
            throw new ArgumentException(
                $"extract: --receiver-type '{type}' is not a channel prefix (two letters or digits, such as HH, BH, EH, HN)"
            );
        var pairs = options.Inputs.Select(SteadPair.Paths).ToList();
        foreach (var (prefix, (hdf5, csv)) in options.Inputs.Zip(pairs))
        {
            if (!File.Exists(csv))
                throw new FileNotFoundException($"extract: input '{prefix}': CSV file '{csv}' not found", csv);
            if (!File.Exists(hdf5))
                throw new FileNotFoundException($"extract: input '{prefix}': HDF5 file '{hdf5}' not found", hdf5);
        }
        using var outputs = new OutputSet("extract", options.Overwrite, pairs.SelectMany(p => new[] { p.Hdf5, p.Csv }));
        var temporary = outputs.Folder(options.OutputDirectory);
        var output = Path.GetFullPath(options.OutputDirectory);

        var clock = Stopwatch.StartNew();
        var quota = new[] { options.PerClass ?? options.Noise, options.PerClass ?? options.Earthquakes };
        // With --skip-non-finite a few more candidates than asked are kept, in hash order, to replace skipped traces.
        var spare = quota.Select(q => options.SkipNonFinite && q is { } n ? Math.Max(64, n / 20) : 0).ToArray();
        var heaps = new[] { NewHeap(), NewHeap() };
        var matched = new long[2];
        long scanned = 0;
        var extraColumns = new List<string>();
        for (var input = 0; input < pairs.Count; input++)
        {
            using var reader = new SteadCsvReader(pairs[input].Csv);
            foreach (var column in reader.ExtraColumns)
                if (column != SplitColumn && !extraColumns.Contains(column))
                    extraColumns.Add(column);
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
                if (!Matches(record, options))
                    continue;
                var cls = record.IsEarthquake ? 1 : 0;
                matched[cls]++;
                if (quota[cls] == 0)
                    continue;
                var candidate = new Candidate(Hash(options.Seed, record.TraceName), input, row, record);
                if (quota[cls] is not { } limit)
                    heaps[cls].Enqueue(candidate, candidate.Key);
                else if (heaps[cls].Count < limit + spare[cls])
                    heaps[cls].Enqueue(candidate, candidate.Key);
                else if (candidate.Key < heaps[cls].Peek().Key)
                    heaps[cls].EnqueueDequeue(candidate, candidate.Key);
            }
        }
        extraColumns.Add(SplitColumn);
        var filtered =
            options.MinSnrDb is not null
            || options.Magnitude is not null
            || options.DistanceKm is not null
            || options.PStatus is { Count: > 0 }
            || options.ReceiverTypes is { Count: > 0 };
        // A subset promises the classes it was asked for: one with none of them is no subset, whatever the exit code
        // said.
        foreach (var cls in new[] { 1, 0 })
            if (quota[cls] is not 0 && matched[cls] == 0)
                throw new InvalidDataException(
                    $"extract: {ClassName(cls)}: no trace {(filtered ? "matches the filters" : "in the inputs")}; "
                        + "no subset is written without them (loosen the filters, or give more inputs)"
                );
        var warnings = Shortfalls(quota, matched, filtered);

        var chosen = new List<(Candidate Candidate, int Split)>();
        var spares = new[] { new Queue<Candidate>(), new Queue<Candidate>() };
        var splitOfGroup = new[]
        {
            new Dictionary<string, int>(StringComparer.Ordinal),
            new Dictionary<string, int>(StringComparer.Ordinal),
        };
        for (var cls = 0; cls < 2; cls++)
        {
            var ranked = heaps[cls]
                .UnorderedItems.Select(x => x.Element)
                .OrderBy(c => c.Key)
                .ThenBy(c => c.Input)
                .ThenBy(c => c.Row)
                .ToList();
            var take = quota[cls] is { } limit ? Math.Min(limit, ranked.Count) : ranked.Count;
            var members = ranked.Take(take).ToList();
            foreach (var extra in ranked.Skip(take))
                spares[cls].Enqueue(extra);
            var groupOf = GroupOf(cls);
            var splits = AssignSplits(members, groupOf, options.Split, options.Seed);
            for (var i = 0; i < members.Count; i++)
            {
                chosen.Add((members[i], splits[i]));
                splitOfGroup[cls][groupOf(members[i].Record)] = splits[i];
            }
        }
        chosen.Sort(
            (a, b) =>
                a.Candidate.Input != b.Candidate.Input
                    ? a.Candidate.Input.CompareTo(b.Candidate.Input)
                    : a.Candidate.Row.CompareTo(b.Candidate.Row)
        );
        RefuseDuplicates(chosen.Select(c => c.Candidate).Concat(spares.SelectMany(q => q)), pairs);

        var written = new[] { new int[3], new int[3] };
        var skipped = 0;
        var missing = new int[2];
        var writeClock = Stopwatch.StartNew();
        // One trace source per input: the rows chosen from it, then its spares; row numbers into it by trace name.
        var sources = new Dictionary<int, (SteadTraceSource Source, Dictionary<string, int> Row)>();
        try
        {
            using var writer = new SteadWriter(
                Path.Combine(temporary, Hdf5Name),
                Path.Combine(temporary, CsvName),
                extraColumns
            );
            var waveform = new float[SteadLayout.Values];
            var done = 0;
            bool TryWrite(Candidate candidate, int split)
            {
                var record = candidate.Record;
                if (!sources.TryGetValue(candidate.Input, out var source))
                {
                    var records = chosen
                        .Select(c => c.Candidate)
                        .Concat(spares.SelectMany(q => q))
                        .Where(c => c.Input == candidate.Input)
                        .Select(c => c.Record)
                        .ToList();
                    source = (
                        SteadTraceSource.Of(pairs[candidate.Input].Hdf5, pairs[candidate.Input].Csv, records),
                        records
                            .Select((r, i) => (r.TraceName, i))
                            .ToDictionary(x => x.TraceName, x => x.i, StringComparer.Ordinal)
                    );
                    sources[candidate.Input] = source;
                }
                source.Source.Read([source.Row[record.TraceName]], waveform);
                done++;
                if ((done & 0xFF) == 0)
                {
                    options.Cancellation.ThrowIfCancellationRequested();
                    options.Progress?.Report(new ExtractProgress("write", done, chosen.Count, writeClock.Elapsed));
                }
                if (SteadLayout.CountNonFinite(waveform) is var bad and > 0)
                {
                    if (!options.SkipNonFinite)
                        throw new InvalidDataException(
                            $"extract: trace '{record.TraceName}' in '{pairs[candidate.Input].Hdf5}' has {bad} NaN/Inf values (use --skip-non-finite to skip such traces)"
                        );
                    skipped++;
                    return false;
                }
                writer.Write(record.WithExtra(SplitColumn, SplitFractions.Names[split]), waveform);
                written[record.IsEarthquake ? 1 : 0][split]++;
                return true;
            }
            foreach (var (candidate, split) in chosen)
                if (!TryWrite(candidate, split))
                    missing[candidate.Record.IsEarthquake ? 1 : 0]++;
            // Each skipped trace is replaced by the next candidate of its class in hash order, in its group's split.
            for (var cls = 0; cls < 2; cls++)
                while (missing[cls] > 0 && spares[cls].TryDequeue(out var replacement))
                {
                    var group = GroupOf(cls)(replacement.Record);
                    if (!splitOfGroup[cls].TryGetValue(group, out var split))
                        splitOfGroup[cls][group] = split = MostShort(written[cls], options.Split);
                    if (TryWrite(replacement, split))
                        missing[cls]--;
                }
            for (var cls = 0; cls < 2; cls++)
                if (missing[cls] > 0)
                    warnings.Add(
                        $"{ClassName(cls)}: {missing[cls]} fewer than asked: traces with NaN/Inf were skipped and no other matching trace was left to replace them"
                    );
            options.Progress?.Report(new ExtractProgress("write", done, chosen.Count, writeClock.Elapsed));
        }
        finally
        {
            foreach (var (source, _) in sources.Values)
                source.Dispose();
        }
        outputs.Publish();
        return new ExtractSummary
        {
            Hdf5Path = Path.Combine(output, Hdf5Name),
            CsvPath = Path.Combine(output, CsvName),
            RowsScanned = scanned,
            EarthquakesMatched = matched[1],
            NoiseMatched = matched[0],
            Written = written,
            SkippedNonFinite = skipped,
            Warnings = warnings,
            Seconds = clock.Elapsed.TotalSeconds,
            WriteSeconds = writeClock.Elapsed.TotalSeconds,
        };
    }

    private static string ClassName(int cls) => cls == 1 ? "earthquakes" : "noise";

    private static Func<SteadRecord, string> GroupOf(int cls) => cls == 1 ? EventGroup : StationDayGroup;

    /// <summary>Warnings for a class that matches fewer traces than asked (some, not none: that is refused).</summary>
    private static List<string> Shortfalls(int?[] quota, long[] matched, bool filtered)
    {
        var warnings = new List<string>();
        for (var cls = 1; cls >= 0; cls--)
            if (quota[cls] is { } asked && asked > 0 && matched[cls] < asked)
                warnings.Add(
                    $"{ClassName(cls)}: {matched[cls]} traces {(filtered ? "match the filters" : "in the inputs")}, fewer than the {asked} asked"
                );
        return warnings;
    }

    /// <summary>The split furthest below its share of what is written so far.</summary>
    private static int MostShort(int[] written, SplitFractions fractions)
    {
        var total = written.Sum() + 1;
        var best = 0;
        var bestDeficit = double.NegativeInfinity;
        for (var s = 0; s < 3; s++)
        {
            if (fractions[s] <= 0)
                continue;
            var deficit = fractions[s] * total - written[s];
            if (deficit > bestDeficit)
            {
                bestDeficit = deficit;
                best = s;
            }
        }
        return best;
    }

    /// <summary>Two rows of one trace name would be two datasets of one name: refused, naming both rows.</summary>
    private static void RefuseDuplicates(IEnumerable<Candidate> candidates, List<(string Hdf5, string Csv)> pairs)
    {
        var seen = new Dictionary<string, Candidate>(StringComparer.Ordinal);
        foreach (var c in candidates)
            if (!seen.TryAdd(c.Record.TraceName, c))
            {
                var first = seen[c.Record.TraceName];
                throw new InvalidDataException(
                    $"extract: trace '{c.Record.TraceName}' appears twice: row {first.Row} of '{pairs[first.Input].Csv}' "
                        + $"and row {c.Row} of '{pairs[c.Input].Csv}'; trace names must be unique"
                );
            }
    }

    /// <summary>Largest keys first, so the top of the heap is the one to drop.</summary>
    private static PriorityQueue<Candidate, ulong> NewHeap() => new(Comparer<ulong>.Create((a, b) => b.CompareTo(a)));

    public static bool Matches(SteadRecord r, ExtractOptions o)
    {
        if (
            o.ReceiverTypes is { Count: > 0 } types
            && !types.Contains(r.ReceiverType, StringComparer.OrdinalIgnoreCase)
        )
            return false;
        if (!r.IsEarthquake)
            return true;
        if (o.MinSnrDb is { } minSnr && !(r.MeanSnrDb >= minSnr))
            return false;
        if (o.Magnitude is { } m && !(r.SourceMagnitude is { } mag && m.Contains(mag)))
            return false;
        if (o.DistanceKm is { } d && !(r.SourceDistanceKm is { } km && d.Contains(km)))
            return false;
        if (
            o.PStatus is { Count: > 0 } statuses
            && !statuses.Contains(r.PStatus ?? "", StringComparer.OrdinalIgnoreCase)
        )
            return false;
        return true;
    }

    private static string EventGroup(SteadRecord r) => "event:" + (r.SourceId ?? r.TraceName);

    private static string StationDayGroup(SteadRecord r) =>
        $"station:{r.NetworkCode}.{r.ReceiverCode}:{r.TraceStartTime?.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture) ?? r.TraceName}";

    /// <summary>
    /// Assigns whole groups to splits: groups in seeded-hash order, each to the split furthest below its target count.
    /// No group is in two splits; fractions hold to within one group's size.
    /// </summary>
    private static int[] AssignSplits(
        List<Candidate> members,
        Func<SteadRecord, string> groupOf,
        SplitFractions fractions,
        ulong seed
    )
    {
        var groups = members
            .Select((c, i) => (Group: groupOf(c.Record), Index: i))
            .GroupBy(x => x.Group)
            .Select(g => (Key: Hash(seed ^ 0x5bd1e995UL, g.Key), Name: g.Key, Indices: g.Select(x => x.Index).ToList()))
            .OrderBy(g => g.Key)
            .ThenBy(g => g.Name, StringComparer.Ordinal)
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
                if (fractions[s] <= 0)
                    continue;
                var deficit = (fractions[s] * total - counts[s]) / (fractions[s] * total);
                if (deficit > bestDeficit)
                {
                    bestDeficit = deficit;
                    best = s;
                }
            }
            counts[best] += group.Indices.Count;
            foreach (var i in group.Indices)
                result[i] = best;
        }
        return result;
    }

    /// <summary>
    /// A stable 64-bit hash of text under a seed (FNV-1a then a SplitMix finaliser): the same on every machine and run.
    /// </summary>
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
