using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using System.Text.RegularExpressions;

namespace QuakePrune.Cli;

/// <summary>
/// The bounds of every numeric option of every verb, in one table, checked before a verb runs: a value outside them (or
/// NaN, or infinite) is refused naming the option, the value and the range. Bounds keep memory and time sane (an FFT of
/// 10^8 points, a 10^5-pixel image side) and values meaningful (fractions and thresholds in [0, 1]).
/// </summary>
public static partial class OptionBounds
{
    /// <summary>Inclusive range; <see cref="MaxExclusive"/> when the upper end itself is not allowed.</summary>
    public readonly record struct Range(double Min, double Max, bool MaxExclusive = false)
    {
        public bool Contains(double v) => v >= Min && (MaxExclusive ? v < Max : v <= Max);

        public override string ToString() =>
            string.Create(CultureInfo.InvariantCulture, $"[{Min:G}, {Max:G}{(MaxExclusive ? ")" : "]")}");
    }

    /// <summary>
    /// Option name (and optionally "verb option") to its range. Any numeric option not listed must be finite.
    /// </summary>
    public static readonly IReadOnlyDictionary<string, Range> Table = new Dictionary<string, Range>(
        StringComparer.Ordinal
    )
    {
        // STEAD and subsets
        ["--traces"] = new(1, 10_000_000),
        ["--noise-fraction"] = new(0, 1),
        ["--per-class"] = new(1, 10_000_000),
        ["--earthquakes"] = new(0, 10_000_000),
        ["--noise"] = new(0, 10_000_000),
        ["--min-snr-db"] = new(-1000, 1000),
        // spectrograms: a trace has 6000 samples; FFTs beyond 2^16 points only pad
        ["--nperseg"] = new(2, 6000),
        ["--noverlap"] = new(0, 5999),
        ["--nfft"] = new(2, 65536),
        ["--bandpass-order"] = new(1, 16),
        ["--taper"] = new(0, 1),
        // models and training
        ["--classes"] = new(2, 100_000),
        ["--hidden"] = new(0, 65_536),
        ["--channels"] = new(1, 64),
        ["--epochs"] = new(1, 100_000),
        ["--batch"] = new(1, 4096),
        ["--lr"] = new(0, 10),
        ["--min-lr"] = new(0, 10),
        ["--momentum"] = new(0, 1, MaxExclusive: true),
        ["--weight-decay"] = new(0, 10),
        ["--warmup"] = new(0, 100_000),
        ["--label-smoothing"] = new(0, 1, MaxExclusive: true),
        ["--patience"] = new(0, 100_000),
        ["--threads"] = new(1, 1024),
        ["--loader-threads"] = new(1, 1024),
        // data-parallel training: processes per machine, machines
        ["--nproc"] = new(1, 1024),
        ["--nnodes"] = new(1, 100_000),
        ["--node-rank"] = new(0, 99_999),
        ["--threshold"] = new(0, 1),
        ["--detection-threshold"] = new(0, 1),
        ["--p-threshold"] = new(0, 1),
        ["--s-threshold"] = new(0, 1),
        // pruning (--ratio is checked by the pruning options themselves, in words of their own)
        ["--steps"] = new(1, 1000),
        ["--min-keep"] = new(1, 65_536),
        ["--round-to"] = new(1, 4096),
        // benchmarks
        ["bench --warmup"] = new(0, 100_000),
        ["bench --runs"] = new(1, 10_000_000),
        ["bench --seconds"] = new(0.001, 86_400),
        ["bench-ops --steps"] = new(1, 100_000),
        ["bench-train --steps"] = new(3, 100_000),
        ["--calls"] = new(1, 100_000_000),
        ["--height"] = new(4, 4096),
        ["--width"] = new(4, 4096),
    };

    /// <summary>
    /// The messages for every numeric option of the chosen verb that lies outside its range; empty when all are fine.
    /// </summary>
    public static List<string> Check(ParseResult parse)
    {
        var problems = new List<string>();
        var verb = parse.CommandResult.Command.Name;
        foreach (var result in parse.CommandResult.Children.OfType<OptionResult>())
        {
            if (result.Implicit || !IsNumeric(result.Option.ValueType))
                continue;
            var name = result.Option.Name;
            foreach (var token in result.Tokens.Select(t => t.Value))
            {
                if (!double.TryParse(token, NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
                    continue;
                if (!double.IsFinite(value))
                {
                    problems.Add($"{name}: '{token}' is not a finite number");
                    continue;
                }
                if (
                    (Table.TryGetValue($"{verb} {name}", out var range) || Table.TryGetValue(name, out range))
                    && !range.Contains(value)
                )
                    problems.Add($"{name}: {token} is outside {range}");
            }
        }
        return problems;
    }

    private static bool IsNumeric(Type type)
    {
        var t = Nullable.GetUnderlyingType(type) ?? type;
        return t == typeof(int) || t == typeof(long) || t == typeof(ulong) || t == typeof(double) || t == typeof(float);
    }

    /// <summary>
    /// A parse error with the .NET type names it may carry ("System.Nullable`1[[System.Int32, ...]]") put in words.
    /// </summary>
    public static string Friendly(string message) =>
        TypeName()
            .Replace(message, m => (m.Groups["type"].Value) switch
                {
                    "Int32" or "Int64" => "a whole number",
                    "UInt64" or "UInt32" => "a non-negative whole number",
                    "Double" or "Single" => "a number",
                    "Boolean" => "true or false",
                    _ => "a value of the right kind",
                });

    [GeneratedRegex(@"'System\.(Nullable`1\[\[?System\.)?(?<type>\w+)[^']*'")]
    private static partial Regex TypeName();
}
