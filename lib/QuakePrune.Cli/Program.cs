using QuakePrune.Cli;

return await QuakePruneCli.CreateRoot().Parse(args).InvokeAsync();
