using System.CommandLine;
using System.Runtime.InteropServices;
using Aitbc.Cli.Bench;
using Aitbc.Cli.Commands;
using Aitbc.Cli.Wallet;

namespace Aitbc.Cli;

/// <summary>The <c>aitbc</c> command: global options, the command tree, signals and exit codes.</summary>
internal static class AitbcCli
{
    public static async Task<int> RunAsync(string[] args)
    {
        var globals = new GlobalOptions();
        var root = new RootCommand("The AITBC command line: submit jobs, run a miner, measure a Coordinator.");
        globals.AddTo(root);
        root.Subcommands.Add(ClientCommands.Create(globals));
        root.Subcommands.Add(MinerCommands.Create(globals));
        root.Subcommands.Add(BenchCommand.Create(globals));
        root.Subcommands.Add(WalletCommands.Create(globals));
        root.Subcommands.Add(ExchangeCommands.Create(globals));
        root.Subcommands.Add(ReceiptCommands.Create(globals));
        root.Subcommands.Add(AdminCommands.Create(globals));

        // @file is ours (--params @file), not a response file of arguments.
        var parsed = root.Parse(args, new ParserConfiguration { ResponseFileTokenReplacer = null });
        if (parsed.Errors.Count > 0)
        {
            var json = parsed.GetValue(globals.Json);
            new Output(json).Error("usage_error",
                $"{WalletKey.HideKeys(parsed.Errors[0].Message)} (see aitbc --help)");
            return ExitCodes.Usage;
        }

        // The first Ctrl-C or SIGTERM asks the command to stop gracefully (a miner drains); the second aborts.
        using var signals = new Signals();
        return await parsed.InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null },
            signals.First);
    }
}

/// <summary>What each exit code tells a script.</summary>
internal static class ExitCodes
{
    public const int Success = 0;
    public const int Usage = 2;
    public const int NotFound = 3;

    /// <summary>
    /// Any other refusal by the Coordinator (4xx), a job that did not complete, or a receipt or audit that does not
    /// verify.
    /// </summary>
    public const int ClientError = 4;

    /// <summary>The Coordinator failed (5xx), could not be reached, or answered nonsense.</summary>
    public const int ServerError = 5;

    /// <summary>Stopped by a second Ctrl-C or SIGTERM before it had finished.</summary>
    public const int Interrupted = 130;
}

/// <summary>Turns SIGINT and SIGTERM into two cancellation tokens: the first signal, and any later one.</summary>
internal sealed class Signals : IDisposable
{
    private readonly CancellationTokenSource _first = new();
    private readonly CancellationTokenSource _second = new();
    private readonly PosixSignalRegistration _interrupt;
    private readonly PosixSignalRegistration _terminate;
    private int _count;

    public Signals()
    {
        _interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
        _terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
        Current = this;
    }

    public static Signals? Current { get; private set; }

    public CancellationToken First => _first.Token;

    public CancellationToken Second => _second.Token;

    private void OnSignal(PosixSignalContext context)
    {
        // Keep the process alive: the command decides how to stop.
        context.Cancel = true;
        (Interlocked.Increment(ref _count) == 1 ? _first : _second).Cancel();
    }

    public void Dispose()
    {
        _interrupt.Dispose();
        _terminate.Dispose();
        _first.Dispose();
        _second.Dispose();
    }
}
