using System.ComponentModel;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Aitbc.Coordinator.Auth;
using Aitbc.Coordinator.Common;
using Aitbc.Coordinator.Configuration;
using Aitbc.Coordinator.Data;
using Aitbc.Coordinator.Errors;
using Aitbc.Coordinator.Miners;
using Aitbc.Coordinator.Receipts;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;

namespace Aitbc.Coordinator.Jobs;

internal static class ClientJobsApi
{
    public const int MaxParametersBytes = 256 * 1024;
    public const int MaxWaitSeconds = 60;
    private const int DefaultPriority = 5;
    private const int DefaultMaxAttempts = 3;
    private const int MaxTtlSeconds = 86_400;

    public static RouteGroupBuilder MapClientJobs(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/v1/client/jobs")
            .WithTags("Client")
            .RequireKeyRole(ApiKeyRoles.Client);

        group.MapPost("/", SubmitAsync)
            .WithName("SubmitJob")
            .WithSummary("Submit a job")
            .WithDescription("Queues a job. With an Idempotency-Key header a retry returns the original job; the same "
                + "key with another body is 409 idempotency_key_reused. A user's key holds max_price from the user's "
                + "balance. Errors: validation_failed, malformed_json, insufficient_funds (402), "
                + "parameters_too_large (413).")
            .WithBodyLimit(MaxParametersBytes + 64 * 1024);
        group.MapGet("/", ListAsync)
            .WithName("ListJobs")
            .WithSummary("List the caller's jobs, newest first");
        group.MapGet("/{jobId}", GetAsync)
            .WithName("GetJob")
            .WithSummary("The whole job, with its result once completed")
            .WithDescription("Errors: job_not_found (404).");
        group.MapGet("/{jobId}/status", StatusAsync)
            .WithName("GetJobStatus")
            .WithSummary("A job's state, attempts, times and queue position")
            .WithDescription("With wait=N (at most 60) the answer is held until the state changes or N seconds "
                + "pass. Errors: job_not_found (404).");
        group.MapPost("/{jobId}/cancel", CancelAsync)
            .WithName("CancelJob")
            .WithSummary("Cancel a queued or running job")
            .WithDescription("Cancelling a cancelled job answers it again. Errors: job_not_found (404), "
                + "job_finished (409) once the job completed, failed or expired.");
        return group;
    }

    private static async Task<Results<Created<JobStatus>, ProblemHttpResult>> SubmitAsync(
        SubmitJobRequest request,
        Caller caller,
        [FromHeader(Name = "Idempotency-Key"), Description("Makes retries of this submission safe.")]
        string? idempotencyKey,
        CoordinatorSettings settings,
        JobLifecycle lifecycle,
        DbWriter writer,
        HttpContext http)
    {
        var errors = new ValidationErrors();
        var job = Validate(request, caller, idempotencyKey, settings, errors, out var tooLarge);
        if (tooLarge is not null)
        {
            return tooLarge;
        }

        if (job is null)
        {
            return errors.ToProblem();
        }

        SubmitOutcome outcome;
        try
        {
            outcome = await writer.ExecuteAsync(scope => lifecycle.SubmitAsync(scope, job));
        }
        catch (Exception e) when (job.IdempotencyKey is not null && Statements.IsUniqueViolation(e))
        {
            // Another process stored the same key between our look-up and insert: answer as a replay of it.
            outcome = await writer.ExecuteAsync(scope => lifecycle.SubmitAsync(scope, job));
        }

        if (outcome.InsufficientFunds)
        {
            return Problems.Create(402, "insufficient_funds",
                $"The available balance does not cover max_price {request.MaxPrice}; no job was created.");
        }

        if (outcome.Job is null)
        {
            return Problems.Conflict("idempotency_key_reused",
                "This Idempotency-Key was used for a different request; use a new key for a new job.");
        }

        if (outcome.Replayed)
        {
            http.Response.Headers["Idempotent-Replayed"] = "true";
        }

        return TypedResults.Created($"/v1/client/jobs/{outcome.Job.Id}", outcome.Job.ToStatus());
    }

    private static NewJob? Validate(
        SubmitJobRequest request,
        Caller caller,
        string? idempotencyKey,
        CoordinatorSettings settings,
        ValidationErrors errors,
        out ProblemHttpResult? tooLarge)
    {
        tooLarge = null;
        if (string.IsNullOrWhiteSpace(request.JobType) || request.JobType.Length > 64
            || !request.JobType.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.'))
        {
            errors.Add("job_type", "Give 1 to 64 letters, digits, '_', '-' or '.', as in llm_inference.");
        }

        string parameters = "{}";
        var parametersSha256 = EmptyParametersSha256;
        if (request.Parameters.ValueKind is not (JsonValueKind.Undefined or JsonValueKind.Null))
        {
            if (request.Parameters.ValueKind != JsonValueKind.Object)
            {
                errors.Add("parameters", "Must be a JSON object.");
            }
            else
            {
                parameters = request.Parameters.GetRawText();
                if (Encoding.UTF8.GetByteCount(parameters) > MaxParametersBytes)
                {
                    tooLarge = Problems.TooLarge("parameters_too_large",
                        $"parameters may be at most {MaxParametersBytes / 1024} KiB of JSON.");
                    return null;
                }

                // The receipt states the hash of the canonical form (RFC 8785): without one, no receipt could be.
                parametersSha256 = Jcs.TrySha256Hex(request.Parameters, out var problem) ?? "";
                if (problem is not null)
                {
                    errors.Add("parameters", $"Has no canonical JSON form: {problem}");
                }
            }
        }

        var requirements = request.Requirements;
        var models = new List<string>();
        foreach (var model in requirements?.Models ?? [])
        {
            if (string.IsNullOrWhiteSpace(model) || model.Length > 128)
            {
                errors.Add("requirements.models", "Each model is a name of 1 to 128 characters.");
                break;
            }

            models.Add(model.Trim().ToLowerInvariant());
        }

        if (models.Count > 16)
        {
            errors.Add("requirements.models", "At most 16 models.");
        }

        if (requirements?.MinVramGb is { } vram && vram is < 1 or > 4096)
        {
            errors.Add("requirements.min_vram_gb", "Must be from 1 to 4096.");
        }

        if (requirements?.Gpu is { Length: 0 or > 64 })
        {
            errors.Add("requirements.gpu", "Must be 1 to 64 characters.");
        }

        if (requirements?.Region is { Length: 0 or > 64 })
        {
            errors.Add("requirements.region", "Must be 1 to 64 characters.");
        }

        if (request.Priority is { } priority && priority is < 0 or > 9)
        {
            errors.Add("priority", "Must be from 0 to 9.");
        }

        if (request.TtlSeconds is { } ttl && ttl is < 1 or > MaxTtlSeconds)
        {
            errors.Add("ttl_seconds", $"Must be from 1 to {MaxTtlSeconds}.");
        }

        if (request.MaxAttempts is { } attempts && attempts is < 1 or > 10)
        {
            errors.Add("max_attempts", "Must be from 1 to 10.");
        }

        if (caller.UserId is not null && request.MaxPrice is null)
        {
            errors.Add(
                "max_price", "A job submitted with a user's key is paid from the user's balance: give a budget.");
        }

        if (idempotencyKey is not null
            && (idempotencyKey.Length is 0 or > 255 || !idempotencyKey.All(c => c is >= '!' and <= '~')))
        {
            errors.Add("Idempotency-Key", "Must be 1 to 255 visible ASCII characters.");
        }

        if (errors.Any)
        {
            return null;
        }

        var normalizedRequirements = requirements is null
            ? null
            : JsonSerializer.Serialize(requirements with { Models = requirements.Models is null ? null : models },
                Json.Options);
        return new NewJob(
            ClientId: caller.OwnerId,
            ApiKeyId: caller.KeyId,
            JobType: request.JobType,
            Parameters: parameters,
            ParametersSha256: parametersSha256,
            Requirements: normalizedRequirements,
            Models: models.Distinct(StringComparer.Ordinal).ToList(),
            MinVramGb: requirements?.MinVramGb,
            Gpu: requirements?.Gpu?.Trim().ToLowerInvariant(),
            Region: requirements?.Region?.Trim().ToLowerInvariant(),
            Priority: request.Priority ?? DefaultPriority,
            MaxPrice: request.MaxPrice?.Units,
            Ttl: request.TtlSeconds is { } seconds ? TimeSpan.FromSeconds(seconds) : settings.JobTtl,
            MaxAttempts: request.MaxAttempts ?? DefaultMaxAttempts,
            IdempotencyKey: idempotencyKey,
            RequestHash: idempotencyKey is null ? null : RequestHash(request),
            BillTo: caller.UserId);
    }

    private static readonly string EmptyParametersSha256 = Jcs.Sha256Hex("{}");

    private static string RequestHash(SubmitJobRequest request) =>
        Convert.ToHexStringLower(SHA256.HashData(JsonSerializer.SerializeToUtf8Bytes(request, Json.Options)));

    private static async Task<Results<Ok<JobPage>, ProblemHttpResult>> ListAsync(
        Caller caller,
        CoordinatorDb db,
        [Description("Only jobs in this state.")] string? state,
        [FromQuery(Name = "job_type"), Description("Only jobs of this type.")] string? jobType,
        [Description("Page size, 1 to 200. Default 50.")] int? limit,
        [Description("next_cursor of the previous page.")] string? cursor,
        CancellationToken cancel)
    {
        var errors = new ValidationErrors();
        JobState? wanted = null;
        if (state is not null)
        {
            if (Enum.TryParse<JobState>(state, ignoreCase: true, out var parsed) && !int.TryParse(state, out _))
            {
                wanted = parsed;
            }
            else
            {
                errors.Add("state", "Must be queued, running, completed, failed, cancelled or expired.");
            }
        }

        errors.PageSize(limit);

        var before = errors.Cursor(cursor, Cursor.Decode);

        if (errors.Any)
        {
            return errors.ToProblem();
        }

        var size = limit ?? 50;
        var query = db.Jobs.AsNoTracking().Where(j => j.ClientId == caller.OwnerId);
        if (wanted is { } s)
        {
            query = query.Where(j => j.State == s);
        }

        if (jobType is not null)
        {
            query = query.Where(j => j.JobType == jobType);
        }

        if (before is { } b)
        {
            query = query.Where(j => j.Seq < b);
        }

        var page = await query.OrderByDescending(j => j.Seq).Take(size + 1).ToListAsync(cancel);
        var items = new List<JobStatus>(Math.Min(page.Count, size));
        foreach (var job in page.Take(size))
        {
            items.Add(job.ToStatus(job.State == JobState.Queued ? await QueuePositionAsync(db, job, cancel) : null));
        }

        var next = page.Count > size ? Cursor.Encode(page[size - 1].Seq) : null;
        return TypedResults.Ok(new JobPage(items, next));
    }

    private static async Task<Results<Ok<JobDetail>, ProblemHttpResult>> GetAsync(
        string jobId, Caller caller, CoordinatorDb db, CancellationToken cancel)
    {
        var job = await FindAsync(db, caller, jobId, cancel);
        if (job is null)
        {
            return JobNotFound(jobId);
        }

        var position = job.State == JobState.Queued ? await QueuePositionAsync(db, job, cancel) : null;
        return TypedResults.Ok(job.ToDetail(position));
    }

    private static async Task<Results<Ok<JobStatus>, ProblemHttpResult>> StatusAsync(
        string jobId,
        Caller caller,
        CoordinatorDb db,
        JobSignals signals,
        MinerDirectory miners,
        TimeProvider clock,
        IHostApplicationLifetime lifetime,
        [Description("Seconds to hold the answer until the state changes, 0 to 60.")] int? wait,
        CancellationToken cancel)
    {
        if (wait is < 0 or > MaxWaitSeconds)
        {
            return Problems.BadRequest("validation_failed", $"wait must be from 0 to {MaxWaitSeconds} seconds.");
        }

        // Take the signal before reading, so a change that commits in between still wakes us.
        var changed = wait > 0 ? signals.NextChange(jobId) : null;
        var job = await FindAsync(db, caller, jobId, cancel);
        if (job is null)
        {
            return JobNotFound(jobId);
        }

        if (changed is not null && !job.State.IsFinal())
        {
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancel, lifetime.ApplicationStopping);
            if (await JobSignals.WaitAsync(changed, TimeSpan.FromSeconds(wait!.Value), clock, linked.Token))
            {
                db.ChangeTracker.Clear();
                job = await FindAsync(db, caller, jobId, cancel) ?? job;
            }
        }

        if (job.State != JobState.Queued)
        {
            return TypedResults.Ok(job.ToStatus());
        }

        var (eligible, reason) = await miners.ExplainAsync(job, cancel);
        return TypedResults.Ok(job.ToStatus(await QueuePositionAsync(db, job, cancel)) with
        {
            EligibleMiners = eligible,
            WaitingReason = reason,
        });
    }

    private static async Task<Results<Ok<JobStatus>, ProblemHttpResult>> CancelAsync(
        string jobId, Caller caller, JobLifecycle lifecycle, DbWriter writer)
    {
        var outcome = await writer.ExecuteAsync(scope => lifecycle.CancelAsync(scope, caller.OwnerId, jobId));
        return outcome.Status switch
        {
            CancelStatus.Cancelled => TypedResults.Ok(outcome.Job!.ToStatus()),
            CancelStatus.AlreadyFinal => Problems.Conflict("job_finished",
                $"Job {jobId} has already ended ({outcome.Job!.State.ToString().ToLowerInvariant()}); it can no "
                + "longer be cancelled."),
            _ => JobNotFound(jobId),
        };
    }

    private static Task<Job?> FindAsync(CoordinatorDb db, Caller caller, string jobId, CancellationToken cancel) =>
        db.Jobs.AsNoTracking()
            .Include(j => j.RequiredModels)
            .FirstOrDefaultAsync(j => j.Id == jobId && j.ClientId == caller.OwnerId, cancel);

    /// <summary>1-based place in the queue: the queued jobs that a miner would take before this one.</summary>
    private static async Task<long?> QueuePositionAsync(CoordinatorDb db, Job job, CancellationToken cancel) =>
        1 + await db.Jobs.LongCountAsync(j => j.State == JobState.Queued
            && (j.Priority > job.Priority || (j.Priority == job.Priority && j.Seq < job.Seq)), cancel);

    internal static ProblemHttpResult JobNotFound(string jobId) =>
        Problems.NotFound("job_not_found", $"There is no job {jobId} of yours.");
}
