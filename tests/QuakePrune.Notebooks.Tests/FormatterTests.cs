using Microsoft.Data.Analysis;
using Microsoft.DotNet.Interactive.Formatting;
using QuakePrune.Notebooks.Formatting;
using QuakePrune.Notebooks.Plotting;

namespace QuakePrune.Notebooks.Tests;

public class FormatterTests
{
    record Measurement(string Variant, double LatencyMs);

    [Fact]
    public void Records_become_an_html_and_text_table()
    {
        var table = new List<Measurement> { new("baseline", 40.5), new("prune90", 14) }.ToTable();
        Assert.Equal("Variant   LatencyMs\n--------  ---------\nbaseline  40.5\nprune90   14", table.PlainText);
        Assert.Equal(
            "<table class=\"qp-table\"><thead><tr><th>Variant</th><th>LatencyMs</th></tr></thead><tbody>"
                + "<tr><td>baseline</td><td>40.5</td></tr><tr><td>prune90</td><td>14</td></tr></tbody></table>",
            table.Html
        );
    }

    record Timing(string Variant, double? LatencyMs);

    /// <summary>
    /// Columns given by header and value: those headers, in order (encoded in HTML); a missing value shows as in
    /// property columns.
    /// </summary>
    [Fact]
    public void Columns_given_by_header_show_those_headers_in_html_and_text()
    {
        var table = new List<Timing> { new("baseline", 40.5), new("prune90 & co", null) }.ToTable(
            ("Variant", r => r.Variant),
            ("Latency, batch 1 (ms)", r => r.LatencyMs)
        );
        Assert.Equal(
            "Variant       Latency, batch 1 (ms)\n------------  ---------------------\nbaseline      40.5\nprune90 & co  <null>",
            table.PlainText
        );
        Assert.Equal(
            "<table class=\"qp-table\"><thead><tr><th>Variant</th><th>Latency, batch 1 (ms)</th></tr></thead><tbody>"
                + "<tr><td>baseline</td><td>40.5</td></tr><tr><td>prune90 &amp; co</td><td>&lt;null&gt;</td></tr></tbody></table>",
            table.Html
        );
        Assert.EndsWith("prune90  <null>", new[] { new Timing("prune90", null) }.ToTable().PlainText);
        Assert.EndsWith(
            "99\n(1 more rows)",
            Enumerable.Range(0, TableFormatter.DefaultMaxRows + 1).ToList().ToTable(("Index", i => i)).PlainText
        );
    }

    [Fact]
    public void Long_tables_stop_at_the_row_limit_and_count_the_rest()
    {
        var table = Enumerable.Range(0, 5).Select(i => new { Index = i, Square = i * i }).ToList().ToTable(maxRows: 2);
        Assert.Equal("Index  Square\n-----  ------\n0      0\n1      1\n(3 more rows)", table.PlainText);
    }

    [Fact]
    public void Scalars_and_scalar_sequences_are_text()
    {
        Assert.Equal("[1, 2.5, 3]", new[] { 1, 2.5, 3 }.ToTable().PlainText);
        Assert.Equal("0.1", TableFormatter.PlainText(0.1));
        Assert.Equal("<null>", TableFormatter.PlainText(null));
    }

    [Fact]
    public void DataFrame_s_show_each_columns_type_and_the_first_rows()
    {
        var frame = new DataFrame(
            new StringDataFrameColumn("split", ["train", "dev", "test"]),
            new DoubleDataFrameColumn("snr_db", [12.5, null, -1])
        );
        var table = DataFrameFormatter.Format(frame, maxRows: 2);
        Assert.Equal(
            "split   snr_db\nstring  double\n------  ------\ntrain   12.5\ndev\n(1 more rows)",
            table.PlainText
        );
        Assert.StartsWith(
            "<table class=\"qp-table\"><thead><tr><th>split<br><span class=\"qp-type\">string</span></th>",
            table.Html
        );
    }

    /// <summary>
    /// After Register, .NET Interactive's formatter (the kernel's only display path) gives each type its outputs:
    /// a figure as Plotly JSON, HTML and text; tables, data frames and tensors as HTML and text.
    /// </summary>
    [Fact]
    public void Register_gives_each_type_its_mime_types_in_the_kernels_formatter()
    {
        NotebookFormatters.Register();
        Assert.Equal(
            [MimeTypes.Plotly, MimeTypes.Html, MimeTypes.PlainText],
            Formatter.GetPreferredMimeTypesFor(typeof(Figure))
        );
        Assert.Equal([MimeTypes.Html, MimeTypes.PlainText], Formatter.GetPreferredMimeTypesFor(typeof(Table)));
        Assert.Equal([MimeTypes.Html, MimeTypes.PlainText], Formatter.GetPreferredMimeTypesFor(typeof(DataFrame)));
        Assert.Equal(
            [MimeTypes.Html, MimeTypes.PlainText],
            Formatter.GetPreferredMimeTypesFor(typeof(QuakePrune.Torch.Tensor))
        );

        var figure = new Figure(new Bar { X = new[] { "a" }, Y = new[] { 1 } }).WithTitle("T");
        Assert.Equal(figure.ToJsonString(), figure.ToDisplayString(MimeTypes.Plotly));
        Assert.Equal("Figure: 1 trace(s), \"T\"", figure.ToDisplayString(MimeTypes.PlainText));
        var table = new[] { new Measurement("baseline", 40.5) }.ToTable();
        Assert.Equal(table.Html, table.ToDisplayString(MimeTypes.Html));
        Assert.Equal(table.PlainText, table.ToDisplayString(MimeTypes.PlainText));
    }

    [Fact]
    public void Plotly_js_goes_with_the_first_figure_after_register_only()
    {
        NotebookFormatters.Register();
        var figure = new Figure(new Bar { X = new[] { "a" }, Y = new[] { 1 } });
        var first = figure.ToDisplayString(MimeTypes.Html);
        var second = figure.ToDisplayString(MimeTypes.Html);
        Assert.StartsWith($"<script type=\"text/javascript\">{PlotlyJs.ReadScript()}</script>", first);
        Assert.Equal(figure.ToHtmlFragment(), second);
        NotebookFormatters.Register();
        Assert.Equal(first, figure.ToDisplayString(MimeTypes.Html));
    }
}
