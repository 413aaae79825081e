using System.Diagnostics;
using Microsoft.DotNet.Interactive;
using Microsoft.DotNet.Interactive.Commands;
using Microsoft.DotNet.Interactive.CSharp;
using Microsoft.DotNet.Interactive.PackageManagement;

namespace QuakePrune.Notebooks.Engine;

/// <summary>
/// The .NET Interactive C# kernel, hosted in this process and set up as the stock Jupyter kernel
/// (dotnet-interactive's <c>.net-csharp</c>) sets up its C# part: the same <see cref="CSharpKernel"/> with
/// <c>#r "nuget: ..."</c> and the kernel helpers (<c>display</c>, <c>HTML</c>) inside a composite kernel. So a cell
/// gives here the outputs it gives in VS Code or Jupyter; only what the Jupyter front end adds (its connection
/// script) is missing.
/// </summary>
public sealed class NotebookKernel : IDisposable
{
    readonly CompositeKernel root;
    readonly CSharpKernel csharp;

    public NotebookKernel()
    {
        csharp = new CSharpKernel()
            .UseNugetDirective(
                (kernel, packages) =>
                {
                    kernel.AddAssemblyReferences(packages.SelectMany(p => p.AssemblyPaths));
                    return Task.CompletedTask;
                }
            )
            .UseKernelHelpers();
        root = new CompositeKernel { csharp };
        root.DefaultKernelName = csharp.Name;
    }

    /// <summary>How many cells ran (what Jupyter calls the execution count of the last one).</summary>
    public int ExecutionCount { get; private set; }

    /// <summary>
    /// Runs one cell; failures come back in the result. Relative <c>#r</c> paths resolve against the working
    /// directory, as in Jupyter, where it is the notebook's folder.
    /// </summary>
    /// <param name="cellLabel">How messages name the cell ("cell 8").</param>
    public async Task<CellResult> ExecuteAsync(
        string code,
        string cellLabel,
        CancellationToken cancellationToken = default
    )
    {
        var count = ++ExecutionCount;
        var started = DateTimeOffset.UtcNow;
        var clock = Stopwatch.StartNew();
        var result = await root.SendAsync(new SubmitCode(code, csharp.Name), cancellationToken);
        var outputs = CellOutputs.FromEvents(result.Events, count, failure =>
            CellErrors.Describe(failure, cellLabel, csharp.ScriptState)
        );
        return new CellResult(count, outputs.Json, outputs.Error, started, started + clock.Elapsed);
    }

    /// <summary>The declared type of a variable the cells defined (the latest of that name), or null.</summary>
    public Type? VariableType(string name) => csharp.ScriptState?.GetVariable(name)?.Type;

    public void Dispose() => root.Dispose();
}

/// <summary>
/// What running one cell gave: its outputs in Jupyter's JSON, the error if it failed, and when it ran.
/// </summary>
public sealed record CellResult(
    int ExecutionCount,
    System.Text.Json.Nodes.JsonArray Outputs,
    CellError? Error,
    DateTimeOffset Started,
    DateTimeOffset Finished
)
{
    public bool Succeeded => Error is null;
    public TimeSpan Duration => Finished - Started;
}
