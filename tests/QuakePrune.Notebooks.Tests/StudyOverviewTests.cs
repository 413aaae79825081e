using QuakePrune.Notebooks.Running;
using QuakePrune.Pipeline;

namespace QuakePrune.Notebooks.Tests;

public class StudyOverviewTests
{
    static readonly SummaryRow[] Rows =
    [
        new("baseline", 24_600_000, 1_340_000_000, "64x64", 0.967, 0.968, null, 27.0, 22.6, 1),
        new("prune90", 252_000, 15_000_000, "64x64", 0.942, 0.941, 0.494, 3.5, 3.65, 7.7),
    ];

    [Fact]
    public void ResultHeadersSayTheirUnitsAndTheSizeEachFigureWasMeasuredAt()
    {
        var table = StudyOverview.ResultsTable(Rows, "64x64", new StudyOverview.LatencySetting("224x224", 2, "cpu", "AMD EPYC"));
        var header = table.PlainText.Split('\n')[0];
        foreach (var name in new[]
                 {
                     "Parameters (millions)", "MACs per image (millions, at 64x64)", "Test accuracy (64x64)", "Latency here (ms, batch 1, 224x224, 2 threads)",
                     "GTX 1050 (ms, batch 1, 224x224, projected)",
                 })
            Assert.Contains(name, header);
        Assert.Contains("<td>prune90</td><td>0.252</td><td>15</td><td>94.20 %</td><td>0.9410</td><td>49.40 %</td><td>3.50</td><td>7.7x</td><td>3.65</td>", table.Html);
    }

    [Fact]
    public void FrontPageShowsTheStudyAsPicturesBesideTheTableWithThePapersPoints()
    {
        using var temp = new TempDirectory();
        var summary = Path.Combine(temp.Path, "summary.csv");
        StudySummary.Write(summary, Rows);
        File.WriteAllText(Path.Combine(temp.Path, "latency.json"), """
            {"machine": {"cpu": "AMD EPYC", "threads": 2, "device": "cpu"},
             "results": [{"model": "baseline", "batch": 1, "size": "224x224", "median_ms": 27.0}]}
            """);
        var html = StudyOverview.Html(summary)!;
        Assert.Equal(2, html.Split("Plotly.newPlot").Length - 1);
        Assert.Contains("paper Prune90, GTX 1050", html);
        Assert.Contains("paper baseline, GTX 1050 (22.45 ms)", html);
        Assert.Contains("Latency here (ms, batch 1, 224x224, 2 threads)", html);
        Assert.Null(StudyOverview.Html(Path.Combine(temp.Path, "missing.csv")));
    }
}
