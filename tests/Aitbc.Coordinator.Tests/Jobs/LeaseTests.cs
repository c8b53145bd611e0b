using System.Net;
using Aitbc.Coordinator.Tests.Infrastructure;

namespace Aitbc.Coordinator.Tests.Jobs;

public sealed class LeaseTests
{
    private static readonly Dictionary<string, string> ShortTimings = new()
    {
        ["LEASE_SECONDS"] = "1",
        ["HEARTBEAT_INTERVAL_SECONDS"] = "0.5",
        ["HEARTBEAT_TIMEOUT_SECONDS"] = "1.5",
        ["SWEEP_INTERVAL_SECONDS"] = "0.2",
    };

    [Fact]
    public async Task JobOfASilentMinerGoesToAnotherAndTheLateResultIsRefused()
    {
        await using var coordinator = await TestCoordinator.StartAsync(settings: ShortTimings);
        using var client = coordinator.Client();
        using var silent = coordinator.Miner(coordinator.Keys[2]);
        using var healthy = coordinator.Miner(coordinator.Keys[3]);
        await silent.RegisterAsync();
        var jobId = await client.SubmitIdAsync();
        var first = Assert.Single(await silent.TakeAsync());
        await healthy.RegisterAsync();

        // The first miner now says nothing; the job comes back and the second miner gets it.
        var second = await healthy.TakeJobAsync(jobId);
        Assert.Equal(2, second["attempt"]!.GetValue<int>());
        using var completed = await healthy.CompleteAsync(jobId, second.Str("lease_token"));
        await completed.ExpectAsync(HttpStatusCode.OK);

        using var late = await silent.CompleteAsync(jobId, first.Str("lease_token"));
        await late.ExpectProblemAsync(HttpStatusCode.Conflict, "lease_expired");
        var job = await client.JobAsync(jobId);
        Assert.Equal("completed", job.Str("state"));
        Assert.Equal("done", job["result"]!["text"]!.GetValue<string>());
    }

    [Fact]
    public async Task HeartbeatsKeepALongJobLeased()
    {
        await using var coordinator = await TestCoordinator.StartAsync(settings: ShortTimings);
        using var client = coordinator.Client();
        using var miner = coordinator.Miner(coordinator.Keys[2]);
        await miner.RegisterAsync();
        var jobId = await client.SubmitIdAsync();
        var lease = Assert.Single(await miner.TakeAsync());

        // Three lease lengths pass; heartbeats every half lease keep the job this miner's.
        for (var i = 0; i < 6; i++)
        {
            var heartbeat = await miner.HeartbeatAsync("online", jobId);
            Assert.Empty(heartbeat["cancelled_jobs"]!.AsArray());
            await Task.Delay(500);
        }

        Assert.Equal(1, (await client.StatusAsync(jobId))["attempts"]!.GetValue<int>());
        using var completed = await miner.CompleteAsync(jobId, lease.Str("lease_token"));
        Assert.Equal("completed", (await completed.ExpectAsync(HttpStatusCode.OK)).Str("state"));
    }

    [Fact]
    public async Task LeaseThatRunsOutWithNoAttemptsLeftFailsTheJob()
    {
        await using var coordinator = await TestCoordinator.StartAsync(settings: ShortTimings);
        using var client = coordinator.Client();
        using var miner = coordinator.Miner(coordinator.Keys[2]);
        await miner.RegisterAsync();
        var jobId = await client.SubmitIdAsync(new { job_type = "x", parameters = new { }, max_attempts = 1 });
        Assert.Single(await miner.TakeAsync());

        var failed = await client.WaitForStateAsync(jobId, "failed");

        Assert.Contains(failed["error"]!.Str("code"), new[] { "lease_expired", "miner_offline" });
    }

    [Fact]
    public async Task DrainingMinerKeepsItsJobsButGetsNoNewOnes()
    {
        await using var coordinator = await TestCoordinator.StartAsync();
        using var client = coordinator.Client();
        using var miner = coordinator.Miner(coordinator.Keys[2]);
        await miner.RegisterAsync(concurrency: 4);
        var held = await client.SubmitIdAsync();
        Assert.Single(await miner.TakeAsync());

        var heartbeat = await miner.HeartbeatAsync("draining", held);
        var queued = await client.SubmitIdAsync();

        Assert.Equal("draining", heartbeat.Str("status"));
        Assert.Equal(held, Assert.Single(await miner.TakeAsync()).Str("job_id"));
        Assert.Equal("queued", (await client.StatusAsync(queued)).Str("state"));
        await miner.HeartbeatAsync("online");
        Assert.Equal(2, (await miner.TakeAsync()).Count);
    }
}
