using System.Text.Json.Nodes;

namespace QuakePrune.Notebooks.Formatting;

/// <summary>
/// One value rendered in several mime types (Jupyter's "data" of a display output). Front ends pick the
/// richest they understand; text/plain is always present as the fallback.
/// </summary>
public sealed class MimeBundle
{
    readonly List<KeyValuePair<string, JsonNode>> entries = [];

    public MimeBundle(string plainText) => Add(MimeTypes.PlainText, plainText);

    public IReadOnlyList<KeyValuePair<string, JsonNode>> Entries => entries;

    /// <summary>Adds (or replaces) one representation; strings for text types, JSON for "+json" types.</summary>
    public MimeBundle Add(string mimeType, JsonNode data)
    {
        entries.RemoveAll(e => e.Key == mimeType);
        entries.Add(new(mimeType, data));
        return this;
    }

    public JsonNode? this[string mimeType] => entries.FirstOrDefault(e => e.Key == mimeType).Value;

    public string PlainText => this[MimeTypes.PlainText]!.GetValue<string>();

    public JsonObject ToJson()
    {
        var data = new JsonObject();
        foreach (var (key, value) in entries) data[key] = value.DeepClone();
        return data;
    }
}

public static class MimeTypes
{
    public const string PlainText = "text/plain";
    public const string Html = "text/html";
    public const string Markdown = "text/markdown";
    public const string Png = "image/png";
    public const string Plotly = "application/vnd.plotly.v1+json";
}
