using Aitbc.Coordinator.Auth;
using Aitbc.Coordinator.Jobs;
using Aitbc.Coordinator.Miners;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Aitbc.Coordinator.Data;

internal sealed class JobConfiguration : IEntityTypeConfiguration<Job>
{
    public void Configure(EntityTypeBuilder<Job> job)
    {
        job.ToTable("jobs");
        job.HasKey(j => j.Seq);
        job.Property(j => j.Seq).ValueGeneratedOnAdd();
        job.HasIndex(j => j.Id).IsUnique();
        job.Property(j => j.Id).HasMaxLength(40).IsRequired();
        job.Property(j => j.ClientId).HasMaxLength(40);
        job.Property(j => j.ApiKeyId).HasMaxLength(40);
        job.Property(j => j.JobType).HasMaxLength(64);
        job.Property(j => j.MinerId).HasMaxLength(40);
        job.Property(j => j.LeaseToken).HasMaxLength(64);
        job.Property(j => j.ResultLeaseToken).HasMaxLength(64);
        job.Property(j => j.IdempotencyKey).HasMaxLength(255);
        job.Property(j => j.ErrorCode).HasMaxLength(64);
        job.Property(j => j.State).HasMaxLength(16);
        job.Property(j => j.ParametersSha256).HasMaxLength(64);
        job.HasMany(j => j.RequiredModels).WithOne().HasForeignKey(m => m.JobSeq).OnDelete(DeleteBehavior.Cascade);

        // Taking work seeks the queue of each profile a miner can serve and stops after the few jobs it needs, so
        // its cost does not grow with the queue, whatever waits in it.
        job.HasIndex(j => new { j.ProfileId, j.Priority, j.Seq }, "ix_jobs_queue_profile")
            .IsDescending(false, true, false)
            .HasFilter("state = 'queued'");

        // Queue positions count the jobs ahead across every profile.
        job.HasIndex(j => new { j.Priority, j.Seq }, "ix_jobs_queue")
            .IsDescending(true, false)
            .HasFilter("state = 'queued'");
        job.HasOne<JobProfile>().WithMany().HasForeignKey(j => j.ProfileId).OnDelete(DeleteBehavior.Restrict);
        job.HasIndex(j => j.LeaseExpiresAt, "ix_jobs_leases").HasFilter("state = 'running'");
        job.HasIndex(j => j.MinerId, "ix_jobs_miner").HasFilter("state = 'running'");
        job.HasIndex(j => j.ExpiresAt, "ix_jobs_expiry").HasFilter("state IN ('queued', 'running')");
        job.HasIndex(j => new { j.ClientId, j.Seq }, "ix_jobs_client");

        // Operator statistics look at the jobs that finished in the last minutes.
        job.HasIndex(j => j.CompletedAt, "ix_jobs_completed");
        job.HasIndex(j => new { j.ClientId, j.IdempotencyKey }, "ix_jobs_idempotency")
            .IsUnique()
            .HasFilter("idempotency_key IS NOT NULL");
    }
}

internal sealed class JobModelConfiguration : IEntityTypeConfiguration<JobModel>
{
    public void Configure(EntityTypeBuilder<JobModel> model)
    {
        model.ToTable("job_models");
        model.HasKey(m => new { m.JobSeq, m.Model });
        model.Property(m => m.Model).HasMaxLength(128);
    }
}

internal sealed class JobAttemptConfiguration : IEntityTypeConfiguration<JobAttempt>
{
    public void Configure(EntityTypeBuilder<JobAttempt> attempt)
    {
        attempt.ToTable("job_attempts");
        attempt.HasKey(a => new { a.JobSeq, a.Attempt });
        attempt.Property(a => a.MinerId).HasMaxLength(40);
        attempt.Property(a => a.LeaseToken).HasMaxLength(64);
        attempt.HasOne<Job>().WithMany().HasForeignKey(a => a.JobSeq).OnDelete(DeleteBehavior.Cascade);
        attempt.HasIndex(a => a.StartedAt, "ix_job_attempts_started");
    }
}

internal sealed class MinerConfiguration : IEntityTypeConfiguration<Miner>
{
    public void Configure(EntityTypeBuilder<Miner> miner)
    {
        miner.ToTable("miners");
        miner.HasKey(m => m.Id);
        miner.Property(m => m.Id).HasMaxLength(40);
        miner.Property(m => m.ApiKeyId).HasMaxLength(40);
        miner.HasIndex(m => m.ApiKeyId).IsUnique();
        miner.Property(m => m.Status).HasMaxLength(16);
        miner.Property(m => m.Region).HasMaxLength(64);
        miner.Property(m => m.WalletAddress).HasMaxLength(128);
        miner.HasIndex(m => new { m.Status, m.LastSeenAt }, "ix_miners_liveness");
    }
}

internal sealed class ApiKeyConfiguration : IEntityTypeConfiguration<ApiKey>
{
    public void Configure(EntityTypeBuilder<ApiKey> key)
    {
        key.ToTable("api_keys");
        key.HasKey(k => k.Id);
        key.Property(k => k.Id).HasMaxLength(40);
        key.Property(k => k.Name).HasMaxLength(100);
        key.Property(k => k.Hash).HasMaxLength(64);
        key.Property(k => k.Prefix).HasMaxLength(16);
        key.Property(k => k.Source).HasMaxLength(16);
        key.Property(k => k.UserId).HasMaxLength(40);
        key.Property(k => k.CreatedBy).HasMaxLength(40);
        key.HasIndex(k => k.Hash).IsUnique();
        key.HasIndex(k => k.UserId);
    }
}
