using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Aitbc.Coordinator.Receipts;

/// <summary>
/// One signed receipt. <see cref="Body"/> holds the exact canonical bytes that were signed and hashed into the
/// chain, and is what every endpoint serves; the other columns are copies taken from it for finding and access
/// checks, never used to rebuild a receipt.
/// </summary>
internal sealed class Receipt
{
    /// <summary>The place in the chain: 1, 2, 3 … with no gap.</summary>
    public long Seq { get; set; }

    public required string Id { get; set; }

    public required string JobId { get; set; }

    public required string ClientId { get; set; }

    public required string MinerId { get; set; }

    public DateTime IssuedAt { get; set; }

    /// <summary>The receipt as RFC 8785 canonical UTF-8 JSON, signature included.</summary>
    public required byte[] Body { get; set; }
}

/// <summary>
/// The end of the chain, in one row: the last receipt's seq and the SHA-256 of its bytes. Issuing a receipt moves it
/// with a conditional update naming the seq it read, so writers in several processes take turns on this row.
/// </summary>
internal sealed class ReceiptChainHead
{
    public const int SingleId = 1;

    /// <summary>What the first receipt names as its predecessor.</summary>
    public static readonly string Genesis = new('0', 64);

    public int Id { get; set; }

    public long Seq { get; set; }

    public required string Sha256 { get; set; }
}

/// <summary>A public key that has signed receipts. Retired keys stay, so old receipts still verify.</summary>
internal sealed class ReceiptKey
{
    /// <summary>RFC 7638 thumbprint of the public JWK.</summary>
    public required string Kid { get; set; }

    /// <summary>The raw 32-byte public key, base64url: the JWK's <c>x</c>.</summary>
    public required string X { get; set; }

    public DateTime CreatedAt { get; set; }

    public DateTime? RetiredAt { get; set; }
}

/// <summary>
/// A generated signing seed kept in the database, used only when there is no SQLite file to keep it beside (several
/// processes on one PostgreSQL database must sign with the same key).
/// </summary>
internal sealed class ReceiptSigningSeed
{
    public const int SingleId = 1;

    public int Id { get; set; }

    /// <summary>The Ed25519 seed, 64 hex characters.</summary>
    public required string Seed { get; set; }

    public DateTime CreatedAt { get; set; }
}

internal sealed class ReceiptConfiguration : IEntityTypeConfiguration<Receipt>
{
    public void Configure(EntityTypeBuilder<Receipt> receipt)
    {
        receipt.ToTable("receipts");
        receipt.HasKey(r => r.Seq);
        receipt.Property(r => r.Seq).ValueGeneratedNever();
        receipt.Property(r => r.Id).HasMaxLength(40).IsRequired();
        receipt.HasIndex(r => r.Id).IsUnique();
        receipt.Property(r => r.JobId).HasMaxLength(40);

        // A job completes once, so it has at most one receipt; this holds even if a bug tried to issue another.
        receipt.HasIndex(r => r.JobId).IsUnique();
        receipt.Property(r => r.ClientId).HasMaxLength(40);
        receipt.Property(r => r.MinerId).HasMaxLength(40);
        receipt.HasIndex(r => new { r.MinerId, r.Seq }, "ix_receipts_miner");
    }
}

internal sealed class ReceiptChainHeadConfiguration : IEntityTypeConfiguration<ReceiptChainHead>
{
    public void Configure(EntityTypeBuilder<ReceiptChainHead> head)
    {
        head.ToTable("receipt_chain_head");
        head.HasKey(h => h.Id);
        head.Property(h => h.Id).ValueGeneratedNever();
        head.Property(h => h.Sha256).HasMaxLength(64);
        head.HasData(
            new ReceiptChainHead { Id = ReceiptChainHead.SingleId, Seq = 0, Sha256 = ReceiptChainHead.Genesis });
    }
}

internal sealed class ReceiptKeyConfiguration : IEntityTypeConfiguration<ReceiptKey>
{
    public void Configure(EntityTypeBuilder<ReceiptKey> key)
    {
        key.ToTable("receipt_keys");
        key.HasKey(k => k.Kid);
        key.Property(k => k.Kid).HasMaxLength(43);
        key.Property(k => k.X).HasMaxLength(43);
    }
}

internal sealed class ReceiptSigningSeedConfiguration : IEntityTypeConfiguration<ReceiptSigningSeed>
{
    public void Configure(EntityTypeBuilder<ReceiptSigningSeed> seed)
    {
        seed.ToTable("receipt_signing_seed");
        seed.HasKey(s => s.Id);
        seed.Property(s => s.Id).ValueGeneratedNever();
        seed.Property(s => s.Seed).HasMaxLength(64);
    }
}
