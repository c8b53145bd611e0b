using System.ComponentModel;
using Aitbc.Coordinator.Auth;
using Aitbc.Coordinator.Common;
using Aitbc.Coordinator.Jobs;
using Aitbc.Coordinator.Miners;

namespace Aitbc.Coordinator.Admin;

internal sealed record AdminStats
{
    public required DateTime GeneratedAt { get; init; }

    [Description("Every job in the database by state.")]
    public required IReadOnlyDictionary<string, long> JobsByState { get; init; }

    [Description("Queued jobs by job type.")]
    public required IReadOnlyDictionary<string, long> QueueDepthByJobType { get; init; }

    [Description("Miners by status (online, draining, offline) and how many of them are blocked.")]
    public required MinerCounts Miners { get; init; }

    public required RecentCounts JobsCompleted { get; init; }

    public required RecentCounts JobsFailed { get; init; }

    [Description("Seconds from submission to the first lease, for jobs first leased in the window.")]
    public required Percentiles QueueWaitSeconds { get; init; }

    [Description("Seconds from the lease to the result, for jobs completed or failed in the window.")]
    public required Percentiles RunTimeSeconds { get; init; }

    public required int WindowSeconds { get; init; }
}

internal sealed record MinerCounts(long Online, long Draining, long Offline, long Blocked);

internal sealed record RecentCounts(long LastMinute, long LastHour);

internal sealed record Percentiles(
    double? P50,
    double? P95,
    [property: Description("How many jobs the percentiles were taken over (at most the latest 10000).")] int Samples);

/// <summary>A job as operators see it: the status plus who asked and who runs it.</summary>
internal sealed record AdminJob : JobStatus
{
    public required string ClientId { get; init; }

    public required string ApiKeyId { get; init; }

    public string? MinerId { get; init; }

    public DateTime? LeaseExpiresAt { get; init; }

    public static AdminJob Of(Job job)
    {
        var status = job.ToStatus();
        return new AdminJob
        {
            JobId = status.JobId,
            JobType = status.JobType,
            State = status.State,
            Priority = status.Priority,
            Attempts = status.Attempts,
            MaxAttempts = status.MaxAttempts,
            MaxPrice = status.MaxPrice,
            CreatedAt = status.CreatedAt,
            StartedAt = status.StartedAt,
            CompletedAt = status.CompletedAt,
            ExpiresAt = status.ExpiresAt,
            Error = status.Error,
            ClientId = job.ClientId,
            ApiKeyId = job.ApiKeyId,
            MinerId = job.MinerId,
            LeaseExpiresAt = job.LeaseExpiresAt,
        };
    }
}

internal sealed record AdminJobPage(IReadOnlyList<AdminJob> Items, string? NextCursor);

internal sealed record AdminMiner
{
    public required string MinerId { get; init; }

    public required string ApiKeyId { get; init; }

    public required MinerStatus Status { get; init; }

    [Description("Blocked by an operator: its key is refused and it gets no work.")]
    public required bool Blocked { get; init; }

    [Description("Drained by an operator: it keeps its leases and gets no new work.")]
    public required bool Drained { get; init; }

    public required RawJson Capabilities { get; init; }

    public required int MaxConcurrency { get; init; }

    public required AitbcAmount PricePerUnit { get; init; }

    public string? WalletAddress { get; init; }

    [Description("Jobs the miner holds leases for now.")]
    public required int RunningJobs { get; init; }

    public required DateTime RegisteredAt { get; init; }

    public required DateTime LastSeenAt { get; init; }

    public static AdminMiner Of(Miner miner, int runningJobs) => new()
    {
        MinerId = miner.Id,
        ApiKeyId = miner.ApiKeyId,
        Status = miner.Status,
        Blocked = miner.Blocked,
        Drained = miner.DrainedByOperator,
        Capabilities = new RawJson(miner.Capabilities),
        MaxConcurrency = miner.MaxConcurrency,
        PricePerUnit = new AitbcAmount(miner.PricePerUnit),
        WalletAddress = miner.WalletAddress,
        RunningJobs = runningJobs,
        RegisteredAt = miner.RegisteredAt,
        LastSeenAt = miner.LastSeenAt,
    };
}

internal sealed record AdminMinerPage(IReadOnlyList<AdminMiner> Items, string? NextCursor);

internal sealed record CreateApiKeyRequest
{
    [Description("What the key is for, 1 to 100 characters, shown in lists.")]
    public required string Name { get; init; }

    [Description("Any of client, miner and admin; at least one.")]
    public required List<string> Roles { get; init; }
}

internal record ApiKeyView
{
    public required string KeyId { get; init; }

    public required string Name { get; init; }

    public required IReadOnlyList<string> Roles { get; init; }

    [Description("The first characters of the key, to tell keys apart.")]
    public required string Prefix { get; init; }

    [Description("environment, development, admin or user: where the key came from.")]
    public required ApiKeySource Source { get; init; }

    public string? UserId { get; init; }

    [Description("The key id of the admin who created it.")]
    public string? CreatedBy { get; init; }

    public required DateTime CreatedAt { get; init; }

    public DateTime? LastUsedAt { get; init; }

    public DateTime? RevokedAt { get; init; }

    public static ApiKeyView Of(ApiKey key) => new()
    {
        KeyId = key.Id,
        Name = key.Name,
        Roles = RoleNames(key.Roles),
        Prefix = key.Prefix,
        Source = key.Source,
        UserId = key.UserId,
        CreatedBy = key.CreatedBy,
        CreatedAt = key.CreatedAt,
        LastUsedAt = key.LastUsedAt,
        RevokedAt = key.RevokedAt,
    };

    public static IReadOnlyList<string> RoleNames(ApiKeyRoles roles) =>
    [
        .. Enum.GetValues<ApiKeyRoles>()
            .Where(r => r != ApiKeyRoles.None && roles.HasFlag(r))
            .Select(r => r.ToString().ToLowerInvariant()),
    ];
}

/// <summary>The answer to creating a key: the only time the key itself is shown.</summary>
internal sealed record CreatedApiKey : ApiKeyView
{
    [Description("The API key. It is shown only in this answer; the Coordinator keeps only a hash of it.")]
    public required string Key { get; init; }
}

internal sealed record ApiKeyPage(IReadOnlyList<ApiKeyView> Items, string? NextCursor);
