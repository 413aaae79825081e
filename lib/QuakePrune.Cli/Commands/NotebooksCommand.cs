using System.CommandLine;
using QuakePrune.Notebooks;
using QuakePrune.Notebooks.Running;
using QuakePrune.Outputs;
using QuakePrune.Pipeline;

namespace QuakePrune.Cli.Commands;

/// <summary>`quakeprune notebooks run`: executes notebooks headless into executed copies and an HTML report.</summary>
public static class NotebooksCommand
{
    public static Command Create()
    {
        var notebooks = new Argument<string[]>("NOTEBOOK")
        {
            Description = "Notebooks to run, in order (default: every notebooks/*.ipynb, in name order).",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var parameters = new Option<string[]>("--parameter", "-p")
        {
            Description =
                "Override a parameter of the cell tagged 'parameters': -p name value (repeatable); typed like its default.",
            Arity = new ArgumentArity(2, 2),
            AllowMultipleArgumentsPerToken = true,
        };
        var output = new Option<string>("--out")
        {
            Description = "Folder for executed notebooks, their HTML pages, index.html and plotly.min.js.",
            DefaultValueFactory = _ => "reports",
        };
        var summaryFile = new Option<string?>("--summary")
        {
            Description =
                "A study summary.csv the notebooks write (e.g. runs/quick/summary.csv): copied into --out and shown on the index page as pictures and a table (with latency.json beside it).",
        };
        var overwrite = new Option<bool>("--overwrite")
        {
            Description = "Replace an earlier report in --out (only the files this verb writes there)",
        };
        var run = new Command(
            "run",
            "Execute notebooks and write executed copies plus an offline HTML report; exits non-zero if a cell fails."
        )
        {
            notebooks,
            parameters,
            output,
            summaryFile,
            overwrite,
        };
        run.SetAction(result =>
            CommandErrors.Run(() =>
            {
                var values = result.GetValue(parameters) ?? [];
                if (values.Length % 2 != 0)
                    throw new ArgumentException("-p takes a name and a value");
                var overrides = Enumerable
                    .Range(0, values.Length / 2)
                    .Select(i => new KeyValuePair<string, string>(values[2 * i], values[2 * i + 1]))
                    .ToList();
                var paths = result.GetValue(notebooks) is { Length: > 0 } given
                    ? given
                    : NotebookRunner.DefaultNotebooks();
                if (
                    paths.FirstOrDefault(p =>
                        Path.GetFileNameWithoutExtension(p).Equals("index", StringComparison.OrdinalIgnoreCase)
                    ) is
                    { } index
                )
                    throw new ArgumentException(
                        $"notebooks run: '{index}' would be written over by the report's index page (index.html); rename the notebook"
                    );
                using var outputs = new OutputSet(
                    "notebooks run",
                    result.GetValue(overwrite),
                    [.. paths, result.GetValue(summaryFile)]
                );
                outputs.WorkFolder(
                    result.GetValue(output)!,
                    [
                        .. paths.SelectMany(p =>
                            new[]
                            {
                                Path.GetFileNameWithoutExtension(p) + ".ipynb",
                                Path.GetFileNameWithoutExtension(p) + ".html",
                            }
                        ),
                        "index.html",
                        "plotly.min.js",
                        "summary.csv",
                        PickingStage.ComparisonFileName,
                    ]
                );
                var summary = NotebookRunner.Run(
                    new NotebookRunOptions
                    {
                        Notebooks = paths,
                        OutputDirectory = result.GetValue(output)!,
                        Parameters = overrides,
                        Log = Console.Out,
                        IndexExtraHtml = result.GetValue(summaryFile) is { } file
                            ? () => StudyOverviewHtml(file, result.GetValue(output)!)
                            : null,
                    }
                );
                Console.WriteLine($"report: {summary.IndexPath}");
                foreach (var failure in summary.Notebooks.Select(n => n.Failure).OfType<FailedCell>())
                    Console.Error.WriteLine($"error: {failure}");
                return summary.Succeeded ? 0 : 1;
            })
        );
        return new Command("notebooks", "Run the C# notebooks headless.") { run };
    }

    /// <summary>
    /// The study's overview for the index page; the CSV is copied beside it. Absent when a notebook failed before
    /// writing it.
    /// </summary>
    private static string? StudyOverviewHtml(string summaryPath, string outputDirectory)
    {
        if (!File.Exists(summaryPath))
            return null;
        AtomicFile.WriteAllBytes(Path.Combine(outputDirectory, "summary.csv"), File.ReadAllBytes(summaryPath));
        var comparison = StudyOverview.ComparisonPath(summaryPath);
        if (File.Exists(comparison))
            AtomicFile.WriteAllBytes(
                Path.Combine(outputDirectory, PickingStage.ComparisonFileName),
                File.ReadAllBytes(comparison)
            );
        return StudyOverview.Html(summaryPath);
    }
}
