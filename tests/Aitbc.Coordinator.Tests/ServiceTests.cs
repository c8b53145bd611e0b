using System.Net;
using Aitbc.Coordinator.Tests.Infrastructure;

namespace Aitbc.Coordinator.Tests;

public sealed class ServiceTests
{
    [Theory]
    [InlineData("API_PORT", "eighty")]
    [InlineData("API_PORT", "70000")]
    [InlineData("DATABASE_URL", "mysql://localhost/db")]
    [InlineData("DATABASE_URL", "sqlite:///:memory:")]
    [InlineData("LEASE_SECONDS", "-5")]
    [InlineData("JOB_TTL_SECONDS", "forever")]
    [InlineData("HEARTBEAT_TIMEOUT_SECONDS", "5")]
    [InlineData("SECRET_KEY", "short")]
    [InlineData("API_KEYS", "good-key-123,bad")]
    public async Task ABadSettingStopsTheProcessWithOneLineNamingIt(string name, string value)
    {
        using var directory = new TestDirectory();
        var environment = new Dictionary<string, string>
        {
            ["DATABASE_URL"] = $"sqlite:///{directory.File("coordinator.db")}",
            ["API_PORT"] = CoordinatorProcess.FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture),
            [name] = value,
        };

        var (exitCode, output) = await CoordinatorProcess.RunToExitAsync(environment, TimeSpan.FromSeconds(60));

        Assert.Equal(2, exitCode);
        var line = Assert.Single(output.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains(name, line);
        Assert.DoesNotContain("Exception", line);
        Assert.False(File.Exists(directory.File("coordinator.db")), "Settings are checked before the database.");
    }

    [Fact]
    public async Task HealthAndReadinessAnswerWithoutAKey()
    {
        await using var coordinator = await TestCoordinator.StartAsync();
        using var anonymous = coordinator.CreateClient();

        using var health = await anonymous.GetAsync("/healthz");
        using var ready = await anonymous.GetAsync("/readyz");

        Assert.Equal("ok", (await health.ExpectAsync(HttpStatusCode.OK)).Str("status"));
        Assert.Equal("ready", (await ready.ExpectAsync(HttpStatusCode.OK)).Str("status"));
    }

    [Fact]
    public async Task OpenApiDocumentDescribesEveryEndpointWithItsSecurityAndErrors()
    {
        await using var coordinator = await TestCoordinator.StartAsync();
        using var anonymous = coordinator.CreateClient();

        using var response = await anonymous.GetAsync("/openapi.json");
        var document = await response.ExpectAsync(HttpStatusCode.OK);

        Assert.Equal("X-Api-Key", document["components"]!["securitySchemes"]!["ApiKey"]!.Str("name"));
        var paths = document["paths"]!.AsObject();
        foreach (var path in new[]
        {
            "/v1/client/jobs", "/v1/client/jobs/{jobId}", "/v1/client/jobs/{jobId}/status",
            "/v1/client/jobs/{jobId}/cancel", "/v1/miner/register", "/v1/miner/heartbeat", "/v1/miner/jobs",
            "/v1/miner/result", "/healthz", "/readyz",
        })
        {
            Assert.True(paths.ContainsKey(path), $"{path} is not documented");
        }

        foreach (var (path, item) in paths)
        {
            foreach (var (method, operation) in item!.AsObject())
            {
                Assert.False(string.IsNullOrWhiteSpace(operation!["summary"]?.GetValue<string>()),
                    $"{method} {path} has no summary");
                if (path.StartsWith("/v1/", StringComparison.Ordinal) && !Anonymous.Contains(path))
                {
                    Assert.True(operation["security"] is not null, $"{method} {path} names no credential");
                    Assert.Contains("401", operation["description"]!.GetValue<string>());
                }
            }
        }

        var submit = paths["/v1/client/jobs"]!["post"]!;
        Assert.NotNull(submit["requestBody"]!["content"]!["application/json"]);
        Assert.Contains("idempotency_key_reused", submit["description"]!.GetValue<string>());
    }

    /// <summary>The API paths meant to answer without any credential.</summary>
    private static readonly HashSet<string> Anonymous =
    [
        "/v1/receipts/keys", "/v1/receipts/verify", "/v1/users/login/challenge", "/v1/users/login",
        "/v1/exchange/rates",
    ];

    [Theory]
    [InlineData("/docs/index.html", "swagger")]
    [InlineData("/redoc/index.html", "redoc")]
    public async Task DocumentationPagesAreServed(string path, string marker)
    {
        await using var coordinator = await TestCoordinator.StartAsync();
        using var anonymous = coordinator.CreateClient();

        using var response = await anonymous.GetAsync(path);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var html = await response.Content.ReadAsStringAsync();
        Assert.Contains(marker, html, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("openapi.json", html + await ConfigAsync(anonymous, path), StringComparison.Ordinal);
    }

    private static async Task<string> ConfigAsync(HttpClient client, string path)
    {
        // Swagger UI keeps the document URL in its initializer script rather than in the page itself.
        using var response = await client.GetAsync(path.Replace("index.html", "index.js"));
        return response.IsSuccessStatusCode ? await response.Content.ReadAsStringAsync() : "";
    }
}
