using System.Reflection;
using System.Runtime.InteropServices;
using System.Runtime.Loader;

namespace QuakePrune.Notebooks.Engine;

/// <summary>
/// Loads what a <c>#r</c>-referenced assembly needs from the assembly's own folder: its managed
/// dependencies (NuGet packages copied beside it) and native libraries (the libtorch shim), the way a
/// built application finds them beside its own files.
/// </summary>
static class DependencyLoader
{
    static readonly Lock gate = new();
    static readonly List<string> directories = [];
    static readonly HashSet<AssemblyLoadContext> hookedContexts = [];
    static bool installed;

    public static void Install()
    {
        lock (gate)
        {
            if (installed) return;
            AppDomain.CurrentDomain.AssemblyResolve += ResolveManaged;
            AppDomain.CurrentDomain.AssemblyLoad += (_, e) => HookNative(e.LoadedAssembly);
            foreach (var assembly in AppDomain.CurrentDomain.GetAssemblies()) HookNative(assembly);
            installed = true;
        }
    }

    public static void AddProbingDirectory(string directory)
    {
        var full = Path.GetFullPath(directory);
        lock (gate)
            if (!directories.Contains(full)) directories.Add(full);
    }

    static string[] Directories()
    {
        lock (gate) return [.. directories];
    }

    static Assembly? ResolveManaged(object? sender, ResolveEventArgs args)
    {
        var name = new AssemblyName(args.Name).Name;
        if (name is null) return null;
        foreach (var directory in Directories())
        {
            var candidate = Path.Combine(directory, name + ".dll");
            if (!File.Exists(candidate)) continue;
            var context = args.RequestingAssembly is { } requester
                ? AssemblyLoadContext.GetLoadContext(requester) ?? AssemblyLoadContext.Default
                : AssemblyLoadContext.Default;
            return context.LoadFromAssemblyPath(candidate);
        }
        return null;
    }

    static void HookNative(Assembly assembly)
    {
        if (AssemblyLoadContext.GetLoadContext(assembly) is not { } context) return;
        lock (gate)
            if (!hookedContexts.Add(context)) return;
        context.ResolvingUnmanagedDll += ResolveNative;
    }

    static IntPtr ResolveNative(Assembly assembly, string libraryName)
    {
        var folders = new List<string>();
        if (!string.IsNullOrEmpty(assembly.Location)) folders.Add(Path.GetDirectoryName(assembly.Location)!);
        folders.AddRange(Directories());
        string[] fileNames = [libraryName, $"lib{libraryName}.so", $"{libraryName}.so", $"lib{libraryName}.dylib", $"{libraryName}.dll"];
        foreach (var folder in folders)
            foreach (var fileName in fileNames)
            {
                var candidate = Path.Combine(folder, fileName);
                if (File.Exists(candidate) && NativeLibrary.TryLoad(candidate, out var handle)) return handle;
            }
        return IntPtr.Zero;
    }
}
