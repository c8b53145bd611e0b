using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Aitbc.Client.Jobs;
using Aitbc.Client.Miners;

namespace Aitbc.Client.Admin;

/// <summary><c>GET /v1/admin/stats</c>: the whole Coordinator at a glance.</summary>
public sealed record AdminStats
{
    public DateTimeOffset GeneratedAt { get; init; }

    public required IReadOnlyDictionary<string, long> JobsByState { get; init; }

    public required IReadOnlyDictionary<string, long> QueueDepthByJobType { get; init; }

    public required MinerCounts Miners { get; init; }

    public required RecentCounts JobsCompleted { get; init; }

    public required RecentCounts JobsFailed { get; init; }

    /// <summary>Seconds from submission to the first lease, over the window.</summary>
    public required SecondsPercentiles QueueWaitSeconds { get; init; }

    /// <summary>Seconds from the lease to the result, over the window.</summary>
    public required SecondsPercentiles RunTimeSeconds { get; init; }

    public int WindowSeconds { get; init; }
}

public sealed record MinerCounts(long Online, long Draining, long Offline, long Blocked);

public sealed record RecentCounts(long LastMinute, long LastHour);

/// <summary>Null percentiles when there was nothing to measure.</summary>
public sealed record SecondsPercentiles(double? P50, double? P95, int Samples);

/// <summary>A job as operators see it: its status, whose it is and who runs it.</summary>
public sealed record AdminJob : JobStatus
{
    public required string ClientId { get; init; }

    public required string ApiKeyId { get; init; }

    public string? MinerId { get; init; }

    public DateTimeOffset? LeaseExpiresAt { get; init; }
}

public sealed record AdminJobPage(IReadOnlyList<AdminJob> Items, string? NextCursor);

/// <summary>Filters and paging of <c>GET /v1/admin/jobs</c>; every member is optional.</summary>
public sealed record AdminJobQuery
{
    public JobState? State { get; init; }

    public string? JobType { get; init; }

    /// <summary>A <c>usr_…</c> or <c>key_…</c> principal id.</summary>
    public string? ClientId { get; init; }

    public string? MinerId { get; init; }

    /// <summary>1 to 200; the server's default is 50.</summary>
    public int? Limit { get; init; }

    public string? Cursor { get; init; }
}

public sealed record AdminMiner
{
    public required string MinerId { get; init; }

    public required string ApiKeyId { get; init; }

    public MinerStatus Status { get; init; }

    /// <summary>Refused by an operator: its key gets 403 and it gets no work.</summary>
    public bool Blocked { get; init; }

    /// <summary>Drained by an operator: it keeps its leases and gets no new work.</summary>
    public bool Drained { get; init; }

    public JsonElement Capabilities { get; init; }

    public int MaxConcurrency { get; init; }

    [JsonConverter(typeof(AitbcAmountConverter))]
    public decimal PricePerUnit { get; init; }

    public string? WalletAddress { get; init; }

    public int RunningJobs { get; init; }

    public DateTimeOffset RegisteredAt { get; init; }

    public DateTimeOffset LastSeenAt { get; init; }
}

public sealed record AdminMinerPage(IReadOnlyList<AdminMiner> Items, string? NextCursor);

/// <summary>Filters and paging of <c>GET /v1/admin/miners</c>.</summary>
public sealed record AdminMinerQuery
{
    public MinerStatus? Status { get; init; }

    public bool? Blocked { get; init; }

    public int? Limit { get; init; }

    public string? Cursor { get; init; }
}

/// <summary>An API key as listed: never the key itself.</summary>
public record ApiKeyInfo
{
    public required string KeyId { get; init; }

    public required string Name { get; init; }

    /// <summary>Any of <c>client</c>, <c>miner</c>, <c>admin</c>.</summary>
    public required IReadOnlyList<string> Roles { get; init; }

    /// <summary>The first characters of the key, to tell keys apart.</summary>
    public required string Prefix { get; init; }

    /// <summary><c>environment</c>, <c>development</c>, <c>admin</c> or <c>user</c>.</summary>
    public required string Source { get; init; }

    public string? UserId { get; init; }

    /// <summary>The key id of the admin who created it.</summary>
    public string? CreatedBy { get; init; }

    public DateTimeOffset CreatedAt { get; init; }

    public DateTimeOffset? LastUsedAt { get; init; }

    public DateTimeOffset? RevokedAt { get; init; }
}

/// <summary>
/// The answer to creating a key: the only time the Coordinator shows <see cref="Key"/>, which it keeps only as a
/// hash. <see cref="ToString"/> leaves the key out, so the record can be logged.
/// </summary>
public sealed record CreatedApiKey : ApiKeyInfo
{
    public required string Key { get; init; }

    protected override bool PrintMembers(System.Text.StringBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Append(CultureInfo.InvariantCulture, $"KeyId = {KeyId}, Name = {Name}, Roles = [{string.Join(", ",
            Roles)}], Prefix = {Prefix}");
        return true;
    }
}

public sealed record ApiKeyPage(IReadOnlyList<ApiKeyInfo> Items, string? NextCursor);

/// <summary><c>POST /v1/admin/api-keys</c>: a name (1 to 100 characters) and at least one role.</summary>
public sealed record CreateApiKeyRequest(string Name, IReadOnlyList<string> Roles);

/// <summary>Filters and paging of <c>GET /v1/admin/api-keys</c>.</summary>
public sealed record ApiKeyQuery
{
    public bool IncludeRevoked { get; init; }

    /// <summary><c>client</c>, <c>miner</c> or <c>admin</c>.</summary>
    public string? Role { get; init; }

    public string? UserId { get; init; }

    public int? Limit { get; init; }

    public string? Cursor { get; init; }
}

/// <summary><c>POST /v1/admin/ledger/grants</c>: AITBC from the grants account to a user, with the reason.</summary>
public sealed record GrantRequest
{
    public required string UserId { get; init; }

    [JsonConverter(typeof(AitbcAmountConverter))]
    public required decimal Amount { get; init; }

    /// <summary>Why, for the record: 1 to 500 characters.</summary>
    public required string Reason { get; init; }
}

public sealed record Grant
{
    public long TransactionId { get; init; }

    public required string UserId { get; init; }

    [JsonConverter(typeof(AitbcAmountConverter))]
    public decimal Amount { get; init; }

    public required string Reason { get; init; }

    /// <summary>The admin key id that granted it.</summary>
    public required string CreatedBy { get; init; }

    public DateTimeOffset CreatedAt { get; init; }
}

/// <summary>
/// The books' health: <see cref="Valid"/> is false with one line per problem. A sum can be negative when the books are
/// broken, so these amounts may carry a sign.
/// </summary>
public sealed record LedgerAudit
{
    public bool Valid { get; init; }

    public required IReadOnlyList<string> Problems { get; init; }

    [JsonConverter(typeof(SignedAmountConverter))]
    public decimal PostingsSum { get; init; }

    [JsonConverter(typeof(SignedAmountConverter))]
    public decimal Granted { get; init; }

    [JsonConverter(typeof(SignedAmountConverter))]
    public decimal ExchangeCredited { get; init; }
}

/// <summary><c>GET /v1/admin/receipts/audit</c>: the chain walked from seq 1, and its first broken link.</summary>
public sealed record ReceiptAudit
{
    public bool Valid { get; init; }

    /// <summary>How many receipts were found in order before the first broken link (all of them when valid).</summary>
    public long Checked { get; init; }

    public long HeadSeq { get; init; }

    public required string HeadSha256 { get; init; }

    public BrokenLink? FirstBroken { get; init; }
}

/// <summary>
/// Where the chain breaks: <see cref="Problem"/> is <c>changed</c>, <c>missing</c> or <c>reordered</c>.
/// </summary>
public sealed record BrokenLink(long Seq, string? ReceiptId, string Problem, string Detail);

/// <summary><c>POST /v1/admin/exchange/payments/{id}/confirm</c>: the paying transaction and a note.</summary>
public sealed record ConfirmPaymentRequest(string Txid, string? Note);

/// <summary>An AITBC amount that may be negative, as sums in an audit of broken books are.</summary>
internal sealed class SignedAmountConverter : JsonConverter<decimal>
{
    public override decimal Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        var text = reader.TokenType == JsonTokenType.String
            ? reader.GetString()
            : throw new JsonException("An AITBC amount must be a decimal string.");
        return decimal.TryParse(text, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint,
            CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new JsonException($"'{text}' is not an AITBC amount.");
    }

    public override void Write(Utf8JsonWriter writer, decimal value, JsonSerializerOptions options) =>
        writer.WriteStringValue(
            value < 0 ? "-" + AitbcAmountConverter.Format(-value) : AitbcAmountConverter.Format(value));
}
