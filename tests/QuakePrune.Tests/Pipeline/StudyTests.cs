using QuakePrune.Pipeline;
using QuakePrune.Pruning;

namespace QuakePrune.Tests.Pipeline;

public class StudyTests
{
    [Fact]
    public void Presets_are_found_by_name_and_an_unknown_name_lists_the_known_ones()
    {
        Assert.Same(Preset.Quick, Preset.Named("quick"));
        var error = Assert.Throws<ArgumentException>(() => Preset.Named("huge"));
        Assert.Contains("ci, quick, paper", error.Message);
        Assert.All(Preset.All, p => Assert.Equal([0.5, 0.7, 0.9], p.Ratios));
        Assert.Equal(new ImageSize(224, 224), Preset.Paper.ImageSize);
    }

    [Fact]
    public void Run_folders_name_each_variant_as_the_paper_does()
    {
        var paths = StudyPaths.For("/tmp/runs", Preset.Quick);
        Assert.Equal("/tmp/runs/quick", paths.Root);
        Assert.Equal(
            "/tmp/runs/quick/pruned/prune90.safetensors",
            paths.Pruned(new StudyVariant(0.9, PruningScope.Full, "l2"))
        );
        Assert.Equal(
            "/tmp/runs/quick/retrained/prune70-internal",
            paths.Retrained(new StudyVariant(0.7, PruningScope.Internal, "l2"))
        );
        // Further retraining seeds go beside the study's own, named by their seed (the preset's seed + the replicate).
        Assert.Equal(
            "/tmp/runs/quick/retrained/prune70-internal-seed3",
            paths.Retrained(new StudyVariant(0.7, PruningScope.Internal, "l2"), Preset.Quick, 2)
        );
        Assert.Equal(
            "/tmp/runs/quick/pruned/prune50-random.safetensors",
            paths.Pruned(new StudyVariant(0.5, PruningScope.Full, "random"))
        );
    }

    [Fact]
    public void The_preset_lists_every_variant_once_L2_in_each_scope_then_the_control_criteria_in_full_scope()
    {
        Assert.Equal(
            [
                "prune50",
                "prune70",
                "prune90",
                "prune50-internal",
                "prune70-internal",
                "prune90-internal",
                "prune50-l1",
                "prune70-l1",
                "prune90-l1",
                "prune50-bn",
                "prune70-bn",
                "prune90-bn",
                "prune50-random",
                "prune70-random",
                "prune90-random",
            ],
            Preset.Quick.Variants.Select(v => v.Name)
        );
        Assert.Equal(
            [
                "prune50",
                "prune70",
                "prune90",
                "prune50-l1",
                "prune70-l1",
                "prune90-l1",
                "prune50-bn",
                "prune70-bn",
                "prune90-bn",
                "prune50-random",
                "prune70-random",
                "prune90-random",
            ],
            Preset.Ci.Variants.Select(v => v.Name)
        );
        var random = Preset.Quick.Variants.Single(v => v.Name == "prune70-random").Pruning(seed: 3);
        Assert.Equal(
            (0.7, PruningScope.Full, new RandomImportance(3)),
            (random.Ratio, random.Scope, random.Importance)
        );
        Assert.Equal("prune70-random", StudyVariant.Of(random).Name);
    }

    [Fact]
    public void The_summary_round_trips_through_its_csv_and_refuses_other_files()
    {
        var dir = Directory.CreateTempSubdirectory("quakeprune-summary-").FullName;
        try
        {
            var path = Path.Combine(dir, "summary.csv");
            SummaryRow[] rows =
            [
                new(
                    "baseline",
                    "",
                    "",
                    23_512_130,
                    4_089_184_256,
                    "224x224",
                    new(0.99, 0.98, 0.997),
                    new(0.991, 0.981, 0.998),
                    new(0.999, 0.997, 1),
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
                    27.5,
                    22.45,
                    1
                ),
                new(
                    "prune90-random",
                    "random",
                    "full",
                    241_973,
                    40_000_000,
                    "224x224",
                    new(0.98, 0.967, 0.99),
                    new(0.979, 0.965, 0.99),
                    new(0.995, 0.99, 0.999),
                    new(0.5, 0.47, 0.53),
                    new(0.91, 0.88, 0.94),
                    0.85,
                    new(0.93, 0.9, 0.955),
                    0.0625,
                    0.125,
                    "prune90",
                    1,
                    1,
                    3,
                    0.978,
                    0.0041,
                    2.5,
                    3.6,
                    11
                ),
            ];
            StudySummary.Write(path, rows);
            Assert.Equal(rows, StudySummary.Read(path));
            Assert.Empty(Directory.GetFiles(dir, "*.tmp"));
            File.WriteAllText(path, "variant,accuracy\nbaseline,1\n");
            Assert.Contains(
                "not a study summary",
                Assert.Throws<InvalidDataException>(() => StudySummary.Read(path)).Message
            );
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void A_notebook_parameter_of_0_keeps_the_presets_value_and_a_meaningless_one_is_refused_naming_it()
    {
        Assert.Equal(4, Preset.Override(0, 4, "epochs"));
        Assert.Equal(7, Preset.Override(7, 4, "epochs"));
        Assert.Equal(0.1, Preset.Override(0.0, 0.1, "rateFactor"));
        Assert.Equal(0.05, Preset.Override(0.05, 0.1, "rateFactor"));
        Assert.Contains(
            "notebook parameter epochs = -1",
            Assert.Throws<ArgumentException>(() => Preset.Override(-1, 4, "epochs")).Message
        );
        foreach (var meaningless in new[] { double.NaN, -0.01, double.PositiveInfinity })
            Assert.Contains(
                "notebook parameter learningRate",
                Assert.Throws<ArgumentException>(() => Preset.Override(meaningless, 0.01, "learningRate")).Message
            );
    }

    [Fact]
    public void Stages_are_named_in_the_studys_order_and_an_unknown_one_lists_them()
    {
        Assert.Equal(StudyStage.All, StudyStage.Parse("all"));
        Assert.Equal([StudyStage.Baseline, StudyStage.Picking], StudyStage.Parse("picking, baseline"));
        Assert.Contains(
            "subset, spectrograms, baseline, pruning, retraining, latency, picking",
            Assert.Throws<ArgumentException>(() => StudyStage.Parse("pick")).Message
        );
        // Every entry a run writes belongs to a stage, and the stages together write them all.
        Assert.Equal(StudyPaths.Entries.Order(), StudyStage.All.SelectMany(s => s.Entries).Distinct().Order());
    }

    [Fact]
    public void The_pickers_are_the_redesigns_then_eqtransformer_pruned_by_l2_and_at_random_named_as_prune_out_stems()
    {
        Assert.Equal(
            [
                "eqtransformer",
                "eqt-gru",
                "eqt-cnn-bilstm",
                "eqt-lite",
                "eqtransformer-prune50",
                "eqtransformer-prune70",
                "eqtransformer-prune90",
                "eqtransformer-prune50-random",
                "eqtransformer-prune70-random",
                "eqtransformer-prune90-random",
            ],
            PickingStage.Pickers(Preset.Quick).Select(p => p.Name)
        );
        var paths = StudyPaths.For("/tmp/runs", Preset.Quick);
        Assert.Equal(
            "/tmp/runs/quick/eqtransformer/eqtransformer-prune70/model.safetensors",
            PickingStage.Model(paths, "eqtransformer-prune70")
        );
        Assert.Equal("/tmp/runs/quick/eqtransformer/comparison.csv", paths.PickingComparison);
        var retrain = PickingStage.RetrainOptions(
            Preset.Quick,
            paths,
            "/tmp/subset",
            PickingStage.Pickers(Preset.Quick)[5]
        );
        Assert.Equal(
            ("/tmp/runs/quick/eqtransformer/pruned/eqtransformer-prune70.safetensors", null),
            (retrain.Init, retrain.Architecture)
        );
        Assert.Equal(Preset.Quick.PickingLearningRate * Preset.Quick.RetrainRateFactor, retrain.LearningRate, 1e-12);
        Assert.Equal(Preset.Quick.PickingRetrainEpochs, retrain.Epochs);
    }

    [Fact]
    public void The_comparison_file_has_a_row_per_picker_with_scores_intervals_latency_and_residuals_in_seconds()
    {
        using var dir = new TempDir();
        var interval = new QuakePrune.Statistics.Interval(0.9, 0.85, 0.95, 1000, 0);
        var none = new QuakePrune.Statistics.Interval(null, null, null, 1000, 1000);
        var rows = new[]
        {
            new PickerComparisonRow(
                "eqtransformer",
                376_935,
                128_700_000,
                21.5,
                3.4,
                64,
                1.0,
                interval,
                interval,
                interval,
                new QuakePrune.Statistics.Interval(7.5, 6, 9, 1000, 0),
                none
            ),
        };
        var path = dir.File("comparison.csv");
        PickingStage.WriteComparison(path, rows);
        var lines = File.ReadAllLines(path);
        Assert.Equal(
            "model,params,macs,latency_b1_ms,latency_b64_ms_per_window,detection_f1,detection_f1_lo,detection_f1_hi,p_f1,p_f1_lo,p_f1_hi,"
                + "s_f1,s_f1_lo,s_f1_hi,p_mae_s,s_mae_s",
            lines[0]
        );
        Assert.Equal(
            "eqtransformer,376935,128700000,21.5,3.4,0.9,0.85,0.95,0.9,0.85,0.95,0.9,0.85,0.95,0.075,",
            lines[1]
        );

        // Read back for the report's front page: the same scores and intervals, the MAE in samples again, speed-up from
        // the latencies.
        var read = PickingStage.ReadComparison(path).Single();
        Assert.Equal(
            ("eqtransformer", 376_935L, 128_700_000L, 21.5, 3.4, 64, 1.0),
            (
                read.Model,
                read.Params,
                read.Macs,
                read.LatencyBatch1Ms!.Value,
                read.LatencyPerWindowBatchNMs!.Value,
                read.BatchN,
                read.Speedup!.Value
            )
        );
        Assert.Equal((0.9, 0.85, 0.95), (read.PF1.Estimate!.Value, read.PF1.Lo!.Value, read.PF1.Hi!.Value));
        Assert.Equal(7.5, read.PResidualMae.Estimate!.Value, 9);
        Assert.Null(read.SResidualMae.Estimate);
        File.WriteAllText(path, lines[0].Replace(",p_f1,", ",pf1,") + "\n" + lines[1]);
        Assert.Contains(
            "no column 'p_f1'",
            Assert.Throws<InvalidDataException>(() => PickingStage.ReadComparison(path)).Message
        );
    }
}
