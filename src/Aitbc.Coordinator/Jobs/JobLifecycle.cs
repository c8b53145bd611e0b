using System.Text.Json;
using Aitbc.Coordinator.Common;
using Aitbc.Coordinator.Configuration;
using Aitbc.Coordinator.Data;
using Aitbc.Coordinator.Ledger;
using Aitbc.Coordinator.Miners;
using Aitbc.Coordinator.Receipts;
using Aitbc.Coordinator.Observability;
using Microsoft.EntityFrameworkCore;

namespace Aitbc.Coordinator.Jobs;

/// <summary>
/// Every change of a job's state, in one place. Each transition is a single conditional UPDATE whose row count says
/// whether it happened: the guard names the state it leaves and, for a miner, the lease it holds, so a stale caller
/// can never move a job that someone else has moved on. All methods run inside a <see cref="DbWriter"/> unit, so
/// whatever a transition implies commits with it or not at all.
/// </summary>
internal sealed partial class JobLifecycle(
    CoordinatorSettings settings,
    JobSignals signals,
    ReceiptIssuer receipts,
    Bookkeeper books,
    CoordinatorMetrics metrics,
    JobProfiles profiles,
    ILogger<JobLifecycle> logger)
{
    public async Task<SubmitOutcome> SubmitAsync(WriteScope scope, NewJob request)
    {
        if (request.IdempotencyKey is not null)
        {
            // Two processes storing the same key at once: the second insert fails on the unique index, and the
            // submit handler runs the unit again, which then finds the first one's job here.
            var existing = await JobRows.ReadOneAsync(scope.Sql.For(SelectByIdempotencyKey)
                .With("@client", request.ClientId)
                .With("@key", request.IdempotencyKey));
            if (existing is not null)
            {
                return existing.RequestHash == request.RequestHash
                    ? new SubmitOutcome(existing, Replayed: true)
                    : new SubmitOutcome(null, Replayed: false);
            }
        }

        // A user's job reserves its budget first; without the money there is no job.
        var jobId = Ids.New(Ids.Job);
        if (request.BillTo is { } userId && request.MaxPrice is { } budget
            && !await books.HoldForJobAsync(scope, userId, jobId, budget))
        {
            return new SubmitOutcome(null, Replayed: false, InsufficientFunds: true);
        }

        var job = new Job
        {
            Id = jobId,
            ClientId = request.ClientId,
            ApiKeyId = request.ApiKeyId,
            JobType = request.JobType,
            State = JobState.Queued,
            Priority = request.Priority,
            Parameters = request.Parameters,
            ParametersSha256 = request.ParametersSha256,
            Requirements = request.Requirements,
            RequiredModels = [.. request.Models.Select(m => new JobModel { Model = m })],
            ProfileId = await profiles.IdForAsync(
                scope, request.Models, request.MinVramGb, request.Gpu, request.Region),
            MinVramGb = request.MinVramGb,
            RequiredGpu = request.Gpu,
            Region = request.Region,
            MaxPrice = request.MaxPrice,
            MaxAttempts = request.MaxAttempts,
            CreatedAt = scope.Now,
            ExpiresAt = scope.Now + request.Ttl,
            IdempotencyKey = request.IdempotencyKey,
            RequestHash = request.RequestHash,
        };
        job.Seq = (long)(await scope.Sql.For(InsertJob)
            .With("@id", job.Id)
            .With("@client", job.ClientId)
            .With("@key", job.ApiKeyId)
            .With("@type", job.JobType)
            .With("@priority", job.Priority)
            .With("@parameters", job.Parameters)
            .With("@parameters_sha256", job.ParametersSha256)
            .With("@requirements", job.Requirements)
            .With("@profile", job.ProfileId)
            .With("@vram", job.MinVramGb)
            .With("@gpu", job.RequiredGpu)
            .With("@region", job.Region)
            .With("@max_price", job.MaxPrice)
            .With("@max_attempts", job.MaxAttempts)
            .With("@now", job.CreatedAt)
            .With("@expires", job.ExpiresAt)
            .With("@idempotency_key", job.IdempotencyKey)
            .With("@request_hash", job.RequestHash)
            .ExecuteScalarAsync())!;
        foreach (var model in job.RequiredModels)
        {
            model.JobSeq = job.Seq;
            await scope.Sql.For(InsertJobModel)
                .With("@job", job.Seq)
                .With("@model", model.Model)
                .ExecuteNonQueryAsync();
        }

        signals.Queued(scope, demand: new JobDemand(request.Models, request.MinVramGb, request.Gpu, request.Region));
        scope.OnCommitted(metrics.JobSubmitted);
        return new SubmitOutcome(job, Replayed: false);
    }

    /// <summary>
    /// The miner's leases: those it holds plus new ones up to its free capacity, best first. Asking again returns
    /// the same leases, so a response lost on the way costs the miner nothing. Null when there is no such miner.
    /// </summary>
    public async Task<MinerLeases?> TakeAsync(WriteScope scope, string minerId)
    {
        var miner = await ReadTakerAsync(scope, minerId);
        if (miner is null)
        {
            return null;
        }

        var held = await JobRows.ReadAllAsync(scope.Sql.For(SelectHeld).With("@miner", minerId));
        var free = miner.MaxConcurrency - held.Count;
        if (free <= 0 || miner.Status != MinerStatus.Online || miner.Blocked || miner.DrainedByOperator)
        {
            return new MinerLeases(held, [], Offer: null);
        }

        var servable = await profiles.ServableAsync(scope, miner.Offer);
        var candidates = await JobCandidates.FindAsync(scope, servable, free);

        var leased = new List<Job>(candidates.Count);
        foreach (var seq in candidates)
        {
            // The guard is the state: only a job still queued is given out, and RETURNING hands back the lease.
            var job = await JobRows.ReadOneAsync(scope.Sql.For(Lease)
                .With("@seq", seq)
                .With("@miner", minerId)
                .With("@price", miner.PricePerUnit)
                .With("@token", Ids.RandomToken(20))
                .With("@lease_end", scope.Now + settings.LeaseDuration)
                .With("@now", scope.Now));
            if (job is null)
            {
                continue;
            }

            leased.Add(job);
            await scope.Sql.For(InsertAttempt)
                .With("@job", job.Seq)
                .With("@attempt", job.Attempts)
                .With("@miner", minerId)
                .With("@token", job.LeaseToken)
                .With("@now", scope.Now)
                .ExecuteNonQueryAsync();
        }

        if (leased.Count == 0)
        {
            return new MinerLeases(held, [], miner.Offer);
        }

        var waits = leased.Where(j => j.Attempts == 1).Select(j => scope.Now - j.CreatedAt).ToList();
        signals.Changed(scope, [.. leased.Select(j => j.Id)]);
        scope.OnCommitted(() => waits.ForEach(metrics.JobLeased));
        return new MinerLeases(
            held,
            [.. leased.OrderByDescending(j => j.Priority).ThenBy(j => j.Seq)],
            leased.Count < free ? miner.Offer : null);
    }

    private static async Task<Taker?> ReadTakerAsync(WriteScope scope, string minerId)
    {
        await using var row = await scope.Sql.For(SelectTaker).With("@miner", minerId).ExecuteReaderAsync();
        if (!await row.ReadAsync())
        {
            return null;
        }

        return new Taker(
            Enum.Parse<MinerStatus>(row.GetString(0), ignoreCase: true),
            row.GetBoolean(1),
            row.GetBoolean(2),
            row.GetInt32(3),
            row.GetInt64(4),
            MinerOffer.Parse(row.GetString(5), row.GetString(6), row.GetInt32(7), row.GetStringOrNull(8)));
    }

    /// <summary>What taking work needs to know of a miner.</summary>
    private sealed record Taker(
        MinerStatus Status,
        bool Blocked,
        bool DrainedByOperator,
        int MaxConcurrency,
        long PricePerUnit,
        MinerOffer Offer);

    /// <summary>
    /// Keeps the miner's leases alive and names the jobs it reports running that are no longer its own.
    /// </summary>
    public async Task<IReadOnlyList<string>> ExtendLeasesAsync(
        WriteScope scope, string minerId, IReadOnlyCollection<string> reportedRunning)
    {
        var leaseEnd = scope.Now + settings.LeaseDuration;
        await scope.Db.Jobs
            .Where(j => j.State == JobState.Running && j.MinerId == minerId)
            .ExecuteUpdateAsync(set => set.SetProperty(j => j.LeaseExpiresAt, leaseEnd));
        if (reportedRunning.Count == 0)
        {
            return [];
        }

        var stillHeld = await scope.Db.Jobs.AsNoTracking()
            .Where(j => reportedRunning.Contains(j.Id) && j.State == JobState.Running && j.MinerId == minerId)
            .Select(j => j.Id)
            .ToListAsync();
        return [.. reportedRunning.Except(stillHeld, StringComparer.Ordinal)];
    }

    public async Task<FinishOutcome> FinishAsync(WriteScope scope, string minerId, ResultReport report)
    {
        var job = await JobRows.ReadOneAsync(scope.Sql.For(SelectById).With("@id", report.JobId));
        if (job is null)
        {
            return new FinishOutcome(FinishStatus.NotFound, null);
        }

        if (job.ResultLeaseToken == report.LeaseToken
            && await HeldAsync(scope, job.Seq, minerId, report.LeaseToken))
        {
            // The same lease reported before: answer as then. A job that is not final was put back in the queue.
            var receiptId = job.State == JobState.Completed
                ? await scope.Db.Receipts.Where(r => r.JobId == job.Id).Select(r => r.Id).FirstOrDefaultAsync()
                : null;
            return new FinishOutcome(FinishStatus.Replayed, job, receiptId);
        }

        var holdsLease = job.State == JobState.Running && job.MinerId == minerId && job.LeaseToken == report.LeaseToken;
        if (!holdsLease)
        {
            var status = !await HeldAsync(scope, job.Seq, minerId, leaseToken: null) ? FinishStatus.NotFound
                : job.State == JobState.Cancelled ? FinishStatus.Cancelled
                : job.State == JobState.Expired ? FinishStatus.Expired
                : FinishStatus.LeaseExpired;
            return new FinishOutcome(status, job);
        }

        var next = report.Completed ? JobState.Completed
            : report.Retryable && job.Attempts < job.MaxAttempts && job.ExpiresAt > scope.Now ? JobState.Queued
            : JobState.Failed;
        var end = next switch
        {
            JobState.Completed => scope.Sql.For(Complete).With("@result", report.Result).With("@now", scope.Now),
            JobState.Queued => scope.Sql.For(Requeue)
                .With("@code", report.ErrorCode).With("@message", report.ErrorMessage),
            _ => scope.Sql.For(Fail)
                .With("@code", report.ErrorCode).With("@message", report.ErrorMessage).With("@now", scope.Now),
        };
        var updated = await end
            .With("@seq", job.Seq)
            .With("@token", report.LeaseToken)
            .With("@metrics", report.Metrics)
            .ExecuteNonQueryAsync();
        if (updated == 0)
        {
            // Another process moved the job between the read and the guarded write.
            return new FinishOutcome(FinishStatus.LeaseExpired, job);
        }

        // Exactly one receipt per completed attempt, and the payment it records, committed with the completion or
        // not at all. Both price the job with JobPricing at scope.Now, so the receipt states what the ledger paid.
        var issued = next == JobState.Completed ? await receipts.IssueAsync(scope, job, report) : null;

        // Paid in the same unit as the transition; a requeued job keeps its hold for the next attempt. Only a job
        // with a budget can have a hold (see Bookkeeper.HoldForJobAsync), so the others skip the look-up.
        if (next == JobState.Completed && job.MaxPrice is not null)
        {
            var price = JobPricing.Price(
                JobPricing.MilliUnits(job.StartedAt!.Value, scope.Now), job.UnitPrice ?? 0, job.MaxPrice);
            await books.SettleJobAsync(scope, job.Id, price, minerId);
        }
        else if (next == JobState.Failed && job.MaxPrice is not null)
        {
            await books.ReleaseJobAsync(scope, job.Id);
        }

        signals.Changed(scope, [job.Id]);
        if (next == JobState.Queued)
        {
            signals.Queued(scope);
        }
        else
        {
            var ran = scope.Now - job.StartedAt;
            scope.OnCommitted(() => metrics.JobFinished(next, ran));
        }

        if (issued is not null)
        {
            scope.OnCommitted(metrics.ReceiptIssued);
        }

        job.State = next;
        return new FinishOutcome(FinishStatus.Accepted, job, issued);
    }

    /// <summary>Whether the miner ever held the job (under <paramref name="leaseToken"/>, when given).</summary>
    private static async Task<bool> HeldAsync(WriteScope scope, long jobSeq, string minerId, string? leaseToken)
    {
        var command = leaseToken is null
            ? scope.Sql.For(SelectAttempt).With("@job", jobSeq).With("@miner", minerId)
            : scope.Sql.For(SelectAttemptWithLease).With("@job", jobSeq).With("@miner", minerId)
                .With("@token", leaseToken);
        return await command.ExecuteScalarAsync() is not null;
    }

    public async Task<CancelOutcome> CancelAsync(WriteScope scope, string clientId, string jobId)
    {
        var db = scope.Db;
        var job = await db.Jobs.AsNoTracking().FirstOrDefaultAsync(j => j.Id == jobId && j.ClientId == clientId);
        if (job is null)
        {
            return new CancelOutcome(CancelStatus.NotFound, null);
        }

        if (job.State == JobState.Cancelled)
        {
            return new CancelOutcome(CancelStatus.Cancelled, job);
        }

        if (job.State.IsFinal())
        {
            return new CancelOutcome(CancelStatus.AlreadyFinal, job);
        }

        // The miner keeps its name on the job so its next heartbeat learns of the cancellation.
        var updated = await db.Jobs
            .Where(j => j.Seq == job.Seq && (j.State == JobState.Queued || j.State == JobState.Running))
            .ExecuteUpdateAsync(set => set
                .SetProperty(j => j.State, JobState.Cancelled)
                .SetProperty(j => j.CompletedAt, scope.Now)
                .SetProperty(j => j.ErrorCode, "cancelled")
                .SetProperty(j => j.ErrorMessage, "Cancelled by the client.")
                .SetProperty(j => j.LeaseToken, (string?)null)
                .SetProperty(j => j.LeaseExpiresAt, (DateTime?)null));
        if (updated == 0)
        {
            return new CancelOutcome(CancelStatus.AlreadyFinal, job);
        }

        await books.ReleaseJobAsync(scope, job.Id);

        signals.Changed(scope, [jobId]);
        scope.OnCommitted(() => metrics.JobFinished(JobState.Cancelled));
        var cancelled = await db.Jobs.AsNoTracking().FirstAsync(j => j.Seq == job.Seq);
        return new CancelOutcome(CancelStatus.Cancelled, cancelled);
    }

    /// <summary>Puts jobs whose lease ran out back in the queue, or fails them when no attempt is left.</summary>
    public async Task<int> RequeueLapsedLeasesAsync(WriteScope scope, int limit)
    {
        var lapsed = await scope.Db.Jobs.AsNoTracking()
            .Where(j => j.State == JobState.Running && j.LeaseExpiresAt < scope.Now)
            .OrderBy(j => j.LeaseExpiresAt)
            .Select(j => new LeaseRef(j.Seq, j.Id, j.LeaseToken!))
            .Take(limit)
            .ToListAsync();
        return await ReleaseLeasesAsync(
            scope, lapsed, "lease_expired", "The miner's lease ran out before a result came.");
    }

    /// <summary>Takes every lease from miners that stopped sending heartbeats and marks them offline.</summary>
    public async Task<int> RetireSilentMinersAsync(WriteScope scope, int limit)
    {
        var cutoff = scope.Now - settings.HeartbeatTimeout;
        var silent = await scope.Db.Miners.AsNoTracking()
            .Where(m => m.Status != MinerStatus.Offline && m.LastSeenAt < cutoff)
            .OrderBy(m => m.LastSeenAt)
            .Select(m => m.Id)
            .Take(limit)
            .ToListAsync();
        if (silent.Count == 0)
        {
            return 0;
        }

        await scope.Db.Miners
            .Where(m => silent.Contains(m.Id) && m.Status != MinerStatus.Offline && m.LastSeenAt < cutoff)
            .ExecuteUpdateAsync(set => set.SetProperty(m => m.Status, MinerStatus.Offline));
        var leases = await scope.Db.Jobs.AsNoTracking()
            .Where(j => j.State == JobState.Running && silent.Contains(j.MinerId!))
            .Select(j => new LeaseRef(j.Seq, j.Id, j.LeaseToken!))
            .ToListAsync();
        foreach (var miner in silent)
        {
            Log.MinerOffline(logger, miner);
        }

        await ReleaseLeasesAsync(scope, leases, "miner_offline", "The miner stopped sending heartbeats.");
        return silent.Count;
    }

    /// <summary>Takes back every lease of a miner an operator blocked: its jobs go back to the queue at once.</summary>
    public async Task<int> ReleaseMinerLeasesAsync(WriteScope scope, string minerId)
    {
        var leases = await scope.Db.Jobs.AsNoTracking()
            .Where(j => j.State == JobState.Running && j.MinerId == minerId)
            .Select(j => new LeaseRef(j.Seq, j.Id, j.LeaseToken!))
            .ToListAsync();
        return await ReleaseLeasesAsync(scope, leases, "miner_blocked", "An operator blocked the miner.");
    }

    /// <summary>Ends queued and running jobs whose time to live has passed.</summary>
    public async Task<int> ExpireJobsAsync(WriteScope scope, int limit)
    {
        var due = await scope.Db.Jobs.AsNoTracking()
            .Where(j => (j.State == JobState.Queued || j.State == JobState.Running) && j.ExpiresAt < scope.Now)
            .OrderBy(j => j.ExpiresAt)
            .Select(j => new { j.Seq, j.Id })
            .Take(limit)
            .ToListAsync();
        var expired = new List<string>(due.Count);
        foreach (var job in due)
        {
            var updated = await scope.Db.Jobs
                .Where(j => j.Seq == job.Seq && (j.State == JobState.Queued || j.State == JobState.Running))
                .ExecuteUpdateAsync(set => set
                    .SetProperty(j => j.State, JobState.Expired)
                    .SetProperty(j => j.CompletedAt, scope.Now)
                    .SetProperty(j => j.ErrorCode, "job_expired")
                    .SetProperty(j => j.ErrorMessage, "The job's time to live ran out before it completed.")
                    .SetProperty(j => j.LeaseToken, (string?)null)
                    .SetProperty(j => j.LeaseExpiresAt, (DateTime?)null));
            if (updated == 1)
            {
                expired.Add(job.Id);
                await books.ReleaseJobAsync(scope, job.Id);
            }
        }

        signals.Changed(scope, expired);
        scope.OnCommitted(() => expired.ForEach(_ => metrics.JobFinished(JobState.Expired)));
        return expired.Count;
    }

    private async Task<int> ReleaseLeasesAsync(WriteScope scope, List<LeaseRef> leases, string code, string message)
    {
        var requeued = 0;
        var failedCount = 0;
        var changed = new List<string>(leases.Count);
        foreach (var lease in leases)
        {
            var guarded = scope.Db.Jobs.Where(j =>
                j.Seq == lease.Seq && j.State == JobState.Running && j.LeaseToken == lease.Token);

            // Out of attempts: the job fails with the reason its last lease ended.
            var failed = await guarded.Where(j => j.Attempts >= j.MaxAttempts)
                .ExecuteUpdateAsync(set => set
                    .SetProperty(j => j.State, JobState.Failed)
                    .SetProperty(j => j.CompletedAt, scope.Now)
                    .SetProperty(j => j.ErrorCode, code)
                    .SetProperty(j => j.ErrorMessage, message + " No attempts are left.")
                    .SetProperty(j => j.LeaseToken, (string?)null)
                    .SetProperty(j => j.LeaseExpiresAt, (DateTime?)null));
            var back = failed == 1 ? 0 : await guarded
                .ExecuteUpdateAsync(set => set
                    .SetProperty(j => j.State, JobState.Queued)
                    .SetProperty(j => j.ErrorCode, code)
                    .SetProperty(j => j.ErrorMessage, message)
                    .SetProperty(j => j.MinerId, (string?)null)
                    .SetProperty(j => j.LeaseToken, (string?)null)
                    .SetProperty(j => j.LeaseExpiresAt, (DateTime?)null));
            if (failed == 1)
            {
                await books.ReleaseJobAsync(scope, lease.JobId);
            }

            if (failed + back == 1)
            {
                changed.Add(lease.JobId);
                requeued += back;
                failedCount += failed;
            }
        }

        if (changed.Count > 0)
        {
            Log.LeasesReleased(logger, changed.Count, code);
            signals.Changed(scope, changed);
            signals.Queued(scope, changed.Count - failedCount);
            scope.OnCommitted(() =>
            {
                metrics.LeasesExpired(code, changed.Count);
                for (var i = 0; i < failedCount; i++)
                {
                    metrics.JobFinished(JobState.Failed);
                }
            });
        }

        return changed.Count;
    }

    private const string SelectById = "SELECT " + JobRows.Columns + " FROM jobs WHERE id = @id";

    private const string SelectByIdempotencyKey =
        "SELECT " + JobRows.Columns + " FROM jobs WHERE client_id = @client AND idempotency_key = @key";

    private const string InsertJob = """
        INSERT INTO jobs (id, client_id, api_key_id, job_type, state, priority, parameters, parameters_sha256,
            requirements, profile_id, min_vram_gb, required_gpu, region, max_price, attempts, max_attempts,
            created_at, expires_at, idempotency_key, request_hash)
        VALUES (@id, @client, @key, @type, 'queued', @priority, @parameters, @parameters_sha256,
            @requirements, @profile, @vram, @gpu, @region, @max_price, 0, @max_attempts,
            @now, @expires, @idempotency_key, @request_hash)
        RETURNING seq
        """;

    private const string InsertJobModel = "INSERT INTO job_models (job_seq, model) VALUES (@job, @model)";

    private const string SelectTaker = """
        SELECT status, blocked, drained_by_operator, max_concurrency, price_per_unit, models, gpus, max_vram_gb, region
        FROM miners WHERE id = @miner
        """;

    private const string SelectHeld =
        "SELECT " + JobRows.Columns + " FROM jobs WHERE state = 'running' AND miner_id = @miner ORDER BY started_at";

    private const string Lease = """
        UPDATE jobs SET state = 'running', miner_id = @miner, unit_price = @price, lease_token = @token,
            lease_expires_at = @lease_end, started_at = @now, attempts = attempts + 1
        WHERE seq = @seq AND state = 'queued'
        RETURNING
        """ + " " + JobRows.Columns;

    private const string InsertAttempt = """
        INSERT INTO job_attempts (job_seq, attempt, miner_id, lease_token, started_at)
        VALUES (@job, @attempt, @miner, @token, @now)
        """;

    private const string SelectAttempt =
        "SELECT 1 FROM job_attempts WHERE job_seq = @job AND miner_id = @miner LIMIT 1";

    private const string SelectAttemptWithLease =
        "SELECT 1 FROM job_attempts WHERE job_seq = @job AND miner_id = @miner AND lease_token = @token LIMIT 1";

    // The three ends of an attempt, each guarded by the lease it ends.
    private const string Complete = """
        UPDATE jobs SET state = 'completed', result = @result, metrics = @metrics, error_code = NULL,
            error_message = NULL, completed_at = @now, result_lease_token = @token, lease_token = NULL,
            lease_expires_at = NULL
        WHERE seq = @seq AND state = 'running' AND lease_token = @token
        """;

    private const string Requeue = """
        UPDATE jobs SET state = 'queued', metrics = @metrics, error_code = @code, error_message = @message,
            result_lease_token = @token, miner_id = NULL, lease_token = NULL, lease_expires_at = NULL
        WHERE seq = @seq AND state = 'running' AND lease_token = @token
        """;

    private const string Fail = """
        UPDATE jobs SET state = 'failed', metrics = @metrics, error_code = @code, error_message = @message,
            completed_at = @now, result_lease_token = @token, lease_token = NULL, lease_expires_at = NULL
        WHERE seq = @seq AND state = 'running' AND lease_token = @token
        """;

    private sealed record LeaseRef(long Seq, string JobId, string Token);

    private static partial class Log
    {
        [LoggerMessage(2001, LogLevel.Information, "Released {Count} leases ({Reason})", EventName = "LeasesReleased")]
        public static partial void LeasesReleased(ILogger logger, int count, string reason);

        [LoggerMessage(2002, LogLevel.Information, "Miner {MinerId} went offline", EventName = "MinerOffline")]
        public static partial void MinerOffline(ILogger logger, string minerId);
    }
}

/// <summary>
/// A miner's leases after a take: those it already held and those just given, and what it can still run (null when
/// it can take nothing more now).
/// </summary>
internal sealed record MinerLeases(IReadOnlyList<Job> Held, IReadOnlyList<Job> Taken, MinerOffer? Offer)
{
    public IEnumerable<Job> All => Held.Concat(Taken);
}

/// <summary>A validated submission, ready to store.</summary>
internal sealed record NewJob(
    string ClientId,
    string ApiKeyId,
    string JobType,
    string Parameters,
    string ParametersSha256,
    string? Requirements,
    IReadOnlyList<string> Models,
    int? MinVramGb,
    string? Gpu,
    string? Region,
    int Priority,
    long? MaxPrice,
    TimeSpan Ttl,
    int MaxAttempts,
    string? IdempotencyKey,
    string? RequestHash,
    string? BillTo = null);

/// <summary>
/// <see cref="Job"/> null means the idempotency key was used before for a different request, or, with
/// <see cref="InsufficientFunds"/>, that the user's available balance does not cover the budget.
/// </summary>
internal sealed record SubmitOutcome(Job? Job, bool Replayed, bool InsufficientFunds = false);

internal sealed record ResultReport(
    string JobId,
    string LeaseToken,
    bool Completed,
    string? Result,
    string? Metrics,
    string? ErrorCode,
    string? ErrorMessage,
    bool Retryable,
    string? ResultSha256 = null);

internal enum FinishStatus
{
    Accepted,
    Replayed,
    NotFound,
    LeaseExpired,
    Cancelled,
    Expired,
}

/// <summary><see cref="ReceiptId"/> names the receipt of a completed job.</summary>
internal sealed record FinishOutcome(FinishStatus Status, Job? Job, string? ReceiptId = null);

internal enum CancelStatus
{
    Cancelled,
    NotFound,
    AlreadyFinal,
}

internal sealed record CancelOutcome(CancelStatus Status, Job? Job);

/// <summary>What a job needs of a miner: every model, at least the VRAM, the GPU and the region, when given.</summary>
internal sealed record JobDemand(IReadOnlyList<string> Models, int? MinVramGb, string? Gpu, string? Region)
{
    public bool Fits(MinerOffer offer) =>
        (MinVramGb is null || MinVramGb <= offer.MaxVramGb)
        && (Region is null || Region == offer.Region)
        && (Gpu is null || offer.Gpus.Contains(Gpu))
        && Models.All(offer.Models.Contains);
}

/// <summary>What a miner offers, in the normalized form matching compares against.</summary>
internal sealed record MinerOffer(
    IReadOnlyList<string> Models, IReadOnlyList<string> Gpus, int MaxVramGb, string? Region)
{
    public static MinerOffer Of(Miner miner) => Parse(miner.Models, miner.Gpus, miner.MaxVramGb, miner.Region);

    /// <summary>From the stored columns: models and GPUs are JSON arrays of lowercase names.</summary>
    public static MinerOffer Parse(string models, string gpus, int maxVramGb, string? region) => new(
        JsonSerializer.Deserialize<List<string>>(models) ?? [],
        JsonSerializer.Deserialize<List<string>>(gpus) ?? [],
        maxVramGb,
        region);
}
