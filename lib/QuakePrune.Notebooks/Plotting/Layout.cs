using System.Text.Json.Serialization;

namespace QuakePrune.Notebooks.Plotting;

/// <summary>A figure's layout. Axes live in <see cref="Axes"/> under Plotly's keys (xaxis, yaxis, xaxis2...).</summary>
public sealed class Layout
{
    public Title? Title { get; set; }

    /// <summary>The figure's default font (axis titles, ticks, legend).</summary>
    public Font? Font { get; set; }
    public int? Width { get; set; }
    public int? Height { get; set; }
    public bool? ShowLegend { get; set; }

    /// <summary>"group", "stack", "overlay".</summary>
    public string? BarMode { get; set; }
    public Margin? Margin { get; set; }
    public List<Annotation>? Annotations { get; set; }
    public Legend? Legend { get; set; }
    public string? PlotBgColor { get; set; }

    [JsonExtensionData]
    public Dictionary<string, object> Axes { get; } = [];
}

/// <summary>An axis; Type "linear", "log", "category"; Range [min, max].</summary>
public sealed class Axis
{
    public Title? Title { get; set; }
    public string? Type { get; set; }
    public double[]? Range { get; set; }
    public double[]? Domain { get; set; }
    public string? Anchor { get; set; }
    public bool? ShowGrid { get; set; }
    public bool? ZeroLine { get; set; }
    public string? TickFormat { get; set; }

    /// <summary>true, false or "reversed".</summary>
    public object? AutoRange { get; set; }
}

/// <summary>
/// Where the legend sits: Orientation "h" lays it out in a row; X/Y in figure coordinates (Y below 0 is under the
/// plot).
/// </summary>
public sealed class Legend
{
    public string? Orientation { get; set; }
    public double? X { get; set; }
    public double? Y { get; set; }
    public string? XAnchor { get; set; }
    public string? YAnchor { get; set; }
}

public sealed class Margin
{
    public int? L { get; set; }
    public int? R { get; set; }
    public int? T { get; set; }
    public int? B { get; set; }
}

/// <summary>Text placed on the figure; XRef/YRef "paper" for figure-relative coordinates (0..1).</summary>
public sealed class Annotation
{
    public string? Text { get; set; }
    public double? X { get; set; }
    public double? Y { get; set; }
    public string? XRef { get; set; }
    public string? YRef { get; set; }
    public bool? ShowArrow { get; set; }
    public string? XAnchor { get; set; }
    public string? YAnchor { get; set; }
    public Font? Font { get; set; }
}
