using QuakePrune.Notebooks.Formatting;

namespace QuakePrune.Notebooks.Engine;

/// <summary>
/// Members every cell can call unqualified, named as in .NET Interactive: <c>display(x)</c> and <c>HTML("...")</c>.
/// </summary>
public class NotebookGlobals
{
    /// <summary>Shows a value below the cell, formatted by the notebook's formatters.</summary>
#pragma warning disable IDE1006 // lower-case like .NET Interactive's, so existing notebooks run unchanged
    public void display(object? value) => NotebookDisplay.Show(value);
#pragma warning restore IDE1006

    /// <summary>HTML shown as is when displayed or left as a cell's last expression.</summary>
    public HtmlString HTML(string html) => new(html);
}
