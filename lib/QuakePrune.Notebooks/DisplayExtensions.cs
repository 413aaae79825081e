using QuakePrune.Notebooks.Engine;

namespace QuakePrune.Notebooks;

/// <summary><c>x.Display()</c>, as in .NET Interactive (this namespace is imported in every notebook).</summary>
public static class DisplayExtensions
{
    public static void Display(this object? value) => NotebookDisplay.Show(value);
}

/// <summary>Shows values in the running cell's outputs.</summary>
public static class NotebookDisplay
{
    public static void Show(object? value)
    {
        var outputs = CellOutputs.Current
            ?? throw new InvalidOperationException("display works only while a notebook cell runs");
        outputs.Display(value);
    }
}
