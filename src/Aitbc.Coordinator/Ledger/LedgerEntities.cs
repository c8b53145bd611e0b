using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Aitbc.Coordinator.Ledger;

internal enum AccountKind
{
    /// <summary>
    /// A user's money. Its cached balance and held amount change only with its own postings and holds.
    /// </summary>
    User,

    /// <summary>
    /// Where admin grants come from. Goes negative by what was granted; its balance is always derived.
    /// </summary>
    Grants,

    /// <summary>Where exchange credits come from (AITBC sold for Bitcoin); its balance is always derived.</summary>
    Exchange,
}

internal enum LedgerTransactionKind
{
    Grant,
    JobPayment,
    Credit,
}

/// <summary>
/// An account of the ledger. User accounts cache their balance (the sum of their postings) and what is held for
/// their jobs, both updated in the same transaction as the postings and holds they sum. System accounts are
/// shared by everyone, so nothing ever updates their row: their balance is the sum of their postings, read when
/// needed.
/// </summary>
internal sealed class LedgerAccount
{
    public const long GrantsId = 1;
    public const long ExchangeId = 2;

    public long Id { get; set; }

    public AccountKind Kind { get; set; }

    public string? UserId { get; set; }

    /// <summary>10^-8 AITBC; for user accounts only (0 for system accounts).</summary>
    public long Balance { get; set; }

    /// <summary>10^-8 AITBC reserved by open holds; for user accounts only.</summary>
    public long Held { get; set; }

    public DateTime CreatedAt { get; set; }
}

/// <summary>One balanced movement of money: its postings sum to zero. Never updated, never deleted.</summary>
internal sealed class LedgerTransaction
{
    public long Id { get; set; }

    public LedgerTransactionKind Kind { get; set; }

    /// <summary>
    /// What the movement is for, unique, so it can never happen twice (job id + kind, payment id, grant id).
    /// </summary>
    public required string BusinessKey { get; set; }

    public string? JobId { get; set; }

    public string? Reason { get; set; }

    /// <summary>The API key that caused it, for grants and manual credits.</summary>
    public string? CreatedBy { get; set; }

    public DateTime CreatedAt { get; set; }

    public List<LedgerPosting> Postings { get; set; } = [];
}

/// <summary>One side of a transaction: a signed amount on one account. Append-only.</summary>
internal sealed class LedgerPosting
{
    public long Id { get; set; }

    public long TransactionId { get; set; }

    public long AccountId { get; set; }

    /// <summary>10^-8 AITBC, positive for money in, negative for money out.</summary>
    public long Amount { get; set; }
}

/// <summary>
/// Money reserved for one job's budget. Open while the job is queued or running; closed exactly once when it ends,
/// by a guarded update, with what was paid.
/// </summary>
internal sealed class LedgerHold
{
    public required string JobId { get; set; }

    public long AccountId { get; set; }

    public long Amount { get; set; }

    public DateTime CreatedAt { get; set; }

    public DateTime? SettledAt { get; set; }

    /// <summary>What of the hold went to the miner when it closed; the rest was released.</summary>
    public long Paid { get; set; }
}

internal sealed class LedgerAccountConfiguration : IEntityTypeConfiguration<LedgerAccount>
{
    public void Configure(EntityTypeBuilder<LedgerAccount> account)
    {
        account.ToTable("ledger_accounts");
        account.HasKey(a => a.Id);
        account.Property(a => a.Id).ValueGeneratedOnAdd();
        account.Property(a => a.Kind).HasMaxLength(16);
        account.Property(a => a.UserId).HasMaxLength(40);
        account.HasIndex(a => a.UserId).IsUnique().HasFilter("user_id IS NOT NULL");
        var epoch = new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        account.HasData(
            new LedgerAccount { Id = LedgerAccount.GrantsId, Kind = AccountKind.Grants, CreatedAt = epoch },
            new LedgerAccount { Id = LedgerAccount.ExchangeId, Kind = AccountKind.Exchange, CreatedAt = epoch });
    }
}

internal sealed class LedgerTransactionConfiguration : IEntityTypeConfiguration<LedgerTransaction>
{
    public void Configure(EntityTypeBuilder<LedgerTransaction> transaction)
    {
        transaction.ToTable("ledger_transactions");
        transaction.HasKey(t => t.Id);
        transaction.Property(t => t.Id).ValueGeneratedOnAdd();
        transaction.Property(t => t.Kind).HasMaxLength(16);
        transaction.Property(t => t.BusinessKey).HasMaxLength(160);
        transaction.HasIndex(t => t.BusinessKey).IsUnique();
        transaction.Property(t => t.JobId).HasMaxLength(40);
        transaction.Property(t => t.Reason).HasMaxLength(500);
        transaction.Property(t => t.CreatedBy).HasMaxLength(40);
        transaction.HasMany(t => t.Postings).WithOne().HasForeignKey(p => p.TransactionId);
    }
}

internal sealed class LedgerPostingConfiguration : IEntityTypeConfiguration<LedgerPosting>
{
    public void Configure(EntityTypeBuilder<LedgerPosting> posting)
    {
        posting.ToTable("ledger_postings");
        posting.HasKey(p => p.Id);
        posting.Property(p => p.Id).ValueGeneratedOnAdd();
        posting.HasOne<LedgerAccount>().WithMany().HasForeignKey(p => p.AccountId);
        posting.HasIndex(p => new { p.AccountId, p.Id });
    }
}

internal sealed class LedgerHoldConfiguration : IEntityTypeConfiguration<LedgerHold>
{
    public void Configure(EntityTypeBuilder<LedgerHold> hold)
    {
        hold.ToTable("ledger_holds");
        hold.HasKey(h => h.JobId);
        hold.Property(h => h.JobId).HasMaxLength(40);
        hold.HasOne<LedgerAccount>().WithMany().HasForeignKey(h => h.AccountId);
        hold.HasIndex(h => h.AccountId, "ix_ledger_holds_open").HasFilter("settled_at IS NULL");
    }
}
