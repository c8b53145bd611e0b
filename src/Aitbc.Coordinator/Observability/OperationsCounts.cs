using Aitbc.Coordinator.Data;
using Aitbc.Coordinator.Jobs;
using Aitbc.Coordinator.Miners;
using Microsoft.EntityFrameworkCore;

namespace Aitbc.Coordinator.Observability;

/// <summary>How many jobs and miners are in each state: a few grouped counts, never the rows themselves.</summary>
internal sealed record OperationsCounts(
    IReadOnlyDictionary<string, long> JobsByState,
    IReadOnlyDictionary<string, long> QueueDepthByJobType,
    IReadOnlyDictionary<string, long> MinersByStatus,
    long MinersBlocked)
{
    public static async Task<OperationsCounts> ReadAsync(CoordinatorDb db, CancellationToken cancel)
    {
        var jobs = await db.Jobs.AsNoTracking()
            .GroupBy(j => j.State)
            .Select(g => new { State = g.Key, Count = g.LongCount() })
            .ToListAsync(cancel);
        var queued = await db.Jobs.AsNoTracking()
            .Where(j => j.State == JobState.Queued)
            .GroupBy(j => j.JobType)
            .Select(g => new { JobType = g.Key, Count = g.LongCount() })
            .ToListAsync(cancel);
        var miners = await db.Miners.AsNoTracking()
            .GroupBy(m => m.Status)
            .Select(g => new { Status = g.Key, Count = g.LongCount() })
            .ToListAsync(cancel);
        var blocked = await db.Miners.AsNoTracking().LongCountAsync(m => m.Blocked, cancel);

        return new OperationsCounts(
            Enum.GetValues<JobState>().ToDictionary(
                Name, s => jobs.FirstOrDefault(j => j.State == s)?.Count ?? 0, StringComparer.Ordinal),
            queued.OrderBy(q => q.JobType, StringComparer.Ordinal)
                .ToDictionary(q => q.JobType, q => q.Count, StringComparer.Ordinal),
            Enum.GetValues<MinerStatus>().ToDictionary(
                Name, s => miners.FirstOrDefault(m => m.Status == s)?.Count ?? 0, StringComparer.Ordinal),
            blocked);
    }

    private static string Name<T>(T value) where T : struct, Enum => value.ToString().ToLowerInvariant();
}

/// <summary>
/// Sets the database-backed gauges just before each scrape, from counts at most a few seconds old, so scrapes from
/// several Prometheus servers cost the database one set of grouped counts per interval.
/// </summary>
internal sealed class MetricsGauges(
    CoordinatorMetrics metrics, IDbContextFactory<CoordinatorDb> contexts, TimeProvider clock)
{
    private static readonly TimeSpan Freshness = TimeSpan.FromSeconds(5);

    private readonly SemaphoreSlim _refresh = new(1, 1);
    private DateTime _readAt = DateTime.MinValue;
    private HashSet<string> _jobTypes = new(StringComparer.Ordinal);

    public void Register() => metrics.Registry.AddBeforeCollectCallback(RefreshAsync);

    private async Task RefreshAsync(CancellationToken cancel)
    {
        await _refresh.WaitAsync(cancel);
        try
        {
            var now = clock.GetUtcNow().UtcDateTime;
            if (now - _readAt < Freshness)
            {
                return;
            }

            await using var db = await contexts.CreateDbContextAsync(cancel);
            var counts = await OperationsCounts.ReadAsync(db, cancel);
            foreach (var (state, count) in counts.JobsByState)
            {
                metrics.Jobs.WithLabels(state).Set(count);
            }

            // A job type whose queue emptied goes away rather than stay at its last depth.
            foreach (var gone in _jobTypes.Where(t => !counts.QueueDepthByJobType.ContainsKey(t)))
            {
                metrics.QueueDepth.RemoveLabelled(gone);
            }

            foreach (var (jobType, count) in counts.QueueDepthByJobType)
            {
                metrics.QueueDepth.WithLabels(jobType).Set(count);
            }

            _jobTypes = [.. counts.QueueDepthByJobType.Keys];
            foreach (var (status, count) in counts.MinersByStatus)
            {
                metrics.Miners.WithLabels(status).Set(count);
            }

            metrics.MinersBlocked.Set(counts.MinersBlocked);
            _readAt = now;
        }
        finally
        {
            _refresh.Release();
        }
    }
}
