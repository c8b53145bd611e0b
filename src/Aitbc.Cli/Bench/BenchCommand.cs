using System.CommandLine;
using System.Globalization;
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
        var serverPid = new Option<int?>("--server-pid")
        {
            Description = "The Coordinator's process id, to report its memory (same machine only).",
        };
        var command = new Command("bench", "Measure a Coordinator with simulated clients and echo miners.")
        {
            clients, miners, jobs, queued, clientKeys, minerKeys, serverPid,
        };
        command.SetGuardedAction(globals, async (parsed, output, cancel) =>
        {
            var settings = new BenchSettings(
                globals.ResolveUrl(parsed),
                Keys(parsed.GetValue(clientKeys), parsed, globals, "--client-keys"),
                Keys(parsed.GetValue(minerKeys), parsed, globals, "--miner-keys"),
                parsed.GetValue(clients),
                parsed.GetValue(miners),
                parsed.GetValue(jobs),
                parsed.GetValue(queued),
                parsed.GetValue(serverPid));
            settings.Validate();

            var run = new BenchRun(settings);
            BenchReport report;
            if (output.Json)
            {
                report = await run.RunAsync(null, cancel);
            }
            else
            {
                report = await AnsiConsole.Progress()
                    .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(),
                        new ElapsedTimeColumn())
                    .StartAsync(async context => await run.RunAsync(new SpectreProgress(context), cancel));
            }

            output.Data(report, () => Show(report));
            return report.Jobs.Completed == report.Jobs.Submitted && report.Jobs.SubmitErrors == 0
                ? ExitCodes.Success
                : ExitCodes.ServerError;
        });
        return command;
    }

    private static IReadOnlyList<string> Keys(string? list, ParseResult parsed, GlobalOptions globals, string option)
    {
        var keys = CommandRunner.SplitList(list);
        return keys.Count > 0 ? keys : list is null ? [globals.ResolveKey(parsed)]
            : throw new UsageException($"{option} is empty.");
    }

    private static void Show(BenchReport report)
    {
        var summary = new Table().AddColumns("", "value").HideHeaders();
        summary.AddRow("clients / miners", $"{report.Clients} / {report.Miners}");
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
