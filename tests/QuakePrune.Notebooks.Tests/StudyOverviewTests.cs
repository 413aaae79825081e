using QuakePrune.Notebooks.Running;
using QuakePrune.Pipeline;

namespace QuakePrune.Notebooks.Tests;

public class StudyOverviewTests
{
    static readonly SummaryRow[] Rows =
    [
        new(
            "baseline",
            "",
            "",
            24_600_000,
            1_340_000_000,
            "64x64",
            new(0.967, 0.946, 0.984),
            new(0.968, 0.947, 0.985),
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
            27.0,
            22.6,
            1
        ),
        new(
            "prune90",
            "l2",
            "full",
            252_000,
            15_000_000,
            "64x64",
            new(0.942, 0.913, 0.967),
            new(0.941, 0.910, 0.966),
            new(0.981, 0.967, 0.992),
            new(0.494, 0.432, 0.556),
            new(0.912, 0.876, 0.944),
            0.802,
            new(0.873, 0.831, 0.914),
            0.0213,
            0.0213,
            "",
            null,
            null,
            1,
            null,
            null,
            3.5,
            3.65,
            7.7
        ),
        new(
            "prune90-random",
            "random",
            "full",
            252_000,
            15_000_000,
            "64x64",
            new(0.938, 0.909, 0.963),
            new(0.939, 0.908, 0.964),
            new(0.979, 0.964, 0.991),
            new(0.494, 0.432, 0.556),
            new(0.712, 0.651, 0.770),
            0.654,
            new(0.601, 0.539, 0.662),
            0.0117,
            0.0234,
            "prune90",
            0.80,
            0.80,
            1,
            null,
            null,
            null,
            null,
            null
        ),
    ];

    [Fact]
    public void Result_headers_say_their_units_and_the_size_each_figure_was_measured_at()
    {
        var table = StudyOverview.ResultsTable(
            Rows,
            "64x64",
            new StudyOverview.LatencySetting("224x224", 2, "cpu", "AMD EPYC")
        );
        var header = table.PlainText.Split('\n')[0];
        foreach (
            var name in new[]
            {
                "Parameters (millions)",
                "MACs per image (millions, at 64x64)",
                "Test accuracy, % (64x64)",
                "ROC AUC after pruning",
                "Accuracy after BN recalibration, %",
                "p against the baseline (Holm)",
                "Latency here (ms, batch 1, 224x224, 2 threads)",
                "GTX 1050 (ms, batch 1, 224x224, projected)",
            }
        )
            Assert.Contains(name, header);
        Assert.Contains(
            "<td>prune90</td><td>0.252</td><td>15</td><td>94.2 [91.3, 96.7]</td><td>0.941 [0.910, 0.966]</td><td>0.912 [0.876, 0.944]</td><td>49.4</td>"
                + "<td>87.3 [83.1, 91.4]</td><td>0.021 (0.021)</td><td>3.50</td><td>7.7x</td><td>3.65</td>",
            table.Html
        );
    }

    [Fact]
    public void Front_page_shows_the_study_as_pictures_beside_the_table_with_the_papers_points()
    {
        using var temp = new TempDirectory();
        var summary = Path.Combine(temp.Path, "summary.csv");
        StudySummary.Write(summary, Rows);
        File.WriteAllText(
            Path.Combine(temp.Path, "latency.json"),
            """
            {"machine": {"cpu": "AMD EPYC", "threads": 2, "device": "cpu"},
             "results": [{"model": "baseline", "batch": 1, "size": "224x224", "median_ms": 27.0}]}
            """
        );
        var html = StudyOverview.Html(summary)!;
        Assert.Equal(2, html.Split("Plotly.newPlot").Length - 1);
        Assert.Contains("paper Prune90, GTX 1050", html);
        Assert.Contains("paper baseline, GTX 1050 (22.45 ms)", html);
        Assert.Contains("Latency here (ms, batch 1, 224x224, 2 threads)", html);
        // Names on hover and in a legend grouped by criterion and scope, not as text over the points; intervals as
        // error bars.
        Assert.DoesNotContain("markers+text", html);
        foreach (
            var entry in new[]
            {
                "\"L2, full scope\"",
                "\"random, full scope\"",
                "\"controls: other channels, same widths\"",
                "\"L2 (the paper",
                "\"error_y\"",
            }
        )
            Assert.Contains(entry, html);
        Assert.Null(StudyOverview.Html(Path.Combine(temp.Path, "missing.csv")));
        Assert.DoesNotContain("EQTransformer study", html);

        // With notebook 07's comparison.csv in the run folder, the pickers' trade-off and table follow.
        var interval = new QuakePrune.Statistics.Interval(0.95, 0.9, 0.99, 1000, 0);
        var mae = new QuakePrune.Statistics.Interval(8, 6, 10, 1000, 0);
        var zero = new QuakePrune.Statistics.Interval(0, 0, 0, 1000, 0);
        var none = new QuakePrune.Statistics.Interval(null, null, null, 1000, 1000);
        Directory.CreateDirectory(Path.Combine(temp.Path, "eqtransformer"));
        PickingStage.WriteComparison(
            StudyOverview.ComparisonPath(summary),
            [
                new PickerComparisonRow(
                    "eqtransformer",
                    376_935,
                    128_700_000,
                    12,
                    2.4,
                    64,
                    1,
                    interval,
                    interval,
                    interval,
                    mae,
                    mae
                ),
                new PickerComparisonRow(
                    "eqt-lite",
                    100_255,
                    33_600_000,
                    8.7,
                    1.5,
                    64,
                    1.38,
                    interval,
                    interval,
                    interval,
                    mae,
                    mae
                ),
                new PickerComparisonRow(
                    "eqtransformer-prune90",
                    30_483,
                    3_600_000,
                    7.1,
                    1.0,
                    64,
                    1.7,
                    interval,
                    zero,
                    zero,
                    none,
                    none
                ),
            ]
        );
        var withPickers = StudyOverview.Html(summary)!;
        Assert.Equal(3, withPickers.Split("Plotly.newPlot").Length - 1);
        foreach (
            var entry in new[]
            {
                "The EQTransformer study at a glance",
                "Pareto front",
                "SeisBench EQTransformer, PyTorch eager",
                "<td>eqt-lite</td>",
            }
        )
            Assert.Contains(entry, withPickers);
        // A picker that learned no phase is named in words, never drawn or tabled as a model.
        Assert.Contains("Not drawn: eqtransformer-prune90.", withPickers);
        Assert.DoesNotContain("<td>eqtransformer-prune90</td>", withPickers);
        Assert.DoesNotContain("\"eqtransformer-prune90\"", withPickers);
    }

    [Fact]
    public void A_picker_that_learned_no_phase_is_drawn_apart_and_never_sets_the_pareto_front()
    {
        var good = new QuakePrune.Statistics.Interval(0.95, 0.9, 0.99, 1000, 0);
        var zero = new QuakePrune.Statistics.Interval(0, 0, 0, 1000, 0);
        var none = new QuakePrune.Statistics.Interval(null, null, null, 1000, 1000);
        PickerComparisonRow[] rows =
        [
            new("eqtransformer", 1, 1, 12, 2.4, 64, 1, good, good, good, none, none),
            new(
                "eqtransformer-prune90",
                1,
                1,
                7,
                1.0,
                64,
                1.7,
                new(0.889, 0.85, 0.92, 1000, 0),
                zero,
                zero,
                none,
                none
            ),
        ];
        var figure = QuakePrune.Notebooks.Study.PickingPlots.TradeOff(rows);
        var scatters = figure.Data.OfType<QuakePrune.Notebooks.Plotting.Scatter>().ToArray();
        var fronts = scatters.Where(s => s.Name == "Pareto front").ToArray();
        Assert.Equal(3, fronts.Length);
        Assert.All(fronts, f => Assert.Equal(new[] { 12.0 }, (double[])f.X!));
        Assert.Contains(scatters, s => s.Name!.StartsWith("learned no phase", StringComparison.Ordinal));
    }
}
