using QuakePrune.Models;
using QuakePrune.Notebooks.Study;
using QuakePrune.Pipeline;

namespace QuakePrune.Notebooks.Tests;

/// <summary>The study notebooks' tables head their columns for a reader (words and units), not with C# property names.</summary>
public class StudyTablesTests
{
    [Fact]
    public void LatencySummaryHeadsEachColumnWithWhatItIsAndItsUnit()
    {
        SummaryRow[] rows =
        [
            new("baseline", 24_600_000, 1_340_000_000, "64x64", 0.96712, 0.96849, null, 27.013, 22.604, 1),
            new("prune90", 252_000, 15_040_000, "64x64", 0.94212, 0.94123, 0.494, null, null, null),
        ];
        var table = LatencyPlots.SummaryTable(rows);
        Assert.Equal(
            [
                "Variant   Parameters  MACs (millions)  Test accuracy  Test F1  Latency, batch 1 (ms)  GTX 1050, projected (ms)  Speed-up over the baseline",
                "--------  ----------  ---------------  -------------  -------  ---------------------  ------------------------  --------------------------",
                "baseline  24600000    1340             0.9671         0.9685   27.01                  22.6                      1",
                "prune90   252000      15               0.9421         0.9412   <null>                 <null>                    <null>",
            ],
            table.PlainText.Split('\n'));
        Assert.StartsWith("<table class=\"qp-table\"><thead><tr><th>Variant</th><th>Parameters</th><th>MACs (millions)</th>", table.Html);
    }

    [Fact]
    public void DependencyGroupsTableNamesWhatProducesAndWhatReadsEachGroup()
    {
        var header = PruningPlots.GroupTable(ResNetArchitecture.ResNet50(2, 16)).PlainText.Split('\n')[0];
        Assert.Equal(["Group", "Kind", "Channels", "Produced by", "Layers reading it"], header.Split("  ", StringSplitOptions.RemoveEmptyEntries).Select(h => h.Trim()));
    }
}
