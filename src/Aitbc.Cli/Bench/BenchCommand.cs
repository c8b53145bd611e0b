using System.CommandLine;
using System.Globalization;
using Aitbc.Client;
using Spectre.Console;

namespace Aitbc.Cli.Bench;

/// <summary><c>aitbc bench</c>: simulated clients and echo miners over real HTTP, then a report.</summary>
internal static class BenchCommand
{
    public static Command Create(GlobalOptions globals)
    {
        var clients = new Option<int>("--clients") 
        {
            Description = "Simulated clients.",
            DefaultValueFactory = _ => 16,
        };
        var miners = new Option<int>("--miners")
        {
            Description = "Simulated echo miners.",
            DefaultValueFactory = _ => 16,
        };
        var minerConcurrency = new Option<int>("--miner-concurrency")
        {
            Description = "Jobs each miner runs at once, and so takes in one call.",
            DefaultValueFactory = _ => 1,
        };
        var jobs = new Option<int>("--jobs")
        {
            Description = "Jobs to submit and finish.",
            DefaultValueFactory = _ => 1000,
        };
        var queued = new Option<int>("--queued")
        {
            Description = "Jobs no miner can take, queued first, so the run measures a deep queue.",
        };
        var clientKeys = new Option<string?>("--client-keys")
        {
            Description = "Client keys, comma-separated, used in turn; default the --api-key.",
        };
        var minerKeys = new Option<string?>("--miner-keys")
        {
            Description = "One key per miner, comma-separated (a key is one miner); default the --api-key for one.",
        };
        var adminKey = new Option<string?>("--admin-key")
        {
            Description = "An admin key: creates a client key per client and a miner key per miner for the run "
                + "(those --client-keys/--miner-keys do not give) and revokes them afterwards.",
        };
        var serverPid = new Option<int?>("--server-pid")
        {
            Description = "The Coordinator's process id, to report its memory (same machine only).",
        };
        var command = new Command("bench", "Measure a Coordinator with simulated clients and echo miners.")
        {
            clients, miners, minerConcurrency, jobs, queued, clientKeys, minerKeys, adminKey, serverPid,
        };
        command.SetGuardedAction(globals, async (parsed, output, cancel) =>
        {
            var settings = new BenchSettings(
                globals.ResolveUrl(parsed),
                [],
                [],
                parsed.GetValue(clients),
                parsed.GetValue(miners),
                parsed.GetValue(minerConcurrency),
                parsed.GetValue(jobs),
                parsed.GetValue(queued),
                parsed.GetValue(serverPid));
            settings.ValidateShape();
            var admin = parsed.GetValue(adminKey);
            var givenClientKeys = parsed.GetValue(clientKeys);
            var givenMinerKeys = parsed.GetValue(minerKeys);
            if (admin is null)
            {
                var report = await MeasureAsync(settings with
                {
                    ClientKeys = Keys(givenClientKeys, parsed, globals, "--client-keys"),
                    MinerKeys = Keys(givenMinerKeys, parsed, globals, "--miner-keys"),
                }, output, cancel);
                output.Data(report, () => Show(report));
                return ExitCode(report);
            }

            if (givenClientKeys is not null && givenMinerKeys is not null)
            {
                throw new UsageException(
                    "--admin-key only creates keys that --client-keys or --miner-keys do not give.");
            }

            return await MeasureWithRunKeysAsync(settings, admin.Trim(),
                givenClientKeys is null ? null : Keys(givenClientKeys, parsed, globals, "--client-keys"),
                givenMinerKeys is null ? null : Keys(givenMinerKeys, parsed, globals, "--miner-keys"),
                output, cancel);
        });
        return command;
    }

    /// <summary>
    /// Makes the keys that were not given with the admin key, runs, and revokes them however the run ends: done,
    /// failed or stopped.
    /// </summary>
    private static async Task<int> MeasureWithRunKeysAsync(BenchSettings settings, string adminKey,
        IReadOnlyList<string>? clientKeys, IReadOnlyList<string>? minerKeys, Output output, CancellationToken cancel)
    {
        using var admin = new AitbcClient(settings.Url, adminKey);
        var keys = await BenchKeys.CreateAsync(admin, clientKeys is null ? settings.Clients : 0,
            minerKeys is null ? settings.Miners : 0, cancel);
        output.Note($"created {keys.KeyIds.Count} API keys for the run");
        BenchReport report;
        IReadOnlyList<string> left;
        try
        {
            report = await MeasureAsync(settings with
            {
                ClientKeys = clientKeys ?? keys.ClientKeys,
                MinerKeys = minerKeys ?? keys.MinerKeys,
            }, output, cancel);
        }
        finally
        {
            left = await keys.RevokeAllAsync();
            if (left.Count > 0)
            {
                output.Error("revoke_failed", $"{left.Count} API keys made for the run are still valid; revoke them "
                    + $"with aitbc admin keys revoke: {string.Join(' ', left)}");
            }
            else
            {
                output.Note($"revoked the {keys.KeyIds.Count} API keys of the run");
            }
        }

        report = report with { Keys = new BenchKeyUse(keys.KeyIds, keys.KeyIds.Count - left.Count) };
        output.Data(report, () => Show(report));
        return left.Count > 0 ? ExitCodes.ServerError : ExitCode(report);
    }

    private static async Task<BenchReport> MeasureAsync(BenchSettings settings, Output output, CancellationToken cancel)
    {
        settings.Validate();
        var run = new BenchRun(settings);
        if (output.Json)
        {
            return await run.RunAsync(null, cancel);
        }

        return await AnsiConsole.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(),
                new ElapsedTimeColumn())
            .StartAsync(async context => await run.RunAsync(new SpectreProgress(context), cancel));
    }

    private static int ExitCode(BenchReport report) =>
        report.Jobs.Completed == report.Jobs.Submitted && report.Jobs.SubmitErrors == 0
            ? ExitCodes.Success
            : ExitCodes.ServerError;

    private static IReadOnlyList<string> Keys(string? list, ParseResult parsed, GlobalOptions globals, string option)
    {
        var keys = CommandRunner.SplitList(list);
        return keys.Count > 0 ? keys : list is null ? [globals.ResolveKey(parsed)]
            : throw new UsageException($"{option} is empty.");
    }

    private static void Show(BenchReport report)
    {
        var summary = new Table().AddColumns("", "value").HideHeaders();
        summary.AddRow("clients / miners", $"{report.Clients} / {report.Miners}"
            + (report.MinerConcurrency > 1 ? $" ({report.MinerConcurrency} jobs each)" : ""));
        summary.AddRow("queued beforehand", N(report.Queued));
        summary.AddRow("jobs submitted", N(report.Jobs.Submitted));
        summary.AddRow("jobs completed", N(report.Jobs.Completed));
        summary.AddRow("jobs failed / unfinished", $"{N(report.Jobs.Failed)} / {N(report.Jobs.Unfinished)}");
        summary.AddRow("submit errors", N(report.Jobs.SubmitErrors));
        summary.AddRow("duration", $"{report.DurationSeconds:0.00} s");
        summary.AddRow("[bold]jobs/s[/]", $"[bold]{report.JobsPerSecond:0.0}[/]");
        if (report.Server is { } server)
        {
            summary.AddRow("server RSS (peak)",
                $"{server.RssBytes / 1048576.0:0.0} MiB ({server.PeakRssBytes / 1048576.0:0.0} MiB)");
        }

        if (report.Keys is { } keys)
        {
            summary.AddRow("API keys made / revoked", $"{N(keys.CreatedKeyIds.Count)} / {N(keys.Revoked)}");
        }

        AnsiConsole.Write(summary);

        var latency = new Table().AddColumns("latency (ms)", "p50", "p95", "p99", "max", "count");
        Row(latency, "submit", report.LatencyMs.Submit);
        Row(latency, "dispatch", report.LatencyMs.Dispatch);
        Row(latency, "end to end", report.LatencyMs.EndToEnd);
        AnsiConsole.Write(latency);

        if (report.Errors.Count > 0)
        {
            var errors = new Table().AddColumns("error", "count");
            foreach (var (code, count) in report.Errors.OrderByDescending(e => e.Value))
            {
                errors.AddRow(Markup.Escape(code), N(count));
            }

            AnsiConsole.Write(errors);
        }
    }

    private static void Row(Table table, string name, Percentiles p) => table.AddRow(name,
        F(p.P50), F(p.P95), F(p.P99), F(p.Max), N(p.Count));

    private static string F(double value) => value.ToString("0.0", CultureInfo.InvariantCulture);

    private static string N(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    private sealed class SpectreProgress(ProgressContext context) : IBenchProgress
    {
        private ProgressTask? _task;

        public void Phase(string name, double total)
        {
            _task?.StopTask();
            _task = context.AddTask(name, maxValue: Math.Max(1, total));
        }

        public void Set(double value)
        {
            if (_task is not null)
            {
                _task.Value = value;
            }
        }
    }
}
