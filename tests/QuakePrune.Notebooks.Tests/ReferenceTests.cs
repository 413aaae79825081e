using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using QuakePrune.Notebooks.Format;
using QuakePrune.Notebooks.Running;

namespace QuakePrune.Notebooks.Tests;

/// <summary>
/// `#r` with a path relative to the notebook loads the assembly and, from its folder, its managed dependency
/// and its native library: the shape of one `#r` line bringing in QuakePrune with its NuGet packages and shim.
/// </summary>
public class ReferenceTests
{
    static readonly MetadataReference[] Framework = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!)
        .Split(Path.PathSeparator)
        .Where(p =>
            Path.GetFileName(p).StartsWith("System.", StringComparison.Ordinal)
            || Path.GetFileName(p) == "netstandard.dll"
        )
        .Select(p => (MetadataReference)MetadataReference.CreateFromFile(p))
        .ToArray();

    static string Build(string directory, string name, string code, params string[] references)
    {
        var compilation = CSharpCompilation.Create(
            name,
            [CSharpSyntaxTree.ParseText(code)],
            Framework.Concat(references.Select(r => MetadataReference.CreateFromFile(r))),
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary)
        );
        var path = Path.Combine(directory, name + ".dll");
        var emitted = compilation.Emit(path);
        Assert.True(emitted.Success, string.Join("\n", emitted.Diagnostics));
        return path;
    }

    [Fact]
    public async Task Relative_reference_loads_the_assembly_its_dependencies_and_its_native_library()
    {
        using var temp = new TempDirectory();
        var libs = Directory.CreateDirectory(Path.Combine(temp.Path, "artifacts", "lib")).FullName;
        var dependency = Build(
            libs,
            "QpRefTestDependency",
            "namespace QpRefTestDependency; public static class Words { public static string Greeting() => \"hello from the dependency\"; }"
        );
        Build(
            libs,
            "QpRefTestLibrary",
            """
            using System;
            using System.Runtime.InteropServices;
            namespace QpRefTestLibrary;
            public static class Greeter
            {
                [DllImport("qprefz")] static extern IntPtr zlibVersion();
                public static string Hello() => QpRefTestDependency.Words.Greeting();
                public static string NativeVersion() => Marshal.PtrToStringAnsi(zlibVersion())!;
            }
            """,
            dependency
        );
        // A native library beside the assembly, found by the name its DllImport uses (as the libtorch shim is).
        File.Copy("/usr/lib/x86_64-linux-gnu/libz.so.1", Path.Combine(libs, "libqprefz.so"));

        var notebooks = Directory.CreateDirectory(Path.Combine(temp.Path, "notebooks")).FullName;
        var document = NotebookDocument.Create("refs");
        document.AddCell("code", "#r \"../artifacts/lib/QpRefTestLibrary.dll\"\nusing QpRefTestLibrary;");
        document.AddCell("code", "Greeter.Hello()");
        document.AddCell("code", "Greeter.NativeVersion().Split('.')[0]");
        var result = await NotebookRunner.ExecuteAsync(document, Path.Combine(notebooks, "refs.ipynb"), []);

        Assert.True(result.Succeeded, result.Failure?.ToString());
        Assert.Equal(
            "hello from the dependency",
            document.Cells[1].Outputs[0]!["data"]!["text/plain"]!.GetValue<string>()
        );
        Assert.Equal("1", document.Cells[2].Outputs[0]!["data"]!["text/plain"]!.GetValue<string>());
    }

    [Fact]
    public async Task Missing_reference_is_a_compilation_error_naming_the_file()
    {
        using var temp = new TempDirectory();
        var document = NotebookDocument.Create("refs");
        document.AddCell("code", "#r \"../nowhere/Missing.dll\"");
        var result = await NotebookRunner.ExecuteAsync(document, Path.Combine(temp.Path, "refs.ipynb"), []);
        Assert.False(result.Succeeded);
        Assert.Equal("CompilationErrorException", result.Failure!.Error.Name);
        Assert.Contains("Missing.dll", result.Failure.Error.Message);
    }
}
