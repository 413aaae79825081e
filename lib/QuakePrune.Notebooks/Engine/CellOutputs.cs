using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.DotNet.Interactive.Events;
using Microsoft.DotNet.Interactive.Formatting;

namespace QuakePrune.Notebooks.Engine;

/// <summary>
/// A cell's kernel events as nbformat outputs, mapped as the stock kernel's Jupyter front end maps them
/// (Microsoft.DotNet.Interactive.Jupyter's execute handler): console writes and errors become streams, displayed values
/// display_data, the trailing expression execute_result (unless it is itself a display), compiler diagnostics a stderr
/// stream, and a failure an error output. Two differences, both in what nbformat stores rather than what a front end
/// shows: consecutive writes to one stream are merged (Jupyter front ends show them so), and JSON mime types
/// (application/json, application/vnd.plotly.v1+json) are stored as JSON rather than as its text.
/// </summary>
public static class CellOutputs
{
    public static (JsonArray Json, CellError? Error) FromEvents(
        IEnumerable<KernelEvent> events,
        int executionCount,
        Func<CommandFailed, CellError> describeFailure
    )
    {
        var outputs = new List<JsonObject>();
        var displays = new Dictionary<string, JsonObject>(StringComparer.Ordinal);
        CellError? error = null;
        foreach (var kernelEvent in events)
        {
            switch (kernelEvent)
            {
                case StandardOutputValueProduced stdout:
                    AppendStream(outputs, "stdout", PlainText(stdout));
                    break;
                case StandardErrorValueProduced or ErrorProduced:
                    AppendStream(outputs, "stderr", PlainText((DisplayEvent)kernelEvent));
                    break;
                case DisplayedValueProduced displayed:
                    var display = new JsonObject
                    {
                        ["output_type"] = "display_data",
                        ["data"] = Data(displayed.FormattedValues),
                        ["metadata"] = new JsonObject(),
                    };
                    if (displayed.ValueId is { } displayId)
                        displays[displayId] = display;
                    outputs.Add(display);
                    break;
                case DisplayedValueUpdated updated
                    when updated.ValueId is { } id && displays.TryGetValue(id, out var shown):
                    shown["data"] = Data(updated.FormattedValues);
                    break;
                case ReturnValueProduced returned when returned.Value is not DisplayedValue:
                    outputs.Add(
                        new JsonObject
                        {
                            ["output_type"] = "execute_result",
                            ["data"] = Data(returned.FormattedValues),
                            ["execution_count"] = executionCount,
                            ["metadata"] = new JsonObject(),
                        }
                    );
                    break;
                case DiagnosticsProduced { FormattedDiagnostics.Count: > 0 } diagnostics:
                    AppendStream(
                        outputs,
                        "stderr",
                        "\n" + string.Join("\n\n", diagnostics.FormattedDiagnostics.Select(d => d.Value)) + "\n\n"
                    );
                    break;
                case CommandFailed failed when error is null:
                    error = describeFailure(failed);
                    outputs.Add(
                        new JsonObject
                        {
                            ["output_type"] = "error",
                            ["ename"] = error.Name,
                            ["evalue"] = error.Message,
                            ["traceback"] = new JsonArray(error.Traceback.Select(t => (JsonNode)t!).ToArray()),
                        }
                    );
                    break;
            }
        }
        return (new JsonArray(outputs.ToArray<JsonNode?>()), error);
    }

    static string PlainText(DisplayEvent e) =>
        e.FormattedValues.FirstOrDefault(v => v.MimeType == PlainTextFormatter.MimeType)?.Value
        ?? e.Value?.ToString()
        ?? "";

    static void AppendStream(List<JsonObject> outputs, string name, string text)
    {
        if (text.Length == 0)
            return;
        if (
            outputs.Count > 0
            && outputs[^1]["output_type"]?.GetValue<string>() == "stream"
            && outputs[^1]["name"]?.GetValue<string>() == name
        )
            outputs[^1]["text"] = outputs[^1]["text"]!.GetValue<string>() + text;
        else
            outputs.Add(
                new JsonObject
                {
                    ["output_type"] = "stream",
                    ["name"] = name,
                    ["text"] = text,
                }
            );
    }

    static JsonObject Data(IEnumerable<FormattedValue> values)
    {
        var data = new JsonObject();
        foreach (var value in values)
            data[value.MimeType] = IsJson(value.MimeType) ? ParseJson(value) : value.Value;
        return data;
    }

    /// <summary>nbformat's rule: application/json and application/*+json hold JSON, everything else text.</summary>
    public static bool IsJson(string mimeType) =>
        mimeType == "application/json"
        || mimeType.StartsWith("application/", StringComparison.Ordinal)
            && mimeType.EndsWith("+json", StringComparison.Ordinal);

    static JsonNode? ParseJson(FormattedValue value)
    {
        try
        {
            return JsonNode.Parse(value.Value);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"a formatter wrote {value.MimeType} that is not JSON: {e.Message}", e);
        }
    }
}

/// <summary>Why a cell failed: Jupyter's ename, evalue and traceback, plus the cell line when known.</summary>
public sealed record CellError(string Name, string Message, IReadOnlyList<string> Traceback, int? Line);
