using System.Text.Json;
using System.Text.Json.Serialization;

namespace Aitbc.Client.Miners;

public enum MinerStatus
{
    Online,
    Draining,
    Offline,
}

/// <summary><c>POST /v1/miner/register</c>: what the miner offers and what it charges.</summary>
public sealed record RegisterMinerRequest
{
    public MinerCapabilities? Capabilities { get; init; }

    /// <summary>How many jobs it runs at once, 1 to 64.</summary>
    public int? MaxConcurrency { get; init; }

    /// <summary>AITBC per GPU-second.</summary>
    [JsonConverter(typeof(AitbcAmountConverter))]
    public decimal? PricePerUnit { get; init; }

    public string? WalletAddress { get; init; }
}

public sealed record MinerCapabilities
{
    public IReadOnlyList<string>? Models { get; init; }

    public IReadOnlyList<GpuInfo>? Gpus { get; init; }

    public string? Region { get; init; }

    /// <summary>Anything else operators should see, a JSON object.</summary>
    public JsonElement? Extras { get; init; }
}

public sealed record GpuInfo(string? Name, int? VramGb, int? Count = null);

/// <summary>The registration as the Coordinator keeps it, with the timings the miner must follow.</summary>
public sealed record MinerInfo
{
    public required string MinerId { get; init; }

    public MinerStatus Status { get; init; }

    public int MaxConcurrency { get; init; }

    [JsonConverter(typeof(AitbcAmountConverter))]
    public decimal PricePerUnit { get; init; }

    public string? WalletAddress { get; init; }

    public DateTimeOffset RegisteredAt { get; init; }

    public DateTimeOffset LastSeenAt { get; init; }

    /// <summary>How often the Coordinator expects a heartbeat.</summary>
    public double HeartbeatIntervalSeconds { get; init; }

    /// <summary>How long a lease lasts without a heartbeat.</summary>
    public double LeaseSeconds { get; init; }
}

public sealed record HeartbeatRequest(MinerStatus Status, IReadOnlyList<string> RunningJobs);

/// <summary>The answer to a heartbeat: the reported jobs the miner must stop.</summary>
public sealed record HeartbeatResponse(IReadOnlyList<string> CancelledJobs, MinerStatus Status);

/// <summary>A job leased to the miner: only the holder of <see cref="LeaseToken"/> may report on it.</summary>
public sealed record LeasedJob
{
    public required string JobId { get; init; }

    public required string JobType { get; init; }

    public JsonElement Parameters { get; init; }

    public JsonElement? Requirements { get; init; }

    public int Attempt { get; init; }

    public required string LeaseToken { get; init; }

    public DateTimeOffset LeaseExpiresAt { get; init; }

    [JsonConverter(typeof(AitbcAmountConverter))]
    public decimal? MaxPrice { get; init; }
}

public sealed record MinerJobs(IReadOnlyList<LeasedJob> Jobs);

public sealed record ResultError(string Code, string Message, bool Retryable);

/// <summary><c>POST /v1/miner/result</c>: build it with <see cref="Completed"/> or <see cref="Failed"/>.</summary>
public sealed record JobResult
{
    public required string JobId { get; init; }

    public required string LeaseToken { get; init; }

    /// <summary><c>completed</c> or <c>failed</c>.</summary>
    public required string Status { get; init; }

    public JsonElement? Result { get; init; }

    public ResultError? Error { get; init; }

    public JsonElement? Metrics { get; init; }

    public static JobResult Completed(LeasedJob job, JsonElement result, JsonElement? metrics = null) => new()
    {
        JobId = job.JobId,
        LeaseToken = job.LeaseToken,
        Status = "completed",
        Result = result,
        Metrics = metrics,
    };

    public static JobResult Failed(LeasedJob job, ResultError error, JsonElement? metrics = null) => new()
    {
        JobId = job.JobId,
        LeaseToken = job.LeaseToken,
        Status = "failed",
        Error = error,
        Metrics = metrics,
    };
}

/// <summary>What became of the job: completed, failed, or queued again after a retryable failure.</summary>
public sealed record ResultAccepted(string JobId, Jobs.JobState State);
