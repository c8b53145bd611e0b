namespace Aitbc.Coordinator.Auth;

[Flags]
internal enum ApiKeyRoles
{
    None = 0,
    Client = 1,
    Miner = 2,
    Admin = 4,
}

internal enum ApiKeySource
{
    /// <summary>From <c>API_KEYS</c> or <c>ADMIN_API_KEYS</c>; revoked when removed from there.</summary>
    Environment,

    /// <summary>Generated at first start when no key was configured.</summary>
    Development,

    Admin,

    User,
}

/// <summary>An API key, stored only as a keyed hash. The key itself exists in the caller's hands alone.</summary>
internal sealed class ApiKey
{
    public required string Id { get; set; }

    public required string Name { get; set; }

    /// <summary>HMAC-SHA256 of the key under <c>SECRET_KEY</c>, lowercase hex.</summary>
    public required string Hash { get; set; }

    /// <summary>The first characters of the key, so its owner can tell keys apart.</summary>
    public required string Prefix { get; set; }

    public ApiKeyRoles Roles { get; set; }

    public ApiKeySource Source { get; set; }

    /// <summary>The user a user's client key belongs to; null for operator keys.</summary>
    public string? UserId { get; set; }

    public string? CreatedBy { get; set; }

    public DateTime CreatedAt { get; set; }

    public DateTime? LastUsedAt { get; set; }

    public DateTime? RevokedAt { get; set; }
}
