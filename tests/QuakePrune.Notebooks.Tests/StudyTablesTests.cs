using QuakePrune.Models;
using QuakePrune.Notebooks.Study;
using QuakePrune.Pipeline;

namespace QuakePrune.Notebooks.Tests;

/// <summary>
/// The study notebooks' tables head their columns for a reader (words and units), not with C# property names.
/// </summary>
public class StudyTablesTests
{
    [Fact]
    public void Latency_summary_heads_each_column_with_what_it_is_and_its_unit()
    {
        SummaryRow[] rows =
        [
            new(
                "baseline",
                "",
                "",
                24_600_000,
                1_340_000_000,
                "64x64",
                new(0.96712, 0.9462, 0.9838),
                new(0.96849, 0.9473, 0.9851),
                new(0.995, 0.989, 0.999),
                default,
                default,
                null,
                default,
                null,
                null,
                "",
                null,
                null,
                0,
                null,
                null,
                27.013,
                22.604,
                1
            ),
            new(
                "prune90",
                "l2",
                "full",
                252_000,
                15_040_000,
                "64x64",
                new(0.94212, 0.9137, 0.9672),
                new(0.94123, 0.9102, 0.9663),
                new(0.981, 0.967, 0.992),
                new(0.494, 0.432, 0.556),
                new(0.912, 0.876, 0.944),
                0.802,
                new(0.873, 0.831, 0.914),
                0.0004,
                0.0021,
                "",
                null,
                null,
                1,
                null,
                null,
                null,
                null,
                null
            ),
        ];
        var table = LatencyPlots.SummaryTable(rows);
        string[] expected =
        [
            "Variant   Parameters  MACs (millions)  Test accuracy         Test F1               p against the baseline (McNemar, Holm)  Latency, batch 1 (ms)  GTX 1050, projected (ms)  Speed-up over the baseline",
            "--------  ----------  ---------------  --------------------  --------------------  --------------------------------------  ---------------------  ------------------------  --------------------------",
            "baseline  24600000    1340             0.967 [0.946, 0.984]  0.968 [0.947, 0.985]                                          27.01                  22.6                      1",
            "prune90   252000      15               0.942 [0.914, 0.967]  0.941 [0.910, 0.966]  < 0.001 (0.002)                         <null>                 <null>                    <null>",
        ];
        var lines = table.PlainText.Split('\n');
        Assert.Equal(expected.Length, lines.Length);
        foreach (var (line, shown) in expected.Zip(lines))
            Assert.Equal(line, shown);
        Assert.StartsWith(
            "<table class=\"qp-table\"><thead><tr><th>Variant</th><th>Parameters</th><th>MACs (millions)</th>",
            table.Html
        );
    }

    [Fact]
    public void Dependency_groups_table_names_what_produces_and_what_reads_each_group()
    {
        var header = PruningPlots.GroupTable(ResNetArchitecture.ResNet50(2, 16)).PlainText.Split('\n')[0];
        Assert.Equal(
            ["Group", "Kind", "Channels", "Produced by", "Layers reading it"],
            header.Split("  ", StringSplitOptions.RemoveEmptyEntries).Select(h => h.Trim())
        );
    }
}
