namespace Aitbc.Coordinator.Jobs;

internal enum JobState
{
    Queued,
    Running,
    Completed,
    Failed,
    Cancelled,
    Expired,
}

internal static class JobStates
{
    public static bool IsFinal(this JobState state) =>
        state is JobState.Completed or JobState.Failed or JobState.Cancelled or JobState.Expired;
}

/// <summary>
/// A job as stored. Only <see cref="JobLifecycle"/> changes <see cref="State"/> and the lease columns, each time
/// through one conditional update.
/// </summary>
internal sealed class Job
{
    /// <summary>Insertion order: the queue's tie-breaker ("oldest first") and the list cursor.</summary>
    public long Seq { get; set; }

    public required string Id { get; set; }

    /// <summary>The owner: the user of a user's key, else the key itself.</summary>
    public required string ClientId { get; set; }

    public required string ApiKeyId { get; set; }

    public required string JobType { get; set; }

    public JobState State { get; set; }

    public int Priority { get; set; }

    /// <summary>The parameters as the client sent them (a JSON object).</summary>
    public required string Parameters { get; set; }

    /// <summary>
    /// SHA-256 of the parameters' canonical form (RFC 8785), taken once at submit, outside the writer: the receipt
    /// states it, and completing a job should not canonicalize up to 256 KiB on the writer's loop.
    /// </summary>
    public required string ParametersSha256 { get; set; }

    /// <summary>The requirements as a JSON object, or null; the columns below are what matching reads.</summary>
    public string? Requirements { get; set; }

    public List<JobModel> RequiredModels { get; set; } = [];

    /// <summary>The job's requirements as one <see cref="JobProfile"/>: what taking work matches on.</summary>
    public long ProfileId { get; set; }

    public int? MinVramGb { get; set; }

    /// <summary>Lowercase GPU name a miner must have, or null.</summary>
    public string? RequiredGpu { get; set; }

    /// <summary>Lowercase region, or null.</summary>
    public string? Region { get; set; }

    /// <summary>The client's budget in 10^-8 AITBC, or null for no limit.</summary>
    public long? MaxPrice { get; set; }

    public int Attempts { get; set; }

    public int MaxAttempts { get; set; }

    public DateTime CreatedAt { get; set; }

    public DateTime ExpiresAt { get; set; }

    /// <summary>When the current (or last) attempt's lease began.</summary>
    public DateTime? StartedAt { get; set; }

    /// <summary>When the job reached its final state, whichever it is.</summary>
    public DateTime? CompletedAt { get; set; }

    public string? MinerId { get; set; }

    /// <summary>The holder's price per GPU-second in 10^-8 AITBC, fixed when it took the lease.</summary>
    public long? UnitPrice { get; set; }

    public string? LeaseToken { get; set; }

    public DateTime? LeaseExpiresAt { get; set; }

    /// <summary>The lease whose result was last accepted, so a retried result gets the same answer.</summary>
    public string? ResultLeaseToken { get; set; }

    public string? Result { get; set; }

    public string? Metrics { get; set; }

    public string? ErrorCode { get; set; }

    public string? ErrorMessage { get; set; }

    public string? IdempotencyKey { get; set; }

    /// <summary>SHA-256 of the submitted body, to tell a retry from a different request under the same key.</summary>
    public string? RequestHash { get; set; }
}

/// <summary>One model a job requires; a miner must offer every one of them.</summary>
internal sealed class JobModel
{
    public long JobSeq { get; set; }

    public required string Model { get; set; }
}

/// <summary>One lease given out: which miner held which attempt of a job, under which token.</summary>
internal sealed class JobAttempt
{
    public long JobSeq { get; set; }

    public int Attempt { get; set; }

    public required string MinerId { get; set; }

    public required string LeaseToken { get; set; }

    public DateTime StartedAt { get; set; }
}
