using System.Net;
using System.Text.Json.Nodes;
using Aitbc.Coordinator.Tests.Infrastructure;

namespace Aitbc.Coordinator.Tests.Admin;

public sealed class AdminApiTests
{
    private static readonly string[] ReadRoutes =
        ["/v1/admin/stats", "/v1/admin/jobs", "/v1/admin/miners", "/v1/admin/api-keys"];

    private static readonly string[] ChangeRoutes =
    [
        "/v1/admin/miners/mnr_x/drain", "/v1/admin/miners/mnr_x/undrain", "/v1/admin/miners/mnr_x/block",
        "/v1/admin/miners/mnr_x/unblock", "/v1/admin/api-keys", "/v1/admin/api-keys/key_x/revoke",
    ];

    [Fact]
    public async Task AdminEndpointsRefuseClientAndMinerKeysAndAnswerAdmins()
    {
        await using var coordinator = await TestCoordinator.StartAsync();
        using var clientAndMiner = coordinator.CreateClient(coordinator.ClientKey);
        using var anonymous = coordinator.CreateClient();
        using var admin = coordinator.CreateClient(coordinator.AdminKey);

        foreach (var route in ReadRoutes)
        {
            using var refused = await clientAndMiner.GetAsync(route);
            await refused.ExpectProblemAsync(HttpStatusCode.Forbidden, "forbidden");
            using var missing = await anonymous.GetAsync(route);
            await missing.ExpectProblemAsync(HttpStatusCode.Unauthorized, "missing_credentials");
            using var allowed = await admin.GetAsync(route);
            await allowed.ExpectAsync(HttpStatusCode.OK);
        }

        foreach (var route in ChangeRoutes)
        {
            using var refused = await clientAndMiner.PostJsonAsync(
                route, new { name = "x", roles = new[] { "admin" } });
            await refused.ExpectProblemAsync(HttpStatusCode.Forbidden, "forbidden");
        }

        using var keys = await admin.GetAsync("/v1/admin/api-keys?include_revoked=true&limit=200");
        Assert.All((await keys.ExpectAsync(HttpStatusCode.OK))["items"]!.AsArray(),
            k => Assert.Null(k!["revoked_at"]));
    }

    [Fact]
    public async Task StatsCountJobsMinersAndLatencies()
    {
        await using var coordinator = await TestCoordinator.StartAsync();
        using var client = coordinator.Client();
        using var miner = coordinator.Miner(coordinator.Keys[2]);
        using var admin = coordinator.CreateClient(coordinator.AdminKey);
        await miner.RegisterAsync(concurrency: 2);
        var done = await client.SubmitIdAsync();
        var broken = await client.SubmitIdAsync();
        var leases = await miner.TakeAsync();
        Assert.Equal(2, leases.Count);
        await client.SubmitIdAsync(new { job_type = "image_generation", parameters = new { } });
        (await miner.CompleteAsync(done, Lease(leases, done))).Dispose();
        (await miner.FailAsync(broken, Lease(leases, broken), retryable: false)).Dispose();

        using var response = await admin.GetAsync("/v1/admin/stats");
        var stats = await response.ExpectAsync(HttpStatusCode.OK);

        Assert.Equal(1, stats["jobs_by_state"]!["completed"]!.GetValue<long>());
        Assert.Equal(1, stats["jobs_by_state"]!["failed"]!.GetValue<long>());
        Assert.Equal(1, stats["jobs_by_state"]!["queued"]!.GetValue<long>());
        Assert.Equal(0, stats["jobs_by_state"]!["running"]!.GetValue<long>());
        Assert.Equal(1, stats["queue_depth_by_job_type"]!["image_generation"]!.GetValue<long>());
        Assert.Null(stats["queue_depth_by_job_type"]!["llm_inference"]);
        Assert.Equal(1, stats["miners"]!["online"]!.GetValue<long>());
        Assert.Equal(0, stats["miners"]!["blocked"]!.GetValue<long>());
        Assert.Equal(1, stats["jobs_completed"]!["last_minute"]!.GetValue<long>());
        Assert.Equal(1, stats["jobs_completed"]!["last_hour"]!.GetValue<long>());
        Assert.Equal(1, stats["jobs_failed"]!["last_hour"]!.GetValue<long>());
        Assert.Equal(2, stats["queue_wait_seconds"]!["samples"]!.GetValue<int>());
        Assert.Equal(2, stats["run_time_seconds"]!["samples"]!.GetValue<int>());
        Assert.True(stats["run_time_seconds"]!["p95"]!.GetValue<double>()
            >= stats["run_time_seconds"]!["p50"]!.GetValue<double>());
        Assert.Equal(900, stats["window_seconds"]!.GetValue<int>());
    }

    [Fact]
    public async Task JobListFiltersAndPagesOverEveryClient()
    {
        await using var coordinator = await TestCoordinator.StartAsync();
        using var first = coordinator.Client();
        using var second = coordinator.Client(coordinator.OtherClientKey);
        using var admin = coordinator.CreateClient(coordinator.AdminKey);
        var submitted = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            submitted.Add(await first.SubmitIdAsync());
            submitted.Add(await second.SubmitIdAsync());
        }

        var seen = new List<string>();
        string? cursor = null;
        do
        {
            using var page = await admin.GetAsync($"/v1/admin/jobs?limit=4{After(cursor)}");
            var body = await page.ExpectAsync(HttpStatusCode.OK);
            seen.AddRange(body["items"]!.AsArray().Select(j => j!.Str("job_id")));
            cursor = body["next_cursor"]?.GetValue<string>();
        }
        while (cursor is not null);
        Assert.Equal(Enumerable.Reverse(submitted), seen);

        using var one = await admin.GetAsync($"/v1/admin/jobs?state=queued&job_type=llm_inference&limit=1");
        var job = Assert.Single((await one.ExpectAsync(HttpStatusCode.OK))["items"]!.AsArray())!;
        Assert.StartsWith("key_", job.Str("client_id"));
        using var byClient = await admin.GetAsync($"/v1/admin/jobs?client_id={job.Str("client_id")}");
        Assert.Equal(3, (await byClient.ExpectAsync(HttpStatusCode.OK))["items"]!.AsArray().Count);

        using var badState = await admin.GetAsync("/v1/admin/jobs?state=sleeping");
        await badState.ExpectProblemAsync(HttpStatusCode.BadRequest, "validation_failed");
        using var badCursor = await admin.GetAsync("/v1/admin/jobs?cursor=nonsense");
        await badCursor.ExpectProblemAsync(HttpStatusCode.BadRequest, "validation_failed");
        using var badLimit = await admin.GetAsync("/v1/admin/jobs?limit=0");
        await badLimit.ExpectProblemAsync(HttpStatusCode.BadRequest, "validation_failed");
        using var badType = await admin.GetAsync("/v1/admin/jobs?limit=ten");
        await badType.ExpectProblemAsync(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task MinerListFiltersAndPages()
    {
        await using var coordinator = await TestCoordinator.StartAsync(keys: 5);
        using var admin = coordinator.CreateClient(coordinator.AdminKey);
        var miners = new List<string>();
        foreach (var key in coordinator.Keys)
        {
            using var miner = coordinator.Miner(key);
            miners.Add(await miner.RegisterAsync());
        }

        (await admin.PostAsync($"/v1/admin/miners/{miners[1]}/block", null)).Dispose();

        var seen = new List<string>();
        string? cursor = null;
        do
        {
            using var page = await admin.GetAsync($"/v1/admin/miners?limit=2{After(cursor)}");
            var body = await page.ExpectAsync(HttpStatusCode.OK);
            seen.AddRange(body["items"]!.AsArray().Select(m => m!.Str("miner_id")));
            cursor = body["next_cursor"]?.GetValue<string>();
        }
        while (cursor is not null);
        Assert.Equal(miners.Order(), seen.Order());
        Assert.Equal(miners.Count, seen.Distinct().Count());

        using var blocked = await admin.GetAsync("/v1/admin/miners?blocked=true");
        var only = Assert.Single((await blocked.ExpectAsync(HttpStatusCode.OK))["items"]!.AsArray())!;
        Assert.Equal(miners[1], only.Str("miner_id"));
        Assert.True(only["blocked"]!.GetValue<bool>());
        using var online = await admin.GetAsync("/v1/admin/miners?status=online&blocked=false");
        Assert.Equal(4, (await online.ExpectAsync(HttpStatusCode.OK))["items"]!.AsArray().Count);
        using var badStatus = await admin.GetAsync("/v1/admin/miners?status=asleep");
        await badStatus.ExpectProblemAsync(HttpStatusCode.BadRequest, "validation_failed");
        using var badCursor = await admin.GetAsync("/v1/admin/miners?cursor=bm9wZQ");
        await badCursor.ExpectProblemAsync(HttpStatusCode.BadRequest, "validation_failed");
    }

    [Fact]
    public async Task DrainedMinerKeepsItsLeaseButGetsNoNewWorkUntilUndrained()
    {
        await using var coordinator = await TestCoordinator.StartAsync();
        using var client = coordinator.Client();
        using var miner = coordinator.Miner(coordinator.Keys[2]);
        using var admin = coordinator.CreateClient(coordinator.AdminKey);
        var minerId = await miner.RegisterAsync(concurrency: 2);
        var held = await client.SubmitIdAsync();
        var lease = Assert.Single(await miner.TakeAsync());

        using var drain = await admin.PostAsync($"/v1/admin/miners/{minerId}/drain", null);
        var drained = await drain.ExpectAsync(HttpStatusCode.OK);
        Assert.True(drained["drained"]!.GetValue<bool>());
        Assert.Equal("draining", drained.Str("status"));
        Assert.Equal(1, drained["running_jobs"]!.GetValue<int>());
        var waiting = await client.SubmitIdAsync();

        Assert.Equal(held, Assert.Single(await miner.TakeAsync()).Str("job_id"));
        Assert.Equal("draining", (await miner.HeartbeatAsync("online", held)).Str("status"));
        Assert.Equal(held, Assert.Single(await miner.TakeAsync()).Str("job_id"));
        using var finished = await miner.CompleteAsync(held, lease.Str("lease_token"));
        await finished.ExpectAsync(HttpStatusCode.OK);
        Assert.Empty(await miner.TakeAsync());
        Assert.Equal("queued", (await client.StatusAsync(waiting)).Str("state"));

        using var undrain = await admin.PostAsync($"/v1/admin/miners/{minerId}/undrain", null);
        Assert.Equal("online", (await undrain.ExpectAsync(HttpStatusCode.OK)).Str("status"));
        Assert.Equal(waiting, Assert.Single(await miner.TakeAsync()).Str("job_id"));
    }

    [Fact]
    public async Task BlockedMinerIsRefusedAndItsJobsGoBackToTheQueueAtOnce()
    {
        await using var coordinator = await TestCoordinator.StartAsync();
        using var client = coordinator.Client();
        using var miner = coordinator.Miner(coordinator.Keys[2]);
        using var other = coordinator.Miner(coordinator.Keys[3]);
        using var admin = coordinator.CreateClient(coordinator.AdminKey);
        var minerId = await miner.RegisterAsync();
        await other.RegisterAsync();
        var jobId = await client.SubmitIdAsync();
        var lease = Assert.Single(await miner.TakeAsync());

        using var block = await admin.PostAsync($"/v1/admin/miners/{minerId}/block", null);
        var blocked = await block.ExpectAsync(HttpStatusCode.OK);
        Assert.True(blocked["blocked"]!.GetValue<bool>());
        Assert.Equal(0, blocked["running_jobs"]!.GetValue<int>());

        var status = await client.StatusAsync(jobId);
        Assert.Equal("queued", status.Str("state"));
        Assert.Equal("miner_blocked", status["error"]!.Str("code"));
        using var refused = await miner.Http.GetAsync("/v1/miner/jobs");
        await refused.ExpectProblemAsync(HttpStatusCode.Forbidden, "miner_blocked");
        using var late = await miner.CompleteAsync(jobId, lease.Str("lease_token"));
        await late.ExpectProblemAsync(HttpStatusCode.Forbidden, "miner_blocked");
        var retaken = Assert.Single(await other.TakeAsync());
        Assert.Equal(jobId, retaken.Str("job_id"));
        Assert.Equal(2, retaken["attempt"]!.GetValue<int>());
        using var again = await admin.PostAsync($"/v1/admin/miners/{minerId}/block", null);
        await again.ExpectAsync(HttpStatusCode.OK);
        using var scrape = await admin.GetAsync("/metrics");
        var metrics = Operations.PrometheusText.Parse(await scrape.Content.ReadAsStringAsync());
        Assert.Equal(1, metrics.Value("aitbc_leases_expired_total", ("reason", "miner_blocked")));

        using var unblock = await admin.PostAsync($"/v1/admin/miners/{minerId}/unblock", null);
        Assert.False((await unblock.ExpectAsync(HttpStatusCode.OK))["blocked"]!.GetValue<bool>());
        Assert.Equal("online", (await miner.HeartbeatAsync()).Str("status"));
    }

    [Fact]
    public async Task BlockingAMinerThatKeepsTakingLeavesItHoldingNothing()
    {
        await using var coordinator = await TestCoordinator.StartAsync();
        using var client = coordinator.Client();
        using var miner = coordinator.Miner(coordinator.Keys[2]);
        using var admin = coordinator.CreateClient(coordinator.AdminKey);
        var minerId = await miner.RegisterAsync(concurrency: 8);
        await Task.WhenAll(Enumerable.Range(0, 30).Select(_ => client.SubmitIdAsync()));

        var takers = Enumerable.Range(0, 6).Select(_ => Task.Run(async () =>
        {
            while (true)
            {
                using var response = await miner.Http.GetAsync("/v1/miner/jobs");
                if (response.StatusCode == HttpStatusCode.Forbidden)
                {
                    return;
                }

                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            }
        })).ToList();
        using var block = await admin.PostAsync($"/v1/admin/miners/{minerId}/block", null);
        await block.ExpectAsync(HttpStatusCode.OK);
        await Task.WhenAll(takers);

        using var running = await admin.GetAsync($"/v1/admin/jobs?state=running&miner_id={minerId}");
        Assert.Empty((await running.ExpectAsync(HttpStatusCode.OK))["items"]!.AsArray());
        using var miners = await admin.GetAsync("/v1/admin/miners?blocked=true");
        var view = Assert.Single((await miners.ExpectAsync(HttpStatusCode.OK))["items"]!.AsArray())!;
        Assert.Equal(0, view["running_jobs"]!.GetValue<int>());
        using var stats = await admin.GetAsync("/v1/admin/stats");
        Assert.Equal(30, (await stats.ExpectAsync(HttpStatusCode.OK))["jobs_by_state"]!["queued"]!.GetValue<long>());
    }

    [Fact]
    public async Task ChangingAnUnknownMinerIsNotFound()
    {
        await using var coordinator = await TestCoordinator.StartAsync();
        using var admin = coordinator.CreateClient(coordinator.AdminKey);

        foreach (var action in new[] { "drain", "undrain", "block", "unblock" })
        {
            using var response = await admin.PostAsync($"/v1/admin/miners/mnr_unknown/{action}", null);
            await response.ExpectProblemAsync(HttpStatusCode.NotFound, "miner_not_found");
        }
    }

    [Fact]
    public async Task CreatedKeyIsShownOnceWorksWithItsRolesAndStopsAtOnceWhenRevoked()
    {
        await using var coordinator = await TestCoordinator.StartAsync();
        using var admin = coordinator.CreateClient(coordinator.AdminKey);

        using var create = await admin.PostJsonAsync("/v1/admin/api-keys",
            new { name = "batch client", roles = new[] { "client" } });
        var created = await create.ExpectAsync(HttpStatusCode.Created);
        var key = created.Str("key");
        var keyId = created.Str("key_id");
        Assert.StartsWith("aitbc_", key);
        Assert.Equal($"/v1/admin/api-keys/{keyId}", create.Headers.Location?.OriginalString);
        Assert.Equal("client", Assert.Single(created["roles"]!.AsArray())!.GetValue<string>());
        Assert.Equal("admin", created.Str("source"));
        Assert.Equal(key[..10], created.Str("prefix"));
        Assert.StartsWith("key_", created.Str("created_by"));

        using var user = coordinator.Client(key);
        var jobId = await user.SubmitIdAsync();
        using var notAdmin = await user.Http.GetAsync("/v1/admin/stats");
        await notAdmin.ExpectProblemAsync(HttpStatusCode.Forbidden, "forbidden");
        using var notMiner = await user.Http.GetAsync("/v1/miner/jobs");
        await notMiner.ExpectProblemAsync(HttpStatusCode.Forbidden, "forbidden");

        using var list = await admin.GetAsync("/v1/admin/api-keys?role=client");
        var listed = (await list.ExpectAsync(HttpStatusCode.OK))["items"]!.AsArray()
            .Single(k => k!.Str("key_id") == keyId)!;
        Assert.Null(listed["key"]);
        Assert.DoesNotContain(key, listed.ToJsonString(), StringComparison.Ordinal);

        using var revoke = await admin.PostAsync($"/v1/admin/api-keys/{keyId}/revoke", null);
        var revoked = await revoke.ExpectAsync(HttpStatusCode.OK);
        Assert.NotNull(revoked["revoked_at"]);
        using var refused = await user.Http.GetAsync($"/v1/client/jobs/{jobId}");
        await refused.ExpectProblemAsync(HttpStatusCode.Unauthorized, "invalid_api_key");
        using var revokeAgain = await admin.PostAsync($"/v1/admin/api-keys/{keyId}/revoke", null);
        Assert.Equal(revoked.Str("revoked_at"), (await revokeAgain.ExpectAsync(HttpStatusCode.OK)).Str("revoked_at"));

        using var active = await admin.GetAsync("/v1/admin/api-keys");
        Assert.DoesNotContain((await active.ExpectAsync(HttpStatusCode.OK))["items"]!.AsArray(),
            k => k!.Str("key_id") == keyId);
        using var all = await admin.GetAsync("/v1/admin/api-keys?include_revoked=true");
        Assert.Contains((await all.ExpectAsync(HttpStatusCode.OK))["items"]!.AsArray(), k => k!.Str("key_id") == keyId);
    }

    [Fact]
    public async Task EveryRequestStartedAfterARevocationIsRefusedWhileTheKeyIsInHeavyUse()
    {
        await using var coordinator = await TestCoordinator.StartAsync();
        using var admin = coordinator.CreateClient(coordinator.AdminKey);
        using var create = await admin.PostJsonAsync(
            "/v1/admin/api-keys", new { name = "busy", roles = new[] { "client" } });
        var created = await create.ExpectAsync(HttpStatusCode.Created);
        using var user = coordinator.CreateClient(created.Str("key"));
        var revokedAt = long.MaxValue;
        var answers = new System.Collections.Concurrent.ConcurrentBag<(long Started, HttpStatusCode Status)>();
        var accepted = 0;
        var busy = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        var users = Enumerable.Range(0, 8).Select(_ => Task.Run(async () =>
        {
            while (true)
            {
                var started = System.Diagnostics.Stopwatch.GetTimestamp();
                using var response = await user.GetAsync("/v1/client/jobs?limit=1");
                answers.Add((started, response.StatusCode));
                if (response.StatusCode == HttpStatusCode.OK && Interlocked.Increment(ref accepted) == 50)
                {
                    busy.SetResult();
                }

                if (response.StatusCode == HttpStatusCode.Unauthorized && started > Interlocked.Read(ref revokedAt))
                {
                    return;
                }
            }
        })).ToList();
        await busy.Task;

        using var revoke = await admin.PostAsync($"/v1/admin/api-keys/{created.Str("key_id")}/revoke", null);
        await revoke.ExpectAsync(HttpStatusCode.OK);
        Interlocked.Exchange(ref revokedAt, System.Diagnostics.Stopwatch.GetTimestamp());
        await Task.WhenAll(users);

        var late = answers.Where(a => a.Started > revokedAt).ToList();
        Assert.NotEmpty(late);
        Assert.All(late, a => Assert.Equal(HttpStatusCode.Unauthorized, a.Status));
    }

    [Fact]
    public async Task KeyCreationAndRevocationRefuseBadRequests()
    {
        await using var coordinator = await TestCoordinator.StartAsync();
        using var admin = coordinator.CreateClient(coordinator.AdminKey);

        var bodies = new object[]
        {
            new { name = "x", roles = new[] { "root" } },
            new { name = "x", roles = Array.Empty<string>() },
            new { name = "", roles = new[] { "client" } },
            new { name = new string('n', 101), roles = new[] { "client" } },
        };
        foreach (var body in bodies)
        {
            using var response = await admin.PostJsonAsync("/v1/admin/api-keys", body);
            await response.ExpectProblemAsync(HttpStatusCode.BadRequest, "validation_failed");
        }

        using var malformed = await admin.PostRawAsync("/v1/admin/api-keys", "{\"name\": ");
        await malformed.ExpectProblemAsync(HttpStatusCode.BadRequest, "malformed_json");
        using var missing = await admin.PostJsonAsync("/v1/admin/api-keys", new { name = "x" });
        await missing.ExpectProblemAsync(HttpStatusCode.BadRequest, "missing_field");
        using var wrongType = await admin.PostJsonAsync("/v1/admin/api-keys", new { name = "x", roles = "client" });
        await wrongType.ExpectProblemAsync(HttpStatusCode.BadRequest, "invalid_type");
        using var unknown = await admin.PostAsync("/v1/admin/api-keys/key_unknown/revoke", null);
        await unknown.ExpectProblemAsync(HttpStatusCode.NotFound, "api_key_not_found");
        using var badRole = await admin.GetAsync("/v1/admin/api-keys?role=root");
        await badRole.ExpectProblemAsync(HttpStatusCode.BadRequest, "validation_failed");

        using var keys = await admin.GetAsync("/v1/admin/api-keys?limit=200");
        var items = (await keys.ExpectAsync(HttpStatusCode.OK))["items"]!.AsArray();
        Assert.All(items, k => Assert.Equal("environment", k!.Str("source")));
        var fromEnvironment = items.First()!.Str("key_id");
        using var configured = await admin.PostAsync($"/v1/admin/api-keys/{fromEnvironment}/revoke", null);
        await configured.ExpectProblemAsync(HttpStatusCode.Conflict, "key_from_configuration");
        using var stillWorks = coordinator.CreateClient(coordinator.ClientKey);
        using var ok = await stillWorks.GetAsync("/v1/client/jobs");
        await ok.ExpectAsync(HttpStatusCode.OK);
    }

    private static string After(string? cursor) => cursor is null ? "" : $"&cursor={cursor}";

    private static string Lease(List<JsonNode> leases, string jobId) =>
        leases.Single(l => l.Str("job_id") == jobId).Str("lease_token");
}
