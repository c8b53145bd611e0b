using System.Net;
using Aitbc.Coordinator.Tests.Infrastructure;

namespace Aitbc.Coordinator.Tests.Jobs;

public sealed class LifecycleTests
{
    [Fact]
    public async Task SubmittedJobIsTakenFinishedAndReadBack()
    {
        await using var coordinator = await TestCoordinator.StartAsync();
        using var client = coordinator.Client();
        using var miner = coordinator.Miner(coordinator.Keys[2]);

        var submitted = await client.SubmitAsync(new
        {
            job_type = "llm_inference",
            parameters = new { prompt = "Say hi", max_tokens = 5 },
            requirements = new { models = new[] { "Llama3" } },
            priority = 7,
        });
        var jobId = submitted.Str("job_id");
        Assert.StartsWith("job_", jobId);
        Assert.Equal("queued", submitted.Str("state"));
        Assert.EndsWith("Z", submitted.Str("created_at"));

        var waiting = await client.StatusAsync(jobId);
        Assert.Equal(1, waiting["queue_position"]!.GetValue<int>());
        Assert.Equal(0, waiting["eligible_miners"]!.GetValue<int>());
        Assert.Equal("no miner is online", waiting.Str("waiting_reason"));

        var minerId = await miner.RegisterAsync(models: ["llama3"]);
        Assert.StartsWith("mnr_", minerId);
        var lease = Assert.Single(await miner.TakeAsync());
        Assert.Equal(jobId, lease.Str("job_id"));
        Assert.Equal(1, lease["attempt"]!.GetValue<int>());
        Assert.Equal("Say hi", lease["parameters"]!["prompt"]!.GetValue<string>());
        var token = lease.Str("lease_token");

        var again = Assert.Single(await miner.TakeAsync());
        Assert.Equal(token, again.Str("lease_token"));
        var running = await client.StatusAsync(jobId);
        Assert.Equal("running", running.Str("state"));
        Assert.Null(running["queue_position"]);

        using var finished = await miner.CompleteAsync(jobId, token, new { text = "hi!" });
        Assert.Equal("completed", (await finished.ExpectAsync(HttpStatusCode.OK)).Str("state"));
        using var retried = await miner.CompleteAsync(jobId, token, new { text = "hi!" });
        Assert.Equal("completed", (await retried.ExpectAsync(HttpStatusCode.OK)).Str("state"));

        var job = await client.JobAsync(jobId);
        Assert.Equal("completed", job.Str("state"));
        Assert.Equal("hi!", job["result"]!["text"]!.GetValue<string>());
        Assert.Equal(5, job["parameters"]!["max_tokens"]!.GetValue<int>());
        Assert.Equal(1, job["attempts"]!.GetValue<int>());
        Assert.NotNull(job["completed_at"]);
        Assert.Empty(await miner.TakeAsync());
    }

    [Fact]
    public async Task RetryableFailureRequeuesUntilAttemptsRunOut()
    {
        await using var coordinator = await TestCoordinator.StartAsync();
        using var client = coordinator.Client();
        using var miner = coordinator.Miner(coordinator.Keys[2]);
        await miner.RegisterAsync();
        var jobId = await client.SubmitIdAsync(
            new { job_type = "llm_inference", parameters = new { }, max_attempts = 2 });

        var first = Assert.Single(await miner.TakeAsync());
        using var failedOnce = await miner.FailAsync(jobId, first.Str("lease_token"), retryable: true);
        Assert.Equal("queued", (await failedOnce.ExpectAsync(HttpStatusCode.OK)).Str("state"));
        using var replay = await miner.FailAsync(jobId, first.Str("lease_token"), retryable: true);
        Assert.Equal("queued", (await replay.ExpectAsync(HttpStatusCode.OK)).Str("state"));

        var second = Assert.Single(await miner.TakeAsync());
        Assert.Equal(2, second["attempt"]!.GetValue<int>());
        Assert.NotEqual(first.Str("lease_token"), second.Str("lease_token"));
        using var failedTwice = await miner.FailAsync(jobId, second.Str("lease_token"), retryable: true);
        Assert.Equal("failed", (await failedTwice.ExpectAsync(HttpStatusCode.OK)).Str("state"));

        var status = await client.StatusAsync(jobId);
        Assert.Equal("failed", status.Str("state"));
        Assert.Equal("gpu_error", status["error"]!.Str("code"));
        Assert.Empty(await miner.TakeAsync());
    }

    [Fact]
    public async Task NonRetryableFailureEndsTheJob()
    {
        await using var coordinator = await TestCoordinator.StartAsync();
        using var client = coordinator.Client();
        using var miner = coordinator.Miner(coordinator.Keys[2]);
        await miner.RegisterAsync();
        var jobId = await client.SubmitIdAsync();

        var lease = Assert.Single(await miner.TakeAsync());
        using var failed = await miner.FailAsync(jobId, lease.Str("lease_token"), retryable: false);

        Assert.Equal("failed", (await failed.ExpectAsync(HttpStatusCode.OK)).Str("state"));
        Assert.Equal("CUDA out of memory", (await client.StatusAsync(jobId))["error"]!.Str("message"));
    }

    [Fact]
    public async Task CancelWhileRunningReachesTheMinerAndRefusesItsResult()
    {
        await using var coordinator = await TestCoordinator.StartAsync();
        using var client = coordinator.Client();
        using var miner = coordinator.Miner(coordinator.Keys[2]);
        await miner.RegisterAsync();
        var jobId = await client.SubmitIdAsync();
        var lease = Assert.Single(await miner.TakeAsync());

        using var cancel = await client.Http.PostAsync($"/v1/client/jobs/{jobId}/cancel", null);
        Assert.Equal("cancelled", (await cancel.ExpectAsync(HttpStatusCode.OK)).Str("state"));
        var heartbeat = await miner.HeartbeatAsync("online", jobId);
        Assert.Equal(jobId, Assert.Single(heartbeat["cancelled_jobs"]!.AsArray())!.GetValue<string>());

        using var late = await miner.CompleteAsync(jobId, lease.Str("lease_token"));
        await late.ExpectProblemAsync(HttpStatusCode.Conflict, "job_cancelled");
        using var cancelAgain = await client.Http.PostAsync($"/v1/client/jobs/{jobId}/cancel", null);
        Assert.Equal("cancelled", (await cancelAgain.ExpectAsync(HttpStatusCode.OK)).Str("state"));
        Assert.Equal("cancelled", (await client.StatusAsync(jobId)).Str("state"));
        Assert.Empty(await miner.TakeAsync());
    }

    [Fact]
    public async Task CancellingAFinishedJobIsAConflict()
    {
        await using var coordinator = await TestCoordinator.StartAsync();
        using var client = coordinator.Client();
        using var miner = coordinator.Miner(coordinator.Keys[2]);
        await miner.RegisterAsync();
        var jobId = await client.SubmitIdAsync();
        var lease = Assert.Single(await miner.TakeAsync());
        (await miner.CompleteAsync(jobId, lease.Str("lease_token"))).Dispose();

        using var cancel = await client.Http.PostAsync($"/v1/client/jobs/{jobId}/cancel", null);

        await cancel.ExpectProblemAsync(HttpStatusCode.Conflict, "job_finished");
        Assert.Equal("completed", (await client.StatusAsync(jobId)).Str("state"));
    }

    [Fact]
    public async Task JobsPastTheirTimeToLiveExpire()
    {
        await using var coordinator = await TestCoordinator.StartAsync(settings: new Dictionary<string, string>
        {
            ["SWEEP_INTERVAL_SECONDS"] = "0.2",
        });
        using var client = coordinator.Client();
        using var miner = coordinator.Miner(coordinator.Keys[2]);
        await miner.RegisterAsync();
        var queuedId = await client.SubmitIdAsync(new { job_type = "a", parameters = new { }, ttl_seconds = 1 });
        var runningId = await client.SubmitIdAsync(new { job_type = "b", parameters = new { }, ttl_seconds = 1 });
        var lease = Assert.Single(await miner.TakeAsync());
        var otherId = lease.Str("job_id") == queuedId ? runningId : queuedId;

        var expired = await client.WaitForStateAsync(lease.Str("job_id"), "expired");
        await client.WaitForStateAsync(otherId, "expired");

        Assert.Equal("job_expired", expired["error"]!.Str("code"));
        using var late = await miner.CompleteAsync(lease.Str("job_id"), lease.Str("lease_token"));
        await late.ExpectProblemAsync(HttpStatusCode.Conflict, "job_expired");
    }

    [Fact]
    public async Task IdempotencyKeyReturnsTheOriginalJobOrRefusesAnotherBody()
    {
        await using var coordinator = await TestCoordinator.StartAsync();
        using var client = coordinator.Client();
        var body = new { job_type = "llm_inference", parameters = new { prompt = "once" } };

        var first = await client.SubmitAsync(body, idempotencyKey: "order-42");
        var second = await client.SubmitAsync(body, idempotencyKey: "order-42");
        using var other = await client.Http.SendAsync(new HttpRequestMessage(HttpMethod.Post, "/v1/client/jobs")
        {
            Content = Http.Content(new { job_type = "llm_inference", parameters = new { prompt = "twice" } }),
            Headers = { { "Idempotency-Key", "order-42" } },
        });

        Assert.Equal(first.Str("job_id"), second.Str("job_id"));
        await other.ExpectProblemAsync(HttpStatusCode.Conflict, "idempotency_key_reused");
        using var list = await client.Http.GetAsync("/v1/client/jobs");
        Assert.Single((await list.ExpectAsync(HttpStatusCode.OK))["items"]!.AsArray());
    }

    [Fact]
    public async Task MinersGetOnlyJobsTheyCanRunBestFirst()
    {
        await using var coordinator = await TestCoordinator.StartAsync();
        using var client = coordinator.Client();
        using var small = coordinator.Miner(coordinator.Keys[2]);
        using var big = coordinator.Miner(coordinator.Keys[3]);
        await small.RegisterAsync(models: ["llama3-8b"], concurrency: 4, vram: 8);
        var needsBig = await client.SubmitIdAsync(new
        {
            job_type = "llm_inference",
            parameters = new { },
            requirements = new { models = new[] { "llama3-70b" }, min_vram_gb = 48 },
        });
        var low = await client.SubmitIdAsync(new { job_type = "embed", parameters = new { }, priority = 1 });
        var high = await client.SubmitIdAsync(new { job_type = "embed", parameters = new { }, priority = 9 });

        var taken = await small.TakeAsync();

        Assert.Equal([high, low], taken.Select(j => j.Str("job_id")));
        var waiting = await client.StatusAsync(needsBig);
        Assert.Equal("no online miner offers model \"llama3-70b\"", waiting.Str("waiting_reason"));
        await big.RegisterAsync(models: ["llama3-70b"], vram: 80);
        Assert.Equal(needsBig, Assert.Single(await big.TakeAsync()).Str("job_id"));
    }

    [Fact]
    public async Task LongPollingMinerWakesWhenAJobArrives()
    {
        await using var coordinator = await TestCoordinator.StartAsync();
        using var client = coordinator.Client();
        using var miner = coordinator.Miner(coordinator.Keys[2]);
        await miner.RegisterAsync();

        var polling = miner.TakeAsync(wait: 30);
        await Task.Delay(300);
        Assert.False(polling.IsCompleted);
        var jobId = await client.SubmitIdAsync();
        var jobs = await polling;

        Assert.Equal(jobId, Assert.Single(jobs).Str("job_id"));
    }

    [Fact]
    public async Task AQueuedJobWakesAWaitingMinerThatCanRunItAndLeavesTheOthersWaiting()
    {
        await using var coordinator = await TestCoordinator.StartAsync();
        using var client = coordinator.Client();
        using var small = coordinator.Miner(coordinator.Keys[2]);
        using var big = coordinator.Miner(coordinator.Keys[3]);
        await small.RegisterAsync(models: ["llama3"]);
        await big.RegisterAsync(models: ["llama3-70b"], vram: 80);

        // The small miner is first in line, but the job needs the big one.
        var smallPolling = small.TakeAsync(wait: 30);
        await Task.Delay(300);
        var bigPolling = big.TakeAsync(wait: 30);
        await Task.Delay(300);
        var jobId = await client.SubmitIdAsync(new
        {
            job_type = "llm_inference",
            parameters = new { },
            requirements = new { models = new[] { "llama3-70b" }, min_vram_gb = 40 },
        });

        Assert.Equal(jobId, Assert.Single(await bigPolling.WaitAsync(TimeSpan.FromSeconds(10))).Str("job_id"));
        await Task.Delay(300);
        Assert.False(smallPolling.IsCompleted);

        // A job the small miner can run still reaches it.
        var forSmall = await client.SubmitIdAsync(new
        {
            job_type = "llm_inference",
            parameters = new { },
            requirements = new { models = new[] { "llama3" } },
        });
        Assert.Equal(forSmall, Assert.Single(await smallPolling.WaitAsync(TimeSpan.FromSeconds(10))).Str("job_id"));
    }

    [Fact]
    public async Task LongPollingMinerThatHoldsWorkWaitsForNewWork()
    {
        await using var coordinator = await TestCoordinator.StartAsync();
        using var client = coordinator.Client();
        using var miner = coordinator.Miner(coordinator.Keys[2]);
        await miner.RegisterAsync(concurrency: 2);
        var first = await client.SubmitIdAsync();
        var held = Assert.Single(await miner.TakeAsync());

        var polling = miner.TakeAsync(wait: 30);
        await Task.Delay(300);
        Assert.False(polling.IsCompleted);
        var second = await client.SubmitIdAsync();
        var jobs = await polling;

        Assert.Equal([first, second], jobs.Select(j => j.Str("job_id")));
        Assert.Equal(held.Str("lease_token"), jobs[0].Str("lease_token"));
    }

    [Fact]
    public async Task JobsNoMinerCanRunDoNotHideTheOnesItCan()
    {
        await using var coordinator = await TestCoordinator.StartAsync();
        using var client = coordinator.Client();
        using var miner = coordinator.Miner(coordinator.Keys[2]);
        await miner.RegisterAsync(models: ["llama3"]);
        for (var i = 0; i < 50; i++)
        {
            await client.SubmitIdAsync(new
            {
                job_type = "llm_inference",
                parameters = new { },
                priority = 9,
                requirements = new { models = new[] { $"model-{i % 5}" } },
            });
        }

        var runnable = await client.SubmitIdAsync(new
        {
            job_type = "llm_inference",
            parameters = new { },
            priority = 0,
            requirements = new { models = new[] { "LLAMA3" } },
        });

        Assert.Equal(runnable, Assert.Single(await miner.TakeAsync()).Str("job_id"));
    }

    [Fact]
    public async Task StatusWaitReturnsWhenTheStateChanges()
    {
        await using var coordinator = await TestCoordinator.StartAsync();
        using var client = coordinator.Client();
        using var miner = coordinator.Miner(coordinator.Keys[2]);
        await miner.RegisterAsync();
        var jobId = await client.SubmitIdAsync();

        var waiting = client.StatusAsync(jobId, wait: 30);
        await Task.Delay(300);
        Assert.False(waiting.IsCompleted);
        Assert.Single(await miner.TakeAsync());

        Assert.Equal("running", (await waiting).Str("state"));
    }

    [Fact]
    public async Task ListIsNewestFirstFilteredAndPaged()
    {
        await using var coordinator = await TestCoordinator.StartAsync();
        using var client = coordinator.Client();
        var ids = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            ids.Add(await client.SubmitIdAsync(new { job_type = i % 2 == 0 ? "even" : "odd", parameters = new { } }));
        }

        using var firstPage = await client.Http.GetAsync("/v1/client/jobs?limit=2");
        var first = await firstPage.ExpectAsync(HttpStatusCode.OK);
        using var secondPage = await client.Http.GetAsync($"/v1/client/jobs?limit=2&cursor={first.Str("next_cursor")}");
        var second = await secondPage.ExpectAsync(HttpStatusCode.OK);
        using var evens = await client.Http.GetAsync("/v1/client/jobs?job_type=even&state=queued");

        Assert.Equal([ids[4], ids[3]], first["items"]!.AsArray().Select(j => j!.Str("job_id")));
        Assert.Equal([ids[2], ids[1]], second["items"]!.AsArray().Select(j => j!.Str("job_id")));
        Assert.Equal(3, (await evens.ExpectAsync(HttpStatusCode.OK))["items"]!.AsArray().Count);
    }
}
