using System.Net;
using System.Text.Json.Nodes;
using Aitbc.Coordinator.Tests.Infrastructure;

namespace Aitbc.Coordinator.Tests.Operations;

/// <summary>What only a real process shows: its console output, and how it ends on SIGTERM.</summary>
public sealed class ProcessTests
{
    [Fact]
    public async Task JsonLogsHaveOneLinePerRequestAndNeverACredential()
    {
        using var directory = new TestDirectory();
        var environment = Environment(directory, "log");
        environment["LOG_FORMAT"] = "json";
        string leaseToken;
        string createdKey;
        const string WrongKey = "aitbc_this-key-was-never-issued-0123456789";
        await using var coordinator = await CoordinatorProcess.StartAsync(environment);
        using (var client = new TestClient(coordinator.CreateClient("log-client-key-0001")))
        using (var miner = new TestMiner(coordinator.CreateClient("log-miner-key-0001")))
        using (var admin = coordinator.CreateClient("log-admin-key-0001"))
        using (var stranger = coordinator.CreateClient(WrongKey))
        {
            await miner.RegisterAsync();
            using var submit = new HttpRequestMessage(HttpMethod.Post, "/v1/client/jobs")
            {
                Content = Http.Content(new { job_type = "llm_inference", parameters = new { prompt = "hi" } }),
            };
            submit.Headers.Add("X-Request-Id", "log-test-submit-1");
            using var submitted = await client.Http.SendAsync(submit);
            var jobId = (await submitted.ExpectAsync(HttpStatusCode.Created)).Str("job_id");
            leaseToken = Assert.Single(await miner.TakeAsync()).Str("lease_token");
            (await miner.CompleteAsync(jobId, leaseToken)).Dispose();
            using var created = await admin.PostJsonAsync(
                "/v1/admin/api-keys", new { name = "n", roles = new[] { "client" } });
            createdKey = (await created.ExpectAsync(HttpStatusCode.Created)).Str("key");
            using var withCreated = new TestClient(coordinator.CreateClient(createdKey));
            await withCreated.SubmitIdAsync();
            using var refused = await stranger.GetAsync($"/v1/client/jobs/{jobId}?lease_token={leaseToken}");
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        }

        Assert.Equal(0, await coordinator.TerminateAsync(TimeSpan.FromSeconds(10)));
        var lines = coordinator.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);

        var entries = lines.Select(line => JsonNode.Parse(line)!).ToList();
        var requests = entries.Where(e => e["EventId"]!.GetValue<int>() == 6001).Select(e => e["State"]!).ToList();
        var submitLine = Assert.Single(requests, r => r.Str("RequestId") == "log-test-submit-1");
        Assert.Equal("POST", submitLine.Str("Method"));
        Assert.Equal("/v1/client/jobs", submitLine.Str("Route"));
        Assert.Equal(201, submitLine["Status"]!.GetValue<int>());
        Assert.StartsWith("key_", submitLine.Str("PrincipalId"));
        Assert.True(submitLine["DurationMs"]!.GetValue<double>() >= 0);
        Assert.Contains(requests, r => r.Str("Route") == "/v1/client/jobs/{jobId}" && r.Str("PrincipalId") == "-"
            && r["Status"]!.GetValue<int>() == 401);
        Assert.Contains(entries, e => e["EventId"]!.GetValue<int>() == 6014);
        foreach (var secret in new[]
        {
            "log-client-key-0001", "log-miner-key-0001", "log-admin-key-0001", WrongKey, createdKey, leaseToken,
            environment["SECRET_KEY"],
        })
        {
            Assert.DoesNotContain(secret, coordinator.Output, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task SigtermAnswersOpenLongPollsFinishesInFlightWorkAndLosesNothing()
    {
        using var directory = new TestDirectory();
        var environment = Environment(directory, "stop");
        var accepted = new List<string>();
        string runningJob;
        string leaseToken;
        await using (var first = await CoordinatorProcess.StartAsync(environment))
        {
            using var client = new TestClient(first.CreateClient("stop-client-key-0001"));
            using var miner = new TestMiner(first.CreateClient("stop-miner-key-0001"));
            using var idle = new TestMiner(first.CreateClient("stop-idle-key-0001"));
            using var scraper = first.CreateClient();
            await miner.RegisterAsync(models: ["llama3"]);
            await idle.RegisterAsync(models: ["mistral"]);
            var llama = new
            {
                job_type = "llm_inference",
                parameters = new { },
                requirements = new { models = new[] { "llama3" } },
            };
            runningJob = await client.SubmitIdAsync(llama);
            leaseToken = Assert.Single(await miner.TakeAsync()).Str("lease_token");

            var idlePoll = idle.Http.GetAsync("/v1/miner/jobs?wait=60");
            var statusPoll = client.Http.GetAsync($"/v1/client/jobs/{runningJob}/status?wait=60");
            await WaitUntilAsync(async () => await InFlightAsync(scraper) >= 3);
            var submitter = Task.Run(async () =>
            {
                while (true)
                {
                    HttpResponseMessage response;
                    try
                    {
                        response = await client.Http.PostJsonAsync("/v1/client/jobs", llama);
                    }
                    catch (HttpRequestException)
                    {
                        return;
                    }

                    using (response)
                    {
                        if (response.StatusCode != HttpStatusCode.Created)
                        {
                            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
                            return;
                        }

                        var jobId = (await response.JsonAsync()).Str("job_id");
                        lock (accepted)
                        {
                            accepted.Add(jobId);
                        }
                    }
                }
            });
            await WaitUntilAsync(() =>
            {
                lock (accepted)
                {
                    return Task.FromResult(accepted.Count >= 20);
                }
            });

            var exitCode = await first.TerminateAsync(TimeSpan.FromSeconds(10));

            Assert.Equal(0, exitCode);
            using var idleAnswer = await idlePoll;
            Assert.Empty((await idleAnswer.ExpectAsync(HttpStatusCode.OK))["jobs"]!.AsArray());
            using var statusAnswer = await statusPoll;
            Assert.Equal("running", (await statusAnswer.ExpectAsync(HttpStatusCode.OK)).Str("state"));
            await submitter;
        }

        await using var second = await CoordinatorProcess.StartAsync(environment);
        using var client2 = new TestClient(second.CreateClient("stop-client-key-0001"));
        using var miner2 = new TestMiner(second.CreateClient("stop-miner-key-0001"));
        var stored = new List<string>();
        string? cursor = null;
        do
        {
            var after = cursor is null ? "" : $"&cursor={cursor}";
            using var page = await client2.Http.GetAsync($"/v1/client/jobs?limit=200{after}");
            var body = await page.ExpectAsync(HttpStatusCode.OK);
            stored.AddRange(body["items"]!.AsArray().Select(j => j!.Str("job_id")));
            cursor = body["next_cursor"]?.GetValue<string>();
        }
        while (cursor is not null);

        Assert.Subset(stored.ToHashSet(), accepted.Append(runningJob).ToHashSet());
        Assert.Equal("running", (await client2.StatusAsync(runningJob)).Str("state"));
        Assert.Equal(leaseToken, Assert.Single(await miner2.TakeAsync()).Str("lease_token"));
        using var result = await miner2.CompleteAsync(runningJob, leaseToken);
        Assert.Equal("completed", (await result.ExpectAsync(HttpStatusCode.OK)).Str("state"));
    }

    private static Dictionary<string, string> Environment(TestDirectory directory, string prefix) => new()
    {
        ["DATABASE_URL"] = $"sqlite:///{directory.File("coordinator.db")}",
        ["API_KEYS"] = $"{prefix}-client-key-0001,{prefix}-miner-key-0001,{prefix}-idle-key-0001",
        ["ADMIN_API_KEYS"] = $"{prefix}-admin-key-0001",
        ["SECRET_KEY"] = $"{prefix}-secret-key-0123456789",

        // A slow, loaded machine must not let the lease run out between the two processes.
        ["LEASE_SECONDS"] = "3600",
        ["HEARTBEAT_TIMEOUT_SECONDS"] = "3600",
    };

    private static async Task<double> InFlightAsync(HttpClient http)
    {
        using var response = await http.GetAsync("/metrics");
        var metrics = PrometheusText.Parse(await response.Content.ReadAsStringAsync());
        return metrics.Value("aitbc_http_requests_in_flight") ?? 0;
    }

    /// <summary>Checks a condition the server exposes no wake-up for, briefly and with a deadline.</summary>
    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "The condition never came true.");
            await Task.Delay(20);
        }
    }
}
