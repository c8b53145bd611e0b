using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Aitbc.Client.Users;

/// <summary>The message a wallet signs to log in: single-use, valid until <see cref="ExpiresAt"/>.</summary>
public sealed record LoginChallenge(string Message, string Nonce, DateTimeOffset ExpiresAt);

/// <summary>What <c>POST /v1/users/login</c> takes: the challenge as issued and its BIP-137 signature.</summary>
public sealed record LoginRequest(string WalletAddress, string Message, string Signature);

/// <summary>
/// A logged-in session. <see cref="Created"/> says the wallet was registered by this login. The token is a
/// secret: <see cref="ToString"/> leaves it out.
/// </summary>
public sealed record LoginSession(
    string UserId, string WalletAddress, string SessionToken, DateTimeOffset ExpiresAt, bool Created)
{
    public override string ToString() =>
        $"LoginSession {{ UserId = {UserId}, WalletAddress = {WalletAddress}, ExpiresAt = {ExpiresAt:O} }}";
}

public sealed record UserInfo(string UserId, string WalletAddress, DateTimeOffset CreatedAt);

/// <summary>AITBC on the user's account: <see cref="Held"/> is reserved for running jobs.</summary>
public sealed record UserBalance(
    string UserId,
    [property: JsonConverter(typeof(AitbcAmountConverter))] decimal Balance,
    [property: JsonConverter(typeof(AitbcAmountConverter))] decimal Held,
    [property: JsonConverter(typeof(AitbcAmountConverter))] decimal Available,
    string Currency);

/// <summary>
/// One posting to the user's account: positive is money in. <see cref="Kind"/> is <c>grant</c>,
/// <c>job_payment</c> or <c>credit</c> (bought on the exchange); a string, so a newer server's kinds still read.
/// </summary>
public sealed record LedgerEntry(
    long TransactionId,
    string Kind,
    [property: JsonConverter(typeof(SignedAitbcAmountConverter))] decimal Amount,
    string? JobId,
    string? Reason,
    DateTimeOffset CreatedAt);

public sealed record LedgerPage(IReadOnlyList<LedgerEntry> Items, string? NextCursor);

/// <summary>Paging of <c>GET /v1/users/{user_id}/transactions</c>; both are optional.</summary>
public sealed record LedgerQuery
{
    /// <summary>1 to 200; the server's default is 50.</summary>
    public int? Limit { get; init; }

    /// <summary>The <see cref="LedgerPage.NextCursor"/> of the previous page.</summary>
    public string? Cursor { get; init; }
}

/// <summary>A client API key billed to the user. The key itself is never shown again after its creation.</summary>
public sealed record UserApiKey(
    string KeyId, string Name, string Prefix, DateTimeOffset CreatedAt, DateTimeOffset? LastUsedAt);

/// <summary>A key just created: <see cref="ApiKey"/> is its only showing; <see cref="ToString"/> omits it.</summary>
public sealed record CreatedUserApiKey(
    string KeyId, string Name, string Prefix, string ApiKey, DateTimeOffset CreatedAt)
{
    public override string ToString() =>
        $"CreatedUserApiKey {{ KeyId = {KeyId}, Name = {Name}, Prefix = {Prefix}, CreatedAt = {CreatedAt:O} }}";
}

internal sealed record UserApiKeyList(IReadOnlyList<UserApiKey> Items);

internal sealed record CreateUserApiKeyRequest(string? Name);

/// <summary>
/// A ledger amount, which may be negative (money out): a decimal string with at most eight places, as
/// <see cref="AitbcAmountConverter"/> writes it, with a leading minus sign when below zero.
/// </summary>
public sealed class SignedAitbcAmountConverter : JsonConverter<decimal>
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
        writer.WriteStringValue(Format(value));

    public static string Format(decimal value) =>
        (value < 0 ? "-" : "") + AitbcAmountConverter.Format(Math.Abs(value));
}
