return await Aitbc.Cli.AitbcCli.RunAsync(args);
