namespace Aitbc.Coordinator.Miners;

internal enum MinerStatus
{
    Online,
    Draining,
    Offline,
}

/// <summary>A compute provider, one per miner key.</summary>
internal sealed class Miner
{
    public required string Id { get; set; }

    public required string ApiKeyId { get; set; }

    /// <summary>The capabilities as registered (JSON), shown back to operators.</summary>
    public required string Capabilities { get; set; }

    /// <summary>Lowercase model names, as a JSON array; what matching compares.</summary>
    public required string Models { get; set; }

    /// <summary>Lowercase GPU names, as a JSON array.</summary>
    public required string Gpus { get; set; }

    public int MaxVramGb { get; set; }

    public string? Region { get; set; }

    public int MaxConcurrency { get; set; }

    /// <summary>AITBC per GPU-second, in 10^-8 AITBC.</summary>
    public long PricePerUnit { get; set; }

    public string? WalletAddress { get; set; }

    public MinerStatus Status { get; set; }

    /// <summary>Set by an operator: the miner's key is refused and it gets no work.</summary>
    public bool Blocked { get; set; }

    /// <summary>Set by an operator: the miner keeps its leases but gets no new work, whatever it reports.</summary>
    public bool DrainedByOperator { get; set; }

    public DateTime RegisteredAt { get; set; }

    public DateTime UpdatedAt { get; set; }

    public DateTime LastSeenAt { get; set; }
}
