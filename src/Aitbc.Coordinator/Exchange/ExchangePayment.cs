using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Aitbc.Coordinator.Exchange;

internal enum PaymentStatus
{
    /// <summary>Waiting for the Bitcoin; nothing seen on chain (or what was seen vanished in a reorg).</summary>
    Pending,

    /// <summary>Outputs to the address are in the mempool or under the confirmation threshold.</summary>
    Seen,

    /// <summary>Confirmed enough. The credit commits in the same transaction, so this is only ever fleeting.</summary>
    Confirmed,

    /// <summary>The AITBC were credited, exactly once. Final.</summary>
    Credited,

    /// <summary>Nothing came in time; money seen later sets <see cref="ExchangePayment.NeedsReview"/>.</summary>
    Expired,
}

/// <summary>
/// One purchase of AITBC for Bitcoin. The amounts and the rate are fixed when it is created; the chain fields
/// (txid, received, confirmations) follow what the watcher last saw. Every change is a guarded update on the
/// status, and the credit is keyed by the payment id in the ledger, so it can happen once only.
/// </summary>
internal sealed class ExchangePayment
{
    public required string Id { get; set; }

    public required string UserId { get; set; }

    public PaymentStatus Status { get; set; }

    public required string Address { get; set; }

    /// <summary>The BIP84 receive index of <see cref="Address"/>; null for the static address.</summary>
    public int? AddressIndex { get; set; }

    /// <summary>What to pay, in satoshis (for the static address: made unique among open payments).</summary>
    public long AmountSats { get; set; }

    /// <summary>What is credited, in 10^-8 AITBC.</summary>
    public long AitbcUnits { get; set; }

    /// <summary>The rate at creation: 10^-8 AITBC per BTC.</summary>
    public long RateUnits { get; set; }

    public string? Txid { get; set; }

    /// <summary>Satoshis seen paid to the payment; anything above the amount is an overpayment.</summary>
    public long ReceivedSats { get; set; }

    public int Confirmations { get; set; }

    public bool NeedsReview { get; set; }

    public DateTime CreatedAt { get; set; }

    public DateTime ExpiresAt { get; set; }

    public DateTime? SeenAt { get; set; }

    public DateTime? CreditedAt { get; set; }

    /// <summary>"watcher", or the id of the admin key that confirmed by hand.</summary>
    public string? CreditedBy { get; set; }

    public string? Note { get; set; }
}

/// <summary>The next unused receive index of one account key: advanced by a guarded update, never reused.</summary>
internal sealed class ExchangeAddressCounter
{
    /// <summary>The account key in its xpub/tpub form: a new key starts from index 0.</summary>
    public required string AccountKey { get; set; }

    public int NextIndex { get; set; }
}

internal sealed class ExchangePaymentConfiguration : IEntityTypeConfiguration<ExchangePayment>
{
    public void Configure(EntityTypeBuilder<ExchangePayment> payment)
    {
        payment.ToTable("exchange_payments");
        payment.HasKey(p => p.Id);
        payment.Property(p => p.Id).HasMaxLength(40);
        payment.Property(p => p.UserId).HasMaxLength(40);
        payment.Property(p => p.Status).HasMaxLength(16);
        payment.Property(p => p.Address).HasMaxLength(100);
        payment.Property(p => p.Txid).HasMaxLength(64);
        payment.Property(p => p.CreditedBy).HasMaxLength(40);
        payment.Property(p => p.Note).HasMaxLength(500);

        // A derived address belongs to one payment forever, whatever a second process or a bug might try.
        payment.HasIndex(p => p.Address, "ix_exchange_payments_derived_address")
            .IsUnique()
            .HasFilter("address_index IS NOT NULL");
        payment.HasIndex(p => new { p.Address, p.AmountSats }, "ix_exchange_payments_address_amount");
        payment.HasIndex(p => new { p.Status, p.ExpiresAt }, "ix_exchange_payments_status");
        payment.HasIndex(p => new { p.UserId, p.CreatedAt }, "ix_exchange_payments_user");
    }
}

internal sealed class ExchangeAddressCounterConfiguration : IEntityTypeConfiguration<ExchangeAddressCounter>
{
    public void Configure(EntityTypeBuilder<ExchangeAddressCounter> counter)
    {
        counter.ToTable("exchange_address_counters");
        counter.HasKey(c => c.AccountKey);
        counter.Property(c => c.AccountKey).HasMaxLength(120);
    }
}
