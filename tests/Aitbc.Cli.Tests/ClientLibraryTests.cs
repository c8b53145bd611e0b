using System.Text.Json;
using Aitbc.Client;
using Aitbc.Client.Jobs;
using Aitbc.Client.Miners;
using Aitbc.Coordinator.Tests.Infrastructure;

namespace Aitbc.Cli.Tests;

/// <summary>The typed client in-process against a real Coordinator.</summary>
public sealed class ClientLibraryTests
{
    [Fact]
    public async Task JobGoesFromSubmitToResultThroughTheTypedClient()
    {
        await using var coordinator = await TestCoordinator.StartAsync();
        using var client = new AitbcClient(coordinator.BaseAddress, coordinator.ClientKey);
        using var miner = new AitbcClient(coordinator.BaseAddress, coordinator.Keys[2]);
        var request = new SubmitJobRequest
        {
            JobType = "llm_inference",
            Parameters = JsonSerializer.SerializeToElement(new { prompt = "hi" }),
            MaxPrice = 12.5m,
            Requirements = new JobRequirements { Models = ["llama3"] },
        };

        var submitted = await client.Jobs.SubmitAsync(request, idempotencyKey: "once");
        var replayed = await client.Jobs.SubmitAsync(request, idempotencyKey: "once");
        var info = await miner.Miner.RegisterAsync(new RegisterMinerRequest
        {
            Capabilities = new MinerCapabilities { Models = ["llama3"], Gpus = [new GpuInfo("RTX 4090", 24)] },
            PricePerUnit = 0.00000001m,
        });
        var lease = Assert.Single(await miner.Miner.TakeJobsAsync(TimeSpan.FromSeconds(5)));
        var beat = await miner.Miner.HeartbeatAsync(MinerStatus.Online, [lease.JobId, "job_gone"]);
        var accepted = await miner.Miner.SubmitResultAsync(
            JobResult.Completed(lease, JsonSerializer.SerializeToElement(new { text = "hello" })));
        var job = await client.Jobs.GetAsync(submitted.Job.JobId);

        Assert.False(submitted.Replayed);
        Assert.True(replayed.Replayed);
        Assert.Equal(submitted.Job.JobId, replayed.Job.JobId);
        Assert.Equal(12.5m, submitted.Job.MaxPrice);
        Assert.Equal(0.00000001m, info.PricePerUnit);
        Assert.True(info.HeartbeatIntervalSeconds > 0);
        Assert.Equal(submitted.Job.JobId, lease.JobId);
        Assert.Equal(12.5m, lease.MaxPrice);
        Assert.Equal(["job_gone"], beat.CancelledJobs);
        Assert.Equal(JobState.Completed, accepted.State);
        Assert.Equal(JobState.Completed, job.State);
        Assert.Equal("hello", job.Result!.Value.GetProperty("text").GetString());
        Assert.Equal(info.MinerId, job.MinerId);
        Assert.Equal("ok", (await client.HealthAsync()).Status);
        Assert.Equal("ready", (await client.ReadyAsync()).Status);
    }

    [Fact]
    public async Task ProblemsBecomeTypedExceptionsThatNeverCarryTheKey()
    {
        await using var coordinator = await TestCoordinator.StartAsync();
        using var client = new AitbcClient(coordinator.BaseAddress, coordinator.ClientKey);
        const string secret = "wrong-key-that-must-not-leak-42";
        using var stranger = new AitbcClient(coordinator.BaseAddress, secret);
        using var admin = new AitbcClient(coordinator.BaseAddress, coordinator.AdminKey);

        var missing = await Assert.ThrowsAsync<AitbcNotFoundException>(() => client.Jobs.GetStatusAsync("job_nope"));
        var invalid = await Assert.ThrowsAsync<AitbcValidationException>(() =>
            client.Jobs.SubmitAsync(new SubmitJobRequest { JobType = "x", Priority = 11, TtlSeconds = 0 }));
        var unknown = await Assert.ThrowsAsync<AitbcAuthException>(() => stranger.Jobs.ListAsync());
        var forbidden = await Assert.ThrowsAsync<AitbcAuthException>(() => admin.Jobs.ListAsync());
        var job = (await client.Jobs.SubmitAsync(new SubmitJobRequest { JobType = "x" })).Job;
        var fake = new LeasedJob { JobId = job.JobId, JobType = "x", LeaseToken = "not-the-lease" };
        await client.Miner.RegisterAsync(new RegisterMinerRequest());
        var notHeld = await Assert.ThrowsAsync<AitbcNotFoundException>(() =>
            client.Miner.SubmitResultAsync(JobResult.Completed(fake, JsonSerializer.SerializeToElement(1))));
        await client.Jobs.CancelAsync(job.JobId);

        Assert.Equal((404, "job_not_found"), (missing.Status, missing.Code));
        Assert.Contains("job_nope", missing.Detail, StringComparison.Ordinal);
        Assert.Equal((400, "validation_failed"), (invalid.Status, invalid.Code));
        Assert.Contains("priority", invalid.Errors.Keys);
        Assert.Contains("ttl_seconds", invalid.Errors.Keys);
        Assert.Equal(401, unknown.Status);
        Assert.DoesNotContain(secret, unknown.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(secret, unknown.ToString(), StringComparison.Ordinal);
        Assert.Equal(403, forbidden.Status);
        Assert.Equal(404, notHeld.Status);
        var ended = await client.Jobs.CancelAsync(job.JobId);
        Assert.Equal(JobState.Cancelled, ended.State);
    }

    [Fact]
    public async Task ListAllFollowsCursorsAndWaitHonoursCancellation()
    {
        await using var coordinator = await TestCoordinator.StartAsync();
        using var client = new AitbcClient(coordinator.BaseAddress, coordinator.ClientKey);
        var ids = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            ids.Add((await client.Jobs.SubmitAsync(new SubmitJobRequest { JobType = i % 2 == 0 ? "even" : "odd" }))
                .Job.JobId);
        }

        var all = new List<string>();
        await foreach (var job in client.Jobs.ListAllAsync(new JobListQuery { Limit = 2 }))
        {
            all.Add(job.JobId);
        }

        var even = await client.Jobs.ListAsync(new JobListQuery { JobType = "even", State = JobState.Queued });
        using var cancel = new CancellationTokenSource();
        var waiting = client.Jobs.GetStatusAsync(ids[0], TimeSpan.FromSeconds(60), cancel.Token);
        await cancel.CancelAsync();

        Assert.Equal(Enumerable.Reverse(ids), all);
        Assert.Equal(3, even.Items.Count);
        Assert.Null(even.NextCursor);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() =>
            client.Jobs.GetStatusAsync(ids[0], TimeSpan.FromSeconds(61)));
        Assert.Throws<ArgumentOutOfRangeException>(() => AitbcAmountConverter.Format(0.000000001m));
    }

    [Fact]
    public async Task UnreachableCoordinatorIsANetworkErrorWithoutUserInfo()
    {
        using var client = new AitbcClient(new Uri("http://user:hunter2@127.0.0.1:9/"), "key");

        var error = await Assert.ThrowsAsync<AitbcNetworkException>(() => client.HealthAsync());

        Assert.DoesNotContain("hunter2", error.Message, StringComparison.Ordinal);
        Assert.Contains("127.0.0.1:9", error.Message, StringComparison.Ordinal);
    }
}
