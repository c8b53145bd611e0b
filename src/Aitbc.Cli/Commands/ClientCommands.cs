using System.CommandLine;
using System.Globalization;
using Aitbc.Client;
using Aitbc.Client.Jobs;
using Spectre.Console;

namespace Aitbc.Cli.Commands;

/// <summary><c>aitbc client …</c>: submit, watch, list and cancel jobs.</summary>
internal static class ClientCommands
{
    private static readonly TimeSpan DefaultWaitTimeout = TimeSpan.FromMinutes(10);

    public static Command Create(GlobalOptions globals)
    {
        var client = new Command("client", "Submit jobs and follow them (the client role).");
        client.Subcommands.Add(Submit(globals));
        client.Subcommands.Add(Status(globals));
        client.Subcommands.Add(List(globals));
        client.Subcommands.Add(Cancel(globals));
        client.Subcommands.Add(Result(globals));
        client.Subcommands.Add(ReceiptCommands.ForJob(globals));
        return client;
    }

    private static Command Submit(GlobalOptions globals)
    {
        var type = new Option<string>("--type") { Description = "The job type, as in llm_inference.", Required = true };
        var parameters = new Option<string>("--params")
        {
            Description = "The parameters: a JSON object, @file, or @- for stdin. Default {}.",
        };
        var maxPrice = new Option<string?>("--max-price") { Description = "The most to pay, in AITBC (12.5)." };
        var priority = new Option<int?>("--priority") { Description = "0 to 9, higher first. Default 5." };
        var ttl = new Option<int?>("--ttl") { Description = "Seconds before the job expires, 1 to 86400." };
        var attempts = new Option<int?>("--max-attempts") { Description = "Leases the job may use, 1 to 10." };
        var models = new Option<string?>("--models") { Description = "Models a miner must offer, comma-separated." };
        var idempotency = new Option<string?>("--idempotency-key")
        {
            Description = "Makes a retried submission return the first job instead of a second one.",
        };
        var wait = new Option<bool>("--wait") { Description = "Wait until the job ends and print it with its result." };
        var timeout = WaitTimeoutOption();
        var command = new Command("submit", "Submit a job.")
        {
            type, parameters, maxPrice, priority, ttl, attempts, models, idempotency, wait, timeout,
        };
        command.SetGuardedAction(globals, async (parsed, output, cancel) =>
        {
            var request = new SubmitJobRequest
            {
                JobType = parsed.GetValue(type)!,
                Parameters = CommandRunner.ReadJsonObject(parsed.GetValue(parameters) ?? "{}", "--params"),
                MaxPrice = ParseAmount(parsed.GetValue(maxPrice), "--max-price"),
                Priority = parsed.GetValue(priority),
                TtlSeconds = parsed.GetValue(ttl),
                MaxAttempts = parsed.GetValue(attempts),
                Requirements = parsed.GetValue(models) is { } list
                    ? new JobRequirements { Models = CommandRunner.SplitList(list) }
                    : null,
            };
            using var api = globals.CreateClient(parsed);
            var submitted = await api.Jobs.SubmitAsync(request, parsed.GetValue(idempotency), cancel);
            if (!parsed.GetValue(wait))
            {
                output.Data(submitted.Job, () => output.Line(
                    $"{submitted.Job.JobId} {Name(submitted.Job.State)}{(submitted.Replayed ? " (replayed)" : "")}"));
                return ExitCodes.Success;
            }

            output.Note($"{submitted.Job.JobId} submitted; waiting for it to end");
            return await WaitAndShowAsync(api, output, submitted.Job.JobId, parsed.GetValue(timeout), cancel);
        });
        return command;
    }

    private static Command Status(GlobalOptions globals)
    {
        var id = new Argument<string>("job-id") { Description = "The job's id (job_…)." };
        var wait = new Option<int?>("--wait")
        {
            Description = "Hold the answer up to N seconds (at most 60) until the state changes.",
        };
        var command = new Command("status", "Show a job's state, attempts and queue position.") { id, wait };
        command.SetGuardedAction(globals, async (parsed, output, cancel) =>
        {
            var seconds = parsed.GetValue(wait);
            if (seconds is < 0 or > 60)
            {
                throw new UsageException("--wait must be from 0 to 60 seconds.");
            }

            using var api = globals.CreateClient(parsed);
            var status = await api.Jobs.GetStatusAsync(parsed.GetValue(id)!,
                seconds is { } s ? TimeSpan.FromSeconds(s) : null, cancel);
            output.Data(status, () => ShowStatus(status));
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command List(GlobalOptions globals)
    {
        var state = new Option<string?>("--state") { Description = "Only jobs in this state." };
        state.AcceptOnlyFromAmong("queued", "running", "completed", "failed", "cancelled", "expired");
        var type = new Option<string?>("--type") { Description = "Only jobs of this type." };
        var limit = new Option<int?>("--limit") { Description = "Page size, 1 to 200. Default 50." };
        var cursor = new Option<string?>("--cursor") { Description = "The next_cursor of the previous page." };
        var all = new Option<bool>("--all") { Description = "Follow the cursors and list every matching job." };
        var command = new Command("list", "List your jobs, newest first.") { state, type, limit, cursor, all };
        command.SetGuardedAction(globals, async (parsed, output, cancel) =>
        {
            var query = new JobListQuery
            {
                State = parsed.GetValue(state) is { } s ? Enum.Parse<JobState>(s, ignoreCase: true) : null,
                JobType = parsed.GetValue(type),
                Limit = parsed.GetValue(limit),
                Cursor = parsed.GetValue(cursor),
            };
            using var api = globals.CreateClient(parsed);
            JobPage page;
            if (parsed.GetValue(all))
            {
                var items = new List<JobStatus>();
                await foreach (var job in api.Jobs.ListAllAsync(query, cancel))
                {
                    items.Add(job);
                }

                page = new JobPage(items, null);
            }
            else
            {
                page = await api.Jobs.ListAsync(query, cancel);
            }

            output.Data(page, () => ShowList(page));
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Cancel(GlobalOptions globals)
    {
        var id = new Argument<string>("job-id") { Description = "The job's id (job_…)." };
        var command = new Command("cancel", "Cancel a queued or running job.") { id };
        command.SetGuardedAction(globals, async (parsed, output, cancel) =>
        {
            using var api = globals.CreateClient(parsed);
            var status = await api.Jobs.CancelAsync(parsed.GetValue(id)!, cancel);
            output.Data(status, () => output.Line($"{status.JobId} {Name(status.State)}"));
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Result(GlobalOptions globals)
    {
        var id = new Argument<string>("job-id") { Description = "The job's id (job_…)." };
        var wait = new Option<bool>("--wait") { Description = "Wait until the job ends." };
        var timeout = WaitTimeoutOption();
        var command = new Command("result", "Print a completed job's result.") { id, wait, timeout };
        command.SetGuardedAction(globals, async (parsed, output, cancel) =>
        {
            using var api = globals.CreateClient(parsed);
            var jobId = parsed.GetValue(id)!;
            if (parsed.GetValue(wait))
            {
                return await WaitAndShowAsync(api, output, jobId, parsed.GetValue(timeout), cancel);
            }

            return Show(output, await api.Jobs.GetAsync(jobId, cancel));
        });
        return command;
    }

    private static Option<int> WaitTimeoutOption() => new("--timeout")
    {
        Description = $"With --wait: give up after N seconds. Default {DefaultWaitTimeout.TotalSeconds}.",
        DefaultValueFactory = _ => (int)DefaultWaitTimeout.TotalSeconds,
    };

    private static async Task<int> WaitAndShowAsync(
        AitbcClient api, Output output, string jobId, int timeoutSeconds, CancellationToken cancel)
    {
        if (timeoutSeconds < 1)
        {
            throw new UsageException("--timeout must be at least 1 second.");
        }

        await api.Jobs.WaitAsync(jobId, TimeSpan.FromSeconds(timeoutSeconds),
            status => output.Note($"{status.JobId} {Name(status.State)} (attempt {status.Attempts})"), cancel);
        return Show(output, await api.Jobs.GetAsync(jobId, cancel));
    }

    /// <summary>Prints the job; a job that did not complete is also an error line and exit code 4.</summary>
    private static int Show(Output output, JobDetail job)
    {
        output.Data(job, () =>
        {
            if (job.State == JobState.Completed && job.Result is { } result)
            {
                // Plain text, not Spectre's: a result must never be wrapped to the terminal's width.
                Console.Out.WriteLine(Output.Pretty(result));
            }
        });
        if (job.State == JobState.Completed)
        {
            return ExitCodes.Success;
        }

        var why = job.Error is { } error ? $": {error.Message} ({error.Code})" : "";
        output.Error("job_not_completed", job.State.IsFinal()
            ? $"Job {job.JobId} ended {Name(job.State)}{why}."
            : $"Job {job.JobId} is {Name(job.State)}; it has no result yet.");
        return ExitCodes.ClientError;
    }

    private static void ShowStatus(JobStatus status)
    {
        var grid = new Grid().AddColumn().AddColumn();
        void Row(string name, string? value)
        {
            if (value is not null)
            {
                grid.AddRow(new Text(name), new Text(value));
            }
        }

        Row("job_id", status.JobId);
        Row("job_type", status.JobType);
        Row("state", Name(status.State));
        Row("attempts", $"{status.Attempts} of {status.MaxAttempts}");
        Row("priority", status.Priority.ToString(CultureInfo.InvariantCulture));
        Row("queue_position", status.QueuePosition?.ToString(CultureInfo.InvariantCulture));
        Row("waiting_reason", status.WaitingReason);
        Row("max_price", status.MaxPrice is { } price ? AitbcAmountConverter.Format(price) + " AITBC" : null);
        Row("created_at", Time(status.CreatedAt));
        Row("started_at", status.StartedAt is { } started ? Time(started) : null);
        Row("completed_at", status.CompletedAt is { } completed ? Time(completed) : null);
        Row("expires_at", Time(status.ExpiresAt));
        Row("error", status.Error is { } error ? $"{error.Code}: {error.Message}" : null);
        AnsiConsole.Write(grid);
    }

    private static void ShowList(JobPage page)
    {
        var table = new Table().AddColumns("job_id", "type", "state", "attempts", "created_at");
        foreach (var job in page.Items)
        {
            table.AddRow(job.JobId, job.JobType, Name(job.State),
                job.Attempts.ToString(CultureInfo.InvariantCulture), Time(job.CreatedAt));
        }

        AnsiConsole.Write(table);
        if (page.NextCursor is not null)
        {
            AnsiConsole.WriteLine($"more: --cursor {page.NextCursor}");
        }
    }

    private static decimal? ParseAmount(string? text, string option)
    {
        if (text is null)
        {
            return null;
        }

        if (!decimal.TryParse(text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var amount)
            || decimal.Round(amount, AitbcAmountConverter.Decimals) != amount)
        {
            throw new UsageException($"{option} must be an AITBC amount with at most 8 decimal places, as in 12.5.");
        }

        return amount;
    }

    internal static string Name(JobState state) => state.ToString().ToLowerInvariant();

    private static string Time(DateTimeOffset time) =>
        time.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture);
}
