using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace QuakePrune.Notebooks.Format;

/// <summary>
/// Writes notebook JSON byte for byte the way Jupyter's nbformat does (sorted keys, one-space indentation,
/// only control characters, quotes and backslashes escaped, a final newline), so files diff cleanly
/// whichever tool wrote them last.
/// </summary>
public static class NotebookJson
{
    public static string Write(JsonNode node)
    {
        var text = new StringBuilder();
        WriteNode(text, node, 0);
        text.Append('\n');
        return text.ToString();
    }

    static void WriteNode(StringBuilder text, JsonNode? node, int depth)
    {
        switch (node)
        {
            case null:
                text.Append("null");
                break;
            case JsonObject obj:
                if (obj.Count == 0)
                {
                    text.Append("{}");
                    break;
                }
                text.Append('{');
                var first = true;
                foreach (var (key, value) in obj.OrderBy(p => p.Key, StringComparer.Ordinal))
                {
                    text.Append(first ? "\n" : ",\n");
                    first = false;
                    text.Append(' ', depth + 1);
                    WriteString(text, key);
                    text.Append(": ");
                    WriteNode(text, value, depth + 1);
                }
                text.Append('\n').Append(' ', depth).Append('}');
                break;
            case JsonArray array:
                if (array.Count == 0)
                {
                    text.Append("[]");
                    break;
                }
                text.Append('[');
                for (var i = 0; i < array.Count; i++)
                {
                    text.Append(i == 0 ? "\n" : ",\n");
                    text.Append(' ', depth + 1);
                    WriteNode(text, array[i], depth + 1);
                }
                text.Append('\n').Append(' ', depth).Append(']');
                break;
            case JsonValue value:
                WriteValue(text, value);
                break;
        }
    }

    static void WriteValue(StringBuilder text, JsonValue value)
    {
        switch (value.GetValueKind())
        {
            case JsonValueKind.String:
                WriteString(text, value.GetValue<string>());
                break;
            case JsonValueKind.True:
                text.Append("true");
                break;
            case JsonValueKind.False:
                text.Append("false");
                break;
            case JsonValueKind.Number:
                if (value.TryGetValue<double>(out var d) && !double.IsFinite(d))
                    throw new InvalidDataException($"notebook JSON cannot hold the number {d}");
                text.Append(value.ToJsonString());
                break;
            default:
                text.Append(value.ToJsonString());
                break;
        }
    }

    static void WriteString(StringBuilder text, string s)
    {
        text.Append('"');
        foreach (var c in s)
        {
            switch (c)
            {
                case '"':
                    text.Append("\\\"");
                    break;
                case '\\':
                    text.Append("\\\\");
                    break;
                case '\n':
                    text.Append("\\n");
                    break;
                case '\r':
                    text.Append("\\r");
                    break;
                case '\t':
                    text.Append("\\t");
                    break;
                case '\b':
                    text.Append("\\b");
                    break;
                case '\f':
                    text.Append("\\f");
                    break;
                default:
                    if (c < 0x20)
                        text.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    else
                        text.Append(c);
                    break;
            }
        }
        text.Append('"');
    }

    /// <summary>Splits text into lines that keep their line ends, as notebooks store multi-line strings.</summary>
    public static JsonArray SplitLines(string text)
    {
        var lines = new JsonArray();
        var start = 0;
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] != '\n')
                continue;
            lines.Add(text[start..(i + 1)]);
            start = i + 1;
        }
        if (start < text.Length)
            lines.Add(text[start..]);
        return lines;
    }

    /// <summary>A notebook string field: either one string or a list of lines.</summary>
    public static string JoinLines(JsonNode? node, string where) =>
        node switch
        {
            null => "",
            JsonArray lines => string.Concat(
                lines.Select(l =>
                    l?.GetValueKind() == JsonValueKind.String
                        ? l.GetValue<string>()
                        : throw new InvalidDataException($"{where}: expected a list of strings")
                )
            ),
            JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
            _ => throw new InvalidDataException($"{where}: expected a string or a list of strings"),
        };
}
