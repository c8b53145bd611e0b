using System.Net;
using System.Text.Json.Nodes;

namespace Aitbc.Coordinator.Tests.Infrastructure;

/// <summary>A client of the API, as a test drives it.</summary>
public sealed class TestClient(HttpClient http) : IDisposable
{
    public HttpClient Http { get; } = http;

    public async Task<JsonNode> SubmitAsync(object? body = null, string? idempotencyKey = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/client/jobs")
        {
            Content = Infrastructure.Http.Content(body ?? new { job_type = "llm_inference", parameters = new { } }),
        };
        if (idempotencyKey is not null)
        {
            request.Headers.Add("Idempotency-Key", idempotencyKey);
        }

        using var response = await Http.SendAsync(request);
        return await response.ExpectAsync(HttpStatusCode.Created);
    }

    public async Task<string> SubmitIdAsync(object? body = null) => (await SubmitAsync(body)).Str("job_id");

    public async Task<JsonNode> StatusAsync(string jobId, int wait = 0)
    {
        using var response = await Http.GetAsync($"/v1/client/jobs/{jobId}/status?wait={wait}");
        return await response.ExpectAsync(HttpStatusCode.OK);
    }

    public async Task<JsonNode> JobAsync(string jobId)
    {
        using var response = await Http.GetAsync($"/v1/client/jobs/{jobId}");
        return await response.ExpectAsync(HttpStatusCode.OK);
    }

    /// <summary>Waits, by long-polling the status, until the job is in <paramref name="state"/>.</summary>
    public async Task<JsonNode> WaitForStateAsync(string jobId, string state, int seconds = 30)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (true)
        {
            var status = await StatusAsync(jobId, wait: 2);
            if (status.Str("state") == state)
            {
                return status;
            }

            Assert.True(DateTime.UtcNow < deadline, $"Job {jobId} never reached {state}; last seen {status}");
        }
    }

    public void Dispose() => Http.Dispose();
}

/// <summary>A miner, as a test drives it.</summary>
public sealed class TestMiner(HttpClient http) : IDisposable
{
    public HttpClient Http { get; } = http;

    public async Task<string> RegisterAsync(
        string[]? models = null,
        int concurrency = 1,
        string price = "0",
        string? region = null,
        int vram = 24,
        string? wallet = null)
    {
        var body = new
        {
            capabilities = new
            {
                models = models ?? ["llama3"],
                gpus = new[] { new { name = "RTX 4090", vram_gb = vram } },
                region,
            },
            max_concurrency = concurrency,
            price_per_unit = price,
            wallet_address = wallet,
        };
        using var response = await Http.PostJsonAsync("/v1/miner/register", body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode is HttpStatusCode.Created or HttpStatusCode.OK, text);
        return System.Text.Json.Nodes.JsonNode.Parse(text).Str("miner_id");
    }

    public async Task<List<JsonNode>> TakeAsync(int wait = 0)
    {
        using var response = await Http.GetAsync($"/v1/miner/jobs?wait={wait}");
        var body = await response.ExpectAsync(HttpStatusCode.OK);
        return [.. body["jobs"]!.AsArray().Select(j => j!)];
    }

    /// <summary>Takes until a lease for <paramref name="jobId"/> arrives, and returns it.</summary>
    public async Task<JsonNode> TakeJobAsync(string jobId, int seconds = 30)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (true)
        {
            var lease = (await TakeAsync(wait: 2)).FirstOrDefault(j => j.Str("job_id") == jobId);
            if (lease is not null)
            {
                return lease;
            }

            Assert.True(DateTime.UtcNow < deadline, $"Job {jobId} was never leased to this miner.");
        }
    }

    public Task<HttpResponseMessage> CompleteAsync(string jobId, string leaseToken, object? result = null) =>
        Http.PostJsonAsync("/v1/miner/result", new
        {
            job_id = jobId,
            lease_token = leaseToken,
            status = "completed",
            result = result ?? new { text = "done" },
            metrics = new { tokens = 3 },
        });

    public Task<HttpResponseMessage> FailAsync(string jobId, string leaseToken, bool retryable) =>
        Http.PostJsonAsync("/v1/miner/result", new
        {
            job_id = jobId,
            lease_token = leaseToken,
            status = "failed",
            error = new { code = "gpu_error", message = "CUDA out of memory", retryable },
        });

    public async Task<JsonNode> HeartbeatAsync(string status = "online", params string[] running)
    {
        using var response = await Http.PostJsonAsync("/v1/miner/heartbeat", new { status, running_jobs = running });
        return await response.ExpectAsync(HttpStatusCode.OK);
    }

    public void Dispose() => Http.Dispose();
}

public static class ActorExtensions
{
    public static TestClient Client(this TestCoordinator coordinator, string? key = null) =>
        new(coordinator.CreateClient(key ?? coordinator.ClientKey));

    public static TestMiner Miner(this TestCoordinator coordinator, string key) => new(coordinator.CreateClient(key));
}
