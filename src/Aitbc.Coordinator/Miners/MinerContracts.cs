using System.ComponentModel;
using System.Text.Json;
using System.Text.Json.Serialization;
using Aitbc.Coordinator.Common;
using Aitbc.Coordinator.Jobs;

namespace Aitbc.Coordinator.Miners;

internal sealed record RegisterMinerRequest
{
    public MinerCapabilities? Capabilities { get; init; }

    [Description("How many jobs the miner runs at once, 1 to 64. Default 1.")]
    public int? MaxConcurrency { get; init; }

    [Description("AITBC per GPU-second, as a decimal string. Default 0.")]
    public AitbcAmount? PricePerUnit { get; init; }

    [Description("Where payouts go: a Bitcoin wallet address.")]
    public string? WalletAddress { get; init; }
}

internal sealed record MinerCapabilities
{
    public List<string>? Models { get; init; }

    public List<GpuInfo>? Gpus { get; init; }

    public string? Region { get; init; }

    [Description("Anything else the miner wants operators to see, a JSON object.")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public JsonElement Extras { get; init; }
}

internal sealed record GpuInfo
{
    public string? Name { get; init; }

    public int? VramGb { get; init; }

    public int? Count { get; init; }
}

internal sealed record MinerView
{
    public required string MinerId { get; init; }

    public required MinerStatus Status { get; init; }

    public required RawJson Capabilities { get; init; }

    public required int MaxConcurrency { get; init; }

    public required AitbcAmount PricePerUnit { get; init; }

    public string? WalletAddress { get; init; }

    public required DateTime RegisteredAt { get; init; }

    public required DateTime LastSeenAt { get; init; }

    [Description("How often the Coordinator expects a heartbeat.")]
    public required double HeartbeatIntervalSeconds { get; init; }

    [Description("How long a lease lasts without a heartbeat.")]
    public required double LeaseSeconds { get; init; }
}

internal sealed record HeartbeatRequest
{
    [Description("online, or draining to take no new work.")]
    public string? Status { get; init; }

    [Description("Ids of the jobs the miner is running.")]
    public List<string>? RunningJobs { get; init; }
}

internal sealed record HeartbeatResponse(
    [property: Description("Jobs the miner reported running that it must stop: cancelled, expired or moved on.")]
    IReadOnlyList<string> CancelledJobs,
    MinerStatus Status);

internal sealed record LeasedJob(
    string JobId,
    string JobType,
    RawJson Parameters,
    RawJson? Requirements,
    int Attempt,
    string LeaseToken,
    DateTime LeaseExpiresAt,
    AitbcAmount? MaxPrice);

internal sealed record MinerJobs(IReadOnlyList<LeasedJob> Jobs);

internal sealed record ResultRequest
{
    public required string JobId { get; init; }

    public required string LeaseToken { get; init; }

    [Description("completed or failed.")]
    public required string Status { get; init; }

    [Description("The job's output (any JSON, at most 1 MiB), with status completed.")]
    public JsonElement Result { get; init; }

    [Description("Why the job failed, with status failed.")]
    public ResultError? Error { get; init; }

    [Description("Anything the miner measured, a JSON object.")]
    public JsonElement Metrics { get; init; }
}

internal sealed record ResultError
{
    public string? Code { get; init; }

    public string? Message { get; init; }

    [Description("True when another attempt may succeed; the job then goes back to the queue.")]
    public bool Retryable { get; init; }
}

internal sealed record ResultAccepted(
    string JobId,
    JobState State,
    [property: Description("The signed receipt of a completed job (GET /v1/receipts/{receipt_id}); null otherwise.")]
    string? ReceiptId = null);

internal static class MinerViews
{
    public static MinerView ToView(this Miner miner, Configuration.CoordinatorSettings settings) => new()
    {
        MinerId = miner.Id,
        Status = miner.Status,
        Capabilities = new RawJson(miner.Capabilities),
        MaxConcurrency = miner.MaxConcurrency,
        PricePerUnit = new AitbcAmount(miner.PricePerUnit),
        WalletAddress = miner.WalletAddress,
        RegisteredAt = miner.RegisteredAt,
        LastSeenAt = miner.LastSeenAt,
        HeartbeatIntervalSeconds = settings.HeartbeatInterval.TotalSeconds,
        LeaseSeconds = settings.LeaseDuration.TotalSeconds,
    };

    public static LeasedJob ToLease(this Job job) => new(
        job.Id,
        job.JobType,
        new RawJson(job.Parameters),
        RawJson.OrNull(job.Requirements),
        job.Attempts,
        job.LeaseToken!,
        job.LeaseExpiresAt!.Value,
        job.MaxPrice is { } price ? new AitbcAmount(price) : null);
}
