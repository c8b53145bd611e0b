using System.Text.Json;
using System.Text.Json.Serialization;

namespace Aitbc.Client.Jobs;

public enum JobState
{
    Queued,
    Running,
    Completed,
    Failed,
    Cancelled,
    Expired,
}

public static class JobStates
{
    /// <summary>A final job never changes again.</summary>
    public static bool IsFinal(this JobState state) => state is not (JobState.Queued or JobState.Running);
}

/// <summary>What a client asks for: <c>POST /v1/client/jobs</c>.</summary>
public sealed record SubmitJobRequest
{
    public required string JobType { get; init; }

    /// <summary>A JSON object, handed to the miner as it is.</summary>
    public JsonElement? Parameters { get; init; }

    public JobRequirements? Requirements { get; init; }

    /// <summary>0 to 9, higher first.</summary>
    public int? Priority { get; init; }

    /// <summary>The most the client pays, in AITBC.</summary>
    [JsonConverter(typeof(AitbcAmountConverter))]
    public decimal? MaxPrice { get; init; }

    public int? TtlSeconds { get; init; }

    public int? MaxAttempts { get; init; }
}

public sealed record JobRequirements
{
    public IReadOnlyList<string>? Models { get; init; }

    public int? MinVramGb { get; init; }

    public string? Gpu { get; init; }

    public string? Region { get; init; }
}

public sealed record JobError(string Code, string Message);

/// <summary>A job as the status answer and list items show it.</summary>
public record JobStatus
{
    public required string JobId { get; init; }

    public required string JobType { get; init; }

    public required JobState State { get; init; }

    public int Priority { get; init; }

    public int Attempts { get; init; }

    public int MaxAttempts { get; init; }

    public long? QueuePosition { get; init; }

    [JsonConverter(typeof(AitbcAmountConverter))]
    public decimal? MaxPrice { get; init; }

    public DateTimeOffset CreatedAt { get; init; }

    public DateTimeOffset? StartedAt { get; init; }

    public DateTimeOffset? CompletedAt { get; init; }

    public DateTimeOffset ExpiresAt { get; init; }

    public JobError? Error { get; init; }

    /// <summary>While queued: how many online miners could take the job.</summary>
    public int? EligibleMiners { get; init; }

    /// <summary>While queued and no online miner could take it: why.</summary>
    public string? WaitingReason { get; init; }
}

/// <summary>The whole job: its status plus what was asked and, once completed, what came back.</summary>
public sealed record JobDetail : JobStatus
{
    public JsonElement Parameters { get; init; }

    public JsonElement? Requirements { get; init; }

    public JsonElement? Result { get; init; }

    public JsonElement? Metrics { get; init; }

    public string? MinerId { get; init; }
}

public sealed record JobPage(IReadOnlyList<JobStatus> Items, string? NextCursor);

/// <summary>Filters and paging of <c>GET /v1/client/jobs</c>; every member is optional.</summary>
public sealed record JobListQuery
{
    public JobState? State { get; init; }

    public string? JobType { get; init; }

    /// <summary>1 to 200; the server's default is 50.</summary>
    public int? Limit { get; init; }

    /// <summary>The <see cref="JobPage.NextCursor"/> of the previous page.</summary>
    public string? Cursor { get; init; }
}

/// <summary>A submission's answer; <see cref="Replayed"/> says an Idempotency-Key matched an earlier one.</summary>
public sealed record SubmittedJob(JobStatus Job, bool Replayed);
