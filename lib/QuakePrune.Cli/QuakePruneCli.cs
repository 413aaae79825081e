using System.CommandLine;
using QuakePrune.Cli.Commands;

namespace QuakePrune.Cli;

/// <summary>The `quakeprune` command: every verb, in pipeline order. Tests run this same root in-process.</summary>
public static class QuakePruneCli
{
    public static RootCommand CreateRoot() =>
        new("QuakePrune: STEAD spectrograms, a ResNet50 detector, L2-norm pruning and latency.")
        {
            InfoCommand.Create(),
            SynthCommand.Create(),
            ExtractCommand.Create(),
            SpectrogramCommand.Create(),
            SteadCommand.Create(),
            ModelCommand.Create(),
            TrainCommand.Create(),
            EvaluateCommand.Create(),
            PredictCommand.Create(),
            PickCommand.Create(),
            PruneCommand.Create(),
            ExportCommand.Create(),
            RetrainCommand.Create(),
            SensitivityCommand.Create(),
            ReportCommand.Create(),
            PipelineCommand.Create(),
            NotebooksCommand.Create(),
            BenchOpsCommand.Create(),
            BenchTrainCommand.Create(),
            BenchCommand.Create(),
        };

    /// <summary>
    /// Parses and runs a command line: parse errors and numeric options outside their bounds
    /// (<see cref="OptionBounds"/>) are reported in words, one line each, before any verb starts.
    /// </summary>
    public static int Run(string[] args)
    {
        var parse = CreateRoot().Parse(args);
        var problems = parse.Errors.Select(e => OptionBounds.Friendly(e.Message)).ToList();
        if (problems.Count == 0)
            problems = OptionBounds.Check(parse);
        if (problems.Count == 0)
            return parse.Invoke();
        foreach (var problem in problems)
            Console.Error.WriteLine($"error: {problem}");
        var verb = new List<string>();
        for (
            var result = parse.CommandResult;
            result is not null;
            result = result.Parent as System.CommandLine.Parsing.CommandResult
        )
            if (result.Command is not RootCommand)
                verb.Insert(0, result.Command.Name);
        Console.Error.WriteLine($"see: quakeprune {string.Join(' ', [.. verb, "--help"])}");
        return 1;
    }
}
