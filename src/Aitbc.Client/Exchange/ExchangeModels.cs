using System.Text.Json.Serialization;

namespace Aitbc.Client.Exchange;

public enum PaymentStatus
{
    /// <summary>Nothing seen on chain yet.</summary>
    Pending,

    /// <summary>Bitcoin to the address is in the mempool, short of the confirmations, or short of the amount.</summary>
    Seen,

    Confirmed,

    /// <summary>The AITBC were credited, exactly once. Final.</summary>
    Credited,

    /// <summary>Nothing came before the payment's expiry.</summary>
    Expired,
}

/// <summary>
/// What to buy: <see cref="AitbcAmount"/> (the price is rounded up to a whole satoshi) or <see cref="BtcAmount"/>
/// (paid exactly), never both. Both have at most eight decimal places.
/// </summary>
public sealed record CreatePaymentRequest
{
    [JsonConverter(typeof(AitbcAmountConverter))]
    public decimal? AitbcAmount { get; init; }

    [JsonConverter(typeof(AitbcAmountConverter))]
    public decimal? BtcAmount { get; init; }
}

/// <summary>
/// A purchase of AITBC: pay <see cref="AmountSats"/> to <see cref="Address"/> (or open <see cref="Bip21Uri"/> in a
/// wallet) before <see cref="ExpiresAt"/>. BTC amounts have eight places, as AITBC amounts do.
/// </summary>
public sealed record Payment
{
    public required string PaymentId { get; init; }

    public required PaymentStatus Status { get; init; }

    public required string Address { get; init; }

    public long AmountSats { get; init; }

    [JsonConverter(typeof(AitbcAmountConverter))]
    public decimal BtcAmount { get; init; }

    [JsonConverter(typeof(AitbcAmountConverter))]
    public decimal AitbcAmount { get; init; }

    /// <summary>AITBC per 1 BTC, fixed when the payment was created.</summary>
    [JsonConverter(typeof(AitbcAmountConverter))]
    public decimal Rate { get; init; }

    /// <summary>The <c>bitcoin:</c> URI with the address, amount and a label, as the Coordinator built it.</summary>
    public required string Bip21Uri { get; init; }

    public int Confirmations { get; init; }

    public string? Txid { get; init; }

    public DateTimeOffset CreatedAt { get; init; }

    public DateTimeOffset ExpiresAt { get; init; }

    public string? UserId { get; init; }

    public long ReceivedSats { get; init; }

    [JsonConverter(typeof(AitbcAmountConverter))]
    public decimal ReceivedBtc { get; init; }

    public long OverpaidSats { get; init; }

    /// <summary>Money came after the expiry (or otherwise needs a person); an admin decides.</summary>
    public bool NeedsReview { get; init; }

    public DateTimeOffset? SeenAt { get; init; }

    public DateTimeOffset? CreditedAt { get; init; }

    /// <summary>Who credited it: the watcher, or the key id of the admin who confirmed it by hand.</summary>
    public string? CreditedBy { get; init; }

    public string? Note { get; init; }
}

/// <summary>The terms of the exchange: <c>GET /v1/exchange/rates</c>.</summary>
public sealed record ExchangeRates(
    [property: JsonConverter(typeof(AitbcAmountConverter))] decimal BtcToAitbc,
    [property: JsonConverter(typeof(AitbcAmountConverter))] decimal MinAitbc,
    [property: JsonConverter(typeof(AitbcAmountConverter))] decimal MaxAitbc,
    string Network,
    int MinConfirmations,
    long PaymentTimeoutSeconds,
    bool AddressPerPayment);
