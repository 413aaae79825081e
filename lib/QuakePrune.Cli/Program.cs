using System.CommandLine;
using QuakePrune.Cli.Commands;

var root = new RootCommand("QuakePrune: STEAD spectrograms, a ResNet50 detector, L2-norm pruning and latency.");
root.Subcommands.Add(InfoCommand.Create());
root.Subcommands.Add(SynthCommand.Create());
root.Subcommands.Add(ExtractCommand.Create());
root.Subcommands.Add(SteadCommand.Create());
root.Subcommands.Add(SpectrogramCommand.Create());
return await root.Parse(args).InvokeAsync();
