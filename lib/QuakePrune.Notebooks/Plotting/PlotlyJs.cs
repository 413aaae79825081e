namespace QuakePrune.Notebooks.Plotting;

/// <summary>
/// plotly.min.js from npm (plotly.js-dist-min, pinned by environment/package-lock.json and installed by
/// environment/setup.sh): figures and reports load it from disk, never from a CDN. QUAKEPRUNE_PLOTLY_JS overrides where
/// it is.
/// </summary>
public static class PlotlyJs
{
    public const string FileName = "plotly.min.js";
    static readonly string RelativeInRepository = Path.Combine(
        "environment",
        "node_modules",
        "plotly.js-dist-min",
        FileName
    );
    static readonly Lazy<string> Script = new(() => File.ReadAllText(Locate()));

    /// <summary>
    /// Where plotly.min.js is: QUAKEPRUNE_PLOTLY_JS, else environment/node_modules above the working directory (a
    /// notebook's folder), this library's folder (artifacts/bin/...) or the program's.
    /// </summary>
    public static string Locate()
    {
        if (Environment.GetEnvironmentVariable("QUAKEPRUNE_PLOTLY_JS") is { Length: > 0 } configured)
            return File.Exists(configured)
                ? configured
                : throw new FileNotFoundException(
                    $"QUAKEPRUNE_PLOTLY_JS names {configured}, which does not exist",
                    configured
                );
        var starts = new[]
        {
            Environment.CurrentDirectory,
            Path.GetDirectoryName(typeof(PlotlyJs).Assembly.Location),
            AppContext.BaseDirectory,
        }
            .OfType<string>()
            .Where(s => s.Length > 0)
            .Distinct()
            .ToList();
        foreach (var start in starts)
            for (var directory = new DirectoryInfo(start); directory is not null; directory = directory.Parent)
            {
                var candidate = Path.Combine(directory.FullName, RelativeInRepository);
                if (File.Exists(candidate))
                    return candidate;
            }
        throw new FileNotFoundException(
            $"{FileName} not found: looked for {RelativeInRepository} above {string.Join(", ", starts)}; run environment/setup.sh or set QUAKEPRUNE_PLOTLY_JS"
        );
    }

    /// <summary>plotly.min.js's text (read once per process).</summary>
    public static string ReadScript() => Script.Value;

    /// <summary>Copies plotly.min.js into a folder (reports load it from beside the page).</summary>
    public static string CopyTo(string directory)
    {
        Directory.CreateDirectory(directory);
        var target = Path.Combine(directory, FileName);
        var source = Locate();
        if (!File.Exists(target) || new FileInfo(target).Length != new FileInfo(source).Length)
            AtomicFile.Write(target, partial => File.Copy(source, partial));
        return target;
    }
}
