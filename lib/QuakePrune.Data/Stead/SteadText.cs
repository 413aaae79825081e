using System.Globalization;
using System.Text;

namespace QuakePrune.Stead;

/// <summary>
/// STEAD's text conventions, both ways: `None` for missing values, Python's float repr (`700.0`,
/// `17.0799999237`), numpy's legacy array print (`[ 56.79999924  55.40000153  47.40000153]`, `[[ 2896.]]`),
/// and the two time shapes (`2006-07-23 15:58:50.88`, `2006-07-23 15:59:00.960000`).
/// </summary>
public static class SteadText
{
    public const string None = "None";
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    public static bool IsMissing(string text) => IsMissing(text.AsSpan());

    public static bool IsMissing(ReadOnlySpan<char> text) => text.Length == 0 || text.SequenceEqual(None);

    /// <summary>A number or null for `None`/empty; `nan` parses as NaN.</summary>
    public static double? ParseNumber(string text) => ParseNumber(text.AsSpan());

    /// <summary>
    /// A number or null for `None`/empty; `nan` parses as NaN. Read where it lies (a CSV row's buffer).
    /// </summary>
    public static double? ParseNumber(ReadOnlySpan<char> text)
    {
        var t = text.Trim();
        if (IsMissing(t))
            return null;
        if (t.Equals("nan", StringComparison.OrdinalIgnoreCase))
            return double.NaN;
        if (double.TryParse(t, NumberStyles.Float, Invariant, out var v))
            return v;
        // numpy prints a one-element array where a scalar is expected (`[[ 2896.]]`): accept it.
        var array = ParseArray(t);
        if (array is { Length: 1 })
            return array[0];
        throw new FormatException($"'{text}' is not a number");
    }

    /// <summary>A numpy-printed array (`[ 1.  2.5]`, `[[ 2896.]]`) or null for `None`/`nan`/empty.</summary>
    public static double[]? ParseArray(string text) => ParseArray(text.AsSpan());

    /// <summary>
    /// A numpy-printed array, read where it lies (two passes: count, then parse; no string per element).
    /// </summary>
    public static double[]? ParseArray(ReadOnlySpan<char> text)
    {
        var t = text.Trim();
        if (IsMissing(t) || t.Equals("nan", StringComparison.OrdinalIgnoreCase))
            return null;
        var inner = t.Trim("[] ");
        var count = 0;
        foreach (var part in inner.SplitAny(ArraySeparators))
            if (part.Start.Value != part.End.Value)
                count++;
        var result = new double[count];
        var i = 0;
        foreach (var part in inner.SplitAny(ArraySeparators))
        {
            var cell = inner[part];
            if (cell.IsEmpty)
                continue;
            if (cell.Equals("nan", StringComparison.OrdinalIgnoreCase))
                result[i] = double.NaN;
            else if (!double.TryParse(cell, NumberStyles.Float, Invariant, out result[i]))
                throw new FormatException($"'{text}' is not a numeric array");
            i++;
        }
        return result;
    }

    private const string ArraySeparators = " ,\t[]\n";

    /// <summary>A UTC time in either STEAD shape (0 to 7 fraction digits; `T` or space); null for `None`.</summary>
    public static DateTime? ParseTime(string text) => ParseTime(text.AsSpan());

    /// <summary>A UTC time in either STEAD shape, read where it lies; null for `None`.</summary>
    public static DateTime? ParseTime(ReadOnlySpan<char> text)
    {
        var t = text.Trim();
        if (IsMissing(t))
            return null;
        if (TryParseUsualTime(t, out var usual))
            return usual;
        if (
            DateTime.TryParseExact(
                t,
                TimeShapes,
                Invariant,
                DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal,
                out var time
            )
        )
            return DateTime.SpecifyKind(time, DateTimeKind.Utc);
        throw new FormatException($"'{text}' is not a time like 2006-07-23 15:58:50.88");
    }

    /// <summary>
    /// STEAD's usual shape, `yyyy-MM-dd HH:mm:ss` with 0 to 7 fraction digits, read digit by digit: trying the shapes
    /// in turn with TryParseExact was the largest cost of reading a STEAD CSV. Anything else (or out of range) is left
    /// to it.
    /// </summary>
    private static bool TryParseUsualTime(ReadOnlySpan<char> t, out DateTime time)
    {
        time = default;
        if (
            t.Length < 19
            || t.Length == 20
            || t.Length > 27
            || t[4] != '-'
            || t[7] != '-'
            || t[10] != ' '
            || t[13] != ':'
            || t[16] != ':'
            || (t.Length > 19 && t[19] != '.')
        )
            return false;
        if (
            !Digits(t[..4], out var year)
            || !Digits(t[5..7], out var month)
            || !Digits(t[8..10], out var day)
            || !Digits(t[11..13], out var hour)
            || !Digits(t[14..16], out var minute)
            || !Digits(t[17..19], out var second)
        )
            return false;
        var fraction = 0;
        if (t.Length > 19 && !Digits(t[20..], out fraction))
            return false;
        if (
            year < 1
            || month is < 1 or > 12
            || day < 1
            || day > DateTime.DaysInMonth(year, month)
            || hour > 23
            || minute > 59
            || second > 59
        )
            return false;
        var ticks = (long)fraction;
        for (var digits = t.Length - 20; digits is > 0 and < 7; digits++)
            ticks *= 10;
        time = new DateTime(year, month, day, hour, minute, second, DateTimeKind.Utc).AddTicks(ticks);
        return true;
    }

    private static bool Digits(ReadOnlySpan<char> text, out int value)
    {
        value = 0;
        foreach (var c in text)
        {
            if (!char.IsAsciiDigit(c))
                return false;
            value = value * 10 + (c - '0');
        }
        return true;
    }

    private static readonly string[] TimeShapes =
    [
        "yyyy-MM-dd HH:mm:ss",
        "yyyy-MM-dd HH:mm:ss.F",
        "yyyy-MM-dd HH:mm:ss.FF",
        "yyyy-MM-dd HH:mm:ss.FFF",
        "yyyy-MM-dd HH:mm:ss.FFFF",
        "yyyy-MM-dd HH:mm:ss.FFFFF",
        "yyyy-MM-dd HH:mm:ss.FFFFFF",
        "yyyy-MM-dd HH:mm:ss.FFFFFFF",
        "yyyy-MM-ddTHH:mm:ss",
        "yyyy-MM-ddTHH:mm:ss.FFFFFFF",
        "yyyy-MM-ddTHH:mm:ss.FFFFFFFZ",
        "yyyy-MM-ddTHH:mm:ssZ",
    ];

    /// <summary>Fraction digits of a time as printed (`15:58:50.88` has 2), 0 when it has none.</summary>
    public static int FractionDigits(string text) => FractionDigits(text.AsSpan());

    /// <summary>Fraction digits of a time as printed, read where it lies.</summary>
    public static int FractionDigits(ReadOnlySpan<char> text)
    {
        var t = text.Trim();
        var dot = t.LastIndexOf('.');
        return dot < 0 || IsMissing(t) ? 0 : t.Length - dot - 1 - (t.EndsWith('Z') ? 1 : 0);
    }

    /// <summary>
    /// A time as STEAD prints it, with the given number of fraction digits (2 or 6 in STEAD), or `None`.
    /// </summary>
    public static string FormatTime(DateTime? time, int digits) =>
        time is not { } t ? None
        : digits <= 0 ? t.ToString("yyyy-MM-dd HH:mm:ss", Invariant)
        : t.ToString("yyyy-MM-dd HH:mm:ss." + new string('f', Math.Min(digits, 7)), Invariant);

    public static string FormatText(string? text) => text ?? None;

    /// <summary>A number as Python's repr prints it (`700.0`, `17.0799999237`, `1e-05`, `nan`), or `None`.</summary>
    public static string FormatNumber(double? value) => value is { } v ? PythonRepr(v) : None;

    public static string PythonRepr(double v)
    {
        if (double.IsNaN(v))
            return "nan";
        if (double.IsPositiveInfinity(v))
            return "inf";
        if (double.IsNegativeInfinity(v))
            return "-inf";
        if (v == 0)
            return double.IsNegative(v) ? "-0.0" : "0.0";
        // Shortest round-trip digits and the decimal exponent, then Python's layout rules.
        var (digits, exponent) = Digits(v.ToString("R", Invariant));
        var sign = v < 0 ? "-" : "";
        if (exponent < -4 || exponent >= 16)
        {
            var mantissa = digits.Length == 1 ? digits : digits[0] + "." + digits[1..];
            return $"{sign}{mantissa}e{(exponent < 0 ? "-" : "+")}{Math.Abs(exponent):00}";
        }
        if (exponent < 0)
            return $"{sign}0.{new string('0', -exponent - 1)}{digits}";
        if (digits.Length <= exponent + 1)
            return $"{sign}{digits}{new string('0', exponent + 1 - digits.Length)}.0";
        return $"{sign}{digits[..(exponent + 1)]}.{digits[(exponent + 1)..]}";
    }

    /// <summary>Significant digits (no leading/trailing zeros) and the decimal exponent of the first one.</summary>
    private static (string Digits, int Exponent) Digits(string roundTrip)
    {
        var s = roundTrip.TrimStart('-');
        var exponent = 0;
        var ePos = s.IndexOfAny(['E', 'e']);
        if (ePos >= 0)
        {
            exponent = int.Parse(s[(ePos + 1)..], NumberStyles.AllowLeadingSign, Invariant);
            s = s[..ePos];
        }
        var dot = s.IndexOf('.');
        var intPart = dot >= 0 ? s[..dot] : s;
        var fracPart = dot >= 0 ? s[(dot + 1)..] : "";
        var all = intPart + fracPart;
        var lead = 0;
        while (lead < all.Length - 1 && all[lead] == '0')
            lead++;
        var digits = all[lead..].TrimEnd('0');
        if (digits.Length == 0)
            digits = "0";
        return (digits, exponent + intPart.Length - 1 - lead);
    }

    /// <summary>
    /// A float array as numpy 1.13 printed it (STEAD's CSV was written so): every element in one width, as many
    /// decimals as the longest needs (at most 8), trailing zeros turned into spaces; see <see cref="FormatNumpy2D"/>
    /// for 2-D.
    /// </summary>
    public static string FormatNumpyArray(IReadOnlyList<double>? values)
    {
        if (values is null)
            return None;
        const int precision = 8;
        var finite = values.Where(double.IsFinite).ToArray();
        var nonZero = finite.Where(x => x != 0).Select(Math.Abs).ToArray();
        var max = nonZero.Length > 0 ? nonZero.Max() : 0;
        var min = nonZero.Length > 0 ? nonZero.Min() : 0;
        var exponential = nonZero.Length > 0 && (max >= 1e8 || min < 1e-4 || max / min > 1000);
        var cells = new string[values.Count];
        if (exponential)
        {
            for (var i = 0; i < values.Count; i++)
                cells[i] = double.IsFinite(values[i])
                    ? values[i].ToString("0.00000000e+00", Invariant).PadLeft(precision + 6)
                    : Special(values[i]).PadLeft(precision + 6);
        }
        else
        {
            var decimals = nonZero.Length == 0 ? 0 : finite.Where(x => x != 0).Max(x => NeededDecimals(x, precision));
            var width = Math.Truncate(max).ToString("F0", Invariant).Length + decimals + 2;
            if (finite.Length < values.Count)
                width = Math.Max(width, 4);
            for (var i = 0; i < values.Count; i++)
            {
                if (!double.IsFinite(values[i]))
                {
                    cells[i] = Special(values[i]).PadLeft(width);
                    continue;
                }
                var s = values[i].ToString("F" + decimals, Invariant);
                if (decimals == 0)
                    s += ".";
                s = s.PadLeft(width);
                var stripped = s.TrimEnd('0');
                cells[i] = stripped + new string(' ', s.Length - stripped.Length);
            }
        }
        var text = new StringBuilder();
        text.Append('[');
        for (var i = 0; i < cells.Length; i++)
        {
            if (i > 0)
                text.Append(' ');
            text.Append(cells[i]);
        }
        text.Append(']');
        return text.ToString();
    }

    /// <summary>`[[ 2896.]]`: numpy's print of a (1, 1) array.</summary>
    public static string FormatNumpy2D(double? value) => value is { } v ? "[" + FormatNumpyArray([v]) + "]" : None;

    private static string Special(double v) =>
        double.IsNaN(v) ? "nan"
        : v > 0 ? "inf"
        : "-inf";

    private static int NeededDecimals(double x, int precision)
    {
        var s = x.ToString("F" + precision, Invariant);
        return precision - (s.Length - s.TrimEnd('0').Length);
    }
}
