using System.CommandLine;
using QuakePrune.Cli.Commands;

namespace QuakePrune.Cli;

/// <summary>The `quakeprune` command: every verb, in pipeline order. Tests run this same root in-process.</summary>
public static class QuakePruneCli
{
    public static RootCommand CreateRoot() => new("QuakePrune: STEAD spectrograms, a ResNet50 detector, L2-norm pruning and latency.")
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
        PruneCommand.Create(),
        RetrainCommand.Create(),
        SensitivityCommand.Create(),
        ReportCommand.Create(),
        PipelineCommand.Create(),
        NotebooksCommand.Create(),
        BenchOpsCommand.Create(),
        BenchCommand.Create(),
        BenchTrainCommand.Create(),
    };
}
