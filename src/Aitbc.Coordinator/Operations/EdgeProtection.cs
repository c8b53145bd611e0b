using System.Globalization;
using System.Security.Claims;
using System.Threading.RateLimiting;
using Aitbc.Coordinator.Configuration;
using Aitbc.Coordinator.Errors;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.AspNetCore.RateLimiting;

namespace Aitbc.Coordinator.Operations;

/// <summary>
/// What stands between the network and the endpoints: the real client address behind trusted proxies, CORS for
/// browsers, and request rate limits per principal.
/// </summary>
internal static partial class EdgeProtection
{
    public static IServiceCollection AddEdgeProtection(this IServiceCollection services, CoordinatorSettings settings)
    {
        // X-Forwarded-For is believed only from the proxies named in TRUSTED_PROXIES; the framework's default of
        // trusting loopback is dropped, so a local process cannot pose as any client it likes.
        services.Configure<ForwardedHeadersOptions>(options =>
        {
            options.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
            options.KnownProxies.Clear();
            options.KnownIPNetworks.Clear();
            foreach (var network in settings.TrustedProxies)
            {
                options.KnownIPNetworks.Add(network);
            }

            options.ForwardLimit = null;
        });

        services.AddCors(options => options.AddDefaultPolicy(policy =>
        {
            if (settings.AllowOrigins is ["*"])
            {
                // Any origin, and therefore never with credentials: a browser would refuse the pair anyway.
                policy.AllowAnyOrigin();
            }
            else
            {
                policy.WithOrigins([.. settings.AllowOrigins]).AllowCredentials();
            }

            policy.AllowAnyMethod()
                .WithHeaders("X-Api-Key", "X-Session-Token", "Content-Type", "Idempotency-Key", "X-Request-Id")
                .WithExposedHeaders("Location", "Retry-After", "X-Request-Id", "Idempotent-Replayed")
                .SetPreflightMaxAge(TimeSpan.FromHours(1));
        }));

        services.AddRateLimiter(options =>
        {
            options.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            options.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(
                context => Partition(context, settings.RateLimitPerMinute));
            options.OnRejected = RejectAsync;
        });
        return services;
    }

    public static WebApplication UseForwardedClientAddress(this WebApplication app)
    {
        // With no known proxy at all the middleware would believe every peer, so it runs only when some are named.
        if (app.Services.GetRequiredService<CoordinatorSettings>().TrustedProxies.Count > 0)
        {
            app.UseForwardedHeaders();
        }

        return app;
    }

    /// <summary>Between routing and authentication, as CORS must be for endpoint routing.</summary>
    public static WebApplication UseCorsWhenConfigured(this WebApplication app)
    {
        if (app.Services.GetRequiredService<CoordinatorSettings>().AllowOrigins.Count > 0)
        {
            app.UseCors();
        }

        return app;
    }

    /// <summary>
    /// A token bucket per principal (the API key's id) or, for requests without a valid key, per client address.
    /// It counts requests, not time, so a long-poll held for a minute costs one token like any other call, and
    /// nothing ever waits in a queue for a token. Probes and scrapes are never limited.
    /// </summary>
    private static RateLimitPartition<string> Partition(HttpContext context, int perMinute)
    {
        var path = context.Request.Path;
        if (perMinute == 0 || path == "/healthz" || path == "/readyz" || path == "/metrics")
        {
            return RateLimitPartition.GetNoLimiter("unlimited");
        }

        var principal = context.User.FindFirstValue(ClaimTypes.NameIdentifier);
        var key = principal is not null
            ? $"principal:{principal}"
            : $"address:{context.Connection.RemoteIpAddress?.ToString() ?? "unknown"}";
        return RateLimitPartition.GetTokenBucketLimiter(key, _ => Bucket(perMinute));
    }

    /// <summary>Refills smoothly: every second for limits of 60 a minute or more, else a token at a time.</summary>
    internal static TokenBucketRateLimiterOptions Bucket(int perMinute) => perMinute >= 60
        ? new TokenBucketRateLimiterOptions
        {
            TokenLimit = perMinute,
            TokensPerPeriod = (perMinute + 59) / 60,
            ReplenishmentPeriod = TimeSpan.FromSeconds(1),
            QueueLimit = 0,
            AutoReplenishment = true,
        }
        : new TokenBucketRateLimiterOptions
        {
            TokenLimit = perMinute,
            TokensPerPeriod = 1,
            ReplenishmentPeriod = TimeSpan.FromMinutes(1) / perMinute,
            QueueLimit = 0,
            AutoReplenishment = true,
        };

    private static async ValueTask RejectAsync(OnRejectedContext rejected, CancellationToken cancel)
    {
        var context = rejected.HttpContext;
        var seconds = rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter)
            ? Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds))
            : 1;
        var settings = context.RequestServices.GetRequiredService<CoordinatorSettings>();
        var principal = context.User.FindFirstValue(ClaimTypes.NameIdentifier);
        var logger = context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(EdgeProtection));
        Log.RateLimited(logger, principal ?? context.Connection.RemoteIpAddress?.ToString() ?? "unknown", seconds);

        context.Response.StatusCode = StatusCodes.Status429TooManyRequests;
        context.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        var who = principal is null ? "this client address" : "this API key";
        await context.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            ProblemDetails =
            {
                Status = StatusCodes.Status429TooManyRequests,
                Type = Problems.TypeFor("rate_limited"),
                Detail = $"Too many requests from {who}: at most {settings.RateLimitPerMinute} a minute. "
                    + $"Retry after {seconds} s.",
                Extensions = { ["code"] = "rate_limited", ["retry_after_seconds"] = seconds },
            },
        });
    }

    private static partial class Log
    {
        [LoggerMessage(6101, LogLevel.Debug, "Rate limit reached by {Principal}; told to retry after {Seconds} s",
            EventName = "RateLimited")]
        public static partial void RateLimited(ILogger logger, string principal, int seconds);
    }
}
