using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace QuakePrune.Notebooks.Format;

/// <summary>
/// A Jupyter notebook (nbformat 4.5) held as JSON, so fields this project does not know survive a round
/// trip. Multi-line strings are joined on reading and split into lines on writing, as nbformat does.
/// </summary>
public sealed class NotebookDocument
{
    public const string CodeCellLanguage = "csharp";

    NotebookDocument(JsonObject root, string source)
    {
        Root = root;
        Source = source;
    }

    /// <summary>The whole notebook; cells' multi-line fields are plain strings here.</summary>
    public JsonObject Root { get; }

    /// <summary>Where the notebook came from, for messages.</summary>
    public string Source { get; }

    public JsonObject Metadata => (JsonObject)(Root["metadata"] ??= new JsonObject());

    public IReadOnlyList<NotebookCell> Cells =>
        CellArray
            .Select(
                (c, i) =>
                    new NotebookCell(
                        c as JsonObject
                            ?? throw new InvalidDataException($"{Source}: cell {i + 1} is not a JSON object")
                    )
            )
            .ToList();

    JsonArray CellArray => Root["cells"] as JsonArray ?? throw new InvalidDataException($"{Source}: no 'cells' list");

    public static NotebookDocument Load(string path)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException($"notebook {path} does not exist", path);
        return Parse(File.ReadAllText(path), path);
    }

    public static NotebookDocument Parse(string json, string source)
    {
        JsonNode? node;
        try
        {
            node = JsonNode.Parse(json);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{source}: not valid JSON ({e.Message})", e);
        }
        if (node is not JsonObject root)
            throw new InvalidDataException($"{source}: a notebook must be a JSON object");
        var major = root["nbformat"]?.GetValueKind() == JsonValueKind.Number ? root["nbformat"]!.GetValue<int>() : 0;
        if (major != 4)
            throw new InvalidDataException($"{source}: nbformat {major} is not supported (4 is)");
        if (root["cells"] is not JsonArray cells)
            throw new InvalidDataException($"{source}: no 'cells' list");
        for (var i = 0; i < cells.Count; i++)
        {
            if (cells[i] is not JsonObject cell)
                throw new InvalidDataException($"{source}: cell {i + 1} is not a JSON object");
            JoinMultiline(cell, $"{source}, cell {i + 1}");
        }
        var notebook = new NotebookDocument(root, source);
        notebook.Normalise();
        return notebook;
    }

    /// <summary>A new, empty C# notebook.</summary>
    public static NotebookDocument Create(string source = "notebook")
    {
        var root = new JsonObject
        {
            ["cells"] = new JsonArray(),
            ["metadata"] = new JsonObject(),
            ["nbformat"] = 4,
            ["nbformat_minor"] = 5,
        };
        var notebook = new NotebookDocument(root, source);
        notebook.Normalise();
        return notebook;
    }

    /// <summary>Adds a cell at the end (or at <paramref name="index"/>) with a fresh id.</summary>
    public NotebookCell AddCell(string cellType, string source, int? index = null, params string[] tags)
    {
        var cell = new JsonObject
        {
            ["cell_type"] = cellType,
            ["id"] = "",
            ["metadata"] = new JsonObject(),
            ["source"] = source,
        };
        if (cellType == "code")
        {
            cell["execution_count"] = null;
            cell["outputs"] = new JsonArray();
        }
        if (tags.Length > 0)
            cell["metadata"]!["tags"] = new JsonArray(tags.Select(t => (JsonNode)t!).ToArray());
        CellArray.Insert(index ?? CellArray.Count, cell);
        Normalise();
        return new NotebookCell(cell);
    }

    public void RemoveCell(NotebookCell cell) => CellArray.Remove(cell.Json);

    /// <summary>The notebook as nbformat writes it.</summary>
    public string ToJson()
    {
        var copy = (JsonObject)Root.DeepClone();
        foreach (var cell in ((JsonArray)copy["cells"]!).OfType<JsonObject>())
            SplitMultiline(cell);
        return NotebookJson.Write(copy);
    }

    /// <summary>Writes to a temporary name beside <paramref name="path"/>, then renames it.</summary>
    public void Save(string path) => AtomicFile.WriteAllText(path, ToJson());

    /// <summary>
    /// Makes the notebook a 4.5 C# notebook as .NET Interactive writes them: kernel metadata, cell ids and
    /// each code cell's language metadata. Refuses notebooks written for another kernel.
    /// </summary>
    void Normalise()
    {
        var metadata = Metadata;
        if (
            metadata["kernelspec"] is JsonObject spec
            && spec["name"]?.GetValue<string>() is { } kernel
            && kernel != ".net-csharp"
        )
            throw new InvalidDataException($"{Source}: kernel '{kernel}' is not the C# kernel (.net-csharp)");
        metadata["kernelspec"] = new JsonObject
        {
            ["display_name"] = ".NET (C#)",
            ["language"] = "C#",
            ["name"] = ".net-csharp",
        };
        var languageInfo = metadata["language_info"] as JsonObject ?? new JsonObject();
        languageInfo["name"] = "C#";
        languageInfo["file_extension"] = ".cs";
        languageInfo["mimetype"] = "text/x-csharp";
        languageInfo["pygments_lexer"] = "csharp";
        metadata["language_info"] = languageInfo;
        metadata["polyglot_notebook"] = new JsonObject
        {
            ["kernelInfo"] = new JsonObject
            {
                ["defaultKernelName"] = CodeCellLanguage,
                ["items"] = new JsonArray(
                    new JsonObject
                    {
                        ["aliases"] = new JsonArray(),
                        ["languageName"] = CodeCellLanguage,
                        ["name"] = CodeCellLanguage,
                    }
                ),
            },
        };
        Root["nbformat"] = 4;
        Root["nbformat_minor"] = Math.Max(5, Root["nbformat_minor"]?.GetValue<int>() ?? 5);

        var used = new HashSet<string>(StringComparer.Ordinal);
        var cells = Cells;
        for (var i = 0; i < cells.Count; i++)
        {
            var cell = cells[i];
            var id = cell.Id;
            if (string.IsNullOrEmpty(id) || !IsValidId(id) || !used.Add(id))
            {
                id = NewId(cell, i, used);
                cell.Json["id"] = id;
                used.Add(id);
            }
            if (cell.Json["metadata"] is not JsonObject)
                cell.Json["metadata"] = new JsonObject();
            if (cell.CellType != "code")
                continue;
            cell.Metadata["dotnet_interactive"] = new JsonObject { ["language"] = CodeCellLanguage };
            cell.Metadata["polyglot_notebook"] = new JsonObject { ["kernelName"] = CodeCellLanguage };
            cell.Json["outputs"] ??= new JsonArray();
            if (!cell.Json.ContainsKey("execution_count"))
                cell.Json["execution_count"] = null;
        }
    }

    static bool IsValidId(string id) =>
        id.Length is >= 1 and <= 64 && id.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_');

    /// <summary>An id derived from the cell's place and text, so the same notebook gets the same ids.</summary>
    static string NewId(NotebookCell cell, int index, HashSet<string> used)
    {
        for (var salt = 0; ; salt++)
        {
            var hash = SHA256.HashData(Encoding.UTF8.GetBytes($"{index}\n{salt}\n{cell.CellType}\n{cell.Text}"));
            var id = Convert.ToHexStringLower(hash)[..8];
            if (!used.Contains(id))
                return id;
        }
    }

    static void JoinMultiline(JsonObject cell, string where)
    {
        if (cell.ContainsKey("source"))
            cell["source"] = NotebookJson.JoinLines(cell["source"], $"{where}, source");
        if (cell["outputs"] is not JsonArray outputs)
            return;
        foreach (var output in outputs.OfType<JsonObject>())
        {
            if (output.ContainsKey("text"))
                output["text"] = NotebookJson.JoinLines(output["text"], $"{where}, output text");
            if (output["data"] is not JsonObject data)
                continue;
            foreach (var key in data.Select(p => p.Key).ToList())
                if (IsTextMime(key) && data[key] is JsonArray)
                    data[key] = NotebookJson.JoinLines(data[key], $"{where}, output {key}");
        }
    }

    static void SplitMultiline(JsonObject cell)
    {
        if (cell["source"] is JsonValue source)
            cell["source"] = NotebookJson.SplitLines(source.GetValue<string>());
        if (cell["outputs"] is not JsonArray outputs)
            return;
        foreach (var output in outputs.OfType<JsonObject>())
        {
            if (output["text"] is JsonValue text && text.GetValueKind() == JsonValueKind.String)
                output["text"] = NotebookJson.SplitLines(text.GetValue<string>());
            if (output["data"] is not JsonObject data)
                continue;
            foreach (var key in data.Select(p => p.Key).ToList())
                if (IsTextMime(key) && data[key] is JsonValue value && value.GetValueKind() == JsonValueKind.String)
                    data[key] = NotebookJson.SplitLines(value.GetValue<string>());
        }
    }

    /// <summary>Mime types nbformat stores as lines; JSON ones stay JSON.</summary>
    static bool IsTextMime(string mime) =>
        mime != "application/json" && !mime.EndsWith("+json", StringComparison.Ordinal);
}

/// <summary>One cell of a <see cref="NotebookDocument"/>, a view over its JSON.</summary>
public sealed class NotebookCell(JsonObject json)
{
    public JsonObject Json { get; } = json;

    public string CellType => Json["cell_type"]?.GetValue<string>() ?? "";

    public string Id => Json["id"]?.GetValue<string>() ?? "";

    public string Text
    {
        get => Json["source"]?.GetValue<string>() ?? "";
        set => Json["source"] = value;
    }

    public JsonObject Metadata => (JsonObject)(Json["metadata"] ??= new JsonObject());

    public IReadOnlyList<string> Tags =>
        Metadata["tags"] is JsonArray tags ? tags.Select(t => t?.GetValue<string>() ?? "").ToList() : [];

    public bool HasTag(string tag) => Tags.Contains(tag, StringComparer.Ordinal);

    public JsonArray Outputs
    {
        get => (JsonArray)(Json["outputs"] ??= new JsonArray());
        set => Json["outputs"] = value;
    }

    public int? ExecutionCount
    {
        get => Json["execution_count"]?.GetValue<int>();
        set => Json["execution_count"] = value;
    }
}
