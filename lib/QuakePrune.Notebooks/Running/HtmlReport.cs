using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using QuakePrune.Notebooks.Format;
using QuakePrune.Notebooks.Formatting;
using QuakePrune.Notebooks.Plotting;

namespace QuakePrune.Notebooks.Running;

/// <summary>
/// Executed notebooks as static HTML pages that work offline: plotly.js is loaded from beside the page,
/// outputs shown in the richest form a browser can (HTML, PNG, Plotly, then text).
/// </summary>
public static partial class HtmlReport
{
    const string Style = """
        body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; max-width: 1100px; margin: 2em auto; padding: 0 1em; color: #1b1b1b; line-height: 1.5; }
        pre { background: #f6f8fa; padding: 0.6em 0.8em; overflow-x: auto; border-radius: 4px; font-size: 0.88em; }
        code { font-family: ui-monospace, "DejaVu Sans Mono", monospace; }
        .cell { margin: 1.2em 0; }
        .code .source { border-left: 3px solid #4a7bd0; }
        .prompt { color: #777; font-family: ui-monospace, monospace; font-size: 0.8em; }
        .output pre { background: #fff; border-left: 3px solid #ddd; }
        .output pre.stderr { background: #fff5e6; }
        .output pre.error { background: #fdecec; border-left-color: #c62828; }
        table { border-collapse: collapse; margin: 0.5em 0; font-size: 0.9em; }
        th, td { border: 1px solid #ddd; padding: 0.25em 0.6em; text-align: left; }
        th { background: #f0f0f0; }
        .status-Succeeded { color: #2e7d32; } .status-Failed { color: #c62828; } .status-NotRun { color: #777; }
        img { max-width: 100%; }
        .qp-glance { display: flex; flex-wrap: wrap; gap: 1em; }
        .qp-glance > div { flex: 1 1 520px; }
        .qp-type { font-weight: normal; color: #666; font-size: 0.85em; }
        .qp-overridden { color: #888; }
        """;

    /// <summary>
    /// A notebook's page. Run with parameters, the executed notebook keeps papermill's two cells: the parameters cell
    /// as written, with its defaults, then the injected cell with the values given. Shown as they are, the page would
    /// say <c>preset = "quick"</c> and then <c>preset = "ci"</c>, and only a reader who knows papermill could tell
    /// which one the run used. So the page keeps both cells, in papermill's order and as the code ran (what a papermill
    /// user looks for, and what the executed .ipynb holds), labels them, and strikes through each default the injected
    /// cell overrode: every parameter reads once, at the value the run used.
    /// </summary>
    public static string RenderNotebook(NotebookDocument document, string title)
    {
        var overridden = document
            .Cells.Where(c => c.HasTag(NotebookParameters.InjectedTag))
            .SelectMany(c => NotebookParameters.DeclaredNames(c.Text))
            .ToHashSet(StringComparer.Ordinal);
        var body = new StringBuilder();
        foreach (var cell in document.Cells)
        {
            switch (cell.CellType)
            {
                case "markdown":
                    body.Append("<div class=\"cell markdown\">\n")
                        .Append(Markdown.ToHtml(cell.Text))
                        .Append("</div>\n");
                    break;
                case "code":
                    var count = cell.ExecutionCount is { } n
                        ? n.ToString(System.Globalization.CultureInfo.InvariantCulture)
                        : " ";
                    var defaults = overridden.Count > 0 && cell.HasTag(NotebookParameters.ParametersTag);
                    var label =
                        defaults
                            ? " parameters: the defaults, struck through where the injected parameters below override them"
                        : cell.HasTag(NotebookParameters.InjectedTag)
                            ? " injected parameters: the values given for this run"
                        : "";
                    var struck = defaults ? NotebookParameters.DeclarationSpans(cell.Text, overridden) : [];
                    body.Append("<div class=\"cell code\">\n")
                        .Append($"<div class=\"prompt\">In [{count}]:{label}</div>\n")
                        .Append("<pre class=\"source\"><code class=\"language-csharp\">")
                        .Append(SourceHtml(cell.Text, struck))
                        .Append("</code></pre>\n");
                    foreach (var output in cell.Outputs.OfType<JsonObject>())
                        body.Append(RenderOutput(output));
                    body.Append("</div>\n");
                    break;
                default:
                    body.Append("<pre class=\"cell raw\">").Append(WebUtility.HtmlEncode(cell.Text)).Append("</pre>\n");
                    break;
            }
        }
        return Page(title, body.ToString());
    }

    public static string RenderIndex(
        IReadOnlyList<NotebookRunResult> results,
        string outputDirectory,
        string? extraHtml
    )
    {
        var body = new StringBuilder("<h1>QuakePrune: pruning a ResNet50 earthquake detector</h1>\n");
        if (!string.IsNullOrEmpty(extraHtml))
            body.Append(extraHtml).Append('\n');
        body.Append(
            "<h2>Notebooks</h2>\n<table>\n<thead><tr><th>Notebook</th><th>Status</th><th>Time</th><th>Executed notebook</th></tr></thead>\n<tbody>\n"
        );
        foreach (var result in results)
        {
            var name = Path.GetFileNameWithoutExtension(result.Notebook);
            var page = result.HtmlPath is { } html
                ? $"<a href=\"{Relative(outputDirectory, html)}\">{WebUtility.HtmlEncode(name)}</a>"
                : WebUtility.HtmlEncode(name);
            var executed = result.ExecutedPath is { } ipynb
                ? $"<a href=\"{Relative(outputDirectory, ipynb)}\">{WebUtility.HtmlEncode(Path.GetFileName(ipynb))}</a>"
                : "";
            var status = result.Status switch
            {
                NotebookRunStatus.Failed when result.Failure is { } f =>
                    $"failed at cell {f.CellNumber}: {WebUtility.HtmlEncode(f.Error.Name)}: {WebUtility.HtmlEncode(f.Error.Message)}",
                NotebookRunStatus.NotRun => "not run",
                var s => s.ToString().ToLowerInvariant(),
            };
            var time = result.Status == NotebookRunStatus.NotRun ? "" : $"{result.Duration.TotalSeconds:F1} s";
            body.Append(
                $"<tr><td>{page}</td><td class=\"status-{result.Status}\">{status}</td><td>{time}</td><td>{executed}</td></tr>\n"
            );
        }
        body.Append("</tbody>\n</table>\n");
        return Page("QuakePrune notebooks", body.ToString());
    }

    /// <summary>
    /// A cell's code, HTML-encoded, with the given spans (start, length) struck through as overridden.
    /// </summary>
    static string SourceHtml(string code, IReadOnlyList<(int Start, int Length)> struck)
    {
        var html = new StringBuilder();
        var at = 0;
        foreach (var (start, length) in struck.OrderBy(s => s.Start))
        {
            html.Append(WebUtility.HtmlEncode(code[at..start]))
                .Append("<del class=\"qp-overridden\">")
                .Append(WebUtility.HtmlEncode(code.Substring(start, length)))
                .Append("</del>");
            at = start + length;
        }
        return html.Append(WebUtility.HtmlEncode(code[at..])).ToString();
    }

    static string Relative(string directory, string path) =>
        WebUtility.HtmlEncode(Path.GetRelativePath(directory, path).Replace('\\', '/'));

    static string Page(string title, string body) =>
        $"""
            <!DOCTYPE html>
            <html>
            <head>
            <meta charset="utf-8">
            <title>{WebUtility.HtmlEncode(title)}</title>
            <style>
            {Style}
            </style>
            <script type="text/javascript" src="{PlotlyJs.FileName}"></script>
            </head>
            <body>
            {body}
            </body>
            </html>

            """;

    static string RenderOutput(JsonObject output)
    {
        var type = output["output_type"]?.GetValue<string>();
        switch (type)
        {
            case "stream":
                var name = output["name"]?.GetValue<string>() ?? "stdout";
                return $"<div class=\"output\"><pre class=\"{WebUtility.HtmlEncode(name)}\">{WebUtility.HtmlEncode(StripAnsi(Text(output["text"])))}</pre></div>\n";
            case "error":
                var traceback = output["traceback"] is JsonArray lines
                    ? string.Join("\n", lines.Select(l => l?.GetValue<string>() ?? ""))
                    : "";
                var header = $"{output["ename"]?.GetValue<string>()}: {output["evalue"]?.GetValue<string>()}";
                var text = traceback.Length > 0 ? traceback : header;
                return $"<div class=\"output\"><pre class=\"error\">{WebUtility.HtmlEncode(StripAnsi(text))}</pre></div>\n";
            case "display_data" or "execute_result":
                return output["data"] is JsonObject data ? $"<div class=\"output\">{RenderData(data)}</div>\n" : "";
            default:
                return "";
        }
    }

    /// <summary>
    /// The richest representation a static page can show. A figure is drawn from its Plotly JSON with the page's
    /// plotly.js, rather than from its HTML, which may carry plotly.js again (the notebook's first figure does).
    /// </summary>
    static string RenderData(JsonObject data)
    {
        if (PlotlyFigure(data[MimeTypes.Plotly]) is { } figure)
        {
            var height =
                figure["layout"]?["height"] is JsonValue h && h.GetValueKind() == JsonValueKind.Number
                    ? h.GetValue<int>()
                    : 450;
            return Figure.HtmlFragment(figure.ToJsonString(), height);
        }
        if (data[MimeTypes.Html] is { } html)
            return Text(html);
        if (data[MimeTypes.Png] is { } png)
            return $"<img src=\"data:image/png;base64,{Text(png).Replace("\n", "", StringComparison.Ordinal)}\">";
        if (data["image/svg+xml"] is { } svg)
            return Text(svg);
        if (data[MimeTypes.Markdown] is { } markdown)
            return Markdown.ToHtml(Text(markdown));
        if (data[MimeTypes.PlainText] is { } plain)
            return $"<pre>{WebUtility.HtmlEncode(StripAnsi(Text(plain)))}</pre>";
        return "";
    }

    /// <summary>
    /// Plotly's figure JSON, stored as JSON (nbformat's way) or as its text (the stock Jupyter kernel's way).
    /// </summary>
    static JsonObject? PlotlyFigure(JsonNode? node) =>
        node switch
        {
            JsonObject figure => figure,
            JsonValue text when text.GetValueKind() == JsonValueKind.String => JsonNode.Parse(text.GetValue<string>())
                as JsonObject,
            _ => null,
        };

    static string Text(JsonNode? node) => NotebookJson.JoinLines(node, "output");

    static string StripAnsi(string text) => AnsiRegex().Replace(text, "");

    [GeneratedRegex(@"\x1b\[[0-9;]*[A-Za-z]")]
    private static partial Regex AnsiRegex();
}
