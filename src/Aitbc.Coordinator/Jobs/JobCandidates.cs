using Aitbc.Coordinator.Data;
using Aitbc.Coordinator.Data.Postgres;
using Microsoft.EntityFrameworkCore;

namespace Aitbc.Coordinator.Jobs;

/// <summary>
/// The one query of taking work that differs per database: the best queued jobs of the profiles a miner can serve.
/// Each profile's queue is one seek into <c>ix_jobs_queue_profile</c> that stops after <c>limit</c> rows, so the cost
/// depends on the profiles served, never on how many jobs wait.
/// </summary>
internal static class JobCandidates
{
    public static async Task<List<long>> FindAsync(CoordinatorDb db, IReadOnlyList<long> profiles, int limit)
    {
        var found = new List<Candidate>();
        foreach (var profile in profiles)
        {
            found.AddRange(db is PostgresCoordinatorDb postgres
                ? await FindLockedAsync(postgres, profile, limit)
                : await FindAsync(db.Jobs, profile, limit));
        }

        return [.. found.OrderByDescending(c => c.Priority).ThenBy(c => c.Seq).Take(limit).Select(c => c.Seq)];
    }

    /// <summary>SQLite has a single writer: nobody else can take these rows before this transaction ends.</summary>
    private static Task<List<Candidate>> FindAsync(IQueryable<Job> jobs, long profile, int limit) => jobs
        .Where(j => j.State == JobState.Queued && j.ProfileId == profile)
        .OrderByDescending(j => j.Priority)
        .ThenBy(j => j.Seq)
        .Take(limit)
        .Select(j => new Candidate(j.Seq, j.Priority))
        .ToListAsync();

    /// <summary>
    /// Several processes take work at once on PostgreSQL. Each locks the rows it picks until its transaction ends and
    /// passes over rows another has locked, so they spread over the head of the queue instead of queueing up behind
    /// one another on the same rows; the guarded UPDATE that follows still decides who got a job.
    /// </summary>
    private static Task<List<Candidate>> FindLockedAsync(PostgresCoordinatorDb db, long profile, int limit) =>
        db.Database.SqlQuery<Candidate>($"""
            SELECT j.seq AS "Seq", j.priority AS "Priority"
            FROM jobs AS j
            WHERE j.state = 'queued' AND j.profile_id = {profile}
            ORDER BY j.priority DESC, j.seq
            LIMIT {limit}
            FOR UPDATE OF j SKIP LOCKED
            """).ToListAsync();

    internal sealed record Candidate(long Seq, int Priority);
}
