using System.Net;
using Aitbc.Coordinator.Tests.Infrastructure;

namespace Aitbc.Coordinator.Tests.Jobs;

public sealed class RestartTests
{
    [Fact]
    public async Task KilledProcessRestartedOnTheSameFileKeepsEveryJobAndLease()
    {
        using var directory = new TestDirectory();
        var environment = new Dictionary<string, string>
        {
            ["DATABASE_URL"] = await TestDatabase.UrlAsync(directory),
            ["API_KEYS"] = "restart-client-key-1,restart-miner-key-1",
            ["SECRET_KEY"] = "restart-secret-key-0123456789",

            // About durability, not deadlines: on a loaded machine the restart may take longer than a heartbeat
            // timeout, and the sweeper must not requeue the lease meanwhile.
            ["LEASE_SECONDS"] = "3600",
            ["HEARTBEAT_TIMEOUT_SECONDS"] = "3600",
        };
        var submitted = new List<string>();
        string leasedJob;
        string leaseToken;
        await using (var first = await CoordinatorProcess.StartAsync(environment))
        {
            using var client = new TestClient(first.CreateClient("restart-client-key-1"));
            using var miner = new TestMiner(first.CreateClient("restart-miner-key-1"));
            await miner.RegisterAsync();
            for (var i = 0; i < 40; i++)
            {
                submitted.Add(await client.SubmitIdAsync());
            }

            var lease = Assert.Single(await miner.TakeAsync());
            leasedJob = lease.Str("job_id");
            leaseToken = lease.Str("lease_token");

            // Every 201 above was answered after its commit; the kill gives no chance to flush anything more.
            await first.KillAsync();
        }

        await using var second = await CoordinatorProcess.StartAsync(environment);
        using var client2 = new TestClient(second.CreateClient("restart-client-key-1"));
        using var miner2 = new TestMiner(second.CreateClient("restart-miner-key-1"));

        using var list = await client2.Http.GetAsync("/v1/client/jobs?limit=200");
        var items = (await list.ExpectAsync(HttpStatusCode.OK))["items"]!.AsArray();
        Assert.Equal(submitted.Order(), items.Select(j => j!.Str("job_id")).Order());
        Assert.Equal("running", (await client2.StatusAsync(leasedJob)).Str("state"));
        var held = Assert.Single(await miner2.TakeAsync());
        Assert.Equal(leaseToken, held.Str("lease_token"));
        using var result = await miner2.CompleteAsync(leasedJob, leaseToken);
        Assert.Equal("completed", (await result.ExpectAsync(HttpStatusCode.OK)).Str("state"));
        Assert.Equal(39, items.Count(j => j!.Str("state") == "queued"));
    }
}
