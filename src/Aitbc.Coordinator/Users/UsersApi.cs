using System.ComponentModel;
using Aitbc.Coordinator.Auth;
using Aitbc.Coordinator.Common;
using Aitbc.Coordinator.Configuration;
using Aitbc.Coordinator.Data;
using Aitbc.Coordinator.Errors;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace Aitbc.Coordinator.Users;

/// <summary>
/// Wallet login, sessions, the user's money and keys. Routes about the caller take a session only; the balance and
/// transactions of a user also take an admin API key. Anyone else asking about a user gets 404.
/// </summary>
internal static partial class UsersApi
{
    public static readonly TimeSpan ChallengeLifetime = TimeSpan.FromMinutes(5);
    private const int MaxKeysPerUser = 20;

    public static RouteGroupBuilder MapUsers(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/v1/users").WithTags("Users");

        group.MapPost("/login/challenge", ChallengeAsync)
            .WithName("LoginChallenge")
            .WithSummary("A message for the wallet to sign, valid 5 minutes and once")
            .WithDescription("Errors: validation_failed, invalid_wallet_address (400).");
        group.MapPost("/login", LoginAsync)
            .WithName("Login")
            .WithSummary("Log in (registering an unknown wallet) with a signed challenge")
            .WithDescription("Errors: invalid_wallet_address, malformed_signature (400); unknown_challenge, "
                + "invalid_signature, challenge_used, challenge_expired (401).");
        group.MapPost("/logout", LogoutAsync)
            .WithName("Logout")
            .WithSummary("Revoke the session token")
            .WithDescription("Errors: missing_credentials, invalid_session (401).")
            .RequireAuthorization(UserAuthSetup.User);
        group.MapGet("/me", MeAsync)
            .WithName("CurrentUser")
            .WithSummary("The logged-in user")
            .WithDescription("Errors: missing_credentials, invalid_session (401).")
            .RequireAuthorization(UserAuthSetup.User);
        group.MapGet("/{userId}/balance", BalanceAsync)
            .WithName("UserBalance")
            .WithSummary("A user's balance, held and available AITBC (the user's session or an admin key)")
            .WithDescription("Errors: user_not_found (404) for anyone but the user and admins.")
            .RequireAuthorization(UserAuthSetup.UserOrAdmin);
        group.MapGet("/{userId}/transactions", TransactionsAsync)
            .WithName("UserTransactions")
            .WithSummary("A user's ledger entries, newest first (the user's session or an admin key)")
            .WithDescription("Errors: validation_failed (400), user_not_found (404).")
            .RequireAuthorization(UserAuthSetup.UserOrAdmin);

        var keys = group.MapGroup("/api-keys").RequireAuthorization(UserAuthSetup.User);
        keys.MapPost("/", CreateKeyAsync)
            .WithName("CreateUserApiKey")
            .WithSummary("Create a client API key billed to the user; the key is shown only in this answer")
            .WithDescription("Errors: validation_failed (400), too_many_api_keys (409).");
        keys.MapGet("/", ListKeysAsync)
            .WithName("ListUserApiKeys")
            .WithSummary("The user's live API keys (never the keys themselves)");
        keys.MapDelete("/{keyId}", RevokeKeyAsync)
            .WithName("RevokeUserApiKey")
            .WithSummary("Revoke one of the user's API keys, at once")
            .WithDescription("Errors: api_key_not_found (404).");
        return group;
    }

    private static async Task<Results<Ok<ChallengeView>, ProblemHttpResult>> ChallengeAsync(
        ChallengeRequest request, WalletSignatures wallets, DbWriter writer, CoordinatorSettings settings)
    {
        var address = wallets.Canonical(request.WalletAddress);
        if (address is null)
        {
            return InvalidAddress(settings);
        }

        // Anonymous, so the rate limiter counts these per client address (Operations/EdgeProtection.cs).
        var nonce = StateFiles.RandomHex(16);
        var challenge = await writer.ExecuteAsync(async scope =>
        {
            // Spent and stale challenges are of no further use; clearing a few keeps the table small.
            await scope.Db.LoginChallenges.Where(c => c.ExpiresAt < scope.Now).Take(100).ExecuteDeleteAsync();
            var issued = new LoginChallenge
            {
                Nonce = nonce,
                WalletAddress = address,
                IssuedAt = scope.Now,
                ExpiresAt = scope.Now + ChallengeLifetime,
                Message = string.Join('\n',
                    "AITBC Coordinator login",
                    $"Address: {address}",
                    $"Nonce: {nonce}",
                    $"Issued at: {Json.FormatTime(scope.Now)}",
                    $"Expires at: {Json.FormatTime(scope.Now + ChallengeLifetime)}"),
            };
            scope.Db.LoginChallenges.Add(issued);
            await scope.Db.SaveChangesAsync();
            return issued;
        });
        return TypedResults.Ok(new ChallengeView(challenge.Message, challenge.Nonce, challenge.ExpiresAt));
    }

    private static async Task<Results<Ok<LoginView>, ProblemHttpResult>> LoginAsync(
        LoginRequest request,
        WalletSignatures wallets,
        CoordinatorDb db,
        DbWriter writer,
        KeyHasher hasher,
        CoordinatorSettings settings,
        TimeProvider clock,
        ILogger<User> logger,
        CancellationToken cancel)
    {
        var address = wallets.Canonical(request.WalletAddress);
        if (address is null)
        {
            return InvalidAddress(settings);
        }

        var signature = WalletSignatures.Decode(request.Signature);
        if (signature is null)
        {
            return Problems.BadRequest("malformed_signature",
                "signature must be a base64 Bitcoin message signature of 65 bytes, as signmessage makes it.");
        }

        var nonce = NonceOf(request.Message);
        var challenge = nonce is null || request.Message.Length > 1024
            ? null
            : await db.LoginChallenges.AsNoTracking().FirstOrDefaultAsync(c => c.Nonce == nonce, cancel);
        if (challenge is null || challenge.WalletAddress != address || challenge.Message != request.Message)
        {
            return Unauthorized("unknown_challenge",
                "This message is not a challenge issued to this address; get one from /v1/users/login/challenge.");
        }

        if (!wallets.Verify(address, request.Message, signature))
        {
            Log.BadSignature(logger, address);
            return Unauthorized("invalid_signature", "The signature was not made by the key of this address.");
        }

        if (challenge.ConsumedAt is not null)
        {
            return ChallengeUsed();
        }

        if (challenge.ExpiresAt <= clock.GetUtcNow().UtcDateTime)
        {
            return ChallengeExpired();
        }

        var token = SessionTokens.New();
        var outcome = await writer.ExecuteAsync(async scope =>
        {
            // The guard makes the nonce single-use even when the same signed message arrives twice at once.
            var consumed = await scope.Db.LoginChallenges
                .Where(c => c.Nonce == challenge.Nonce && c.ConsumedAt == null && c.ExpiresAt > scope.Now)
                .ExecuteUpdateAsync(set => set.SetProperty(c => c.ConsumedAt, scope.Now));
            if (consumed == 0)
            {
                return null;
            }

            var (user, created) = await UserDirectory.FindOrCreateAsync(scope, address);
            var session = new UserSession
            {
                Id = Ids.New("ses"),
                UserId = user.Id,
                TokenHash = hasher.Hash(token),
                CreatedAt = scope.Now,
                ExpiresAt = scope.Now + settings.SessionTtl,
            };
            scope.Db.UserSessions.Add(session);
            await scope.Db.SaveChangesAsync();
            return new LoginView(user.Id, user.WalletAddress, token, session.ExpiresAt, created);
        });
        if (outcome is null)
        {
            var now = clock.GetUtcNow().UtcDateTime;
            return challenge.ExpiresAt <= now ? ChallengeExpired() : ChallengeUsed();
        }

        Log.LoggedIn(logger, outcome.UserId, outcome.Created);
        return TypedResults.Ok(outcome);
    }

    private static async Task<NoContent> LogoutAsync(SessionUser session, DbWriter writer)
    {
        await writer.ExecuteAsync(scope => scope.Db.UserSessions
            .Where(s => s.Id == session.SessionId && s.RevokedAt == null)
            .ExecuteUpdateAsync(set => set.SetProperty(s => s.RevokedAt, scope.Now)));
        return TypedResults.NoContent();
    }

    private static async Task<Results<Ok<UserView>, ProblemHttpResult>> MeAsync(
        SessionUser session, CoordinatorDb db, CancellationToken cancel)
    {
        var user = await db.Users.AsNoTracking().FirstOrDefaultAsync(u => u.Id == session.UserId, cancel);
        return user is null
            ? UserNotFound(session.UserId)
            : TypedResults.Ok(new UserView(user.Id, user.WalletAddress, user.CreatedAt));
    }

    private static async Task<Results<Ok<BalanceView>, ProblemHttpResult>> BalanceAsync(
        string userId, HttpContext http, CoordinatorDb db, CancellationToken cancel)
    {
        if (!await MaySeeAsync(http, db, userId, cancel))
        {
            return UserNotFound(userId);
        }

        var account = await db.LedgerAccounts.AsNoTracking()
            .Where(a => a.UserId == userId)
            .Select(a => new { a.Balance, a.Held })
            .FirstOrDefaultAsync(cancel);
        var balance = account?.Balance ?? 0;
        var held = account?.Held ?? 0;
        return TypedResults.Ok(new BalanceView(
            userId, new AitbcAmount(balance), new AitbcAmount(held), new AitbcAmount(balance - held)));
    }

    private static async Task<Results<Ok<TransactionPage>, ProblemHttpResult>> TransactionsAsync(
        string userId,
        HttpContext http,
        CoordinatorDb db,
        [Description("Page size, 1 to 200. Default 50.")] int? limit,
        [Description("next_cursor of the previous page.")] string? cursor,
        CancellationToken cancel)
    {
        if (!await MaySeeAsync(http, db, userId, cancel))
        {
            return UserNotFound(userId);
        }

        var errors = new ValidationErrors();
        errors.PageSize(limit);

        var before = errors.Cursor(cursor, Cursor.Decode);

        if (errors.Any)
        {
            return errors.ToProblem();
        }

        var size = limit ?? 50;
        var query = from p in db.LedgerPostings
                    join a in db.LedgerAccounts on p.AccountId equals a.Id
                    join t in db.LedgerTransactions on p.TransactionId equals t.Id
                    where a.UserId == userId
                    select new { p.Id, t, p.Amount };
        if (before is { } b)
        {
            query = query.Where(x => x.Id < b);
        }

        var page = await query.AsNoTracking().OrderByDescending(x => x.Id).Take(size + 1).ToListAsync(cancel);
        var items = page.Take(size)
            .Select(x => new TransactionView(
                x.t.Id, x.t.Kind, new AitbcAmount(x.Amount), x.t.JobId, x.t.Reason, x.t.CreatedAt))
            .ToList();
        return TypedResults.Ok(new TransactionPage(items, page.Count > size ? Cursor.Encode(page[size - 1].Id) : null));
    }

    private static async Task<Results<Created<CreatedKeyView>, ProblemHttpResult>> CreateKeyAsync(
        CreateKeyRequest? request, SessionUser session, DbWriter writer, KeyHasher hasher)
    {
        var name = request?.Name?.Trim();
        if (name is { Length: 0 or > 100 })
        {
            var errors = new ValidationErrors();
            errors.Add("name", "Must be 1 to 100 characters.");
            return errors.ToProblem();
        }

        var secret = KeyHasher.NewApiKey();
        var key = await writer.ExecuteAsync(async scope =>
        {
            var live = await scope.Db.ApiKeys.CountAsync(k => k.UserId == session.UserId && k.RevokedAt == null);
            if (live >= MaxKeysPerUser)
            {
                return null;
            }

            var created = new ApiKey
            {
                Id = Ids.New(Ids.Key),
                Name = name ?? "user key",
                Hash = hasher.Hash(secret),
                Prefix = KeyHasher.PrefixOf(secret),
                Roles = ApiKeyRoles.Client,
                Source = ApiKeySource.User,
                UserId = session.UserId,
                CreatedBy = session.UserId,
                CreatedAt = scope.Now,
            };
            scope.Db.ApiKeys.Add(created);
            await scope.Db.SaveChangesAsync();
            return created;
        });
        if (key is null)
        {
            return Problems.Conflict("too_many_api_keys",
                $"A user may have at most {MaxKeysPerUser} live API keys; revoke one first.");
        }

        return TypedResults.Created($"/v1/users/api-keys/{key.Id}",
            new CreatedKeyView(key.Id, key.Name, key.Prefix, secret, key.CreatedAt));
    }

    private static async Task<Ok<KeyList>> ListKeysAsync(
        SessionUser session, CoordinatorDb db, CancellationToken cancel)
    {
        var keys = await db.ApiKeys.AsNoTracking()
            .Where(k => k.UserId == session.UserId && k.RevokedAt == null)
            .OrderBy(k => k.CreatedAt)
            .Select(k => new KeyView(k.Id, k.Name, k.Prefix, k.CreatedAt, k.LastUsedAt))
            .ToListAsync(cancel);
        return TypedResults.Ok(new KeyList(keys));
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> RevokeKeyAsync(
        string keyId, SessionUser session, DbWriter writer, ApiKeyStore store)
    {
        var revoked = await writer.ExecuteAsync(async scope =>
        {
            var count = await scope.Db.ApiKeys
                .Where(k => k.Id == keyId && k.UserId == session.UserId && k.RevokedAt == null)
                .ExecuteUpdateAsync(set => set.SetProperty(k => k.RevokedAt, scope.Now));
            scope.OnCommitted(() => store.Invalidate(keyId));
            return count;
        });
        return revoked == 1
            ? TypedResults.NoContent()
            : Problems.NotFound("api_key_not_found", $"There is no live API key {keyId} of yours.");
    }

    /// <summary>The user themself (by session) or an admin key; for anyone else the user does not exist.</summary>
    private static async Task<bool> MaySeeAsync(
        HttpContext http, CoordinatorDb db, string userId, CancellationToken cancel)
    {
        if (http.Items[typeof(SessionUser)] is SessionUser session)
        {
            return session.UserId == userId;
        }

        return http.Items[typeof(Caller)] is Caller caller && caller.Has(ApiKeyRoles.Admin)
            && await db.Users.AnyAsync(u => u.Id == userId, cancel);
    }

    private static string? NonceOf(string? message)
    {
        const string Prefix = "Nonce: ";
        var line = message?.Split('\n').FirstOrDefault(l => l.StartsWith(Prefix, StringComparison.Ordinal));
        var nonce = line?[Prefix.Length..];
        return nonce is { Length: 32 } && nonce.All(char.IsAsciiHexDigitLower) ? nonce : null;
    }

    private static ProblemHttpResult InvalidAddress(CoordinatorSettings settings) =>
        Problems.BadRequest("invalid_wallet_address",
            $"wallet_address must be a P2PKH, P2SH-P2WPKH or P2WPKH address of {settings.BitcoinNetwork}.");

    private static ProblemHttpResult Unauthorized(string code, string detail) => Problems.Create(401, code, detail);

    private static ProblemHttpResult ChallengeUsed() =>
        Unauthorized("challenge_used", "This challenge was already used to log in; get a new one.");

    private static ProblemHttpResult ChallengeExpired() =>
        Unauthorized("challenge_expired", "This challenge has expired; get a new one and sign within 5 minutes.");

    private static ProblemHttpResult UserNotFound(string userId) =>
        Problems.NotFound("user_not_found", $"There is no user {userId} you may see.");

    private static partial class Log
    {
        [LoggerMessage(4001, LogLevel.Information, "User {UserId} logged in (new: {Created})", EventName = "LoggedIn")]
        public static partial void LoggedIn(ILogger logger, string userId, bool created);

        [LoggerMessage(4002, LogLevel.Information, "A login for {WalletAddress} had a wrong signature",
            EventName = "BadSignature")]
        public static partial void BadSignature(ILogger logger, string walletAddress);
    }
}
