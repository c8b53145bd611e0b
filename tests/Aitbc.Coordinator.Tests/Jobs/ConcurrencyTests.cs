using System.Collections.Concurrent;
using System.Net;
using Aitbc.Coordinator.Tests.Infrastructure;

namespace Aitbc.Coordinator.Tests.Jobs;

public sealed class ConcurrencyTests
{
    [Fact]
    public async Task ThirtyMinersRacingOverAThousandJobsCompleteEachExactlyOnce()
    {
        const int MinerCount = 30;
        const int JobCount = 1000;
        await using var coordinator = await TestCoordinator.StartAsync(keys: MinerCount + 1);
        using var client = coordinator.Client(coordinator.Keys[0]);
        var miners = Enumerable.Range(1, MinerCount).Select(i => coordinator.Miner(coordinator.Keys[i])).ToList();
        await Task.WhenAll(miners.Select(m => m.RegisterAsync(concurrency: 2)));
        var submitted = new ConcurrentBag<string>();
        await Parallel.ForAsync(0, JobCount, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (i, _) =>
            submitted.Add(await client.SubmitIdAsync(new { job_type = "echo", parameters = new { i } })));

        var leases = new ConcurrentBag<(string JobId, string Token, int Miner)>();
        var completions = new ConcurrentDictionary<string, int>();
        var serverErrors = 0;
        using var done = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await Task.WhenAll(miners.Select((miner, index) => Task.Run(async () =>
        {
            var seen = new HashSet<string>();
            while (completions.Count < JobCount && !done.IsCancellationRequested)
            {
                using var response = await miner.Http.GetAsync("/v1/miner/jobs?wait=1");
                if ((int)response.StatusCode >= 500)
                {
                    Interlocked.Increment(ref serverErrors);
                    continue;
                }

                var jobs = (await response.ExpectAsync(HttpStatusCode.OK))["jobs"]!.AsArray();
                foreach (var job in jobs.Select(j => j!))
                {
                    var token = job.Str("lease_token");
                    if (seen.Add(token))
                    {
                        leases.Add((job.Str("job_id"), token, index));
                    }

                    using var result = await miner.CompleteAsync(job.Str("job_id"), token);
                    if ((int)result.StatusCode >= 500)
                    {
                        Interlocked.Increment(ref serverErrors);
                    }
                    else if (result.StatusCode == HttpStatusCode.OK)
                    {
                        completions.AddOrUpdate(job.Str("job_id"), 1, (_, n) => n + 1);
                    }
                }
            }
        })));

        Assert.Equal(0, serverErrors);
        Assert.Equal(JobCount, submitted.Distinct().Count());
        Assert.Equal(submitted.Order(), completions.Keys.Order());
        Assert.All(completions.Values, n => Assert.Equal(1, n));

        // No lease was ever given to two miners: one lease per job, and every token seen by exactly one miner.
        Assert.Equal(JobCount, leases.Count);
        Assert.Equal(JobCount, leases.Select(l => l.JobId).Distinct().Count());
        Assert.Equal(JobCount, leases.Select(l => l.Token).Distinct().Count());
        using var list = await client.Http.GetAsync("/v1/client/jobs?state=completed&limit=1");
        Assert.Single((await list.ExpectAsync(HttpStatusCode.OK))["items"]!.AsArray());
        foreach (var miner in miners)
        {
            miner.Dispose();
        }
    }

    [Fact]
    public async Task ParallelSubmissionsWithOneIdempotencyKeyMakeOneJob()
    {
        await using var coordinator = await TestCoordinator.StartAsync();
        using var client = coordinator.Client();
        var body = new { job_type = "llm_inference", parameters = new { prompt = "once" } };

        var answers = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => client.SubmitAsync(body, "same-key")));

        Assert.Single(answers.Select(a => a.Str("job_id")).Distinct());
        using var list = await client.Http.GetAsync("/v1/client/jobs");
        Assert.Single((await list.ExpectAsync(HttpStatusCode.OK))["items"]!.AsArray());
    }

    [Fact]
    public async Task ParallelResultsForOneLeaseFinishTheJobOnce()
    {
        await using var coordinator = await TestCoordinator.StartAsync();
        using var client = coordinator.Client();
        using var miner = coordinator.Miner(coordinator.Keys[2]);
        await miner.RegisterAsync();
        var jobId = await client.SubmitIdAsync(new { job_type = "x", parameters = new { }, max_attempts = 1 });
        var token = Assert.Single(await miner.TakeAsync()).Str("lease_token");

        var responses = await Task.WhenAll(Enumerable.Range(0, 20).Select(i => i % 2 == 0
            ? miner.CompleteAsync(jobId, token, new { winner = "completed" })
            : miner.FailAsync(jobId, token, retryable: false)));
        var states = new List<string>();
        foreach (var response in responses)
        {
            states.Add((await response.ExpectAsync(HttpStatusCode.OK)).Str("state"));
            response.Dispose();
        }

        // Whichever report committed first decided the job; every other one got that same answer.
        var final = (await client.StatusAsync(jobId)).Str("state");
        Assert.All(states, s => Assert.Equal(final, s));
        Assert.Contains(final, new[] { "completed", "failed" });
        var job = await client.JobAsync(jobId);
        Assert.Equal(final == "completed" ? "completed" : null, job["result"]?["winner"]?.GetValue<string>());
    }
}
