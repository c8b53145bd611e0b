using System.ComponentModel;
using System.Text;
using System.Text.Json;
using Aitbc.Coordinator.Auth;
using Aitbc.Coordinator.Common;
using Aitbc.Coordinator.Configuration;
using Aitbc.Coordinator.Data;
using Aitbc.Coordinator.Errors;
using Aitbc.Coordinator.Jobs;
using Aitbc.Coordinator.Receipts;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace Aitbc.Coordinator.Miners;

internal static class MinersApi
{
    public const int MaxResultBytes = 1024 * 1024;
    private const int MaxReportedJobs = 1000;

    public static RouteGroupBuilder MapMiners(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/v1/miner")
            .WithTags("Miner")
            .RequireKeyRole(ApiKeyRoles.Miner);

        group.MapPost("/register", RegisterAsync)
            .WithName("RegisterMiner")
            .WithSummary("Register the calling key as a miner, or update its registration")
            .WithDescription("The miner is identified by its key. 201 the first time, 200 after. "
                + "Errors: validation_failed.");
        group.MapPost("/heartbeat", HeartbeatAsync)
            .WithName("MinerHeartbeat")
            .WithSummary("Keep the miner online and its leases alive")
            .WithDescription("Answers with the reported jobs the miner must stop. status draining stops new work. "
                + "Errors: miner_not_registered (409).");
        group.MapGet("/jobs", JobsAsync)
            .WithName("TakeJobs")
            .WithSummary("The miner's leased jobs: those it holds plus new ones up to its free capacity")
            .WithDescription("Asking again returns the same leases. With wait=N (at most 60) the answer is held "
                + "until a new lease is given or N seconds pass, and then lists every lease the miner holds. "
                + "Errors: miner_not_registered (409).");
        group.MapPost("/result", ResultAsync)
            .WithName("SubmitResult")
            .WithSummary("Report a job's result or failure")
            .WithDescription("Only the holder of the job's current lease may report; the same report again gets "
                + "the same answer. Errors: job_not_found (404), lease_expired, job_cancelled, job_expired (409), "
                + "result_too_large (413).")
            .WithBodyLimit(MaxResultBytes + 64 * 1024);
        return group;
    }

    private static async Task<Results<Created<MinerView>, Ok<MinerView>, ProblemHttpResult>> RegisterAsync(
        RegisterMinerRequest request, Caller caller, CoordinatorSettings settings, DbWriter writer)
    {
        var errors = new ValidationErrors();
        var models = Normalize(request.Capabilities?.Models, "capabilities.models", 256, errors);
        var gpus = request.Capabilities?.Gpus ?? [];
        if (gpus.Count > 64)
        {
            errors.Add("capabilities.gpus", "At most 64 GPUs.");
        }

        foreach (var gpu in gpus)
        {
            if (gpu is null || gpu.Name is { Length: 0 or > 64 } || gpu.VramGb is < 0 or > 4096 || gpu.Count is < 1)
            {
                errors.Add(
                    "capabilities.gpus", "Each GPU has a name of 1 to 64 characters and vram_gb from 0 to 4096.");
                break;
            }
        }

        if (request.Capabilities?.Region is { Length: 0 or > 64 })
        {
            errors.Add("capabilities.region", "Must be 1 to 64 characters.");
        }

        if (request.Capabilities?.Extras.ValueKind is not (null or JsonValueKind.Undefined or JsonValueKind.Null
            or JsonValueKind.Object))
        {
            errors.Add("capabilities.extras", "Must be a JSON object.");
        }

        if (request.MaxConcurrency is < 1 or > 64)
        {
            errors.Add("max_concurrency", "Must be from 1 to 64.");
        }

        if (request.WalletAddress is { Length: < 14 or > 100 }
            || request.WalletAddress?.All(char.IsAsciiLetterOrDigit) == false)
        {
            errors.Add("wallet_address", "Must be a Bitcoin address.");
        }

        if (errors.Any)
        {
            return errors.ToProblem();
        }

        var capabilities = JsonSerializer.Serialize(request.Capabilities ?? new MinerCapabilities(), Json.Options);
        if (Encoding.UTF8.GetByteCount(capabilities) > 16 * 1024)
        {
            return Problems.BadRequest("validation_failed", "capabilities may be at most 16 KiB of JSON.");
        }

        var gpuNames = gpus.Where(g => g.Name is not null).Select(g => g.Name!.Trim().ToLowerInvariant()).Distinct();
        var (miner, created) = await writer.ExecuteAsync(async scope =>
        {
            var miner = await scope.Db.Miners.FirstOrDefaultAsync(m => m.ApiKeyId == caller.KeyId);
            var created = miner is null;
            miner ??= scope.Db.Miners.Add(new Miner
            {
                Id = Ids.New(Ids.Miner),
                ApiKeyId = caller.KeyId,
                Capabilities = "",
                Models = "",
                Gpus = "",
                RegisteredAt = scope.Now,
            }).Entity;
            miner.Capabilities = capabilities;
            miner.Models = JsonSerializer.Serialize(models);
            miner.Gpus = JsonSerializer.Serialize(gpuNames.ToList());
            miner.MaxVramGb = gpus.Select(g => g.VramGb ?? 0).DefaultIfEmpty(0).Max();
            miner.Region = request.Capabilities?.Region?.Trim().ToLowerInvariant();
            miner.MaxConcurrency = request.MaxConcurrency ?? 1;
            miner.PricePerUnit = request.PricePerUnit?.Units ?? 0;
            miner.WalletAddress = request.WalletAddress;
            miner.Status = miner.DrainedByOperator ? MinerStatus.Draining : MinerStatus.Online;
            miner.UpdatedAt = scope.Now;
            miner.LastSeenAt = scope.Now;
            await scope.Db.SaveChangesAsync();
            return (miner, created);
        });

        var view = miner.ToView(settings);
        return created ? TypedResults.Created("/v1/miner/register", view) : TypedResults.Ok(view);
    }

    private static async Task<Results<Ok<HeartbeatResponse>, ProblemHttpResult>> HeartbeatAsync(
        HeartbeatRequest request, Caller caller, JobLifecycle lifecycle, DbWriter writer)
    {
        var draining = request.Status?.ToLowerInvariant() switch
        {
            null or "online" => false,
            "draining" => true,
            _ => (bool?)null,
        };
        if (draining is null)
        {
            return Problems.BadRequest("validation_failed", "status must be online or draining.");
        }

        var running = request.RunningJobs ?? [];
        if (running.Count > MaxReportedJobs || running.Any(id => id is null || id.Length > 64))
        {
            return Problems.BadRequest(
                "validation_failed", $"running_jobs is a list of at most {MaxReportedJobs} job ids.");
        }

        var outcome = await writer.ExecuteAsync(async scope =>
        {
            var status = draining.Value ? MinerStatus.Draining : MinerStatus.Online;
            var updated = await scope.Db.Miners
                .Where(m => m.ApiKeyId == caller.KeyId)
                .ExecuteUpdateAsync(set => set
                    .SetProperty(m => m.LastSeenAt, scope.Now)
                    .SetProperty(m => m.Status, m => m.DrainedByOperator ? MinerStatus.Draining : status));
            if (updated == 0)
            {
                return null;
            }

            var miner = await scope.Db.Miners.Where(m => m.ApiKeyId == caller.KeyId)
                .Select(m => new { m.Id, m.Status })
                .FirstAsync();
            var cancelled = await lifecycle.ExtendLeasesAsync(scope, miner.Id, running.Distinct().ToList());
            return new HeartbeatResponse(cancelled, miner.Status);
        });

        return outcome is null ? NotRegistered() : TypedResults.Ok(outcome);
    }

    private static async Task<Results<Ok<MinerJobs>, ProblemHttpResult>> JobsAsync(
        Caller caller,
        MinerKeys minerKeys,
        JobLifecycle lifecycle,
        JobSignals signals,
        DbWriter writer,
        TimeProvider clock,
        IHostApplicationLifetime lifetime,
        [Description("Seconds to hold the answer until work arrives, 0 to 60.")] int? wait,
        CancellationToken cancel)
    {
        if (wait is < 0 or > ClientJobsApi.MaxWaitSeconds)
        {
            return Problems.BadRequest(
                "validation_failed", $"wait must be from 0 to {ClientJobsApi.MaxWaitSeconds} seconds.");
        }

        var minerId = await minerKeys.MinerOfAsync(caller.KeyId, cancel);
        if (minerId is null)
        {
            return NotRegistered();
        }

        var deadline = clock.GetUtcNow() + TimeSpan.FromSeconds(wait ?? 0);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancel, lifetime.ApplicationStopping);
        var wokenOnChance = false;
        while (true)
        {
            // Take a place in line before looking, so a job queued in between still wakes us.
            using var line = signals.WaitForWork();
            var leases = await writer.ExecuteAsync(scope => TakeAsync(scope, lifecycle, minerId));
            line.Looked(leases.Offer);
            if (wokenOnChance && leases.Taken.Count == 0)
            {
                // Woken for a job of unknown needs that it cannot run (or that went elsewhere): let every miner look.
                signals.WakeAllMiners();
            }

            // A miner that already holds work waits for new work too, rather than being answered at once and
            // asking again in a loop; whenever the answer comes, it lists every lease the miner holds.
            var remaining = deadline - clock.GetUtcNow();
            if (leases.Taken.Count > 0 || remaining <= TimeSpan.Zero || stop.IsCancellationRequested
                || !await JobSignals.WaitAsync(line.Woken, remaining, clock, stop.Token))
            {
                return TypedResults.Ok(new MinerJobs([.. leases.All.Select(j => j.ToLease())]));
            }

            wokenOnChance = line.Consume() && !line.Targeted;
        }
    }

    /// <summary>Marks the miner seen (at most once a second) and hands out its leases.</summary>
    private static async Task<MinerLeases> TakeAsync(WriteScope scope, JobLifecycle lifecycle, string minerId)
    {
        await scope.Sql.For(MarkSeen)
            .With("@miner", minerId)
            .With("@now", scope.Now)
            .With("@recently", scope.Now.AddSeconds(-1))
            .ExecuteNonQueryAsync();
        return await lifecycle.TakeAsync(scope, minerId)
            ?? throw new InvalidOperationException($"Miner {minerId} has no row, yet miners are never deleted.");
    }

    private const string MarkSeen = """
        UPDATE miners SET last_seen_at = @now, status = CASE WHEN status = 'offline' THEN 'online' ELSE status END
        WHERE id = @miner AND (last_seen_at < @recently OR status = 'offline')
        """;

    private static async Task<Results<Ok<ResultAccepted>, ProblemHttpResult>> ResultAsync(
        ResultRequest request, Caller caller, MinerKeys minerKeys, JobLifecycle lifecycle, DbWriter writer)
    {
        var errors = new ValidationErrors();
        var completed = request.Status switch
        {
            "completed" => true,
            "failed" => false,
            _ => (bool?)null,
        };
        if (completed is null)
        {
            errors.Add("status", "Must be completed or failed.");
        }

        string? result = null;
        string? resultSha256 = null;
        if (completed == true)
        {
            if (request.Result.ValueKind == JsonValueKind.Undefined)
            {
                errors.Add("result", "A completed job needs a result.");
            }
            else
            {
                result = request.Result.GetRawText();
                if (Encoding.UTF8.GetByteCount(result) > MaxResultBytes)
                {
                    return Problems.TooLarge(
                        "result_too_large", $"A result may be at most {MaxResultBytes / 1024} KiB.");
                }

                // The receipt holds the hash of the result's canonical form (RFC 8785), so it must have one.
                resultSha256 = Jcs.TrySha256Hex(request.Result, out var problem);
                if (problem is not null)
                {
                    errors.Add("result", $"Has no canonical JSON form: {problem}");
                }
            }
        }

        if (completed == false && (string.IsNullOrWhiteSpace(request.Error?.Code) || request.Error.Code.Length > 64
            || request.Error.Message is null || request.Error.Message.Length > 4096))
        {
            errors.Add("error", "A failure needs an error with a code (1 to 64 characters) and a message.");
        }

        if (request.Metrics.ValueKind is not (JsonValueKind.Undefined or JsonValueKind.Null or JsonValueKind.Object)
            || (request.Metrics.ValueKind == JsonValueKind.Object && request.Metrics.GetRawText().Length > 16 * 1024))
        {
            errors.Add("metrics", "Must be a JSON object of at most 16 KiB.");
        }
        else if (completed == true && request.Metrics.ValueKind == JsonValueKind.Object
            && Jcs.TrySha256Hex(request.Metrics, out var metricsProblem) is null)
        {
            errors.Add("metrics", $"Goes into the receipt and has no canonical JSON form: {metricsProblem}");
        }

        if (errors.Any)
        {
            return errors.ToProblem();
        }

        var minerId = await minerKeys.MinerOfAsync(caller.KeyId);
        if (minerId is null)
        {
            return NotRegistered();
        }

        var report = new ResultReport(
            request.JobId,
            request.LeaseToken,
            completed!.Value,
            result,
            request.Metrics.ValueKind == JsonValueKind.Object ? request.Metrics.GetRawText() : null,
            completed.Value ? null : request.Error!.Code,
            completed.Value ? null : request.Error!.Message,
            !completed.Value && request.Error!.Retryable,
            resultSha256);
        var outcome = await writer.ExecuteAsync(scope => lifecycle.FinishAsync(scope, minerId, report));
        return outcome.Status switch
        {
            FinishStatus.Accepted => TypedResults.Ok(
                new ResultAccepted(outcome.Job!.Id, outcome.Job.State, outcome.ReceiptId)),

            // A replay answers as the first time: a job that is not final now was put back in the queue then.
            FinishStatus.Replayed => TypedResults.Ok(new ResultAccepted(
                outcome.Job!.Id, outcome.Job.State.IsFinal() ? outcome.Job.State : JobState.Queued, outcome.ReceiptId)),
            FinishStatus.LeaseExpired => Problems.Conflict("lease_expired",
                "This lease is no longer current: it ran out or the job was given to another miner."),
            FinishStatus.Cancelled => Problems.Conflict("job_cancelled", "The client cancelled this job."),
            FinishStatus.Expired => Problems.Conflict("job_expired", "This job's time to live ran out."),
            _ => ClientJobsApi.JobNotFound(request.JobId),
        };
    }

    private static List<string> Normalize(List<string>? names, string field, int max, ValidationErrors errors)
    {
        if (names is null)
        {
            return [];
        }

        if (names.Count > max || names.Any(n => string.IsNullOrWhiteSpace(n) || n.Length > 128))
        {
            errors.Add(field, $"At most {max} names of 1 to 128 characters.");
            return [];
        }

        return [.. names.Select(n => n.Trim().ToLowerInvariant()).Distinct(StringComparer.Ordinal)];
    }

    private static ProblemHttpResult NotRegistered() => Problems.Conflict("miner_not_registered",
        "This key has no miner yet: register it with POST /v1/miner/register first.");
}
