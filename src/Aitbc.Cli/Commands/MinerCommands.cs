using System.CommandLine;
using System.Globalization;
using Aitbc.Cli.Mining;
using Aitbc.Client.Miners;

namespace Aitbc.Cli.Commands;

/// <summary><c>aitbc miner run</c>, the reference miner, and <c>aitbc miner receipts</c>.</summary>
internal static class MinerCommands
{
    public static Command Create(GlobalOptions globals)
    {
        var miner = new Command("miner", "Run a miner (the miner role).");
        miner.Subcommands.Add(Run(globals));
        miner.Subcommands.Add(ReceiptCommands.ForMiner(globals));
        return miner;
    }

    private static Command Run(GlobalOptions globals)
    {
        var runnerName = new Option<string>("--runner")
        {
            Description = "echo (returns the parameters), exec (runs the command after --), openai (a chat "
                + "completions server).",
            DefaultValueFactory = _ => "echo",
        };
        runnerName.AcceptOnlyFromAmong("echo", "exec", "openai");
        var concurrency = new Option<int>("--concurrency")
        {
            Description = "Jobs run at once, 1 to 64. Default 1.",
            DefaultValueFactory = _ => 1,
        };
        var timeout = new Option<double>("--timeout")
        {
            Description = "exec and openai: seconds a job may run before it fails (retryable). Default 300.",
            DefaultValueFactory = _ => 300,
        };
        var endpoint = new Option<string?>("--endpoint")
        {
            Description = "openai: the server's address, as in http://localhost:11434 (its key: $OPENAI_API_KEY).",
        };
        var model = new Option<string?>("--model") { Description = "openai: the model when a job names none." };
        var models = new Option<string?>("--models") { Description = "Models offered, comma-separated." };
        var gpu = new Option<string?>("--gpu") { Description = "The GPU's name, as in \"RTX 4090\"." };
        var vram = new Option<int?>("--vram") { Description = "The GPU's memory in GB." };
        var region = new Option<string?>("--region") { Description = "Where the miner runs." };
        var price = new Option<string?>("--price") { Description = "AITBC per GPU-second. Default 0." };
        var wallet = new Option<string?>("--wallet") { Description = "The Bitcoin address payouts go to." };
        var command = new Argument<string[]>("command")
        {
            Description = "exec: the command and its arguments, after --.",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var run = new Command("run", "Register, take jobs, run them and report, until Ctrl-C or SIGTERM drains it.")
        {
            runnerName, concurrency, timeout, endpoint, model, models, gpu, vram, region, price, wallet, command,
        };
        run.SetGuardedAction(globals, async (parsed, output, cancel) =>
        {
            var slots = parsed.GetValue(concurrency);
            if (slots is < 1 or > 64)
            {
                throw new UsageException("--concurrency must be from 1 to 64.");
            }

            var seconds = parsed.GetValue(timeout);
            if (seconds is <= 0 or > 86_400)
            {
                throw new UsageException("--timeout must be from 0 to 86400 seconds.");
            }

            using var http = new HttpClient { Timeout = Timeout.InfiniteTimeSpan };
            var runner = CreateRunner(parsed.GetValue(runnerName)!, parsed.GetValue(command) ?? [],
                TimeSpan.FromSeconds(seconds), parsed.GetValue(endpoint), parsed.GetValue(model), http);
            var registration = new RegisterMinerRequest
            {
                Capabilities = new MinerCapabilities
                {
                    Models = CommandRunner.SplitList(parsed.GetValue(models)),
                    Gpus = parsed.GetValue(gpu) is { } name || parsed.GetValue(vram) is not null
                        ? [new GpuInfo(parsed.GetValue(gpu), parsed.GetValue(vram))]
                        : null,
                    Region = parsed.GetValue(region),
                },
                MaxConcurrency = slots,
                PricePerUnit = parsed.GetValue(price) is { } text ? ParsePrice(text) : null,
                WalletAddress = parsed.GetValue(wallet),
            };

            using var api = globals.CreateClient(parsed);
            var abort = Signals.Current?.Second ?? CancellationToken.None;
            var host = new MinerHost(api, runner, registration, new MinerLog(output.Json));
            await host.RunAsync(drain: cancel, abort: abort);
            return abort.IsCancellationRequested ? ExitCodes.Interrupted : ExitCodes.Success;
        });
        return run;
    }

    private static IJobRunner CreateRunner(
        string name, string[] command, TimeSpan timeout, string? endpoint, string? model, HttpClient http)
    {
        switch (name)
        {
            case "exec":
                return command.Length == 0
                    ? throw new UsageException("--runner exec needs a command after --, as in: -- python3 job.py")
                    : new ExecRunner(command, timeout);
            case "openai":
                if (endpoint is null || !Uri.TryCreate(endpoint, UriKind.Absolute, out var url)
                    || url.Scheme is not ("http" or "https"))
                {
                    throw new UsageException("--runner openai needs --endpoint, an http or https address.");
                }

                var key = Environment.GetEnvironmentVariable("OPENAI_API_KEY");
                return new OpenAiRunner(http, url, model, timeout, key);
            default:
                return command.Length == 0
                    ? new EchoRunner()
                    : throw new UsageException("A command after -- is only for --runner exec.");
        }
    }

    private static decimal ParsePrice(string text) =>
        decimal.TryParse(text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var price)
        && decimal.Round(price, Client.AitbcAmountConverter.Decimals) == price
            ? price
            : throw new UsageException("--price must be an AITBC amount with at most 8 decimal places.");
}
