using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Aitbc.Coordinator.Users;

/// <summary>
/// A person known by their Bitcoin wallet: registered at first login, or at a first payout to a miner.
/// </summary>
internal sealed class User
{
    public required string Id { get; set; }

    /// <summary>The address in its canonical form for <c>BITCOIN_NETWORK</c> (bech32 lowercase).</summary>
    public required string WalletAddress { get; set; }

    public DateTime CreatedAt { get; set; }
}

/// <summary>A message handed out to sign. Used once, and only by a login that proved the wallet.</summary>
internal sealed class LoginChallenge
{
    public required string Nonce { get; set; }

    public required string WalletAddress { get; set; }

    public required string Message { get; set; }

    public DateTime IssuedAt { get; set; }

    public DateTime ExpiresAt { get; set; }

    public DateTime? ConsumedAt { get; set; }
}

/// <summary>A login. The token itself exists only in the user's hands; the row keeps its keyed hash.</summary>
internal sealed class UserSession
{
    public required string Id { get; set; }

    public required string UserId { get; set; }

    public required string TokenHash { get; set; }

    public DateTime CreatedAt { get; set; }

    public DateTime ExpiresAt { get; set; }

    public DateTime? RevokedAt { get; set; }
}

internal sealed class UserConfiguration : IEntityTypeConfiguration<User>
{
    public void Configure(EntityTypeBuilder<User> user)
    {
        user.ToTable("users");
        user.HasKey(u => u.Id);
        user.Property(u => u.Id).HasMaxLength(40);
        user.Property(u => u.WalletAddress).HasMaxLength(128);
        user.HasIndex(u => u.WalletAddress).IsUnique();
    }
}

internal sealed class LoginChallengeConfiguration : IEntityTypeConfiguration<LoginChallenge>
{
    public void Configure(EntityTypeBuilder<LoginChallenge> challenge)
    {
        challenge.ToTable("login_challenges");
        challenge.HasKey(c => c.Nonce);
        challenge.Property(c => c.Nonce).HasMaxLength(64);
        challenge.Property(c => c.WalletAddress).HasMaxLength(128);
        challenge.Property(c => c.Message).HasMaxLength(1024);
        challenge.HasIndex(c => c.ExpiresAt);
    }
}

internal sealed class UserSessionConfiguration : IEntityTypeConfiguration<UserSession>
{
    public void Configure(EntityTypeBuilder<UserSession> session)
    {
        session.ToTable("user_sessions");
        session.HasKey(s => s.Id);
        session.Property(s => s.Id).HasMaxLength(40);
        session.Property(s => s.UserId).HasMaxLength(40);
        session.Property(s => s.TokenHash).HasMaxLength(64);
        session.HasIndex(s => s.TokenHash).IsUnique();
        session.HasIndex(s => s.UserId);
    }
}
