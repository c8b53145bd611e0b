using System.CommandLine;

namespace Aitbc.Cli.Bench;

internal static class BenchCommand
{
    public static Command Create(GlobalOptions globals)
    {
        var command = new Command("bench", "Measure a Coordinator with simulated clients and echo miners.");
        command.SetGuardedAction(globals, (_, _, _) => Task.FromResult(ExitCodes.Success));
        return command;
    }
}
