using System.Text;
using Aitbc.Coordinator.Common;
using Aitbc.Coordinator.Configuration;
using Aitbc.Coordinator.Data;
using Microsoft.EntityFrameworkCore;

namespace Aitbc.Coordinator.Auth;

/// <summary>
/// Start-up work for credentials: the hashing secret, the operator keys from the environment, and a development
/// key for a newcomer who configured none.
/// </summary>
internal static partial class KeyBootstrap
{
    public static byte[] ResolveSecret(CoordinatorSettings settings, ILogger logger)
    {
        if (settings.SecretKey is { } configured)
        {
            return Encoding.UTF8.GetBytes(configured);
        }

        var directory = settings.Database.StateDirectory
            ?? throw new SettingsException(
                "SECRET_KEY must be set when DATABASE_URL is PostgreSQL: every Coordinator process on that database "
                + "hashes API keys with it, so it cannot be generated and kept beside a local file. Set the same value "
                + "of at least 16 characters on every process, for example from `openssl rand -hex 32`.");
        var path = Path.Combine(directory, Path.GetFileName(settings.Database.SqlitePath!) + ".secret-key");
        var secret = StateFiles.ReadOrCreate(path, () => StateFiles.RandomHex(32), out var created);
        Log.GeneratedSecret(logger, created ? "generated and stored" : "read", path);
        return Encoding.UTF8.GetBytes(secret);
    }

    /// <summary>
    /// Makes the key table agree with <c>API_KEYS</c> and <c>ADMIN_API_KEYS</c>: keys listed there exist with their
    /// roles, keys that were listed before and are not any more are revoked.
    /// </summary>
    public static async Task SyncAsync(
        CoordinatorDb db, KeyHasher hasher, CoordinatorSettings settings, DateTime now, ILogger logger)
    {
        var wanted = new Dictionary<string, (ApiKeyRoles Roles, string Name, string Prefix)>(StringComparer.Ordinal);
        void Want(IReadOnlyList<string> keys, ApiKeyRoles roles, string variable)
        {
            for (var i = 0; i < keys.Count; i++)
            {
                var hash = hasher.Hash(keys[i]);
                var previous = wanted.TryGetValue(hash, out var found) ? found.Roles : ApiKeyRoles.None;
                wanted[hash] = (previous | roles, $"{variable} #{i + 1}", KeyHasher.PrefixOf(keys[i]));
            }
        }

        Want(settings.ApiKeys, ApiKeyRoles.Client | ApiKeyRoles.Miner, "API_KEYS");
        Want(settings.AdminApiKeys, ApiKeyRoles.Admin, "ADMIN_API_KEYS");

        string? developmentKey = null;
        if (wanted.Count == 0 && settings.Database.StateDirectory is { } directory)
        {
            var path = Path.Combine(directory, Path.GetFileName(settings.Database.SqlitePath!) + ".dev-api-key");
            developmentKey = StateFiles.ReadOrCreate(path, KeyHasher.NewApiKey, out _);
            wanted[hasher.Hash(developmentKey)] =
                (ApiKeyRoles.Client | ApiKeyRoles.Miner | ApiKeyRoles.Admin, "development key", "");

            // Shown so a newcomer can try the API at once. It exists only while no key is configured, and
            // configuring one revokes it.
            Log.DevelopmentKey(logger, developmentKey, path);
        }

        var existing = await db.ApiKeys
            .Where(k => k.Source == ApiKeySource.Environment || k.Source == ApiKeySource.Development)
            .ToListAsync();
        foreach (var key in existing)
        {
            if (wanted.Remove(key.Hash, out var want))
            {
                key.Roles = want.Roles;
                key.RevokedAt = null;
            }
            else
            {
                key.RevokedAt ??= now;
            }
        }

        foreach (var (hash, want) in wanted)
        {
            db.ApiKeys.Add(new ApiKey
            {
                Id = Ids.New(Ids.Key),
                Name = want.Name,
                Hash = hash,
                Prefix = want.Prefix.Length > 0 ? want.Prefix : KeyHasher.PrefixOf(developmentKey!),
                Roles = want.Roles,
                Source = developmentKey is null ? ApiKeySource.Environment : ApiKeySource.Development,
                CreatedAt = now,
            });
        }

        await db.SaveChangesAsync();
        if (developmentKey is null && settings.ApiKeys.Count + settings.AdminApiKeys.Count == 0)
        {
            Log.NoKeys(logger);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(1401, LogLevel.Warning,
            "SECRET_KEY is not set: a secret was {What} at {Path}. Keep that file, or every API key stops working",
            EventName = "GeneratedSecret")]
        public static partial void GeneratedSecret(ILogger logger, string what, string path);

        [LoggerMessage(1402, LogLevel.Warning,
            "No API key is configured. Development key with every role: {Key} (kept in {Path}). "
            + "Set API_KEYS and ADMIN_API_KEYS before going to production",
            EventName = "DevelopmentKey")]
        public static partial void DevelopmentKey(ILogger logger, string key, string path);

        [LoggerMessage(1403, LogLevel.Warning, "No API key is configured; set API_KEYS or ADMIN_API_KEYS",
            EventName = "NoKeys")]
        public static partial void NoKeys(ILogger logger);
    }
}
