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
        Assert.Equal(new QuakePrune.Spectrograms.ImageSize(224, 224), Preset.Paper.ImageSize);
    }

    [Fact]
    public void Run_folders_name_each_variant_as_the_paper_does()
    {
        var paths = StudyPaths.For("/tmp/runs", Preset.Quick);
        Assert.Equal("/tmp/runs/quick", paths.Root);
        Assert.Equal("/tmp/runs/quick/pruned/prune90.safetensors", paths.Pruned(new StudyVariant(0.9, PruningScope.Full, "l2")));
        Assert.Equal("/tmp/runs/quick/retrained/prune70-internal", paths.Retrained(new StudyVariant(0.7, PruningScope.Internal, "l2")));
        Assert.Equal("/tmp/runs/quick/pruned/prune50-random.safetensors", paths.Pruned(new StudyVariant(0.5, PruningScope.Full, "random")));
    }

    [Fact]
    public void The_preset_lists_every_variant_once_L2_in_each_scope_then_the_control_criteria_in_full_scope()
    {
        Assert.Equal(
            ["prune50", "prune70", "prune90", "prune50-internal", "prune70-internal", "prune90-internal",
             "prune50-l1", "prune70-l1", "prune90-l1", "prune50-bn", "prune70-bn", "prune90-bn", "prune50-random", "prune70-random", "prune90-random"],
            Preset.Quick.Variants.Select(v => v.Name));
        Assert.Equal(["prune50", "prune70", "prune90", "prune50-l1", "prune70-l1", "prune90-l1", "prune50-bn", "prune70-bn", "prune90-bn",
                      "prune50-random", "prune70-random", "prune90-random"],
            Preset.Ci.Variants.Select(v => v.Name));
        var random = Preset.Quick.Variants.Single(v => v.Name == "prune70-random").Pruning(seed: 3);
        Assert.Equal((0.7, PruningScope.Full, new RandomImportance(3)), (random.Ratio, random.Scope, random.Importance));
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
                new("baseline", 23_512_130, 4_089_184_256, "224x224", 0.99, 0.991, null, 27.5, 22.45, 1),
                new("prune90", 241_973, 40_000_000, "224x224", 0.98, 0.979, 0.5, 2.5, 3.6, 11),
            ];
            StudySummary.Write(path, rows);
            Assert.Equal(rows, StudySummary.Read(path));
            Assert.Empty(Directory.GetFiles(dir, "*.tmp"));
            File.WriteAllText(path, "variant,accuracy\nbaseline,1\n");
            Assert.Contains("not a study summary", Assert.Throws<InvalidDataException>(() => StudySummary.Read(path)).Message);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
