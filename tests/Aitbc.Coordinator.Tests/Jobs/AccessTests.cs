using System.Net;
using Aitbc.Coordinator.Tests.Infrastructure;

namespace Aitbc.Coordinator.Tests.Jobs;

/// <summary>Who may call what: no key is 401, the wrong role is 403, another owner's object is 404.</summary>
public sealed class AccessTests
{
    public static TheoryData<string, string> Endpoints => new()
    {
        { "POST", "/v1/client/jobs" },
        { "GET", "/v1/client/jobs" },
        { "GET", "/v1/client/jobs/{id}" },
        { "GET", "/v1/client/jobs/{id}/status" },
        { "POST", "/v1/client/jobs/{id}/cancel" },
        { "POST", "/v1/miner/register" },
        { "POST", "/v1/miner/heartbeat" },
        { "GET", "/v1/miner/jobs" },
        { "POST", "/v1/miner/result" },
    };

    [Theory]
    [MemberData(nameof(Endpoints))]
    public async Task WithoutAKeyEveryEndpointIsUnauthorized(string method, string path)
    {
        await using var coordinator = await TestCoordinator.StartAsync();
        using var client = coordinator.Client();
        var jobId = await client.SubmitIdAsync();
        using var anonymous = coordinator.CreateClient();
        using var wrongKey = coordinator.CreateClient("not-a-real-key-at-all");

        using var missing = await SendAsync(anonymous, method, path.Replace("{id}", jobId));
        using var wrong = await SendAsync(wrongKey, method, path.Replace("{id}", jobId));

        await missing.ExpectProblemAsync(HttpStatusCode.Unauthorized, "missing_credentials");
        await wrong.ExpectProblemAsync(HttpStatusCode.Unauthorized, "invalid_api_key");
        Assert.Equal("queued", (await client.StatusAsync(jobId)).Str("state"));
    }

    [Theory]
    [MemberData(nameof(Endpoints))]
    public async Task AKeyWithoutTheRoleIsForbidden(string method, string path)
    {
        await using var coordinator = await TestCoordinator.StartAsync();
        using var client = coordinator.Client();
        var jobId = await client.SubmitIdAsync();
        using var admin = coordinator.CreateClient(coordinator.AdminKey);

        using var response = await SendAsync(admin, method, path.Replace("{id}", jobId));

        var problem = await response.ExpectProblemAsync(HttpStatusCode.Forbidden, "forbidden");
        Assert.Contains(path.StartsWith("/v1/client", StringComparison.Ordinal) ? "client" : "miner",
            problem.Str("detail"));
        Assert.Equal("queued", (await client.StatusAsync(jobId)).Str("state"));
    }

    [Theory]
    [InlineData("GET", "/v1/client/jobs/{id}")]
    [InlineData("GET", "/v1/client/jobs/{id}/status")]
    [InlineData("POST", "/v1/client/jobs/{id}/cancel")]
    public async Task AnotherClientsJobIsNotFound(string method, string path)
    {
        await using var coordinator = await TestCoordinator.StartAsync();
        using var owner = coordinator.Client(coordinator.ClientKey);
        using var stranger = coordinator.Client(coordinator.OtherClientKey);
        var jobId = await owner.SubmitIdAsync();

        using var response = await SendAsync(stranger.Http, method, path.Replace("{id}", jobId));

        await response.ExpectProblemAsync(HttpStatusCode.NotFound, "job_not_found");
        Assert.Equal("queued", (await owner.StatusAsync(jobId)).Str("state"));
        using var list = await stranger.Http.GetAsync("/v1/client/jobs");
        Assert.Empty((await list.ExpectAsync(HttpStatusCode.OK))["items"]!.AsArray());
    }

    [Fact]
    public async Task AnotherMinersJobIsNotFound()
    {
        await using var coordinator = await TestCoordinator.StartAsync();
        using var client = coordinator.Client();
        using var holder = coordinator.Miner(coordinator.Keys[2]);
        using var stranger = coordinator.Miner(coordinator.Keys[3]);
        await holder.RegisterAsync();
        await stranger.RegisterAsync();
        var jobId = await client.SubmitIdAsync();
        var token = Assert.Single(await holder.TakeAsync()).Str("lease_token");

        using var stolen = await stranger.CompleteAsync(jobId, token);
        var heartbeat = await stranger.HeartbeatAsync("online", jobId);

        await stolen.ExpectProblemAsync(HttpStatusCode.NotFound, "job_not_found");
        Assert.Equal(jobId, Assert.Single(heartbeat["cancelled_jobs"]!.AsArray())!.GetValue<string>());
        Assert.Equal("running", (await client.StatusAsync(jobId)).Str("state"));
        using var own = await holder.CompleteAsync(jobId, token);
        await own.ExpectAsync(HttpStatusCode.OK);
    }

    [Fact]
    public async Task KeysRemovedFromTheEnvironmentAreRevokedAtTheNextStart()
    {
        var directory = new TestDirectory();
        string removed;
        await using (var first = await TestCoordinator.StartAsync(directory: directory))
        {
            removed = first.Keys[3];
            using var client = first.Client(removed);
            await client.SubmitIdAsync();
        }

        await using var second = await TestCoordinator.StartAsync(keys: 2, directory: directory);
        using var revoked = second.CreateClient(removed);

        using var response = await revoked.GetAsync("/v1/client/jobs");
        await response.ExpectProblemAsync(HttpStatusCode.Unauthorized, "invalid_api_key");
        directory.Dispose();
    }

    private static Task<HttpResponseMessage> SendAsync(HttpClient client, string method, string path) =>
        client.SendAsync(new HttpRequestMessage(new HttpMethod(method), path)
        {
            Content = method == "POST" ? Http.Content(new { }) : null,
        });
}
