using System.Text;
using System.Text.Json.Nodes;
using QuakePrune.Notebooks.Formatting;

namespace QuakePrune.Notebooks.Engine;

/// <summary>
/// The outputs of the cell that is running, in the order they happened: text written to the console
/// (consecutive writes to one stream merge, as in Jupyter) interleaved with displayed values.
/// </summary>
public sealed class CellOutputs(FormatterRegistry formatters)
{
    static readonly AsyncLocal<CellOutputs?> current = new();

    readonly Lock gate = new();
    readonly List<object> items = [];

    /// <summary>The outputs of the cell running on this logical thread, or null outside a cell.</summary>
    public static CellOutputs? Current => current.Value;

    internal static CellOutputs? Enter(CellOutputs? outputs)
    {
        var previous = current.Value;
        current.Value = outputs;
        return previous;
    }

    public FormatterRegistry Formatters { get; } = formatters;

    public void AppendStream(string name, string text)
    {
        if (text.Length == 0) return;
        lock (gate)
        {
            if (items.Count > 0 && items[^1] is StreamChunk chunk && chunk.Name == name) chunk.Text.Append(text);
            else items.Add(new StreamChunk(name, new StringBuilder(text)));
        }
    }

    public void Display(object? value) => AddOutput(new JsonObject
    {
        ["output_type"] = "display_data",
        ["data"] = Formatters.Format(value).ToJson(),
        ["metadata"] = new JsonObject(),
    });

    internal void AddExecuteResult(object? value, int executionCount) => AddOutput(new JsonObject
    {
        ["output_type"] = "execute_result",
        ["data"] = Formatters.Format(value).ToJson(),
        ["execution_count"] = executionCount,
        ["metadata"] = new JsonObject(),
    });

    internal void AddError(CellError error) => AddOutput(new JsonObject
    {
        ["output_type"] = "error",
        ["ename"] = error.Name,
        ["evalue"] = error.Message,
        ["traceback"] = new JsonArray(error.Traceback.Select(t => (JsonNode)t!).ToArray()),
    });

    void AddOutput(JsonObject output)
    {
        lock (gate) items.Add(output);
    }

    public JsonArray ToJson()
    {
        lock (gate)
        {
            return new JsonArray(items.Select(item => item switch
            {
                StreamChunk s => new JsonObject { ["output_type"] = "stream", ["name"] = s.Name, ["text"] = s.Text.ToString() },
                JsonObject o => (JsonNode)o.DeepClone(),
                _ => throw new InvalidOperationException($"unexpected output {item.GetType()}"),
            }).ToArray());
        }
    }

    sealed record StreamChunk(string Name, StringBuilder Text);
}

/// <summary>Why a cell failed: Jupyter's ename, evalue and traceback, plus the cell line when known.</summary>
public sealed record CellError(string Name, string Message, IReadOnlyList<string> Traceback, int? Line);
