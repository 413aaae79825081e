using System.Collections;
using System.Globalization;
using System.Net;
using System.Reflection;
using System.Text;

namespace QuakePrune.Notebooks.Formatting;

/// <summary>
/// A table rendered for a notebook, a report page or a terminal: an HTML table and the same rows as aligned text.
/// In a notebook it shows as both (see <see cref="NotebookFormatters"/>); make one with <c>rows.ToTable()</c>.
/// </summary>
public sealed record Table(string PlainText, string Html)
{
    public override string ToString() => PlainText;
}

/// <summary>
/// Sequences as tables: one row per item; one column per public property or field of its type, or per column given.
/// </summary>
public static class TableFormatter
{
    /// <summary>Most rows a notebook table shows; the rest are counted below it.</summary>
    public const int DefaultMaxRows = 100;

    public static Table Format(IEnumerable sequence, int maxRows)
    {
        var (rows, more) = Take(sequence.Cast<object?>(), maxRows);
        var total = sequence is ICollection collection ? collection.Count : (int?)null;
        var elementType = ElementType(sequence.GetType(), rows);
        var columns = elementType is null || IsScalar(elementType) ? [] : Columns(elementType);
        if (columns.Count == 0)
            return FormatList(rows, more, total);
        var cells = rows.Select(r => columns.Select(c => r is null ? "" : PlainText(c.Read(r))).ToArray()).ToList();
        return Render(columns.Select(c => c.Name).ToArray(), null, cells, Remainder(rows.Count, more, total));
    }

    /// <summary>
    /// Rows as a table with the columns given: each a header a person reads (words and units, where a property's name
    /// would be a C# identifier) and how to read its value from a row. Values show as in
    /// <see cref="Format(IEnumerable, int)"/>.
    /// </summary>
    public static Table Format<T>(
        IEnumerable<T> sequence,
        IReadOnlyList<(string Header, Func<T, object?> Value)> columns,
        int maxRows
    )
    {
        var (rows, more) = Take(sequence, maxRows);
        var total = sequence is ICollection collection ? collection.Count : (int?)null;
        var cells = rows.Select(r => columns.Select(c => r is null ? "" : PlainText(c.Value(r))).ToArray()).ToList();
        return Render(columns.Select(c => c.Header).ToArray(), null, cells, Remainder(rows.Count, more, total));
    }

    /// <summary>
    /// The table from its parts: column names, optionally a second header line (the columns' types), the cells as
    /// text, and a note below it (how many rows were left out), HTML-encoded here.
    /// </summary>
    public static Table Render(string[] names, string[]? types, List<string[]> cells, string remainder)
    {
        var html = new StringBuilder("<table class=\"qp-table\"><thead><tr>");
        for (var j = 0; j < names.Length; j++)
        {
            html.Append("<th>").Append(WebUtility.HtmlEncode(names[j]));
            if (types is not null)
                html.Append("<br><span class=\"qp-type\">").Append(WebUtility.HtmlEncode(types[j])).Append("</span>");
            html.Append("</th>");
        }
        html.Append("</tr></thead><tbody>");
        foreach (var row in cells)
        {
            html.Append("<tr>");
            foreach (var cell in row)
                html.Append("<td>").Append(WebUtility.HtmlEncode(cell)).Append("</td>");
            html.Append("</tr>");
        }
        html.Append("</tbody></table>");
        if (remainder != "")
            html.Append("<p class=\"qp-table-more\">").Append(WebUtility.HtmlEncode(remainder)).Append("</p>");

        var widths = names
            .Select((name, j) => cells.Select(r => r[j].Length).Append(name.Length).Append(types?[j].Length ?? 0).Max())
            .ToArray();
        var text = new StringBuilder();
        AppendRow(text, names, widths);
        if (types is not null)
            AppendRow(text, types, widths);
        AppendRow(text, widths.Select(w => new string('-', w)).ToArray(), widths);
        foreach (var row in cells)
            AppendRow(text, row, widths);
        if (remainder != "")
            text.Append(remainder).Append('\n');
        return new Table(text.ToString().TrimEnd('\n'), html.ToString());
    }

    /// <summary>A value's text, culture-invariant; times as ISO 8601 dates and times.</summary>
    public static string PlainText(object? value) =>
        value switch
        {
            null => "<null>",
            DateTime time => time.ToString("yyyy-MM-dd HH:mm:ss.FFFFFFF", CultureInfo.InvariantCulture).TrimEnd('.'),
            IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
            _ => value.ToString() ?? "",
        };

    static void AppendRow(StringBuilder text, string[] cells, int[] widths)
    {
        for (var j = 0; j < cells.Length; j++)
        {
            if (j > 0)
                text.Append("  ");
            text.Append(cells[j].PadRight(widths[j]));
        }
        text.Length = text.ToString().TrimEnd(' ').Length;
        text.Append('\n');
    }

    /// <summary>The first <paramref name="maxRows"/> items, and whether there were more.</summary>
    static (List<T> Rows, bool More) Take<T>(IEnumerable<T> sequence, int maxRows)
    {
        var rows = new List<T>();
        foreach (var item in sequence)
        {
            if (rows.Count == maxRows)
                return (rows, true);
            rows.Add(item);
        }
        return (rows, false);
    }

    /// <summary>
    /// The note below a table that stopped at the row limit: how many rows it left out, when the sequence knows.
    /// </summary>
    static string Remainder(int shown, bool more, int? total) =>
        !more ? ""
        : total is { } n ? $"({n - shown} more rows)"
        : "(more rows)";

    static Table FormatList(List<object?> items, bool more, int? total)
    {
        var text = string.Join(", ", items.Select(PlainText));
        if (more)
            text += total is { } n ? $", ... ({n - items.Count} more)" : ", ...";
        text = $"[{text}]";
        return new Table(text, $"<pre>{WebUtility.HtmlEncode(text)}</pre>");
    }

    static Type? ElementType(Type sequenceType, List<object?> rows)
    {
        var declared = sequenceType
            .GetInterfaces()
            .Append(sequenceType)
            .Where(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IEnumerable<>))
            .Select(i => i.GetGenericArguments()[0])
            .FirstOrDefault();
        if (declared is not null && declared != typeof(object) && !declared.IsInterface && !declared.IsAbstract)
            return declared;
        return rows.FirstOrDefault(r => r is not null)?.GetType() ?? declared;
    }

    static bool IsScalar(Type type) =>
        type.IsPrimitive
        || type.IsEnum
        || type == typeof(string)
        || type == typeof(decimal)
        || type == typeof(DateTime)
        || type == typeof(DateTimeOffset)
        || type == typeof(TimeSpan)
        || type == typeof(Guid)
        || Nullable.GetUnderlyingType(type) is { } inner && IsScalar(inner);

    sealed record Column(string Name, Func<object, object?> Read);

    static List<Column> Columns(Type type)
    {
        const BindingFlags publicInstance = BindingFlags.Public | BindingFlags.Instance;
        var properties = type.GetProperties(publicInstance)
            .Where(p => p.CanRead && p.GetIndexParameters().Length == 0)
            .OrderBy(p => p.MetadataToken)
            .Select(p => new Column(p.Name, p.GetValue));
        var fields = type.GetFields(publicInstance)
            .OrderBy(f => f.MetadataToken)
            .Select(f => new Column(f.Name, f.GetValue));
        return properties.Concat(fields).ToList();
    }
}
