using System.Net;
using Aitbc.Coordinator.Configuration;
using Aitbc.Coordinator.Tests.Infrastructure;

namespace Aitbc.Coordinator.Tests.Operations;

public sealed class EdgeProtectionTests
{
    [Fact]
    public async Task FloodingKeyGets429WithRetryAfterWhileAnotherKeyIsUnaffected()
    {
        await using var coordinator = await TestCoordinator.StartAsync(
            settings: new Dictionary<string, string> { ["RATE_LIMIT_PER_MINUTE"] = "20" });
        using var flooder = coordinator.CreateClient(coordinator.ClientKey);
        using var other = coordinator.CreateClient(coordinator.OtherClientKey);

        var responses = await Task.WhenAll(Enumerable.Range(0, 40).Select(_ => flooder.GetAsync("/v1/client/jobs")));
        using var otherResponse = await other.GetAsync("/v1/client/jobs");

        Assert.Equal(20, responses.Count(r => r.StatusCode == HttpStatusCode.OK));
        var limited = responses.Where(r => r.StatusCode == HttpStatusCode.TooManyRequests).ToList();
        Assert.Equal(20, limited.Count);
        var problem = await limited[0].ExpectProblemAsync(HttpStatusCode.TooManyRequests, "rate_limited");
        var retryAfter = limited[0].Headers.RetryAfter?.Delta;
        Assert.NotNull(retryAfter);
        Assert.InRange(retryAfter.Value.TotalSeconds, 1, 60);
        Assert.Equal((int)retryAfter.Value.TotalSeconds, problem["retry_after_seconds"]!.GetValue<int>());
        await otherResponse.ExpectAsync(HttpStatusCode.OK);
        using var probe = await flooder.GetAsync("/healthz");
        await probe.ExpectAsync(HttpStatusCode.OK);
        foreach (var response in responses)
        {
            response.Dispose();
        }
    }

    [Fact]
    public async Task UnauthenticatedCallersAreLimitedByTheAddressTrustedProxiesForwardFor()
    {
        await using var coordinator = await TestCoordinator.StartAsync(settings: new Dictionary<string, string>
        {
            ["RATE_LIMIT_PER_MINUTE"] = "5",
            ["TRUSTED_PROXIES"] = "127.0.0.0/8",
        });
        using var anonymous = coordinator.CreateClient();

        var flood = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => SendAsync(anonymous, "203.0.113.7")));
        using var neighbour = await SendAsync(anonymous, "203.0.113.8");

        Assert.Equal(5, flood.Count(r => r.StatusCode == HttpStatusCode.TooManyRequests));
        Assert.Equal(HttpStatusCode.Unauthorized, neighbour.StatusCode);
        foreach (var response in flood)
        {
            response.Dispose();
        }
    }

    [Fact]
    public async Task ForwardedForFromAnUntrustedPeerIsIgnored()
    {
        await using var coordinator = await TestCoordinator.StartAsync(
            settings: new Dictionary<string, string> { ["RATE_LIMIT_PER_MINUTE"] = "5" });
        using var anonymous = coordinator.CreateClient();

        var flood = await Task.WhenAll(Enumerable.Range(0, 5).Select(i => SendAsync(anonymous, $"198.51.100.{i}")));
        using var spoofed = await SendAsync(anonymous, "198.51.100.200");

        Assert.All(flood, r => Assert.Equal(HttpStatusCode.Unauthorized, r.StatusCode));
        await spoofed.ExpectProblemAsync(HttpStatusCode.TooManyRequests, "rate_limited");
        foreach (var response in flood)
        {
            response.Dispose();
        }
    }

    [Fact]
    public async Task CorsAllowsOnlyTheConfiguredOrigins()
    {
        await using var coordinator = await TestCoordinator.StartAsync(settings: new Dictionary<string, string>
        {
            ["ALLOW_ORIGINS"] = "https://app.example.com, http://localhost:3000",
        });
        using var http = coordinator.CreateClient();

        using var allowed = await PreflightAsync(http, "https://app.example.com");
        using var refused = await PreflightAsync(http, "https://evil.example.net");
        using var actual = new HttpRequestMessage(HttpMethod.Get, "/healthz");
        actual.Headers.Add("Origin", "http://localhost:3000");
        using var simple = await http.SendAsync(actual);

        Assert.Equal(HttpStatusCode.NoContent, allowed.StatusCode);
        Assert.Equal("https://app.example.com", Single(allowed, "Access-Control-Allow-Origin"));
        Assert.Contains("X-Api-Key", Single(allowed, "Access-Control-Allow-Headers"),
            StringComparison.OrdinalIgnoreCase);
        Assert.False(refused.Headers.Contains("Access-Control-Allow-Origin"));
        Assert.Equal("http://localhost:3000", Single(simple, "Access-Control-Allow-Origin"));
        Assert.Contains("X-Request-Id", Single(simple, "Access-Control-Expose-Headers"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task WildcardCorsNeverAllowsCredentials()
    {
        await using var coordinator = await TestCoordinator.StartAsync(
            settings: new Dictionary<string, string> { ["ALLOW_ORIGINS"] = "*" });
        using var http = coordinator.CreateClient();

        using var preflight = await PreflightAsync(http, "https://anywhere.example.org");

        Assert.Equal("*", Single(preflight, "Access-Control-Allow-Origin"));
        Assert.False(preflight.Headers.Contains("Access-Control-Allow-Credentials"));
    }

    [Fact]
    public async Task WithoutAllowOriginsNoCorsHeadersAreSent()
    {
        await using var coordinator = await TestCoordinator.StartAsync();
        using var http = coordinator.CreateClient();

        using var preflight = await PreflightAsync(http, "https://app.example.com");

        Assert.False(preflight.Headers.Contains("Access-Control-Allow-Origin"));
    }

    [Theory]
    [InlineData("ALLOW_ORIGINS", "*, https://app.example.com")]
    [InlineData("ALLOW_ORIGINS", "app.example.com")]
    [InlineData("ALLOW_ORIGINS", "https://app.example.com/path")]
    [InlineData("TRUSTED_PROXIES", "10.0.0.300")]
    [InlineData("RATE_LIMIT_PER_MINUTE", "-1")]
    [InlineData("RATE_LIMIT_PER_MINUTE", "many")]
    [InlineData("LOG_FORMAT", "xml")]
    public async Task BadSettingsStopTheStartNamingTheVariable(string name, string value)
    {
        var error = await Assert.ThrowsAsync<SettingsException>(() => TestCoordinator.StartAsync(
            settings: new Dictionary<string, string> { [name] = value }));

        Assert.Contains(name, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RequestIdIsEchoedWhenSafeAndGeneratedOtherwise()
    {
        await using var coordinator = await TestCoordinator.StartAsync();
        using var http = coordinator.CreateClient(coordinator.ClientKey);

        using var given = new HttpRequestMessage(HttpMethod.Get, "/v1/client/jobs/job_missing");
        given.Headers.Add("X-Request-Id", "trace-42.a_b:c");
        using var echoed = await http.SendAsync(given);
        using var unsafeId = new HttpRequestMessage(HttpMethod.Get, "/v1/client/jobs");
        unsafeId.Headers.TryAddWithoutValidation("X-Request-Id", "evil\"id <script>");
        using var replaced = await http.SendAsync(unsafeId);
        using var tooLong = new HttpRequestMessage(HttpMethod.Get, "/v1/client/jobs");
        tooLong.Headers.Add("X-Request-Id", new string('a', 129));
        using var shortened = await http.SendAsync(tooLong);
        using var none = await http.GetAsync("/v1/client/jobs");

        var problem = await echoed.ExpectProblemAsync(HttpStatusCode.NotFound, "job_not_found");
        Assert.Equal("trace-42.a_b:c", Single(echoed, "X-Request-Id"));
        Assert.Equal("trace-42.a_b:c", problem.Str("request_id"));
        Assert.StartsWith("req_", Single(replaced, "X-Request-Id"));
        Assert.StartsWith("req_", Single(shortened, "X-Request-Id"));
        Assert.StartsWith("req_", Single(none, "X-Request-Id"));
        Assert.NotEqual(Single(replaced, "X-Request-Id"), Single(none, "X-Request-Id"));
    }

    private static async Task<HttpResponseMessage> SendAsync(HttpClient http, string forwardedFor)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/client/jobs");
        request.Headers.Add("X-Forwarded-For", forwardedFor);
        return await http.SendAsync(request);
    }

    private static async Task<HttpResponseMessage> PreflightAsync(HttpClient http, string origin)
    {
        using var request = new HttpRequestMessage(HttpMethod.Options, "/v1/client/jobs");
        request.Headers.Add("Origin", origin);
        request.Headers.Add("Access-Control-Request-Method", "POST");
        request.Headers.Add("Access-Control-Request-Headers", "x-api-key,content-type");
        return await http.SendAsync(request);
    }

    private static string Single(HttpResponseMessage response, string header) =>
        Assert.Single(response.Headers.GetValues(header));
}
