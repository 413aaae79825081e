using System.CommandLine;
using QuakePrune.Notebooks.Formatting;
using QuakePrune.Notebooks.Study;
using QuakePrune.Outputs;
using QuakePrune.Pipeline;
using QuakePrune.Stead;
using QuakePrune.Torch;

namespace QuakePrune.Cli.Commands;

/// <summary>`quakeprune pipeline`: the whole study from the command line, the same stages the notebooks call.</summary>
public static class PipelineCommand
{
    public static Command Create()
    {
        var preset = new Option<string>("--preset")
        {
            Description = "ci, quick or paper",
            DefaultValueFactory = _ => "quick",
        };
        var output = new Option<string?>("--out") { Description = "Run folder (default: runs/<preset>)" };
        var stead = new Option<string>("--stead")
        {
            Description = "Real STEAD prefixes, comma-separated (default: synthetic STEAD)",
            DefaultValueFactory = _ => "",
        };
        var device = new Option<string?>("--device") { Description = "cpu or cuda (default: the preset's)" };
        var stages = new Option<string>("--stages")
        {
            Description =
                $"Stages to run, comma-separated ({string.Join(", ", StudyStage.All.Select(s => s.Name))}), in the study's order; each reads the earlier "
                + "stages' files from the run folder",
            DefaultValueFactory = _ => "all",
        };
        var seeds = new Option<int?>("--retrain-seeds")
        {
            Description =
                "Retrain each pruned model with this many seeds (the preset's seed and the next ones) and report mean and spread across them "
                + "(default: the preset's, 1)",
        };
        var overwrite = new Option<bool>("--overwrite")
        {
            Description =
                "Replace an earlier run's results of the stages run in the run folder (only what those stages write there)",
        };
        var command = new Command(
            "pipeline",
            "Run the study's stages (subset, spectrograms, baseline, pruning, retraining, latency; picking: the EQTransformer study) into one run folder."
        )
        {
            preset,
            output,
            stead,
            device,
            stages,
            seeds,
            overwrite,
        };
        command.SetAction(parse =>
            CommandErrors.Run(() =>
            {
                var study = Preset.Named(parse.GetValue(preset)!);
                if (parse.GetValue(device) is { } name)
                    study = study with { Device = Device.Parse(name) };
                if (parse.GetValue(seeds) is { } count)
                    study =
                        count >= 1
                            ? study with
                            {
                                RetrainSeeds = count,
                            }
                            : throw new ArgumentException($"--retrain-seeds must be at least 1, got {count}");
                var paths = parse.GetValue(output) is { } root
                    ? new StudyPaths(Path.GetFullPath(root))
                    : StudyPaths.For("runs", study);
                var prefixes = parse
                    .GetValue(stead)!
                    .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                using var outputs = new OutputSet(
                    "pipeline",
                    parse.GetValue(overwrite),
                    prefixes.SelectMany(p => SteadPair.Paths(p) is var (h, c) ? new[] { h, c } : [])
                );
                var chosen = StudyStage.Parse(parse.GetValue(stages)!);
                outputs.WorkFolder(
                    paths.Root,
                    StudyPaths.Entries,
                    part: chosen.SelectMany(s => s.Entries).Distinct().ToArray()
                );
                var results = StudyPipeline.Run(study, paths, parse.GetValue(stead)!, Console.WriteLine, chosen);
                if (results.Summary is { } summary)
                    Console.WriteLine(LatencyPlots.SummaryTable(summary).PlainText);
                if (results.Pickers is { } pickers)
                    Console.WriteLine(PickingPlots.Table(pickers).PlainText);
                return 0;
            })
        );
        return command;
    }
}
