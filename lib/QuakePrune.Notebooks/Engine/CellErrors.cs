using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Emit;
using Microsoft.CodeAnalysis.Scripting;
using Microsoft.DotNet.Interactive.Events;

namespace QuakePrune.Notebooks.Engine;

/// <summary>
/// A failed cell as a <see cref="CellError"/> that names the cell and the line: compiler errors carry their position;
/// for an exception the line is found from the failing submission's own compilation (see <see cref="LineOf"/>).
/// </summary>
public static class CellErrors
{
    /// <param name="state">The C# kernel's script state after the cell ran (it holds the failed submission).</param>
    public static CellError Describe(CommandFailed failed, string cellLabel, ScriptState? state)
    {
        if (failed.Exception?.InnerException is CompilationErrorException compilation)
            return CompilationError(compilation, cellLabel);
        if (failed.Exception is null)
            return new CellError("Error", failed.Message, [failed.Message], null);
        var exception = failed.Exception;
        var line = state?.Exception == exception ? LineOf(exception, state.Script.GetCompilation()) : null;
        while (exception is TargetInvocationException { InnerException: { } inner })
            exception = inner;
        var traceback = new List<string> { $"{exception.GetType().FullName}: {exception.Message}" };
        if (line is not null)
            traceback.Add($"   in {cellLabel}, line {line}");
        foreach (var frame in (exception.StackTrace ?? "").Split('\n'))
        {
            // Frames below the submission are the kernel's and the scripting host's, of no use to the notebook's
            // reader.
            if (frame.Contains("Microsoft.CodeAnalysis.Scripting", StringComparison.Ordinal))
                break;
            if (frame.Contains("End of stack trace from previous location", StringComparison.Ordinal))
                continue;
            traceback.Add(frame.TrimEnd('\r'));
        }
        if (exception.InnerException is { } cause)
            traceback.Add($" ---> {cause.GetType().FullName}: {cause.Message}");
        return new CellError(exception.GetType().Name, exception.Message, traceback, line);
    }

    static CellError CompilationError(CompilationErrorException exception, string cellLabel)
    {
        var errors = exception.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        string Describe(Diagnostic d)
        {
            var position = d.Location.GetLineSpan().StartLinePosition;
            return $"{cellLabel}, line {position.Line + 1}, column {position.Character + 1}: error {d.Id}: {d.GetMessage(CultureInfo.InvariantCulture)}";
        }
        var lines = errors.Select(Describe).ToList();
        int? first = errors.Count > 0 ? errors[0].Location.GetLineSpan().StartLinePosition.Line + 1 : null;
        return new CellError(nameof(CompilationErrorException), string.Join("\n", lines), lines, first);
    }

    /// <summary>
    /// The cell line an exception came from. The kernel compiles cells without debug information, so its stack
    /// traces have no lines; emitting the same submission again with a portable PDB gives the same methods and IL,
    /// whose sequence points map the failing frame's IL offset to a line of the cell.
    /// </summary>
    static int? LineOf(Exception exception, Compilation submission)
    {
        var frame = new StackTrace(exception, false)
            .GetFrames()
            .FirstOrDefault(f =>
                f.GetMethod()?.Module.Assembly.GetName().Name == submission.AssemblyName
                && f.GetILOffset() != StackFrame.OFFSET_UNKNOWN
            );
        if (frame is null)
            return null;
        using var pe = new MemoryStream();
        using var pdb = new MemoryStream();
        if (
            !submission
                .Emit(pe, pdb, options: new EmitOptions(debugInformationFormat: DebugInformationFormat.PortablePdb))
                .Success
        )
            return null;
        pdb.Position = 0;
        using var provider = MetadataReaderProvider.FromPortablePdbStream(pdb);
        var method = MetadataTokens.MethodDefinitionHandle(frame.GetMethod()!.MetadataToken);
        var offset = frame.GetILOffset();
        return provider
            .GetMetadataReader()
            .GetMethodDebugInformation(method)
            .GetSequencePoints()
            .Where(p => !p.IsHidden && p.Offset <= offset)
            .Select(p => (int?)p.StartLine)
            .LastOrDefault();
    }
}
