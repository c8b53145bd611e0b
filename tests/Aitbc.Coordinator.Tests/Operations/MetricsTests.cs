using System.Net;
using Aitbc.Coordinator.Tests.Infrastructure;

namespace Aitbc.Coordinator.Tests.Operations;

public sealed class MetricsTests
{
    [Fact]
    public async Task MetricsParseAndCountWhatTheJobsDid()
    {
        await using var coordinator = await TestCoordinator.StartAsync();
        using var client = coordinator.Client();
        using var miner = coordinator.Miner(coordinator.Keys[2]);
        using var anonymous = coordinator.CreateClient();
        await miner.RegisterAsync(concurrency: 2);
        var completed = await client.SubmitIdAsync();
        var failed = await client.SubmitIdAsync();
        var leases = await miner.TakeAsync();
        var cancelled = await client.SubmitIdAsync();
        await client.SubmitIdAsync(new { job_type = "image_generation", parameters = new { } });
        (await miner.CompleteAsync(completed, leases.Single(l => l.Str("job_id") == completed).Str("lease_token")))
            .Dispose();
        (await miner.FailAsync(failed, leases.Single(l => l.Str("job_id") == failed).Str("lease_token"), false))
            .Dispose();
        (await client.Http.PostAsync($"/v1/client/jobs/{cancelled}/cancel", null)).Dispose();
        await client.StatusAsync(completed);
        (await client.Http.GetAsync("/v1/client/jobs/job_nothere/status")).Dispose();

        using var response = await anonymous.GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.StartsWith("text/plain", response.Content.Headers.ContentType?.MediaType);
        var metrics = PrometheusText.Parse(await response.Content.ReadAsStringAsync());

        Assert.Equal(4, metrics.Value("aitbc_jobs_submitted_total"));
        Assert.Equal(1, metrics.Value("aitbc_jobs_finished_total", ("state", "completed")));
        Assert.Equal(1, metrics.Value("aitbc_jobs_finished_total", ("state", "failed")));
        Assert.Equal(1, metrics.Value("aitbc_jobs_finished_total", ("state", "cancelled")));
        Assert.Equal(0, metrics.Value("aitbc_jobs_finished_total", ("state", "expired")));
        Assert.Equal(2, metrics.Value("aitbc_job_queue_wait_seconds_count"));
        Assert.Equal(2, metrics.Value("aitbc_job_run_seconds_count"));
        Assert.Equal(1, metrics.Value("aitbc_receipts_issued_total"));
        Assert.Equal(1, metrics.Value("aitbc_jobs", ("state", "completed")));
        Assert.Equal(1, metrics.Value("aitbc_jobs", ("state", "queued")));
        Assert.Equal(0, metrics.Value("aitbc_jobs", ("state", "running")));
        Assert.Equal(1, metrics.Value("aitbc_queue_depth", ("job_type", "image_generation")));
        Assert.Null(metrics.Value("aitbc_queue_depth", ("job_type", "llm_inference")));
        Assert.Equal(1, metrics.Value("aitbc_miners", ("status", "online")));

        Assert.Equal(4, metrics.Value("aitbc_http_requests_total",
            ("method", "POST"), ("route", "/v1/client/jobs"), ("status", "201")));
        Assert.Equal(1, metrics.Value("aitbc_http_requests_total",
            ("method", "GET"), ("route", "/v1/client/jobs/{jobId}/status"), ("status", "200")));
        Assert.Equal(1, metrics.Value("aitbc_http_requests_total",
            ("method", "GET"), ("route", "/v1/client/jobs/{jobId}/status"), ("status", "404")));
        Assert.DoesNotContain(metrics.Samples,
            s => s.Labels.Values.Any(v => v.Contains("job_", StringComparison.Ordinal)));
        Assert.True(metrics.Value("aitbc_http_request_duration_seconds_count",
            ("method", "POST"), ("route", "/v1/client/jobs")) >= 4);
    }

    [Fact]
    public async Task LeasesTakenBackAreCounted()
    {
        await using var coordinator = await TestCoordinator.StartAsync(settings: new Dictionary<string, string>
        {
            ["LEASE_SECONDS"] = "0.5",
            ["SWEEP_INTERVAL_SECONDS"] = "0.1",
        });
        using var client = coordinator.Client();
        using var miner = coordinator.Miner(coordinator.Keys[2]);
        await miner.RegisterAsync();
        var jobId = await client.SubmitIdAsync(
            new { job_type = "llm_inference", parameters = new { }, max_attempts = 1 });
        Assert.Single(await miner.TakeAsync());

        await client.WaitForStateAsync(jobId, "failed");
        using var anonymous = coordinator.CreateClient();
        using var response = await anonymous.GetAsync("/metrics");
        var metrics = PrometheusText.Parse(await response.Content.ReadAsStringAsync());

        Assert.Equal(1, metrics.Value("aitbc_leases_expired_total", ("reason", "lease_expired")));
        Assert.Equal(1, metrics.Value("aitbc_jobs_finished_total", ("state", "failed")));
    }
}
