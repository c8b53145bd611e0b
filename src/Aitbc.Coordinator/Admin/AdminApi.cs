using System.ComponentModel;
using Aitbc.Coordinator.Auth;
using Aitbc.Coordinator.Common;
using Aitbc.Coordinator.Data;
using Aitbc.Coordinator.Errors;
using Aitbc.Coordinator.Jobs;
using Aitbc.Coordinator.Miners;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;

namespace Aitbc.Coordinator.Admin;

/// <summary>
/// What operators see and steer: statistics, every job and miner, draining and blocking miners, and API keys. Every
/// change is logged with the admin key that made it.
/// </summary>
internal static partial class AdminApi
{
    public static RouteGroupBuilder MapAdmin(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/v1/admin")
            .WithTags("Admin")
            .RequireKeyRole(ApiKeyRoles.Admin);

        group.MapGet("/stats", StatsAsync)
            .WithName("AdminStats")
            .WithSummary("Jobs by state, queue depth, miners, recent throughput and latency percentiles")
            .WithDescription("Percentiles are over the last 15 minutes. No error codes of its own.");
        group.MapGet("/jobs", JobsAsync)
            .WithName("AdminListJobs")
            .WithSummary("Every client's jobs, newest first, with filters")
            .WithDescription("Errors: validation_failed (400).");
        group.MapGet("/miners", MinersAsync)
            .WithName("AdminListMiners")
            .WithSummary("Every miner, newest registration first, with filters")
            .WithDescription("Errors: validation_failed (400).");
        group.MapPost("/miners/{minerId}/drain", DrainAsync)
            .WithName("AdminDrainMiner")
            .WithSummary("Give a miner no new work; it keeps and may finish its leases")
            .WithDescription("Repeating it changes nothing. Errors: miner_not_found (404).");
        group.MapPost("/miners/{minerId}/undrain", UndrainAsync)
            .WithName("AdminUndrainMiner")
            .WithSummary("Let a drained miner take new work again")
            .WithDescription("Errors: miner_not_found (404).");
        group.MapPost("/miners/{minerId}/block", BlockAsync)
            .WithName("AdminBlockMiner")
            .WithSummary("Refuse a miner's key (403 miner_blocked) and put its jobs back in the queue at once")
            .WithDescription("Repeating it changes nothing. Errors: miner_not_found (404).");
        group.MapPost("/miners/{minerId}/unblock", UnblockAsync)
            .WithName("AdminUnblockMiner")
            .WithSummary("Accept a blocked miner's key again")
            .WithDescription("Errors: miner_not_found (404).");
        group.MapPost("/api-keys", CreateKeyAsync)
            .WithName("AdminCreateApiKey")
            .WithSummary("Create an API key with roles and a name; the key is shown only in this answer")
            .WithDescription("Errors: validation_failed (400), malformed_json (400).");
        group.MapGet("/api-keys", KeysAsync)
            .WithName("AdminListApiKeys")
            .WithSummary("API keys, newest first; never the keys themselves")
            .WithDescription("Errors: validation_failed (400).");
        group.MapPost("/api-keys/{keyId}/revoke", RevokeKeyAsync)
            .WithName("AdminRevokeApiKey")
            .WithSummary("Revoke an API key; this process refuses it at once, others within seconds")
            .WithDescription("Revoking a revoked key answers it again. Errors: api_key_not_found (404), "
                + "key_from_configuration (409) for keys from API_KEYS or ADMIN_API_KEYS, which are removed there.");
        return group;
    }

    private static async Task<Ok<AdminStats>> StatsAsync(
        CoordinatorDb db, TimeProvider clock, CancellationToken cancel) =>
        TypedResults.Ok(await AdminStatistics.ReadAsync(db, clock.GetUtcNow().UtcDateTime, cancel));

    private static async Task<Results<Ok<AdminJobPage>, ProblemHttpResult>> JobsAsync(
        CoordinatorDb db,
        [Description("Only jobs in this state.")] string? state,
        [FromQuery(Name = "job_type"), Description("Only jobs of this type.")] string? jobType,
        [FromQuery(Name = "client_id"), Description("Only jobs of this client (a usr_ or key_ id).")] string? clientId,
        [FromQuery(Name = "miner_id"), Description("Only jobs held or last held by this miner.")] string? minerId,
        [Description("Page size, 1 to 200. Default 50.")] int? limit,
        [Description("next_cursor of the previous page.")] string? cursor,
        CancellationToken cancel)
    {
        var errors = new ValidationErrors();
        var wanted = ParseEnum<JobState>(state, "state", errors);
        errors.PageSize(limit);
        var before = errors.Cursor(cursor, Cursor.Decode);

        if (errors.Any)
        {
            return errors.ToProblem();
        }

        var query = db.Jobs.AsNoTracking();
        if (wanted is { } s)
        {
            query = query.Where(j => j.State == s);
        }

        if (jobType is not null)
        {
            query = query.Where(j => j.JobType == jobType);
        }

        if (clientId is not null)
        {
            query = query.Where(j => j.ClientId == clientId);
        }

        if (minerId is not null)
        {
            query = query.Where(j => j.MinerId == minerId);
        }

        if (before is { } b)
        {
            query = query.Where(j => j.Seq < b);
        }

        var size = limit ?? 50;
        var page = await query.OrderByDescending(j => j.Seq).Take(size + 1).ToListAsync(cancel);
        var next = page.Count > size ? Cursor.Encode(page[size - 1].Seq) : null;
        return TypedResults.Ok(new AdminJobPage([.. page.Take(size).Select(AdminJob.Of)], next));
    }

    private static async Task<Results<Ok<AdminMinerPage>, ProblemHttpResult>> MinersAsync(
        CoordinatorDb db,
        [Description("Only miners with this status: online, draining or offline.")] string? status,
        [Description("Only blocked (true) or unblocked (false) miners.")] bool? blocked,
        [Description("Page size, 1 to 200. Default 50.")] int? limit,
        [Description("next_cursor of the previous page.")] string? cursor,
        CancellationToken cancel)
    {
        var errors = new ValidationErrors();
        var wanted = ParseEnum<MinerStatus>(status, "status", errors);
        errors.PageSize(limit);
        var after = errors.Cursor(cursor, AdminCursor.Decode);

        if (errors.Any)
        {
            return errors.ToProblem();
        }

        var query = db.Miners.AsNoTracking();
        if (wanted is { } s)
        {
            query = query.Where(m => m.Status == s);
        }

        if (blocked is { } b)
        {
            query = query.Where(m => m.Blocked == b);
        }

        if (after is var (at, id))
        {
            query = query.Where(m => m.RegisteredAt < at || (m.RegisteredAt == at && string.Compare(m.Id, id) < 0));
        }

        var size = limit ?? 50;
        var page = await query.OrderByDescending(m => m.RegisteredAt).ThenByDescending(m => m.Id)
            .Take(size + 1)
            .ToListAsync(cancel);
        var ids = page.Take(size).Select(m => m.Id).ToList();
        var running = await db.Jobs.AsNoTracking()
            .Where(j => j.State == JobState.Running && ids.Contains(j.MinerId!))
            .GroupBy(j => j.MinerId!)
            .Select(g => new { MinerId = g.Key, Count = g.Count() })
            .ToDictionaryAsync(g => g.MinerId, g => g.Count, cancel);
        var next = page.Count > size ? AdminCursor.Encode(page[size - 1].RegisteredAt, page[size - 1].Id) : null;
        return TypedResults.Ok(new AdminMinerPage(
            [.. page.Take(size).Select(m => AdminMiner.Of(m, running.GetValueOrDefault(m.Id)))], next));
    }

    private enum MinerAction
    {
        Drain,
        Undrain,
        Unblock,
    }

    private static Task<Results<Ok<AdminMiner>, ProblemHttpResult>> DrainAsync(
        string minerId, Caller caller, DbWriter writer, ILoggerFactory logs) =>
        ChangeMinerAsync(minerId, caller, writer, logs, MinerAction.Drain, keys: null);

    private static Task<Results<Ok<AdminMiner>, ProblemHttpResult>> UndrainAsync(
        string minerId, Caller caller, DbWriter writer, ILoggerFactory logs) =>
        ChangeMinerAsync(minerId, caller, writer, logs, MinerAction.Undrain, keys: null);

    private static Task<Results<Ok<AdminMiner>, ProblemHttpResult>> UnblockAsync(
        string minerId, Caller caller, DbWriter writer, ILoggerFactory logs, ApiKeyStore keys) =>
        ChangeMinerAsync(minerId, caller, writer, logs, MinerAction.Unblock, keys);

    private static async Task<Results<Ok<AdminMiner>, ProblemHttpResult>> ChangeMinerAsync(
        string minerId, Caller caller, DbWriter writer, ILoggerFactory logs, MinerAction action, ApiKeyStore? keys)
    {
        var miner = await writer.ExecuteAsync(async scope =>
        {
            var target = scope.Db.Miners.Where(m => m.Id == minerId);
            var updated = action switch
            {
                MinerAction.Drain => await target.ExecuteUpdateAsync(set => set
                    .SetProperty(m => m.DrainedByOperator, true)
                    .SetProperty(m => m.Status, m => m.Status == MinerStatus.Online ? MinerStatus.Draining : m.Status)),
                MinerAction.Undrain => await target.ExecuteUpdateAsync(set => set
                    .SetProperty(m => m.DrainedByOperator, false)
                    .SetProperty(m => m.Status, m => m.Status == MinerStatus.Draining ? MinerStatus.Online : m.Status)),
                _ => await target.ExecuteUpdateAsync(set => set.SetProperty(m => m.Blocked, false)),
            };
            return updated == 0 ? null : await ReadMinerAsync(scope.Db, minerId);
        });
        if (miner is null)
        {
            return MinerNotFound(minerId);
        }

        var logger = logs.CreateLogger(typeof(AdminApi));
        switch (action)
        {
            case MinerAction.Drain:
                Log.MinerDrained(logger, caller.KeyId, minerId);
                break;
            case MinerAction.Undrain:
                Log.MinerUndrained(logger, caller.KeyId, minerId);
                break;
            default:
                // Cached answers for the key would go on refusing it for a few seconds.
                keys?.Invalidate(miner.ApiKeyId);
                Log.MinerUnblocked(logger, caller.KeyId, minerId);
                break;
        }

        return TypedResults.Ok(miner);
    }

    private static async Task<Results<Ok<AdminMiner>, ProblemHttpResult>> BlockAsync(
        string minerId, Caller caller, DbWriter writer, JobLifecycle lifecycle, ApiKeyStore keys, ILoggerFactory logs)
    {
        var outcome = await writer.ExecuteAsync(async scope =>
        {
            var updated = await scope.Db.Miners.Where(m => m.Id == minerId)
                .ExecuteUpdateAsync(set => set.SetProperty(m => m.Blocked, true));
            if (updated == 0)
            {
                return null;
            }

            // In the same transaction as the block: no window in which the miner is blocked but holds work.
            var released = await lifecycle.ReleaseMinerLeasesAsync(scope, minerId);
            var miner = await ReadMinerAsync(scope.Db, minerId);
            scope.OnCommitted(() => keys.Invalidate(miner.ApiKeyId));
            return new { Miner = miner, Released = released };
        });
        if (outcome is null)
        {
            return MinerNotFound(minerId);
        }

        Log.MinerBlocked(logs.CreateLogger(typeof(AdminApi)), caller.KeyId, minerId, outcome.Released);
        return TypedResults.Ok(outcome.Miner);
    }

    private static async Task<AdminMiner> ReadMinerAsync(CoordinatorDb db, string minerId)
    {
        var miner = await db.Miners.AsNoTracking().FirstAsync(m => m.Id == minerId);
        var running = await db.Jobs.CountAsync(j => j.State == JobState.Running && j.MinerId == minerId);
        return AdminMiner.Of(miner, running);
    }

    private static async Task<Results<Created<CreatedApiKey>, ProblemHttpResult>> CreateKeyAsync(
        CreateApiKeyRequest request, Caller caller, KeyHasher hasher, DbWriter writer, ILoggerFactory logs)
    {
        var errors = new ValidationErrors();
        var name = request.Name?.Trim() ?? "";
        if (name.Length is 0 or > 100 || name.Any(char.IsControl))
        {
            errors.Add("name", "Give 1 to 100 characters without control characters.");
        }

        var roles = ApiKeyRoles.None;
        foreach (var role in request.Roles ?? [])
        {
            if (role is "client" or "miner" or "admin")
            {
                roles |= Enum.Parse<ApiKeyRoles>(role, ignoreCase: true);
            }
            else
            {
                errors.Add("roles", $"'{Truncate(role)}' is not a role; use client, miner or admin.");
            }
        }

        if (roles == ApiKeyRoles.None && !errors.Any)
        {
            errors.Add("roles", "Give at least one of client, miner and admin.");
        }

        if (errors.Any)
        {
            return errors.ToProblem();
        }

        var secret = KeyHasher.NewApiKey();
        var key = await writer.ExecuteAsync(async scope =>
        {
            var key = new ApiKey
            {
                Id = Ids.New(Ids.Key),
                Name = name,
                Hash = hasher.Hash(secret),
                Prefix = KeyHasher.PrefixOf(secret),
                Roles = roles,
                Source = ApiKeySource.Admin,
                CreatedBy = caller.KeyId,
                CreatedAt = scope.Now,
            };
            scope.Db.ApiKeys.Add(key);
            await scope.Db.SaveChangesAsync();
            return key;
        });

        // The key itself goes to the caller alone; the log names only its id.
        Log.KeyCreated(logs.CreateLogger(typeof(AdminApi)), caller.KeyId, key.Id, string.Join(',',
            ApiKeyView.RoleNames(roles)));
        var view = ApiKeyView.Of(key);
        return TypedResults.Created($"/v1/admin/api-keys/{key.Id}", new CreatedApiKey
        {
            KeyId = view.KeyId,
            Name = view.Name,
            Roles = view.Roles,
            Prefix = view.Prefix,
            Source = view.Source,
            CreatedBy = view.CreatedBy,
            CreatedAt = view.CreatedAt,
            Key = secret,
        });
    }

    private static async Task<Results<Ok<ApiKeyPage>, ProblemHttpResult>> KeysAsync(
        CoordinatorDb db,
        [FromQuery(Name = "include_revoked"), Description("Also list revoked keys. Default false.")]
        bool? includeRevoked,
        [Description("Only keys with this role: client, miner or admin.")] string? role,
        [FromQuery(Name = "user_id"), Description("Only the keys of this user.")] string? userId,
        [Description("Page size, 1 to 200. Default 50.")] int? limit,
        [Description("next_cursor of the previous page.")] string? cursor,
        CancellationToken cancel)
    {
        var errors = new ValidationErrors();
        var wanted = role switch
        {
            null => ApiKeyRoles.None,
            "client" or "miner" or "admin" => Enum.Parse<ApiKeyRoles>(role, ignoreCase: true),
            _ => (ApiKeyRoles?)null,
        };
        if (wanted is null)
        {
            errors.Add("role", "Must be client, miner or admin.");
        }

        errors.PageSize(limit);
        var after = errors.Cursor(cursor, AdminCursor.Decode);

        if (errors.Any)
        {
            return errors.ToProblem();
        }

        var query = db.ApiKeys.AsNoTracking();
        if (includeRevoked != true)
        {
            query = query.Where(k => k.RevokedAt == null);
        }

        if (wanted is { } r and not ApiKeyRoles.None)
        {
            query = query.Where(k => (k.Roles & r) == r);
        }

        if (userId is not null)
        {
            query = query.Where(k => k.UserId == userId);
        }

        if (after is var (at, id))
        {
            query = query.Where(k => k.CreatedAt < at || (k.CreatedAt == at && string.Compare(k.Id, id) < 0));
        }

        var size = limit ?? 50;
        var page = await query.OrderByDescending(k => k.CreatedAt).ThenByDescending(k => k.Id)
            .Take(size + 1)
            .ToListAsync(cancel);
        var next = page.Count > size ? AdminCursor.Encode(page[size - 1].CreatedAt, page[size - 1].Id) : null;
        return TypedResults.Ok(new ApiKeyPage([.. page.Take(size).Select(ApiKeyView.Of)], next));
    }

    private static async Task<Results<Ok<ApiKeyView>, ProblemHttpResult>> RevokeKeyAsync(
        string keyId, Caller caller, DbWriter writer, ApiKeyStore keys, ILoggerFactory logs)
    {
        var key = await writer.ExecuteAsync(async scope =>
        {
            var found = await scope.Db.ApiKeys.AsNoTracking().FirstOrDefaultAsync(k => k.Id == keyId);
            if (found is null || found.Source is ApiKeySource.Environment or ApiKeySource.Development)
            {
                return found;
            }

            var revoked = await scope.Db.ApiKeys.Where(k => k.Id == keyId && k.RevokedAt == null)
                .ExecuteUpdateAsync(set => set.SetProperty(k => k.RevokedAt, scope.Now));
            if (revoked == 1)
            {
                scope.OnCommitted(() => keys.Invalidate(keyId));
            }

            return await scope.Db.ApiKeys.AsNoTracking().FirstAsync(k => k.Id == keyId);
        });
        if (key is null)
        {
            return Problems.NotFound("api_key_not_found", $"There is no API key {keyId}.");
        }

        if (key.Source is ApiKeySource.Environment or ApiKeySource.Development)
        {
            return Problems.Conflict("key_from_configuration", "This key comes from API_KEYS or ADMIN_API_KEYS (or "
                + "is the development key); remove it there and restart, or it would come back at the next start.");
        }

        Log.KeyRevoked(logs.CreateLogger(typeof(AdminApi)), caller.KeyId, keyId);
        return TypedResults.Ok(ApiKeyView.Of(key));
    }

    private static T? ParseEnum<T>(string? value, string field, ValidationErrors errors) where T : struct, Enum
    {
        if (value is null)
        {
            return null;
        }

        if (Enum.TryParse<T>(value, ignoreCase: true, out var parsed) && !value.Any(char.IsDigit))
        {
            return parsed;
        }

        errors.Add(field, $"Must be one of {string.Join(", ", Enum.GetNames<T>().Select(n => n.ToLowerInvariant()))}.");
        return null;
    }

    private static string Truncate(string? value) =>
        value is null ? "null" : value.Length > 20 ? value[..20] + "…" : value;

    private static ProblemHttpResult MinerNotFound(string minerId) =>
        Problems.NotFound("miner_not_found", $"There is no miner {minerId}.");

    private static partial class Log
    {
        [LoggerMessage(6010, LogLevel.Information, "Admin {AdminKeyId} drained miner {MinerId}",
            EventName = "AdminMinerDrained")]
        public static partial void MinerDrained(ILogger logger, string adminKeyId, string minerId);

        [LoggerMessage(6011, LogLevel.Information, "Admin {AdminKeyId} undrained miner {MinerId}",
            EventName = "AdminMinerUndrained")]
        public static partial void MinerUndrained(ILogger logger, string adminKeyId, string minerId);

        [LoggerMessage(6012, LogLevel.Warning,
            "Admin {AdminKeyId} blocked miner {MinerId}; {Released} of its jobs went back to the queue",
            EventName = "AdminMinerBlocked")]
        public static partial void MinerBlocked(ILogger logger, string adminKeyId, string minerId, int released);

        [LoggerMessage(6013, LogLevel.Information, "Admin {AdminKeyId} unblocked miner {MinerId}",
            EventName = "AdminMinerUnblocked")]
        public static partial void MinerUnblocked(ILogger logger, string adminKeyId, string minerId);

        [LoggerMessage(6014, LogLevel.Information, "Admin {AdminKeyId} created API key {KeyId} with roles {Roles}",
            EventName = "AdminKeyCreated")]
        public static partial void KeyCreated(ILogger logger, string adminKeyId, string keyId, string roles);

        [LoggerMessage(6015, LogLevel.Warning, "Admin {AdminKeyId} revoked API key {KeyId}",
            EventName = "AdminKeyRevoked")]
        public static partial void KeyRevoked(ILogger logger, string adminKeyId, string keyId);
    }
}
