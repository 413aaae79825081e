using System.Diagnostics;
using System.Reflection;
using System.Reflection.Metadata;
using System.Runtime.InteropServices;
using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Scripting;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Scripting;
using QuakePrune.Notebooks.Formatting;

namespace QuakePrune.Notebooks.Engine;

/// <summary>
/// Runs C# cells one after another in one Roslyn script state, each continuing the last (as the .NET
/// Interactive C# kernel did): the latest language version, top-level await, <c>#r</c> paths resolved
/// against the notebook's folder, console output and displayed values captured per cell. Roslyn's
/// interactive loader finds a referenced assembly's dependencies in its folder, and the runtime its native
/// libraries there (ReferenceTests check both), so one <c>#r</c> brings a library with all it needs.
/// </summary>
public sealed class CSharpKernel
{
    /// <summary>Namespaces every cell sees, as in .NET Interactive, plus the display and figure helpers.</summary>
    public static readonly IReadOnlyList<string> DefaultImports =
    [
        "System", "System.Collections.Generic", "System.IO", "System.Linq", "System.Text", "System.Threading",
        "System.Threading.Tasks", "System.Net.Http", "QuakePrune.Notebooks", "QuakePrune.Notebooks.Plotting",
        "QuakePrune.Notebooks.Formatting",
    ];

    static readonly Lazy<IReadOnlyList<MetadataReference>> frameworkReferences = new(LoadFrameworkReferences);

    readonly string baseDirectory;
    readonly string documentName;
    readonly ScriptOptions options;
    readonly NotebookGlobals globals = new();
    ScriptState<object>? state;

    /// <param name="baseDirectory">The notebook's folder: relative <c>#r</c> and <c>#load</c> paths start here.</param>
    /// <param name="documentName">The notebook's file name, for stack traces.</param>
    public CSharpKernel(string baseDirectory, string documentName, FormatterRegistry? formatters = null)
    {
        this.baseDirectory = Path.GetFullPath(baseDirectory);
        this.documentName = documentName;
        Formatters = formatters ?? FormatterRegistry.Default;
        ConsoleRouter.Install();
        options = ScriptOptions.Default
            .WithLanguageVersion(LanguageVersion.Preview)
            .WithReferences(frameworkReferences.Value)
            .AddReferences(typeof(CSharpKernel).Assembly)
            .WithImports(DefaultImports)
            .WithMetadataResolver(ScriptMetadataResolver.Default.WithBaseDirectory(this.baseDirectory))
            .WithSourceResolver(ScriptSourceResolver.Default.WithBaseDirectory(this.baseDirectory))
            .WithEmitDebugInformation(true)
            .WithFileEncoding(Encoding.UTF8)
            .WithAllowUnsafe(true);
    }

    public FormatterRegistry Formatters { get; }

    /// <summary>How many cells ran (what Jupyter calls the execution count of the last one).</summary>
    public int ExecutionCount { get; private set; }

    /// <summary>Runs one cell. Failures come back in the result; the state stays as the cell left it.</summary>
    public async Task<CellResult> ExecuteAsync(string code, string cellLabel, CancellationToken cancellationToken = default)
    {
        var outputs = new CellOutputs(Formatters);
        var count = ++ExecutionCount;
        var started = DateTimeOffset.UtcNow;
        var clock = Stopwatch.StartNew();
        var filePath = Path.Combine(baseDirectory, $"{documentName}#{cellLabel.Replace(' ', '-')}");
        var cellOptions = options.WithFilePath(filePath);
        var script = state is null
            ? CSharpScript.Create(code, cellOptions, typeof(NotebookGlobals))
            : state.Script.ContinueWith(code, cellOptions);

        var previous = CellOutputs.Enter(outputs);
        CellError? error = null;
        try
        {
            var errors = script.Compile(cancellationToken).Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
            if (errors.Count > 0)
            {
                error = CompilationError(errors, cellLabel);
            }
            else
            {
                var compilation = script.GetCompilation();
                var next = state is null
                    ? await script.RunAsync(globals, _ => true, cancellationToken)
                    : await script.RunFromAsync(state, _ => true, cancellationToken);
                state = next;
                if (next.Exception is { } exception) error = RuntimeError(exception, filePath, cellLabel);
                else if (HasTrailingValue(compilation))
                    outputs.AddExecuteResult(next.ReturnValue, count);
            }
        }
        finally
        {
            CellOutputs.Enter(previous);
        }
        if (error is not null) outputs.AddError(error);
        return new CellResult(count, outputs.ToJson(), error, started, started + clock.Elapsed);
    }

    /// <summary>The declared type of a variable the cells defined (the latest of that name), or null.</summary>
    public Type? VariableType(string name) => state?.GetVariable(name)?.Type;

    /// <summary>Whether the cell ends in an expression without a semicolon whose value is not void (Jupyter's execute_result).</summary>
    static bool HasTrailingValue(Compilation compilation)
    {
        var tree = compilation.SyntaxTrees.Single();
        var last = tree.GetCompilationUnitRoot().Members.OfType<GlobalStatementSyntax>().LastOrDefault();
        if (last?.Statement is not ExpressionStatementSyntax { SemicolonToken.IsMissing: true } statement) return false;
        var type = compilation.GetSemanticModel(tree).GetTypeInfo(statement.Expression).Type;
        return type is not null && type.SpecialType != SpecialType.System_Void;
    }

    static CellError CompilationError(List<Diagnostic> errors, string cellLabel)
    {
        string Describe(Diagnostic d)
        {
            var line = d.Location.GetLineSpan().StartLinePosition;
            return $"{cellLabel}, line {line.Line + 1}, column {line.Character + 1}: error {d.Id}: {d.GetMessage(System.Globalization.CultureInfo.InvariantCulture)}";
        }
        var first = errors[0].Location.GetLineSpan().StartLinePosition.Line + 1;
        return new CellError("CompilationErrorException", string.Join("\n", errors.Select(Describe)), errors.Select(Describe).ToList(), first);
    }

    static CellError RuntimeError(Exception exception, string filePath, string cellLabel)
    {
        while (exception is TargetInvocationException { InnerException: { } inner }) exception = inner;
        var line = new StackTrace(exception, true).GetFrames()
            .Where(f => f.GetFileName() == filePath).Select(f => (int?)f.GetFileLineNumber()).FirstOrDefault();
        var traceback = new List<string> { $"{exception.GetType().FullName}: {exception.Message}" };
        if (line is not null) traceback.Add($"   in {cellLabel}, line {line}");
        foreach (var frame in (exception.StackTrace ?? "").Split('\n'))
        {
            // Frames below the submission are the scripting host's, of no use to the notebook's reader.
            if (frame.Contains("Microsoft.CodeAnalysis.Scripting", StringComparison.Ordinal)) break;
            if (frame.Contains("End of stack trace from previous location", StringComparison.Ordinal)) continue;
            traceback.Add(frame.TrimEnd('\r').Replace(filePath, cellLabel, StringComparison.Ordinal));
        }
        if (exception.InnerException is { } cause) traceback.Add($" ---> {cause.GetType().FullName}: {cause.Message}");
        return new CellError(exception.GetType().Name, exception.Message, traceback, line);
    }

    /// <summary>The running framework's assemblies, so cells can use any of its types as a project could.</summary>
    static IReadOnlyList<MetadataReference> LoadFrameworkReferences()
    {
        var directory = RuntimeEnvironment.GetRuntimeDirectory();
        var references = new List<MetadataReference>();
        foreach (var path in Directory.EnumerateFiles(directory, "*.dll").Order(StringComparer.Ordinal))
        {
            if (!IsManagedAssembly(path)) continue;
            references.Add(MetadataReference.CreateFromFile(path));
        }
        return references;
    }

    static bool IsManagedAssembly(string path)
    {
        try
        {
            using var stream = File.OpenRead(path);
            using var reader = new System.Reflection.PortableExecutable.PEReader(stream);
            return reader.HasMetadata && reader.GetMetadataReader().IsAssembly;
        }
        catch (BadImageFormatException)
        {
            return false;
        }
    }
}

/// <summary>What running one cell gave: its outputs in Jupyter's JSON, the error if it failed, and when it ran.</summary>
public sealed record CellResult(int ExecutionCount, System.Text.Json.Nodes.JsonArray Outputs, CellError? Error, DateTimeOffset Started, DateTimeOffset Finished)
{
    public bool Succeeded => Error is null;
    public TimeSpan Duration => Finished - Started;
}
