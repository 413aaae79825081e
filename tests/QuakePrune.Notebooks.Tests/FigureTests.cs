using QuakePrune.Notebooks.Plotting;

namespace QuakePrune.Notebooks.Tests;

public class FigureTests
{
    [Fact]
    public void Serialises_to_Plotly_schema_leaving_unset_attributes_out()
    {
        var figure = new Figure(
            new Scatter
            {
                X = new[] { 1, 2 },
                Y = new[] { 0.5, double.NaN },
                Mode = "lines+markers",
                Line = new Line { Dash = "dot" },
            }
        ).WithTitle("Loss").WithAxisTitles("epoch", "loss").WithSize(600, 300);
        figure.YAxis().Type = "log";
        Assert.Equal(
            "{\"data\":[{\"type\":\"scatter\",\"x\":[1,2],\"y\":[0.5,null],\"mode\":\"lines\\u002Bmarkers\",\"line\":{\"dash\":\"dot\"}}],"
                + "\"layout\":{\"title\":{\"text\":\"Loss\"},\"width\":600,\"height\":300,\"xaxis\":{\"title\":{\"text\":\"epoch\"}},\"yaxis\":{\"title\":{\"text\":\"loss\"},\"type\":\"log\"}}}",
            figure.ToJsonString()
        );
    }

    [Fact]
    public void Grid_places_traces_on_their_own_axes_with_subplot_titles()
    {
        var figure = Figure
            .Grid(2, 2, "spectrogram", "histogram", "bars")
            .Add(
                new Heatmap
                {
                    Z = Heatmap.Rows(
                        new double[,]
                        {
                            { 1, 2 },
                            { 3, 4 },
                        }
                    ),
                    ColorScale = "Viridis",
                },
                1,
                1
            )
            .Add(new Histogram { X = new[] { 1.0, 2.0, 2.0 }, NBinsX = 10 }, 1, 2)
            .Add(new Bar { X = new[] { "a", "b" }, Y = new[] { 3, 4 } }, 2, 1);
        var json = figure.ToJson();
        Assert.Equal("x", json["data"]![0]!["xaxis"]!.GetValue<string>());
        Assert.Equal("x2", json["data"]![1]!["xaxis"]!.GetValue<string>());
        Assert.Equal("y3", json["data"]![2]!["yaxis"]!.GetValue<string>());
        Assert.Equal("[[1,2],[3,4]]", json["data"]![0]!["z"]!.ToJsonString());
        Assert.Equal(10, json["data"]![1]!["nbinsx"]!.GetValue<int>());
        var layout = json["layout"]!;
        Assert.Equal("[0,0.46]", layout["xaxis"]!["domain"]!.ToJsonString());
        Assert.Equal("[0.54,1]", layout["xaxis2"]!["domain"]!.ToJsonString());
        Assert.Equal("[0.56,1]", layout["yaxis"]!["domain"]!.ToJsonString());
        Assert.Equal("[0,0.44]", layout["yaxis4"]!["domain"]!.ToJsonString());
        Assert.Equal("y2", layout["xaxis2"]!["anchor"]!.GetValue<string>());
        Assert.Equal(3, layout["annotations"]!.AsArray().Count);
        Assert.Equal("histogram", layout["annotations"]![1]!["text"]!.GetValue<string>());
        Assert.Equal(0.77, layout["annotations"]![1]!["x"]!.GetValue<double>(), 6);
        Assert.Throws<ArgumentOutOfRangeException>(() => figure.Add(new Bar(), 3, 1));
    }

    [Fact]
    public void Html_loads_Plotly_from_beside_the_page_never_a_cdn()
    {
        var fragment = new Figure(new Bar { X = new[] { "a" }, Y = new[] { 1 } }).ToHtmlFragment();
        Assert.Contains("s.src = \"plotly.min.js\"", fragment);
        Assert.DoesNotContain("http", fragment);
    }

    [Fact]
    public void Renders_to_png_with_headless_chromium()
    {
        using var temp = new TempDirectory();
        var figure = Figure
            .Grid(1, 2, "line", "heatmap")
            .Add(
                new Scatter
                {
                    X = new[] { 0, 1, 2, 3 },
                    Y = new[] { 1.0, 3.0, 2.0, 4.0 },
                    Mode = "lines",
                }
            )
            .Add(
                new Heatmap
                {
                    Z = Heatmap.Rows(
                        new double[,]
                        {
                            { 0, 1, 2 },
                            { 2, 1, 0 },
                        }
                    ),
                },
                1,
                2
            )
            .WithTitle("PNG check");
        var path = Path.Combine(temp.Path, "figure.png");
        figure.SavePng(path, 640, 360);
        var png = File.ReadAllBytes(path);
        Assert.Equal([0x89, 0x50, 0x4E, 0x47], png[..4]);
        // IHDR holds the size, big-endian, at bytes 16..24.
        Assert.Equal(640, System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(16)));
        Assert.Equal(360, System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(20)));
        // A blank page compresses to almost nothing; a drawn figure does not.
        Assert.True(png.Length > 10_000, $"PNG of {png.Length} bytes looks blank");
        if (Environment.GetEnvironmentVariable("QUAKEPRUNE_KEEP_PNG") is { Length: > 0 } keep)
            File.Copy(path, keep, overwrite: true);
    }

    [Fact]
    public void Standalone_html_inlines_Plotly()
    {
        using var temp = new TempDirectory();
        var path = Path.Combine(temp.Path, "figure.html");
        new Figure(new Bar { X = new[] { "a" }, Y = new[] { 1 } }).SaveHtml(path);
        var html = File.ReadAllText(path);
        Assert.Contains("Plotly.newPlot(\"figure\"", html);
        Assert.True(html.Length > 1_000_000, "plotly.js should be inlined");
        new Figure().SaveHtml(Path.Combine(temp.Path, "linked.html"), inlinePlotly: false);
        Assert.True(File.Exists(Path.Combine(temp.Path, "plotly.min.js")));
    }
}
