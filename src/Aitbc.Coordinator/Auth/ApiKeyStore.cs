using System.Collections.Concurrent;
using Aitbc.Coordinator.Data;
using Microsoft.EntityFrameworkCore;

namespace Aitbc.Coordinator.Auth;

/// <summary>Who is calling: resolved from the <c>X-Api-Key</c> header by <see cref="ApiKeyAuthentication"/>.</summary>
/// <remarks><see cref="Blocked"/>: the key's miner was blocked by an operator, so the key is refused (403).</remarks>
internal sealed record Caller(string KeyId, string OwnerId, string? UserId, ApiKeyRoles Roles, bool Blocked = false)
{
    public bool Has(ApiKeyRoles role) => (Roles & role) == role;

    /// <summary>Lets handlers take the caller as a parameter; authorization has run before binding.</summary>
    public static ValueTask<Caller?> BindAsync(HttpContext context) =>
        ValueTask.FromResult(context.Items[typeof(Caller)] as Caller);
}

/// <summary>
/// Resolves API keys to callers. Every request presents a key, so results are cached for a few seconds: a revoked
/// key is refused at once by this process and within <see cref="CacheTime"/> by any other.
/// </summary>
internal sealed partial class ApiKeyStore(
    KeyHasher hasher,
    IDbContextFactory<CoordinatorDb> contexts,
    DbWriter writer,
    TimeProvider clock,
    ILogger<ApiKeyStore> logger)
{
    private static readonly TimeSpan CacheTime = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan LastUsedResolution = TimeSpan.FromMinutes(1);
    private const int MaxCached = 10_000;

    private readonly ConcurrentDictionary<string, (Caller? Caller, DateTime Until)> _cache = new();
    private readonly ConcurrentDictionary<string, DateTime> _lastUsedWritten = new();
    private long _generation;

    public async Task<Caller?> FindAsync(string presented, CancellationToken cancel)
    {
        var hash = hasher.Hash(presented);
        var now = clock.GetUtcNow().UtcDateTime;
        if (_cache.TryGetValue(hash, out var cached) && cached.Until > now)
        {
            return Touch(cached.Caller, now);
        }

        var generation = Interlocked.Read(ref _generation);
        await using var db = await contexts.CreateDbContextAsync(cancel);
        var key = await db.ApiKeys.AsNoTracking()
            .Where(k => k.Hash == hash && k.RevokedAt == null)
            .Select(k => new
            {
                k.Id,
                k.Hash,
                k.UserId,
                k.Roles,
                Blocked = db.Miners.Any(m => m.ApiKeyId == k.Id && m.Blocked),
            })
            .FirstOrDefaultAsync(cancel);

        // The index found the row by hash; the constant-time check keeps the final comparison free of timing.
        var caller = key is not null && KeyHasher.SameHash(key.Hash, hash)
            ? new Caller(key.Id, key.UserId ?? key.Id, key.UserId, key.Roles, key.Blocked)
            : null;
        if (_cache.Count >= MaxCached)
        {
            // Random keys must not grow the cache without bound.
            _cache.Clear();
        }

        var entry = (caller, now + CacheTime);
        _cache[hash] = entry;

        // An invalidation during the read means the row may predate a revocation or block: it answers this request,
        // but stays out of the cache, where it would outlive the invalidation.
        if (Interlocked.Read(ref _generation) != generation)
        {
            _cache.TryRemove(new KeyValuePair<string, (Caller?, DateTime)>(hash, entry));
        }

        return Touch(caller, now);
    }

    /// <summary>Forgets cached answers for a key that was just revoked, blocked or changed.</summary>
    public void Invalidate(string keyId)
    {
        Interlocked.Increment(ref _generation);
        foreach (var entry in _cache)
        {
            if (entry.Value.Caller?.KeyId == keyId)
            {
                _cache.TryRemove(entry.Key, out _);
            }
        }
    }

    /// <summary>Records when a key was last used, at most once a minute per key, off the request's path.</summary>
    private Caller? Touch(Caller? caller, DateTime now)
    {
        if (caller is null
            || (_lastUsedWritten.TryGetValue(caller.KeyId, out var written) && now - written < LastUsedResolution))
        {
            return caller;
        }

        _lastUsedWritten[caller.KeyId] = now;
        _ = RecordUseAsync(caller.KeyId);
        return caller;
    }

    private async Task RecordUseAsync(string keyId)
    {
        try
        {
            await writer.ExecuteAsync(scope => scope.Db.ApiKeys
                .Where(k => k.Id == keyId)
                .ExecuteUpdateAsync(set => set.SetProperty(k => k.LastUsedAt, scope.Now)));
        }
        catch (Exception e)
        {
            Log.LastUsedFailed(logger, e, keyId);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(1301, LogLevel.Warning, "Could not record the last use of key {KeyId}",
            EventName = "KeyLastUsedFailed")]
        public static partial void LastUsedFailed(ILogger logger, Exception exception, string keyId);
    }
}
