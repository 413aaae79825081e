using System.Text.Json.Serialization;

namespace QuakePrune.Notebooks.Plotting;

/// <summary>
/// One Plotly trace. Property names map to Plotly's attribute names lower-cased (ShowLegend -> showlegend);
/// unset (null) attributes are left out so plotly.js applies its defaults. Data arrays take any sequence of
/// numbers or strings; NaN becomes null (a gap), as Plotly expects.
/// </summary>
public abstract class Trace
{
    [JsonPropertyOrder(-1)]
    public abstract string Type { get; }
    public string? Name { get; set; }
    public bool? ShowLegend { get; set; }
    public double? Opacity { get; set; }
    public string? HoverTemplate { get; set; }

    /// <summary>
    /// Traces with the same group show and hide together in the legend, under the first one's
    /// <see cref="LegendGroupTitle"/>.
    /// </summary>
    public string? LegendGroup { get; set; }
    public Title? LegendGroupTitle { get; set; }

    /// <summary>
    /// The x axis this trace is drawn on ("x", "x2", ...); set by <see cref="Figure.Add"/> in a grid.
    /// </summary>
    public string? XAxis { get; set; }
    public string? YAxis { get; set; }
}

/// <summary>Points and lines (Plotly's "scatter"): Mode "lines", "markers" or "lines+markers".</summary>
public sealed class Scatter : Trace
{
    public override string Type => "scatter";
    public object? X { get; set; }
    public object? Y { get; set; }
    public string? Mode { get; set; }
    public Line? Line { get; set; }
    public Marker? Marker { get; set; }

    /// <summary>"tozeroy", "tonexty"... to fill under the line.</summary>
    public string? Fill { get; set; }
    public object? Text { get; set; }

    /// <summary>Where Text goes with Mode "markers+text": "top center", "middle right"...</summary>
    public string? TextPosition { get; set; }

    [JsonPropertyName("error_y")]
    public ErrorBars? ErrorY { get; set; }
}

/// <summary>
/// Error bars (Plotly's error_y of type "data"): each point's bar reaches Array above it and ArrayMinus below.
/// </summary>
public sealed class ErrorBars
{
    public string Type => "data";
    public bool Symmetric => false;
    public object? Array { get; set; }
    public object? ArrayMinus { get; set; }
    public double? Thickness { get; set; }
    public double? Width { get; set; }
}

/// <summary>Bars; Orientation "h" for horizontal ones.</summary>
public sealed class Bar : Trace
{
    public override string Type => "bar";
    public object? X { get; set; }
    public object? Y { get; set; }
    public string? Orientation { get; set; }
    public Marker? Marker { get; set; }
    public object? Text { get; set; }
    public string? TextPosition { get; set; }
}

/// <summary>A grid of values as colours, rows bottom to top (spectrograms: Z[frequency][time]).</summary>
public sealed class Heatmap : Trace
{
    public override string Type => "heatmap";
    public double[][]? Z { get; set; }
    public object? X { get; set; }
    public object? Y { get; set; }
    public string? ColorScale { get; set; }
    public double? ZMin { get; set; }
    public double? ZMax { get; set; }
    public bool? ShowScale { get; set; }
    public ColorBar? ColorBar { get; set; }

    /// <summary>Z from a rectangular array, [row, column].</summary>
    public static double[][] Rows(double[,] values) =>
        Enumerable
            .Range(0, values.GetLength(0))
            .Select(r => Enumerable.Range(0, values.GetLength(1)).Select(c => values[r, c]).ToArray())
            .ToArray();

    public static double[][] Rows(float[,] values) =>
        Enumerable
            .Range(0, values.GetLength(0))
            .Select(r => Enumerable.Range(0, values.GetLength(1)).Select(c => (double)values[r, c]).ToArray())
            .ToArray();
}

/// <summary>
/// Counts of values in bins, computed by plotly.js; HistNorm "probability" or "probability density" to normalise.
/// </summary>
public sealed class Histogram : Trace
{
    public override string Type => "histogram";
    public object? X { get; set; }
    public int? NBinsX { get; set; }
    public string? HistNorm { get; set; }
    public Marker? Marker { get; set; }
}

public sealed class Line
{
    public string? Color { get; set; }
    public double? Width { get; set; }

    /// <summary>"solid", "dash", "dot", "dashdot".</summary>
    public string? Dash { get; set; }
}

public sealed class Marker
{
    public object? Color { get; set; }
    public double? Size { get; set; }
    public string? Symbol { get; set; }
    public string? ColorScale { get; set; }
    public bool? ShowScale { get; set; }
}

public sealed class ColorBar
{
    public Title? Title { get; set; }
    public double? X { get; set; }
    public double? Len { get; set; }
}

/// <summary>A title (Plotly wants {"text": ...}); a string converts to one.</summary>
public sealed class Title
{
    public string? Text { get; set; }
    public Font? Font { get; set; }

    public static implicit operator Title(string text) => new() { Text = text };
}

public sealed class Font
{
    public double? Size { get; set; }
    public string? Color { get; set; }
    public string? Family { get; set; }
}
