using System.Collections.Concurrent;
using Aitbc.Coordinator.Data;
using Microsoft.EntityFrameworkCore;

namespace Aitbc.Coordinator.Miners;

/// <summary>
/// Which miner a key is. Every miner call asks, and the answer never changes once a key has registered (a miner keeps
/// its id; rows are never deleted; a revoked key is turned away before it gets here), so it is remembered.
/// </summary>
internal sealed class MinerKeys(IDbContextFactory<CoordinatorDb> contexts)
{
    private readonly ConcurrentDictionary<string, string> _miners = new(StringComparer.Ordinal);

    /// <summary>The miner registered with <paramref name="keyId"/>, or null when it has not registered.</summary>
    public async ValueTask<string?> MinerOfAsync(string keyId, CancellationToken cancel = default)
    {
        if (_miners.TryGetValue(keyId, out var minerId))
        {
            return minerId;
        }

        await using var db = await contexts.CreateDbContextAsync(cancel);
        minerId = await db.Miners.AsNoTracking()
            .Where(m => m.ApiKeyId == keyId)
            .Select(m => m.Id)
            .FirstOrDefaultAsync(cancel);
        if (minerId is not null)
        {
            _miners[keyId] = minerId;
        }

        return minerId;
    }
}
