using System.ComponentModel;
using Aitbc.Coordinator.Common;
using Aitbc.Coordinator.Ledger;

namespace Aitbc.Coordinator.Users;

internal sealed record ChallengeRequest
{
    [Description("A P2PKH, P2SH-P2WPKH or P2WPKH address of BITCOIN_NETWORK.")]
    public required string WalletAddress { get; init; }
}

internal sealed record ChallengeView(string Message, string Nonce, DateTime ExpiresAt);

internal sealed record LoginRequest
{
    public required string WalletAddress { get; init; }

    [Description("The challenge message, exactly as it was given.")]
    public required string Message { get; init; }

    [Description("The wallet's BIP-137 signature of the message, base64 (65 bytes).")]
    public required string Signature { get; init; }
}

internal sealed record LoginView(
    string UserId, string WalletAddress, string SessionToken, DateTime ExpiresAt, bool Created);

internal sealed record UserView(string UserId, string WalletAddress, DateTime CreatedAt);

internal sealed record BalanceView(
    string UserId, AitbcAmount Balance, AitbcAmount Held, AitbcAmount Available, string Currency = "AITBC");

internal sealed record TransactionView(
    long TransactionId,
    LedgerTransactionKind Kind,
    AitbcAmount Amount,
    string? JobId,
    string? Reason,
    DateTime CreatedAt);

internal sealed record TransactionPage(IReadOnlyList<TransactionView> Items, string? NextCursor);

internal sealed record CreateKeyRequest
{
    [Description("A name to tell the key apart, up to 100 characters.")]
    public string? Name { get; init; }
}

internal sealed record CreatedKeyView(string KeyId, string Name, string Prefix, string ApiKey, DateTime CreatedAt);

internal sealed record KeyView(string KeyId, string Name, string Prefix, DateTime CreatedAt, DateTime? LastUsedAt);

internal sealed record KeyList(IReadOnlyList<KeyView> Items);
