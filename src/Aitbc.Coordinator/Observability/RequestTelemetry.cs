using System.Diagnostics;
using System.Security.Claims;
using Aitbc.Coordinator.Common;
using Microsoft.Extensions.Logging.Console;
using Prometheus;

namespace Aitbc.Coordinator.Observability;

/// <summary>
/// One log line and one set of HTTP metrics per request, and the request id: taken from <c>X-Request-Id</c> when it is
/// safe to repeat, else generated, then echoed and used as the problem details' <c>request_id</c>. The line names the
/// route template, never the raw path or query, and the principal's id, never a credential.
/// </summary>
internal sealed partial class RequestTelemetry(
    RequestDelegate next, CoordinatorMetrics metrics, ILogger<RequestTelemetry> logger)
{
    public const string Header = "X-Request-Id";
    private const int MaxRequestIdLength = 128;

    public async Task InvokeAsync(HttpContext context)
    {
        var requestId = Accept(context.Request.Headers[Header].ToString()) ?? $"req_{Ids.RandomToken(10)}";
        context.TraceIdentifier = requestId;

        // Set when the response starts: the exception handler clears headers set earlier.
        context.Response.OnStarting(() =>
        {
            context.Response.Headers[Header] = requestId;
            return Task.CompletedTask;
        });

        var started = Stopwatch.GetTimestamp();
        var status = 500;
        using var inFlight = metrics.InFlight();
        try
        {
            await next(context);
            status = context.Response.StatusCode;
        }
        finally
        {
            var elapsed = Stopwatch.GetElapsedTime(started);
            var route = RouteOf(context);
            var method = context.Request.Method;
            metrics.HttpRequest(method, route, status, elapsed);
            var principal = context.User.FindFirstValue(ClaimTypes.NameIdentifier) ?? "-";

            // Probes and scrapes come every few seconds; they are worth a line only when debugging.
            var level = route is "/healthz" or "/readyz" or "/metrics" ? LogLevel.Debug : LogLevel.Information;
            Log.Request(logger, level, method, route, status, Math.Round(elapsed.TotalMilliseconds, 1), principal,
                requestId);
        }
    }

    /// <summary>A caller's request id, if it is short and made only of characters safe in logs and headers.</summary>
    internal static string? Accept(string value) =>
        value.Length is > 0 and <= MaxRequestIdLength
        && value.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or ':')
            ? value
            : null;

    /// <summary>The route template; requests that matched no endpoint share one label, whatever their path.</summary>
    private static string RouteOf(HttpContext context) => context.GetEndpoint() switch
    {
        RouteEndpoint endpoint => "/" + (endpoint.RoutePattern.RawText ?? "").Trim('/'),
        _ => "unmatched",
    };

    private static partial class Log
    {
        [LoggerMessage(EventId = 6001, EventName = "Request",
            Message = "{Method} {Route} answered {Status} in {DurationMs} ms for {PrincipalId} ({RequestId})")]
        public static partial void Request(ILogger logger, LogLevel level, string method, string route, int status,
            double durationMs, string principalId, string requestId);
    }
}

internal static class ObservabilitySetup
{
    /// <summary>One console line per event: readable text by default, JSON with <c>LOG_FORMAT=json</c>.</summary>
    public static ILoggingBuilder AddCoordinatorConsole(this ILoggingBuilder logging, bool json)
    {
        const string Timestamp = "yyyy-MM-dd'T'HH:mm:ss.fff'Z' ";
        if (json)
        {
            logging.AddJsonConsole(o =>
            {
                o.UseUtcTimestamp = true;
                o.TimestampFormat = Timestamp.TrimEnd();
            });
        }
        else
        {
            logging.AddSimpleConsole(o =>
            {
                o.SingleLine = true;
                o.UseUtcTimestamp = true;
                o.TimestampFormat = Timestamp;
                o.ColorBehavior = LoggerColorBehavior.Disabled;
            });
        }

        return logging;
    }

    public static IServiceCollection AddObservability(this IServiceCollection services)
    {
        services.AddSingleton<CoordinatorMetrics>();
        services.AddSingleton<MetricsGauges>();
        return services;
    }

    public static IApplicationBuilder UseRequestTelemetry(this IApplicationBuilder app) =>
        app.UseMiddleware<RequestTelemetry>();

    public static void MapMetricsEndpoint(this WebApplication app)
    {
        var metrics = app.Services.GetRequiredService<CoordinatorMetrics>();
        app.Services.GetRequiredService<MetricsGauges>().Register();
        app.MapMetrics("/metrics", metrics.Registry)
            .WithTags("Health")
            .WithName("Metrics")
            .WithSummary("Prometheus metrics in the text exposition format")
            .AllowAnonymous();
    }
}
