using Microsoft.Data.Analysis;
using Microsoft.DotNet.Interactive.Formatting;
using QuakePrune.Notebooks.Formatting;
using QuakePrune.Notebooks.Plotting;
using QuakePrune.Torch;

namespace QuakePrune.Notebooks;

/// <summary>
/// How the project's values show in a notebook, registered with .NET Interactive's formatter: the one display path of
/// the stock kernel (VS Code, Jupyter) and of <c>quakeprune notebooks run</c>, which hosts the same kernel. A notebook
/// calls <see cref="Register"/> in its first cell, right after <c>#r</c>-ing this library.
/// <list type="bullet">
/// <item>A <see cref="Figure"/>: Plotly's JSON (VS Code and JupyterLab draw it), HTML that draws it offline with the
/// npm copy of plotly.js (sent once per notebook, with its first figure), and a line of text.</item>
/// <item>A <see cref="Table"/> (<c>rows.ToTable()</c>) and a <see cref="DataFrame"/>: an HTML table and aligned
/// text.</item>
/// <item>A <see cref="Tensor"/>: shape, dtype and device, then the values or their range.</item>
/// </list>
/// </summary>
public static class NotebookFormatters
{
    static int Registered;
    static int PlotlySent;

    /// <summary>
    /// Registers the formatters (once per process) and starts a notebook: the next figure shown carries plotly.js.
    /// </summary>
    public static void Register()
    {
        Interlocked.Exchange(ref PlotlySent, 0);
        if (Interlocked.Exchange(ref Registered, 1) == 1)
            return;

        Formatter.Register<Figure>((figure, context) => Write(context, figure.ToJsonString()), MimeTypes.Plotly);
        Formatter.Register<Figure>((figure, context) => Write(context, FigureHtml(figure)), MimeTypes.Html);
        Formatter.Register<Figure>((figure, context) => Write(context, figure.ToString()), MimeTypes.PlainText);
        Formatter.SetPreferredMimeTypesFor(typeof(Figure), MimeTypes.Plotly, MimeTypes.Html, MimeTypes.PlainText);

        Formatter.Register<Table>((table, context) => Write(context, table.Html), MimeTypes.Html);
        Formatter.Register<Table>((table, context) => Write(context, table.PlainText), MimeTypes.PlainText);
        Formatter.SetPreferredMimeTypesFor(typeof(Table), MimeTypes.Html, MimeTypes.PlainText);

        Formatter.Register<DataFrame>(
            (frame, context) => Write(context, DataFrameFormatter.Format(frame).Html),
            MimeTypes.Html
        );
        Formatter.Register<DataFrame>(
            (frame, context) => Write(context, DataFrameFormatter.Format(frame).PlainText),
            MimeTypes.PlainText
        );
        Formatter.SetPreferredMimeTypesFor(typeof(DataFrame), MimeTypes.Html, MimeTypes.PlainText);

        Formatter.Register<Tensor>(
            (tensor, context) => Write(context, TensorFormatter.Format(tensor).Html),
            MimeTypes.Html
        );
        Formatter.Register<Tensor>(
            (tensor, context) => Write(context, TensorFormatter.Format(tensor).PlainText),
            MimeTypes.PlainText
        );
        Formatter.SetPreferredMimeTypesFor(typeof(Tensor), MimeTypes.Html, MimeTypes.PlainText);
    }

    /// <summary>
    /// The figure's drawing HTML; the first one after <see cref="Register"/> brings plotly.js inline.
    /// </summary>
    static string FigureHtml(Figure figure)
    {
        var fragment = figure.ToHtmlFragment();
        return Interlocked.Exchange(ref PlotlySent, 1) == 0
            ? $"<script type=\"text/javascript\">{PlotlyJs.ReadScript()}</script>\n{fragment}"
            : fragment;
    }

    static bool Write(FormatContext context, string text)
    {
        context.Writer.Write(text);
        return true;
    }
}
