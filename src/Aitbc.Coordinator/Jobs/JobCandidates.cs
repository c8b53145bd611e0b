using Aitbc.Coordinator.Data;
using Aitbc.Coordinator.Data.Postgres;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using NpgsqlTypes;

namespace Aitbc.Coordinator.Jobs;

/// <summary>
/// The one query of taking work that differs per database: the queued jobs a miner could take, best first. Both
/// walk the <c>ix_jobs_queue</c> index in queue order and stop after <c>limit</c> fitting rows.
/// </summary>
internal static class JobCandidates
{
    public static Task<List<long>> FindAsync(CoordinatorDb db, MinerOffer offer, int limit) => db switch
    {
        PostgresCoordinatorDb postgres => FindLockedAsync(postgres, offer, limit),
        _ => FindAsync(db.Jobs, offer, limit),
    };

    /// <summary>SQLite has a single writer: nobody else can take these rows before this transaction ends.</summary>
    private static Task<List<long>> FindAsync(IQueryable<Job> jobs, MinerOffer offer, int limit) => jobs
        .Where(j => j.State == JobState.Queued
            && (j.MinVramGb == null || j.MinVramGb <= offer.MaxVramGb)
            && (j.Region == null || j.Region == offer.Region)
            && (j.RequiredGpu == null || offer.Gpus.Contains(j.RequiredGpu))
            && !j.RequiredModels.Any(m => !offer.Models.Contains(m.Model)))
        .OrderByDescending(j => j.Priority)
        .ThenBy(j => j.Seq)
        .Select(j => j.Seq)
        .Take(limit)
        .ToListAsync();

    /// <summary>
    /// Several processes take work at once on PostgreSQL. Each locks the rows it picks until its transaction ends and
    /// passes over rows another has locked, so they spread over the head of the queue instead of queueing up behind
    /// one another on the same rows; the guarded UPDATE that follows still decides who got a job.
    /// </summary>
    private static Task<List<long>> FindLockedAsync(PostgresCoordinatorDb db, MinerOffer offer, int limit)
    {
        // Typed, because PostgreSQL cannot infer the type of a bare NULL.
        var region = new NpgsqlParameter("region", NpgsqlDbType.Text) { Value = (object?)offer.Region ?? DBNull.Value };
        return db.Database.SqlQuery<long>($"""
            SELECT j.seq AS "Value"
            FROM jobs AS j
            WHERE j.state = 'queued'
              AND (j.min_vram_gb IS NULL OR j.min_vram_gb <= {offer.MaxVramGb})
              AND (j.region IS NULL OR j.region = {region})
              AND (j.required_gpu IS NULL OR j.required_gpu = ANY({offer.Gpus.ToArray()}))
              AND NOT EXISTS (
                  SELECT 1 FROM job_models AS m
                  WHERE m.job_seq = j.seq AND m.model <> ALL({offer.Models.ToArray()}))
            ORDER BY j.priority DESC, j.seq
            LIMIT {limit}
            FOR UPDATE OF j SKIP LOCKED
            """).ToListAsync();
    }
}
