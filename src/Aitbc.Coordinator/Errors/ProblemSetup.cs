using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.WebUtilities;

namespace Aitbc.Coordinator.Errors;

internal static class ProblemSetup
{
    /// <summary>
    /// Every error the framework itself produces (unknown route, wrong method, unreadable body, oversize body, an
    /// unexpected exception) becomes a problem with a <c>code</c>, like the ones the handlers return.
    /// </summary>
    public static IServiceCollection AddProblems(this IServiceCollection services)
    {
        services.AddProblemDetails(options => options.CustomizeProblemDetails = context =>
        {
            var problem = context.ProblemDetails;
            var status = problem.Status ?? context.HttpContext.Response.StatusCode;
            if (!problem.Extensions.ContainsKey("code"))
            {
                var code = CodeFor(status);
                problem.Extensions["code"] = code;
                problem.Type = Problems.TypeFor(code);
                problem.Detail ??= DetailFor(status, context.HttpContext);
            }

            problem.Title ??= ReasonPhrases.GetReasonPhrase(status);
            problem.Extensions["request_id"] = context.HttpContext.TraceIdentifier;
        });
        services.AddExceptionHandler<ProblemExceptionHandler>();

        // Unreadable bodies are reported through the exception handler, which can say what was wrong with them.
        services.Configure<RouteHandlerOptions>(options => options.ThrowOnBadRequest = true);
        return services;
    }

    private static string CodeFor(int status) => status switch
    {
        400 => "bad_request",
        401 => "unauthorized",
        403 => "forbidden",
        404 => "not_found",
        405 => "method_not_allowed",
        406 => "not_acceptable",
        409 => "conflict",
        413 => "body_too_large",
        415 => "unsupported_media_type",
        429 => "rate_limited",
        503 => "unavailable",
        _ when status >= 500 => "internal_error",
        _ => "error",
    };

    private static string? DetailFor(int status, HttpContext context) => status switch
    {
        404 => $"There is no resource at {context.Request.Path}.",
        405 => $"{context.Request.Method} is not allowed on {context.Request.Path}.",
        415 => "This endpoint takes a JSON body with Content-Type: application/json.",
        500 => "The Coordinator failed to handle this request. It has been logged with its request id.",
        _ => null,
    };
}

internal sealed partial class ProblemExceptionHandler(
    IProblemDetailsService problems, ILogger<ProblemExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(
        HttpContext context, Exception exception, CancellationToken cancellationToken)
    {
        var (status, code, detail) = Describe(exception);
        if (status >= 500)
        {
            Log.Unhandled(logger, exception, context.Request.Method, context.Request.Path);
        }

        context.Response.StatusCode = status;
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            Exception = exception,
            ProblemDetails =
            {
                Status = status,
                Title = ReasonPhrases.GetReasonPhrase(status),
                Type = Problems.TypeFor(code),
                Detail = detail,
                Extensions = { ["code"] = code },
            },
        });
    }

    private static (int Status, string Code, string Detail) Describe(Exception exception) => exception switch
    {
        BadHttpRequestException { StatusCode: 413 } =>
            (413, "body_too_large", "The request body is larger than this endpoint accepts."),
        BadHttpRequestException { StatusCode: 415 } e => (415, "unsupported_media_type", e.Message),
        BadHttpRequestException { InnerException: JsonException json } => DescribeJson(json),
        BadHttpRequestException e when e.Message.Contains("was not provided from body", StringComparison.Ordinal)
            || e.Message.Contains("no body was provided", StringComparison.Ordinal) =>
            (400, "missing_body", "This endpoint needs a JSON body."),
        BadHttpRequestException e when BindFailure().Match(e.Message) is { Success: true } match =>
            (400, "invalid_query", $"The parameter '{Snake(match.Groups["name"].Value)}' cannot be "
                + $"'{match.Groups["value"].Value}'."),
        BadHttpRequestException e => (e.StatusCode, e.StatusCode == 400 ? "bad_request" : "error", Clean(e.Message)),
        ServiceUnavailableException e => (503, "unavailable", e.Message),
        OperationCanceledException => (503, "unavailable", "The Coordinator is shutting down; try again."),
        _ => (500, "internal_error", "The Coordinator failed to handle this request. It has been logged."),
    };

    private static (int, string, string) DescribeJson(JsonException json)
    {
        var at = string.IsNullOrEmpty(json.Path) ? "" : $" at {json.Path}";
        if (json.InnerException?.GetType().Name == "JsonReaderException" || json.Path is null)
        {
            var where = json.LineNumber is { } line
                ? $" (line {line + 1}, byte {json.BytePositionInLine + 1})"
                : "";
            return (400, "malformed_json", $"The request body is not valid JSON{where}.");
        }

        var message = json.Message;
        if (message.Contains("missing required properties", StringComparison.Ordinal))
        {
            var names = message[(message.IndexOf(':', StringComparison.Ordinal) + 1)..].Split('.')[0].Trim();
            return (400, "missing_field", $"The request body is missing required members: {names}.");
        }

        if (message.Contains("could not be converted", StringComparison.Ordinal))
        {
            return (400, "invalid_type", $"The value{at} has the wrong type: expected {Expected(message)}.");
        }

        return (400, "invalid_value", $"{json.Message.Split(" Path:")[0]}{(at.Length > 0 ? $" (found{at})" : "")}");
    }

    private static string Expected(string message) => message switch
    {
        _ when message.Contains("System.Int", StringComparison.Ordinal) => "a whole number",
        _ when message.Contains("System.String[]", StringComparison.Ordinal)
            || message.Contains("List`1[System.String]", StringComparison.Ordinal) => "an array of strings",
        _ when message.Contains("System.String", StringComparison.Ordinal) => "a string",
        _ when message.Contains("System.Boolean", StringComparison.Ordinal) => "true or false",
        _ when message.Contains("System.Double", StringComparison.Ordinal)
            || message.Contains("System.Decimal", StringComparison.Ordinal) => "a number",
        _ when message.Contains("List`1", StringComparison.Ordinal)
            || message.Contains("[]", StringComparison.Ordinal) => "an array",
        _ => "an object of the documented shape",
    };

    [GeneratedRegex("^Failed to bind parameter \"(?<type>[^ \"]+) (?<name>[^\"]+)\" from \"(?<value>[^\"]{0,64})")]
    private static partial Regex BindFailure();

    private static string Snake(string name) => Data.CoordinatorDb.SnakeCase(name);

    // Framework messages name C# parameters; clients know only the JSON.
    private static string Clean(string message) => message.Replace("\"", "'", StringComparison.Ordinal);

    private static partial class Log
    {
        [LoggerMessage(1001, LogLevel.Error, "Unhandled exception on {Method} {Path}", EventName = "Unhandled")]
        public static partial void Unhandled(ILogger logger, Exception exception, string method, string path);
    }
}

/// <summary>Thrown where the Coordinator cannot take the request now (shutting down, overloaded).</summary>
internal sealed class ServiceUnavailableException(string message) : Exception(message);
