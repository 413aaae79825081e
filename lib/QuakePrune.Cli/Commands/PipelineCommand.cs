using System.CommandLine;
using QuakePrune.Notebooks.Formatting;
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
        var preset = new Option<string>("--preset") { Description = "ci, quick or paper", DefaultValueFactory = _ => "quick" };
        var output = new Option<string?>("--out") { Description = "Run folder (default: runs/<preset>)" };
        var stead = new Option<string>("--stead") { Description = "Real STEAD prefixes, comma-separated (default: synthetic STEAD)", DefaultValueFactory = _ => "" };
        var device = new Option<string?>("--device") { Description = "cpu or cuda (default: the preset's)" };
        var overwrite = new Option<bool>("--overwrite") { Description = "Replace an earlier run in the run folder (only what the pipeline writes there)" };
        var command = new Command("pipeline", "Run the six stages of the study (subset, spectrograms, baseline, pruning, retraining, latency) into one run folder.")
        {
            preset, output, stead, device, overwrite,
        };
        command.SetAction(parse => CommandErrors.Run(() =>
        {
            var study = Preset.Named(parse.GetValue(preset)!);
            if (parse.GetValue(device) is { } name) study = study with { Device = Device.Parse(name) };
            var paths = parse.GetValue(output) is { } root ? new StudyPaths(Path.GetFullPath(root)) : StudyPaths.For("runs", study);
            var prefixes = parse.GetValue(stead)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            using var outputs = new OutputSet("pipeline", parse.GetValue(overwrite),
                prefixes.SelectMany(p => SteadPair.Paths(p) is var (h, c) ? new[] { h, c } : []));
            outputs.WorkFolder(paths.Root, StudyPaths.Entries);
            var summary = StudyPipeline.Run(study, paths, parse.GetValue(stead)!, Console.WriteLine);
            Console.WriteLine(TableFormatter.Format(summary, int.MaxValue).PlainText);
            return 0;
        }));
        return command;
    }
}
