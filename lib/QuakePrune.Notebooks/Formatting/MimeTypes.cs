namespace QuakePrune.Notebooks.Formatting;

/// <summary>The mime types of notebook outputs this project writes and reads.</summary>
public static class MimeTypes
{
    public const string PlainText = "text/plain";
    public const string Html = "text/html";
    public const string Markdown = "text/markdown";
    public const string Png = "image/png";
    public const string Plotly = "application/vnd.plotly.v1+json";
}
