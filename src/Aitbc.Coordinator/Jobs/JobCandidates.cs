using Aitbc.Coordinator.Data;
using Aitbc.Coordinator.Data.Postgres;

namespace Aitbc.Coordinator.Jobs;

/// <summary>
/// The one query of taking work that differs per database: the best queued jobs of the profiles a miner can serve.
/// Each profile's queue is one seek into <c>ix_jobs_queue_profile</c> that stops after <c>limit</c> rows, so the cost
/// depends on the profiles served, never on how many jobs wait.
/// </summary>
internal static class JobCandidates
{
    /// <summary>SQLite has a single writer: nobody else can take these rows before this transaction ends.</summary>
    private const string Head = """
        SELECT seq, priority FROM jobs
        WHERE state = 'queued' AND profile_id = @profile
        ORDER BY priority DESC, seq
        LIMIT @limit
        """;

    /// <summary>
    /// Several processes take work at once on PostgreSQL. Each locks the rows it picks until its transaction ends and
    /// passes over rows another has locked, so they spread over the head of the queue instead of queueing up behind
    /// one another on the same rows; the guarded UPDATE that follows still decides who got a job.
    /// </summary>
    private const string LockedHead = Head + "\nFOR UPDATE SKIP LOCKED";

    public static async Task<List<long>> FindAsync(WriteScope scope, IReadOnlyList<long> profiles, int limit)
    {
        var sql = scope.Db is PostgresCoordinatorDb ? LockedHead : Head;
        var found = new List<(long Seq, int Priority)>();
        foreach (var profile in profiles)
        {
            await using var row = await scope.Sql.For(sql)
                .With("@profile", profile)
                .With("@limit", limit)
                .ExecuteReaderAsync();
            while (await row.ReadAsync())
            {
                found.Add((row.GetInt64(0), row.GetInt32(1)));
            }
        }

        return [.. found.OrderByDescending(c => c.Priority).ThenBy(c => c.Seq).Take(limit).Select(c => c.Seq)];
    }
}
