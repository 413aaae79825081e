using System.Globalization;
using System.Text.Json.Nodes;
using QuakePrune.Notebooks.Engine;
using QuakePrune.Notebooks.Format;
using QuakePrune.Notebooks.Plotting;

namespace QuakePrune.Notebooks.Running;

/// <summary>What to run and where the executed notebooks and the report go.</summary>
public sealed record NotebookRunOptions
{
    /// <summary>Notebook paths, run in this order.</summary>
    public required IReadOnlyList<string> Notebooks { get; init; }

    /// <summary>Executed copies, one HTML page per notebook, index.html and plotly.min.js go here.</summary>
    public string OutputDirectory { get; init; } = "reports";

    /// <summary>-p name value overrides; each goes to the notebooks whose parameters cell declares it.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Parameters { get; init; } = [];

    /// <summary>
    /// Extra HTML placed on the index page above the list of notebooks (the study's overview), asked for once the
    /// notebooks have run, so it can show what they wrote.
    /// </summary>
    public Func<string?>? IndexExtraHtml { get; init; }

    /// <summary>
    /// Keep running later notebooks after one fails (they usually read its outputs, so off by default).
    /// </summary>
    public bool ContinueAfterFailure { get; init; }

    /// <summary>Progress lines (one per notebook), or null for none.</summary>
    public TextWriter? Log { get; init; }
}

/// <summary>The first failed cell of a notebook: its 1-based position, id and error.</summary>
public sealed record FailedCell(string Notebook, int CellNumber, string CellId, CellError Error)
{
    public override string ToString() =>
        $"{Notebook}, cell {CellNumber} (id {CellId}{(Error.Line is { } line ? $", line {line}" : "")}): {Error.Name}: {Error.Message}";
}

/// <summary>How one notebook went.</summary>
public sealed record NotebookRunResult(
    string Notebook,
    string? ExecutedPath,
    string? HtmlPath,
    NotebookRunStatus Status,
    FailedCell? Failure,
    TimeSpan Duration
)
{
    public bool Succeeded => Status == NotebookRunStatus.Succeeded;
}

public enum NotebookRunStatus
{
    Succeeded,
    Failed,
    NotRun,
}

public sealed record NotebookRunSummary(IReadOnlyList<NotebookRunResult> Notebooks, string IndexPath)
{
    public bool Succeeded => Notebooks.All(n => n.Succeeded);
}

/// <summary>
/// Executes notebooks headless on the .NET Interactive C# kernel (a fresh one per notebook, cells in order, stopping at
/// the first error), writes the executed copies and an offline HTML report. Shared by `quakeprune notebooks run` and
/// the tests.
/// </summary>
public static class NotebookRunner
{
    /// <summary>Every notebook in a folder, in name order.</summary>
    public static IReadOnlyList<string> DefaultNotebooks(string directory = "notebooks")
    {
        if (!Directory.Exists(directory))
            throw new DirectoryNotFoundException($"notebook folder {directory} does not exist");
        return Directory.EnumerateFiles(directory, "*.ipynb").Order(StringComparer.Ordinal).ToList();
    }

    public static NotebookRunSummary Run(NotebookRunOptions options) => RunAsync(options).GetAwaiter().GetResult();

    public static async Task<NotebookRunSummary> RunAsync(
        NotebookRunOptions options,
        CancellationToken cancellationToken = default
    )
    {
        if (options.Notebooks.Count == 0)
            throw new ArgumentException("no notebooks to run");
        var duplicate = options.Notebooks.GroupBy(Path.GetFileName).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
            throw new ArgumentException(
                $"two notebooks named {duplicate.Key}: their outputs would overwrite each other"
            );
        var documents = options.Notebooks.Select(NotebookDocument.Load).ToList();
        CheckParametersKnown(documents, options.Parameters);

        var outputDirectory = Path.GetFullPath(options.OutputDirectory);
        Directory.CreateDirectory(outputDirectory);
        PlotlyJs.CopyTo(outputDirectory);
        var results = new List<NotebookRunResult>();
        var stopped = false;
        for (var i = 0; i < documents.Count; i++)
        {
            var path = options.Notebooks[i];
            if (stopped)
            {
                results.Add(new NotebookRunResult(path, null, null, NotebookRunStatus.NotRun, null, TimeSpan.Zero));
                continue;
            }
            var document = documents[i];
            var declared = DeclaredParameters(document);
            var overrides = options.Parameters.Where(p => declared.Contains(p.Key)).ToList();
            options.Log?.WriteLine($"running {path}");
            var result = await ExecuteAsync(document, path, overrides, cancellationToken);
            var name = Path.GetFileNameWithoutExtension(path);
            var executedPath = Path.Combine(outputDirectory, name + ".ipynb");
            var htmlPath = Path.Combine(outputDirectory, name + ".html");
            document.Save(executedPath);
            AtomicFile.WriteAllText(htmlPath, HtmlReport.RenderNotebook(document, name));
            results.Add(result with { ExecutedPath = executedPath, HtmlPath = htmlPath });
            options.Log?.WriteLine(
                result.Failure is { } failure
                    ? $"FAILED {failure}"
                    : $"done {path} in {result.Duration.TotalSeconds:F1} s -> {executedPath}"
            );
            if (!result.Succeeded && !options.ContinueAfterFailure)
                stopped = true;
        }
        var indexPath = Path.Combine(outputDirectory, "index.html");
        AtomicFile.WriteAllText(
            indexPath,
            HtmlReport.RenderIndex(results, outputDirectory, options.IndexExtraHtml?.Invoke())
        );
        return new NotebookRunSummary(results, indexPath);
    }

    /// <summary>
    /// Runs a notebook in place: outputs, execution counts and timings go into <paramref name="document"/>.
    /// The working directory is the notebook's folder while it runs, as in Jupyter and VS Code.
    /// </summary>
    public static async Task<NotebookRunResult> ExecuteAsync(
        NotebookDocument document,
        string notebookPath,
        IReadOnlyList<KeyValuePair<string, string>> overrides,
        CancellationToken cancellationToken = default
    )
    {
        foreach (var stale in document.Cells.Where(c => c.HasTag(NotebookParameters.InjectedTag)).ToList())
            document.RemoveCell(stale);
        var parametersCell = document.Cells.FirstOrDefault(c =>
            c.CellType == "code" && c.HasTag(NotebookParameters.ParametersTag)
        );
        if (overrides.Count > 0)
        {
            if (parametersCell is null)
                throw new ArgumentException(
                    $"{notebookPath}: has no cell tagged '{NotebookParameters.ParametersTag}', so parameters {string.Join(", ", overrides.Select(o => o.Key))} cannot be set"
                );
            var declared = NotebookParameters.DeclaredNames(parametersCell.Text);
            var unknown = overrides.Select(o => o.Key).Where(n => !declared.Contains(n)).ToList();
            if (unknown.Count > 0)
                throw new ArgumentException(
                    $"{notebookPath}: unknown parameter(s) {string.Join(", ", unknown)}; the parameters cell declares {string.Join(", ", declared)}"
                );
        }

        var directory = Path.GetDirectoryName(Path.GetFullPath(notebookPath))!;
        using var kernel = new NotebookKernel();
        var started = DateTimeOffset.UtcNow;
        var previousDirectory = Environment.CurrentDirectory;
        FailedCell? failure = null;
        var typedParameters = new JsonObject();
        Environment.CurrentDirectory = directory;
        try
        {
            for (var index = 0; index < document.Cells.Count; index++)
            {
                var cell = document.Cells[index];
                if (cell.CellType != "code")
                    continue;
                if (failure is not null)
                {
                    cell.Outputs = [];
                    cell.ExecutionCount = null;
                    cell.Metadata["papermill"] = Timing(null, "pending");
                    continue;
                }
                var result = await kernel.ExecuteAsync(cell.Text, $"cell {index + 1}", cancellationToken);
                cell.Outputs = result.Outputs;
                cell.ExecutionCount = result.ExecutionCount;
                cell.Metadata["papermill"] = Timing(result, result.Succeeded ? "completed" : "failed");
                if (!result.Succeeded)
                {
                    failure = new FailedCell(notebookPath, index + 1, cell.Id, result.Error!);
                    continue;
                }
                if (ReferenceEquals(cell.Json, parametersCell?.Json) && overrides.Count > 0)
                {
                    var where = $"{notebookPath}, cell {index + 1}";
                    foreach (var (name, value) in overrides)
                    {
                        var type = kernel.VariableType(name)
                            ?? throw new ArgumentException(
                                $"{where}: parameter '{name}' has no value after the parameters cell ran"
                            );
                        typedParameters[name] = ToJson(NotebookParameters.Typed(value, type, name, where));
                    }
                    var source = NotebookParameters.InjectedSource(overrides, kernel.VariableType, where);
                    document.AddCell("code", source, index + 1, NotebookParameters.InjectedTag);
                }
            }
        }
        finally
        {
            Environment.CurrentDirectory = previousDirectory;
        }
        var finished = DateTimeOffset.UtcNow;
        document.Metadata["papermill"] = new JsonObject
        {
            ["duration"] = Seconds(finished - started),
            ["end_time"] = Timestamp(finished),
            ["exception"] = failure is not null,
            ["input_path"] = notebookPath,
            ["parameters"] = typedParameters,
            ["start_time"] = Timestamp(started),
        };
        return new NotebookRunResult(
            notebookPath,
            null,
            null,
            failure is null ? NotebookRunStatus.Succeeded : NotebookRunStatus.Failed,
            failure,
            finished - started
        );
    }

    static HashSet<string> DeclaredParameters(NotebookDocument document) =>
        document.Cells.FirstOrDefault(c => c.CellType == "code" && c.HasTag(NotebookParameters.ParametersTag))
            is { } cell
            ? [.. NotebookParameters.DeclaredNames(cell.Text)]
            : [];

    /// <summary>
    /// Every override must name a parameter of at least one notebook being run; each notebook takes those it declares.
    /// </summary>
    static void CheckParametersKnown(
        List<NotebookDocument> documents,
        IReadOnlyList<KeyValuePair<string, string>> overrides
    )
    {
        var declared = documents.SelectMany(DeclaredParameters).ToHashSet();
        var unknown = overrides.Select(o => o.Key).Distinct().Where(n => !declared.Contains(n)).ToList();
        if (unknown.Count > 0)
            throw new ArgumentException(
                $"unknown parameter(s) {string.Join(", ", unknown)}: no parameters cell of {string.Join(", ", documents.Select(d => d.Source))} declares them"
                    + (
                        declared.Count > 0
                            ? $" (declared: {string.Join(", ", declared.Order(StringComparer.Ordinal))})"
                            : ""
                    )
            );
        var repeated = overrides.GroupBy(o => o.Key).FirstOrDefault(g => g.Count() > 1);
        if (repeated is not null)
            throw new ArgumentException($"parameter '{repeated.Key}' is given more than once");
    }

    /// <summary>Papermill's per-cell record: start, end, duration in seconds, status and whether it raised.</summary>
    static JsonObject Timing(CellResult? result, string status) =>
        new()
        {
            ["duration"] = result is null ? null : Seconds(result.Duration),
            ["end_time"] = result is null ? null : Timestamp(result.Finished),
            ["exception"] = result is null ? null : !result.Succeeded,
            ["start_time"] = result is null ? null : Timestamp(result.Started),
            ["status"] = status,
        };

    static JsonNode ToJson(object value) =>
        value switch
        {
            string s => JsonValue.Create(s),
            bool b => JsonValue.Create(b),
            int i => JsonValue.Create(i),
            long l => JsonValue.Create(l),
            double d when double.IsFinite(d) => JsonValue.Create(d),
            float f when float.IsFinite(f) => JsonValue.Create(f),
            decimal m => JsonValue.Create(m),
            _ => JsonValue.Create(Convert.ToString(value, CultureInfo.InvariantCulture)!),
        };

    static double Seconds(TimeSpan duration) => Math.Round(duration.TotalSeconds, 6);

    static string Timestamp(DateTimeOffset time) =>
        time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture);
}
