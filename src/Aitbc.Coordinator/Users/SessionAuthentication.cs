using System.Security.Claims;
using System.Text.Encodings.Web;
using Aitbc.Coordinator.Auth;
using Aitbc.Coordinator.Data;
using Aitbc.Coordinator.Errors;
using Microsoft.AspNetCore.Authentication;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Aitbc.Coordinator.Users;

/// <summary>The user behind an <c>X-Session-Token</c>, resolved by <see cref="SessionAuthentication"/>.</summary>
internal sealed record SessionUser(string UserId, string SessionId)
{
    public static ValueTask<SessionUser?> BindAsync(HttpContext context) =>
        ValueTask.FromResult(context.Items[typeof(SessionUser)] as SessionUser);
}

/// <summary>
/// Authenticates <c>X-Session-Token</c>, from the header only. Every request reads the session row (by its unique
/// hash), so a logout or an expiry takes effect at once in every process.
/// </summary>
internal sealed class SessionAuthentication(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory loggerFactory,
    UrlEncoder encoder,
    KeyHasher hasher,
    IDbContextFactory<CoordinatorDb> contexts,
    TimeProvider clock,
    IProblemDetailsService problems)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, loggerFactory, encoder)
{
    public const string SchemeName = "Session";
    public const string Header = "X-Session-Token";
    public const string Role = "user";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (!Request.Headers.TryGetValue(Header, out var values) || string.IsNullOrEmpty(values.ToString()))
        {
            return AuthenticateResult.NoResult();
        }

        var presented = values.ToString();
        if (!SessionTokens.IsWellFormed(presented))
        {
            return AuthenticateResult.Fail("The session token is not valid.");
        }

        var hash = hasher.Hash(presented);
        var now = clock.GetUtcNow().UtcDateTime;
        await using var db = await contexts.CreateDbContextAsync(Context.RequestAborted);
        var session = await db.UserSessions.AsNoTracking()
            .Where(s => s.TokenHash == hash && s.RevokedAt == null && s.ExpiresAt > now)
            .Select(s => new { s.Id, s.UserId, s.TokenHash })
            .FirstOrDefaultAsync(Context.RequestAborted);
        if (session is null || !KeyHasher.SameHash(session.TokenHash, hash))
        {
            return AuthenticateResult.Fail("The session token is not valid.");
        }

        Context.Items[typeof(SessionUser)] = new SessionUser(session.UserId, session.Id);
        var identity = new ClaimsIdentity(
            [new Claim(ClaimTypes.NameIdentifier, session.UserId), new Claim(ClaimTypes.Role, Role)], SchemeName);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var presented = Request.Headers.ContainsKey(Header);
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        Response.Headers.WWWAuthenticate = $"{SchemeName} header=\"{Header}\"";
        await problems.WriteAsync(new ProblemDetailsContext
        {
            HttpContext = Context,
            ProblemDetails =
            {
                Status = 401,
                Type = Problems.TypeFor(presented ? "invalid_session" : "missing_credentials"),
                Detail = presented
                    ? "The session token is not valid, has expired or was logged out; log in again."
                    : $"This endpoint needs a session token in the {Header} header; get one from /v1/users/login.",
                Extensions = { ["code"] = presented ? "invalid_session" : "missing_credentials" },
            },
        });
    }
}

internal static class SessionTokens
{
    /// <summary>32 random bytes as 64 lowercase hex characters.</summary>
    public static string New() => StateFiles.RandomHex(32);

    public static bool IsWellFormed(string token) => token.Length == 64 && token.All(char.IsAsciiHexDigit);
}

internal static class UserAuthSetup
{
    /// <summary>Routes a user reaches with a session only.</summary>
    public const string User = "user";

    /// <summary>Routes about one user that the user (session) or an operator (admin API key) may read.</summary>
    public const string UserOrAdmin = "user_or_admin";

    private const string SessionOrApiKey = "SessionOrApiKey";

    /// <summary>
    /// Adds the session scheme beside the API key one. Owner-or-admin routes pick the scheme by header: an
    /// <c>X-Api-Key</c> is judged as a key (admin role needed), anything else as a session.
    /// </summary>
    public static IServiceCollection AddUserAuth(this IServiceCollection services)
    {
        services.AddAuthentication()
            .AddScheme<AuthenticationSchemeOptions, SessionAuthentication>(SessionAuthentication.SchemeName, null)
            .AddPolicyScheme(SessionOrApiKey, null, o => o.ForwardDefaultSelector = context =>
                context.Request.Headers.ContainsKey(ApiKeyAuthentication.Header)
                    ? ApiKeyAuthentication.SchemeName
                    : SessionAuthentication.SchemeName);
        services.AddAuthorizationBuilder()
            .AddPolicy(User, p => p.AddAuthenticationSchemes(SessionAuthentication.SchemeName)
                .RequireRole(SessionAuthentication.Role))
            .AddPolicy(UserOrAdmin, p => p.AddAuthenticationSchemes(SessionOrApiKey)
                .RequireRole(SessionAuthentication.Role, AuthSetup.Admin));
        return services;
    }
}
