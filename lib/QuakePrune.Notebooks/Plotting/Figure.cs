using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace QuakePrune.Notebooks.Plotting;

/// <summary>
/// A Plotly figure: traces plus a layout, optionally a grid of subplots. Serialises to Plotly's JSON
/// schema; displays in notebooks (Plotly's mime type and HTML, see <see cref="NotebookFormatters"/>), saves as
/// standalone HTML or PNG.
/// </summary>
public sealed class Figure
{
    const double HorizontalSpacing = 0.08;
    const double VerticalSpacing = 0.12;

    static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = new LowerCaseNaming(),
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new FiniteDoubleConverter(), new FiniteFloatConverter() },
    };

    public Figure(params Trace[] traces) => Data.AddRange(traces);

    public List<Trace> Data { get; } = [];
    public Layout Layout { get; } = new();
    public int Rows { get; private set; } = 1;
    public int Columns { get; private set; } = 1;

    /// <summary>A grid of subplots, each with its own axes, titled left to right, top to bottom.</summary>
    public static Figure Grid(int rows, int columns, params string[] subplotTitles)
    {
        if (rows < 1 || columns < 1)
            throw new ArgumentOutOfRangeException(
                nameof(rows),
                $"a grid needs at least one row and column, not {rows}x{columns}"
            );
        if (subplotTitles.Length > rows * columns)
            throw new ArgumentException(
                $"{subplotTitles.Length} subplot titles for {rows * columns} subplots",
                nameof(subplotTitles)
            );
        var figure = new Figure { Rows = rows, Columns = columns };
        var width = (1 - HorizontalSpacing * (columns - 1)) / columns;
        var height = (1 - VerticalSpacing * (rows - 1)) / rows;
        for (var row = 1; row <= rows; row++)
        for (var col = 1; col <= columns; col++)
        {
            var index = (row - 1) * columns + col;
            var left = (col - 1) * (width + HorizontalSpacing);
            var top = 1 - (row - 1) * (height + VerticalSpacing);
            var x = figure.XAxis(row, col);
            var y = figure.YAxis(row, col);
            x.Domain = [Round(left), Round(left + width)];
            x.Anchor = AxisId("y", index);
            y.Domain = [Round(top - height), Round(top)];
            y.Anchor = AxisId("x", index);
            if (index <= subplotTitles.Length)
                figure.Annotate(
                    subplotTitles[index - 1],
                    Round(left + width / 2),
                    Round(top),
                    xAnchor: "center",
                    yAnchor: "bottom"
                );
        }
        return figure;
    }

    /// <summary>Adds a trace, in a grid to the subplot at (row, col), both counted from 1.</summary>
    public Figure Add(Trace trace, int row = 1, int col = 1)
    {
        var index = SubplotIndex(row, col);
        if (Rows * Columns > 1)
        {
            trace.XAxis = AxisId("x", index);
            trace.YAxis = AxisId("y", index);
        }
        Data.Add(trace);
        return this;
    }

    public Axis XAxis(int row = 1, int col = 1) => AxisAt("xaxis", SubplotIndex(row, col));

    public Axis YAxis(int row = 1, int col = 1) => AxisAt("yaxis", SubplotIndex(row, col));

    public Figure WithTitle(string title)
    {
        Layout.Title = title;
        return this;
    }

    public Figure WithSize(int width, int height)
    {
        Layout.Width = width;
        Layout.Height = height;
        return this;
    }

    public Figure WithAxisTitles(string? x, string? y, int row = 1, int col = 1)
    {
        if (x is not null)
            XAxis(row, col).Title = x;
        if (y is not null)
            YAxis(row, col).Title = y;
        return this;
    }

    /// <summary>Text at figure coordinates (0..1 across the whole figure) unless xRef/yRef name axes.</summary>
    public Figure Annotate(
        string text,
        double x,
        double y,
        string xRef = "paper",
        string yRef = "paper",
        string? xAnchor = null,
        string? yAnchor = null,
        bool showArrow = false
    )
    {
        (Layout.Annotations ??= []).Add(
            new Annotation
            {
                Text = text,
                X = x,
                Y = y,
                XRef = xRef,
                YRef = yRef,
                XAnchor = xAnchor,
                YAnchor = yAnchor,
                ShowArrow = showArrow,
            }
        );
        return this;
    }

    /// <summary>Plotly's figure JSON: {"data": [...], "layout": {...}}.</summary>
    public JsonObject ToJson() =>
        new()
        {
            ["data"] = new JsonArray(
                Data.Select(t => JsonSerializer.SerializeToNode(t, t.GetType(), JsonOptions)).ToArray()
            ),
            ["layout"] = JsonSerializer.SerializeToNode(Layout, JsonOptions),
        };

    public string ToJsonString() => ToJson().ToJsonString();

    /// <summary>
    /// A div and the script that draws into it. It finds its div without an id (so one figure shown twice
    /// on a page works) and loads plotly.min.js from beside the page when the page has not.
    /// </summary>
    public string ToHtmlFragment(string plotlyScript = PlotlyJs.FileName) =>
        HtmlFragment(ToJsonString(), Layout.Height ?? 450, plotlyScript);

    /// <summary>The drawing HTML for any Plotly figure JSON (also figures other tools wrote into a notebook).</summary>
    public static string HtmlFragment(string figureJson, int height = 450, string plotlyScript = PlotlyJs.FileName) =>
        $$"""
            <div class="plotly-figure" style="width:100%;height:{{height}}px;"></div>
            <script type="text/javascript">
            (function () {
              var el = document.currentScript.previousElementSibling;
              var figure = {{figureJson.Replace("</", "<\\/", StringComparison.Ordinal)}};
              var draw = function () { Plotly.newPlot(el, figure.data, figure.layout, {responsive: true}); };
              if (window.Plotly) { draw(); return; }
              var s = document.createElement("script");
              s.src = "{{WebUtility.HtmlEncode(plotlyScript)}}";
              s.onload = draw;
              document.head.appendChild(s);
            })();
            </script>
            """;

    /// <summary>What a notebook shows where it cannot draw: the trace count and the title.</summary>
    public override string ToString() =>
        $"Figure: {Data.Count} trace(s){(Layout.Title?.Text is { } t ? $", \"{t}\"" : "")}";

    /// <summary>
    /// A standalone page: plotly.js inlined (works offline, anywhere) or, if not, loaded from beside it.
    /// </summary>
    public string ToHtmlPage(bool inlinePlotly = true, int? width = null, int? height = null)
    {
        var script = inlinePlotly
            ? $"<script type=\"text/javascript\">{PlotlyJs.ReadScript()}</script>"
            : $"<script type=\"text/javascript\" src=\"{PlotlyJs.FileName}\"></script>";
        var title = WebUtility.HtmlEncode(Layout.Title?.Text ?? "Figure");
        var size = width is { } w && height is { } h ? $"width:{w}px;height:{h}px;" : "width:100%;height:100vh;";
        return $$"""
            <!DOCTYPE html>
            <html>
            <head><meta charset="utf-8"><title>{{title}}</title>{{script}}</head>
            <body style="margin:0">
            <div id="figure" style="{{size}}"></div>
            <script type="text/javascript">
            var figure = {{ToJsonString().Replace("</", "<\\/", StringComparison.Ordinal)}};
            Plotly.newPlot("figure", figure.data, figure.layout, {responsive: {{(
                width is null ? "true" : "false"
            )}}, staticPlot: {{(width is null ? "false" : "true")}}});
            </script>
            </body>
            </html>
            """;
    }

    /// <summary>
    /// Saves a standalone HTML page (temporary name, then renamed); without inlining, copies plotly.min.js beside it.
    /// </summary>
    public void SaveHtml(string path, bool inlinePlotly = true)
    {
        AtomicFile.WriteAllText(path, ToHtmlPage(inlinePlotly));
        if (!inlinePlotly)
            PlotlyJs.CopyTo(Path.GetDirectoryName(Path.GetFullPath(path))!);
    }

    /// <summary>The figure as a PNG file's bytes, drawn by headless Chromium (offline).</summary>
    public byte[] ToPng(int width = 900, int height = 500) =>
        ChromiumRenderer.Screenshot(ToHtmlPage(true, width, height), width, height);

    public void SavePng(string path, int width = 900, int height = 500) =>
        AtomicFile.WriteAllBytes(path, ToPng(width, height));

    int SubplotIndex(int row, int col)
    {
        if (row < 1 || row > Rows || col < 1 || col > Columns)
            throw new ArgumentOutOfRangeException(
                nameof(row),
                $"subplot ({row}, {col}) is outside the {Rows}x{Columns} grid"
            );
        return (row - 1) * Columns + col;
    }

    Axis AxisAt(string kind, int index)
    {
        var key = index == 1 ? kind : kind + index.ToString(CultureInfo.InvariantCulture);
        if (Layout.Axes.TryGetValue(key, out var existing))
            return (Axis)existing;
        var axis = new Axis();
        Layout.Axes[key] = axis;
        return axis;
    }

    static string AxisId(string letter, int index) =>
        index == 1 ? letter : letter + index.ToString(CultureInfo.InvariantCulture);

    /// <summary>Domains to 6 places, without the -0 that subtraction can leave.</summary>
    static double Round(double value) => Math.Round(value, 6) is var rounded && rounded == 0 ? 0 : rounded;

    sealed class LowerCaseNaming : JsonNamingPolicy
    {
        public override string ConvertName(string name) => name.ToLowerInvariant();
    }

    /// <summary>Plotly reads null as a gap; JSON has no NaN or infinities.</summary>
    sealed class FiniteDoubleConverter : JsonConverter<double>
    {
        public override double Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            reader.TokenType == JsonTokenType.Null ? double.NaN : reader.GetDouble();

        public override void Write(Utf8JsonWriter writer, double value, JsonSerializerOptions options)
        {
            if (double.IsFinite(value))
                writer.WriteNumberValue(value);
            else
                writer.WriteNullValue();
        }
    }

    sealed class FiniteFloatConverter : JsonConverter<float>
    {
        public override float Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            reader.TokenType == JsonTokenType.Null ? float.NaN : reader.GetSingle();

        public override void Write(Utf8JsonWriter writer, float value, JsonSerializerOptions options)
        {
            if (float.IsFinite(value))
                writer.WriteNumberValue(value);
            else
                writer.WriteNullValue();
        }
    }
}
