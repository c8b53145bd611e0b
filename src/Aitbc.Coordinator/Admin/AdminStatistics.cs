using Aitbc.Coordinator.Data;
using Aitbc.Coordinator.Jobs;
using Aitbc.Coordinator.Observability;
using Microsoft.EntityFrameworkCore;

namespace Aitbc.Coordinator.Admin;

/// <summary>
/// The numbers behind <c>GET /v1/admin/stats</c>. Counts are grouped in the database; percentiles are taken over at
/// most the latest <see cref="MaxSamples"/> jobs of the window, read through indexes on the lease and finish times, so
/// memory and time stay bounded however many jobs the database holds.
/// </summary>
internal static class AdminStatistics
{
    public static readonly TimeSpan Window = TimeSpan.FromMinutes(15);
    private const int MaxSamples = 10_000;

    public static async Task<AdminStats> ReadAsync(CoordinatorDb db, DateTime now, CancellationToken cancel)
    {
        var counts = await OperationsCounts.ReadAsync(db, cancel);
        var minute = now.AddMinutes(-1);
        var hour = now.AddHours(-1);
        var since = now - Window;

        async Task<RecentCounts> RecentAsync(JobState state) => new(
            await db.Jobs.LongCountAsync(j => j.CompletedAt >= minute && j.State == state, cancel),
            await db.Jobs.LongCountAsync(j => j.CompletedAt >= hour && j.State == state, cancel));
        var completed = await RecentAsync(JobState.Completed);
        var failed = await RecentAsync(JobState.Failed);

        // The first lease ends a job's wait in the queue; later attempts wait after a failure, not a submission.
        var waits = await db.JobAttempts.AsNoTracking()
            .Where(a => a.Attempt == 1 && a.StartedAt >= since)
            .OrderByDescending(a => a.StartedAt)
            .Take(MaxSamples)
            .Join(db.Jobs, a => a.JobSeq, j => j.Seq, (a, j) => new { a.StartedAt, j.CreatedAt })
            .ToListAsync(cancel);
        var runs = await db.Jobs.AsNoTracking()
            .Where(j => j.CompletedAt >= since && j.StartedAt != null
                && (j.State == JobState.Completed || j.State == JobState.Failed))
            .OrderByDescending(j => j.CompletedAt)
            .Take(MaxSamples)
            .Select(j => new { j.StartedAt, j.CompletedAt })
            .ToListAsync(cancel);

        return new AdminStats
        {
            GeneratedAt = now,
            JobsByState = counts.JobsByState,
            QueueDepthByJobType = counts.QueueDepthByJobType,
            Miners = new MinerCounts(
                counts.MinersByStatus["online"],
                counts.MinersByStatus["draining"],
                counts.MinersByStatus["offline"],
                counts.MinersBlocked),
            JobsCompleted = completed,
            JobsFailed = failed,
            QueueWaitSeconds = Percentiles([.. waits.Select(w => (w.StartedAt - w.CreatedAt).TotalSeconds)]),
            RunTimeSeconds = Percentiles(
                [.. runs.Select(r => (r.CompletedAt!.Value - r.StartedAt!.Value).TotalSeconds)]),
            WindowSeconds = (int)Window.TotalSeconds,
        };
    }

    /// <summary>Nearest-rank percentiles, rounded to milliseconds; null when there is nothing to measure.</summary>
    internal static Percentiles Percentiles(double[] samples)
    {
        if (samples.Length == 0)
        {
            return new Percentiles(null, null, 0);
        }

        Array.Sort(samples);
        double Rank(double p) =>
            Math.Round(Math.Max(0, samples[Math.Max(0, (int)Math.Ceiling(p * samples.Length) - 1)]), 3);
        return new Percentiles(Rank(0.50), Rank(0.95), samples.Length);
    }
}
