using Aitbc.Coordinator.Data;
using Aitbc.Coordinator.Jobs;
using Microsoft.EntityFrameworkCore;

namespace Aitbc.Coordinator.Miners;

/// <summary>
/// Tells a client why its queued job waits: how many online miners could take it and, when none can, which
/// requirement nobody meets. Status calls are frequent and miners few, so the online set is read at most once a
/// second.
/// </summary>
internal sealed class MinerDirectory(IDbContextFactory<CoordinatorDb> contexts, TimeProvider clock)
{
    private static readonly TimeSpan Freshness = TimeSpan.FromSeconds(1);

    private readonly SemaphoreSlim _refresh = new(1, 1);
    private (IReadOnlyList<MinerOffer> Offers, DateTime At) _online = ([], DateTime.MinValue);

    public async Task<(int Eligible, string? Reason)> ExplainAsync(Job job, CancellationToken cancel)
    {
        var offers = await OnlineAsync(cancel);
        var models = job.RequiredModels.Select(m => m.Model).ToList();
        var eligible = offers.Count(o => Fits(o, job, models));
        return (eligible, eligible > 0 ? null : Reason(offers, job, models));
    }

    private static bool Fits(MinerOffer offer, Job job, List<string> models) =>
        new JobDemand(models, job.MinVramGb, job.RequiredGpu, job.Region).Fits(offer);

    private static string Reason(IReadOnlyList<MinerOffer> offers, Job job, List<string> models)
    {
        if (offers.Count == 0)
        {
            return "no miner is online";
        }

        foreach (var model in models)
        {
            if (!offers.Any(o => o.Models.Contains(model)))
            {
                return $"no online miner offers model \"{model}\"";
            }
        }

        if (job.RequiredGpu is not null && !offers.Any(o => o.Gpus.Contains(job.RequiredGpu)))
        {
            return $"no online miner has GPU \"{job.RequiredGpu}\"";
        }

        if (job.MinVramGb is not null && !offers.Any(o => o.MaxVramGb >= job.MinVramGb))
        {
            return $"no online miner has {job.MinVramGb} GB of VRAM";
        }

        if (job.Region is not null && !offers.Any(o => o.Region == job.Region))
        {
            return $"no online miner is in region \"{job.Region}\"";
        }

        return "no single online miner meets all the requirements together";
    }

    private async Task<IReadOnlyList<MinerOffer>> OnlineAsync(CancellationToken cancel)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        if (now - _online.At < Freshness)
        {
            return _online.Offers;
        }

        await _refresh.WaitAsync(cancel);
        try
        {
            if (now - _online.At < Freshness)
            {
                return _online.Offers;
            }

            await using var db = await contexts.CreateDbContextAsync(cancel);
            var miners = await db.Miners.AsNoTracking()
                .Where(m => m.Status == MinerStatus.Online && !m.Blocked)
                .ToListAsync(cancel);
            _online = (miners.Select(MinerOffer.Of).ToList(), now);
            return _online.Offers;
        }
        finally
        {
            _refresh.Release();
        }
    }
}
