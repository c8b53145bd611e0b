using System.Security.Claims;
using System.Text.Encodings.Web;
using Aitbc.Coordinator.Errors;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace Aitbc.Coordinator.Auth;

/// <summary>Authenticates <c>X-Api-Key</c> and answers refusals as problem details.</summary>
internal sealed class ApiKeyAuthentication(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory loggerFactory,
    UrlEncoder encoder,
    ApiKeyStore keys,
    IProblemDetailsService problems)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, loggerFactory, encoder)
{
    public const string SchemeName = "ApiKey";
    public const string Header = "X-Api-Key";
    private static readonly object BlockedMarker = new();

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (!Request.Headers.TryGetValue(Header, out var values) || string.IsNullOrEmpty(values.ToString()))
        {
            return AuthenticateResult.NoResult();
        }

        var presented = values.ToString();
        if (presented.Length > 200)
        {
            return AuthenticateResult.Fail("The API key is not valid.");
        }

        var caller = await keys.FindAsync(presented, Context.RequestAborted);
        if (caller is null)
        {
            return AuthenticateResult.Fail("The API key is not valid.");
        }

        if (caller.Blocked)
        {
            Context.Items[BlockedMarker] = caller.KeyId;
            return AuthenticateResult.Fail("The key's miner is blocked.");
        }

        Context.Items[typeof(Caller)] = caller;
        var claims = new List<Claim> { new(ClaimTypes.NameIdentifier, caller.KeyId) };
        foreach (var role in Enum.GetValues<ApiKeyRoles>())
        {
            if (role != ApiKeyRoles.None && caller.Has(role))
            {
                claims.Add(new Claim(ClaimTypes.Role, role.ToString().ToLowerInvariant()));
            }
        }

        var identity = new ClaimsIdentity(claims, SchemeName);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        if (Context.Items.ContainsKey(BlockedMarker))
        {
            // A known key whose miner an operator blocked: not a bad credential, so 403 and no challenge.
            Response.StatusCode = StatusCodes.Status403Forbidden;
            await WriteAsync(403, "miner_blocked", "An operator blocked the miner of this API key.");
            return;
        }

        var presented = Request.Headers.ContainsKey(Header);
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        Response.Headers.WWWAuthenticate = $"{SchemeName} header=\"{Header}\"";
        await WriteAsync(
            401,
            presented ? "invalid_api_key" : "missing_credentials",
            presented
                ? "The API key is not valid or has been revoked."
                : $"This endpoint needs an API key in the {Header} header.");
    }

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties)
    {
        var needed = Context.GetEndpoint()?.Metadata.GetMetadata<RequiredRole>()?.Role.ToString().ToLowerInvariant();
        Response.StatusCode = StatusCodes.Status403Forbidden;
        return WriteAsync(
            403,
            "forbidden",
            needed is null
                ? "This key may not use this endpoint."
                : $"This endpoint needs a key with the {needed} role.");
    }

    private async Task WriteAsync(int status, string code, string detail) =>
        await problems.WriteAsync(new ProblemDetailsContext
        {
            HttpContext = Context,
            ProblemDetails =
            {
                Status = status,
                Type = Problems.TypeFor(code),
                Detail = detail,
                Extensions = { ["code"] = code },
            },
        });
}

/// <summary>Endpoint metadata naming the role a route group needs, so a 403 can say which.</summary>
internal sealed record RequiredRole(ApiKeyRoles Role);

internal static class AuthSetup
{
    public const string Client = "client";
    public const string Miner = "miner";
    public const string Admin = "admin";

    public static IServiceCollection AddCoordinatorAuth(this IServiceCollection services)
    {
        services.AddAuthentication(ApiKeyAuthentication.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthentication>(ApiKeyAuthentication.SchemeName, null);
        services.AddAuthorizationBuilder()
            .AddPolicy(Client, p => p.AddAuthenticationSchemes(ApiKeyAuthentication.SchemeName).RequireRole(Client))
            .AddPolicy(Miner, p => p.AddAuthenticationSchemes(ApiKeyAuthentication.SchemeName).RequireRole(Miner))
            .AddPolicy(Admin, p => p.AddAuthenticationSchemes(ApiKeyAuthentication.SchemeName).RequireRole(Admin));
        services.AddSingleton<ApiKeyStore>();
        return services;
    }

    /// <summary>Requires an API key with <paramref name="role"/> on every endpoint of the group.</summary>
    public static TBuilder RequireKeyRole<TBuilder>(this TBuilder builder, ApiKeyRoles role)
        where TBuilder : IEndpointConventionBuilder =>
        builder.RequireAuthorization(role.ToString().ToLowerInvariant()).WithMetadata(new RequiredRole(role));
}
