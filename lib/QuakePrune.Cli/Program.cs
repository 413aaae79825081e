using QuakePrune.Cli;

return QuakePruneCli.Run(args);
