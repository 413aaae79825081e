using System.Collections;
using System.Net;
using System.Reflection;
using System.Text;

namespace QuakePrune.Notebooks.Formatting;

/// <summary>Sequences as tables: one row per item, one column per public property or field of its type.</summary>
public static class TableFormatter
{
    public static MimeBundle Format(IEnumerable sequence, int maxRows)
    {
        var rows = new List<object?>();
        var more = false;
        foreach (var item in sequence)
        {
            if (rows.Count == maxRows) { more = true; break; }
            rows.Add(item);
        }
        var total = sequence is ICollection collection ? collection.Count : (int?)null;
        var elementType = ElementType(sequence.GetType(), rows);
        var columns = elementType is null || IsScalar(elementType) ? [] : Columns(elementType);
        if (columns.Count == 0) return FormatList(rows, more, total);

        var cells = rows.Select(r => columns.Select(c => r is null ? "" : FormatterRegistry.PlainText(c.Read(r))).ToArray()).ToList();
        var remainder = !more ? "" : total is { } n ? $"({n - rows.Count} more rows)" : "(more rows)";

        var html = new StringBuilder("<table class=\"qp-table\"><thead><tr>");
        foreach (var column in columns) html.Append("<th>").Append(WebUtility.HtmlEncode(column.Name)).Append("</th>");
        html.Append("</tr></thead><tbody>");
        foreach (var row in cells)
        {
            html.Append("<tr>");
            foreach (var cell in row) html.Append("<td>").Append(WebUtility.HtmlEncode(cell)).Append("</td>");
            html.Append("</tr>");
        }
        html.Append("</tbody></table>");
        if (remainder != "") html.Append("<p class=\"qp-table-more\">").Append(remainder).Append("</p>");

        var widths = columns.Select((c, j) => cells.Select(r => r[j].Length).Append(c.Name.Length).Max()).ToArray();
        var text = new StringBuilder();
        AppendRow(text, columns.Select(c => c.Name).ToArray(), widths);
        AppendRow(text, widths.Select(w => new string('-', w)).ToArray(), widths);
        foreach (var row in cells) AppendRow(text, row, widths);
        if (remainder != "") text.Append(remainder).Append('\n');
        return new MimeBundle(text.ToString().TrimEnd('\n')).Add(MimeTypes.Html, html.ToString());
    }

    static void AppendRow(StringBuilder text, string[] cells, int[] widths)
    {
        for (var j = 0; j < cells.Length; j++)
        {
            if (j > 0) text.Append("  ");
            text.Append(cells[j].PadRight(widths[j]));
        }
        text.Length = text.ToString().TrimEnd(' ').Length;
        text.Append('\n');
    }

    static MimeBundle FormatList(List<object?> items, bool more, int? total)
    {
        var text = string.Join(", ", items.Select(FormatterRegistry.PlainText));
        if (more) text += total is { } n ? $", ... ({n - items.Count} more)" : ", ...";
        return new MimeBundle($"[{text}]");
    }

    static Type? ElementType(Type sequenceType, List<object?> rows)
    {
        var declared = sequenceType.GetInterfaces().Append(sequenceType)
            .Where(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IEnumerable<>))
            .Select(i => i.GetGenericArguments()[0]).FirstOrDefault();
        if (declared is not null && declared != typeof(object) && !declared.IsInterface && !declared.IsAbstract) return declared;
        return rows.FirstOrDefault(r => r is not null)?.GetType() ?? declared;
    }

    static bool IsScalar(Type type) =>
        type.IsPrimitive || type.IsEnum || type == typeof(string) || type == typeof(decimal) || type == typeof(DateTime)
        || type == typeof(DateTimeOffset) || type == typeof(TimeSpan) || type == typeof(Guid)
        || Nullable.GetUnderlyingType(type) is { } inner && IsScalar(inner);

    sealed record Column(string Name, Func<object, object?> Read);

    static List<Column> Columns(Type type)
    {
        const BindingFlags publicInstance = BindingFlags.Public | BindingFlags.Instance;
        var properties = type.GetProperties(publicInstance).Where(p => p.CanRead && p.GetIndexParameters().Length == 0)
            .OrderBy(p => p.MetadataToken).Select(p => new Column(p.Name, p.GetValue));
        var fields = type.GetFields(publicInstance).OrderBy(f => f.MetadataToken).Select(f => new Column(f.Name, f.GetValue));
        return properties.Concat(fields).ToList();
    }
}
