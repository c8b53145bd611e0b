using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace Aitbc.Client;

/// <summary>
/// Sends one request, with the key, a deadline and the wire format, and turns every failure into one of this
/// library's exceptions. The key goes only into the <c>X-Api-Key</c> header, a session token only into
/// <c>X-Session-Token</c>.
/// </summary>
internal sealed class ApiTransport(HttpClient http, Uri baseAddress, string? apiKey)
{
    private const int MaxErrorBodyChars = 200;

    public HttpClient Http { get; } = http;

    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(30);

    public Uri SafeBaseAddress { get; } = new UriBuilder(baseAddress) { UserName = "", Password = "" }.Uri;

    public string? SessionToken { get; set; }

    public async Task<T> SendAsync<T>(
        HttpMethod method,
        string pathAndQuery,
        object? body = null,
        IReadOnlyDictionary<string, string>? headers = null,
        TimeSpan? serverWait = null,
        CancellationToken cancel = default)
    {
        var (value, _) = await SendWithResponseAsync<T>(method, pathAndQuery, body, headers, serverWait, cancel)
            .ConfigureAwait(false);
        return value;
    }

    /// <summary>For calls answered with <c>204 No Content</c>.</summary>
    public async Task SendNoContentAsync(
        HttpMethod method, string pathAndQuery, object? body = null, CancellationToken cancel = default) =>
        await SendWithResponseAsync<NoContent>(method, pathAndQuery, body, null, null, cancel).ConfigureAwait(false);

    /// <summary>Like <see cref="SendAsync{T}"/>, and also gives the response headers the caller may need.</summary>
    public async Task<(T Value, HttpResponseHeaders Headers)> SendWithResponseAsync<T>(
        HttpMethod method,
        string pathAndQuery,
        object? body,
        IReadOnlyDictionary<string, string>? headers,
        TimeSpan? serverWait,
        CancellationToken cancel)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        deadline.CancelAfter(RequestTimeout + (serverWait ?? TimeSpan.Zero));
        using var request = new HttpRequestMessage(method, new Uri(baseAddress, pathAndQuery));
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        if (apiKey is not null)
        {
            request.Headers.Add("X-Api-Key", apiKey);
        }

        if (SessionToken is not null)
        {
            request.Headers.Add("X-Session-Token", SessionToken);
        }

        foreach (var (name, value) in headers ?? new Dictionary<string, string>())
        {
            request.Headers.Add(name, value);
        }

        if (body is not null)
        {
            // Serialized up front so the request carries a Content-Length: a streamed body goes out chunked, which
            // costs both sides a decoding step on every call.
            var json = JsonSerializer.SerializeToUtf8Bytes(body, body.GetType(), Wire.Options);
            request.Content = new ByteArrayContent(json)
            {
                Headers = { ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" } },
            };
        }

        try
        {
            using var response = await Http.SendAsync(request, HttpCompletionOption.ResponseContentRead, deadline.Token)
                .ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                throw await ToExceptionAsync(response, deadline.Token).ConfigureAwait(false);
            }

            if (typeof(T) == typeof(NoContent))
            {
                return ((T)(object)NoContent.Value, response.Headers);
            }

            var value = await response.Content.ReadFromJsonAsync<T>(Wire.Options, deadline.Token).ConfigureAwait(false)
                ?? throw new AitbcProtocolException(
                    $"{Describe(method, pathAndQuery)} answered {(int)response.StatusCode} with an empty body.");
            return (value, response.Headers);
        }
        catch (OperationCanceledException) when (!cancel.IsCancellationRequested)
        {
            throw new AitbcNetworkException(
                $"{Describe(method, pathAndQuery)} got no answer from {SafeBaseAddress} in time.", null);
        }
        catch (HttpRequestException e)
        {
            throw new AitbcNetworkException(
                $"Cannot reach the Coordinator at {SafeBaseAddress}: {e.Message}", e);
        }
        catch (JsonException e)
        {
            throw new AitbcProtocolException(
                $"{Describe(method, pathAndQuery)} answered with JSON this client does not understand: {e.Message}");
        }
    }

    private static async Task<AitbcApiException> ToExceptionAsync(
        HttpResponseMessage response, CancellationToken cancel)
    {
        var status = (int)response.StatusCode;
        var text = await response.Content.ReadAsStringAsync(cancel).ConfigureAwait(false);
        ProblemDetails? problem = null;
        try
        {
            problem = text.Length == 0 ? null : JsonSerializer.Deserialize<ProblemDetails>(text, Wire.Options);
        }
        catch (JsonException)
        {
            // Not a problem document (a proxy's error page, say): fall back to the status line below.
        }

        var code = problem?.Code ?? DefaultCode(response.StatusCode);
        var detail = problem?.Detail ?? problem?.Title ?? Shorten(text) ?? response.ReasonPhrase ?? "No detail given.";
        var errors = problem?.Errors ?? new Dictionary<string, string[]>();
        return status switch
        {
            400 or 413 or 422 => new AitbcValidationException(status, code, detail, errors),
            401 or 403 => new AitbcAuthException(status, code, detail),
            404 => new AitbcNotFoundException(status, code, detail),
            409 => new AitbcConflictException(status, code, detail),
            _ => new AitbcApiException(status, code, detail),
        };
    }

    private static string DefaultCode(HttpStatusCode status) => status switch
    {
        HttpStatusCode.Unauthorized => "unauthorized",
        HttpStatusCode.Forbidden => "forbidden",
        HttpStatusCode.NotFound => "not_found",
        HttpStatusCode.TooManyRequests => "rate_limited",
        _ when (int)status >= 500 => "server_error",
        _ => "http_" + ((int)status).ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    private static string? Shorten(string text)
    {
        var line = text.ReplaceLineEndings(" ").Trim();
        return line.Length == 0 ? null : line.Length <= MaxErrorBodyChars ? line : line[..MaxErrorBodyChars] + "…";
    }

    private static string Describe(HttpMethod method, string pathAndQuery)
    {
        var query = pathAndQuery.IndexOf('?', StringComparison.Ordinal);
        return $"{method} {(query < 0 ? pathAndQuery : pathAndQuery[..query])}";
    }

    private sealed record NoContent
    {
        public static readonly NoContent Value = new();
    }

    private sealed record ProblemDetails(
        string? Type, string? Title, int? Status, string? Detail, string? Code, Dictionary<string, string[]>? Errors);
}
