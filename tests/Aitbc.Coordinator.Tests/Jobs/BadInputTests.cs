using System.Net;
using System.Text;
using Aitbc.Coordinator.Tests.Infrastructure;

namespace Aitbc.Coordinator.Tests.Jobs;

/// <summary>Bad input on every job and miner endpoint: a 4xx problem that says what is wrong, and no change.</summary>
public sealed class BadInputTests
{
    [Theory]
    [InlineData("{\"job_type\":", 400, "malformed_json")]
    [InlineData("{\"job_type\": \"x\",}", 400, "malformed_json")]
    [InlineData("[1, 2]", 400, "invalid_type")]
    [InlineData("{}", 400, "missing_field")]
    [InlineData("{\"parameters\": {}}", 400, "missing_field")]
    [InlineData("{\"job_type\": 5}", 400, "invalid_type")]
    [InlineData("{\"job_type\": \"x\", \"priority\": \"high\"}", 400, "invalid_type")]
    [InlineData("{\"job_type\": \"x\", \"priority\": 1.5}", 400, "invalid_type")]
    [InlineData("{\"job_type\": \"x\", \"requirements\": {\"models\": \"llama3\"}}", 400, "invalid_type")]
    [InlineData("{\"job_type\": \"x\", \"parameters\": [1]}", 400, "validation_failed")]
    [InlineData("{\"job_type\": \"\"}", 400, "validation_failed")]
    [InlineData("{\"job_type\": \"has space\"}", 400, "validation_failed")]
    [InlineData("{\"job_type\": \"x\", \"priority\": 10}", 400, "validation_failed")]
    [InlineData("{\"job_type\": \"x\", \"priority\": -1}", 400, "validation_failed")]
    [InlineData("{\"job_type\": \"x\", \"ttl_seconds\": 0}", 400, "validation_failed")]
    [InlineData("{\"job_type\": \"x\", \"ttl_seconds\": 86401}", 400, "validation_failed")]
    [InlineData("{\"job_type\": \"x\", \"max_attempts\": 0}", 400, "validation_failed")]
    [InlineData("{\"job_type\": \"x\", \"max_attempts\": 11}", 400, "validation_failed")]
    [InlineData("{\"job_type\": \"x\", \"requirements\": {\"min_vram_gb\": 0}}", 400, "validation_failed")]
    [InlineData("{\"job_type\": \"x\", \"max_price\": \"-1\"}", 400, "invalid_value")]
    [InlineData("{\"job_type\": \"x\", \"max_price\": \"1.123456789\"}", 400, "invalid_value")]
    [InlineData("{\"job_type\": \"x\", \"max_price\": \"ten\"}", 400, "invalid_value")]
    [InlineData("{\"job_type\": \"x\", \"max_price\": true}", 400, "invalid_value")]
    [InlineData("{\"job_type\": \"x\", \"priority\": 99999999999999999999}", 400, "invalid_type")]
    public async Task SubmitRefusesBadBodies(string body, int status, string code)
    {
        await using var coordinator = await TestCoordinator.StartAsync();
        using var client = coordinator.Client();

        using var response = await client.Http.PostRawAsync("/v1/client/jobs", body);

        await response.ExpectProblemAsync((HttpStatusCode)status, code);
        await AssertNoJobsAsync(client);
    }

    [Fact]
    public async Task SubmitRefusesOversizeAndNonJsonBodies()
    {
        await using var coordinator = await TestCoordinator.StartAsync();
        using var client = coordinator.Client();
        var bigParameters = $"{{\"job_type\": \"x\", \"parameters\": {{\"blob\": \"{new string('a', 400 * 1024)}\"}}}}";
        var hugeBody = $"{{\"job_type\": \"x\", \"parameters\": {{\"blob\": \"{new string('a', 3 * 1024 * 1024)}\"}}}}";

        using var tooBig = await client.Http.PostRawAsync("/v1/client/jobs", bigParameters);
        // With Expect: 100-continue the server can refuse before the body is sent, so the refusal is read
        // reliably instead of racing the upload.
        using var huge = await client.Http.SendAsync(new HttpRequestMessage(HttpMethod.Post, "/v1/client/jobs")
        {
            Content = new StringContent(hugeBody, Encoding.UTF8, "application/json"),
            Headers = { ExpectContinue = true },
        });
        using var text = await client.Http.PostRawAsync("/v1/client/jobs", "job_type=x", "text/plain");
        using var empty = await client.Http.PostRawAsync("/v1/client/jobs", "");
        using var jsonNull = await client.Http.PostRawAsync("/v1/client/jobs", "null");

        await tooBig.ExpectProblemAsync(HttpStatusCode.RequestEntityTooLarge, "body_too_large");
        await huge.ExpectProblemAsync(HttpStatusCode.RequestEntityTooLarge, "body_too_large");
        await text.ExpectProblemAsync(HttpStatusCode.UnsupportedMediaType, "unsupported_media_type");
        await empty.ExpectProblemAsync(HttpStatusCode.BadRequest);
        await jsonNull.ExpectProblemAsync(HttpStatusCode.BadRequest);
        await AssertNoJobsAsync(client);
    }

    [Fact]
    public async Task ParametersJustOverTheLimitAreRefusedByName()
    {
        await using var coordinator = await TestCoordinator.StartAsync();
        using var client = coordinator.Client();
        var parameters = $"{{\"blob\": \"{new string('a', 256 * 1024)}\"}}";

        using var response = await client.Http.PostRawAsync(
            "/v1/client/jobs", $"{{\"job_type\": \"x\", \"parameters\": {parameters}}}");

        await response.ExpectProblemAsync(HttpStatusCode.RequestEntityTooLarge, "parameters_too_large");
        await AssertNoJobsAsync(client);
    }

    [Theory]
    [InlineData("/v1/client/jobs/job_doesnotexist", 404, "job_not_found")]
    [InlineData("/v1/client/jobs/job_doesnotexist/status", 404, "job_not_found")]
    [InlineData("/v1/client/jobs/{id}/status?wait=61", 400, "validation_failed")]
    [InlineData("/v1/client/jobs/{id}/status?wait=-1", 400, "validation_failed")]
    [InlineData("/v1/client/jobs/{id}/status?wait=soon", 400, "invalid_query")]
    [InlineData("/v1/client/jobs?limit=0", 400, "validation_failed")]
    [InlineData("/v1/client/jobs?limit=201", 400, "validation_failed")]
    [InlineData("/v1/client/jobs?limit=many", 400, "invalid_query")]
    [InlineData("/v1/client/jobs?state=done", 400, "validation_failed")]
    [InlineData("/v1/client/jobs?state=1", 400, "validation_failed")]
    [InlineData("/v1/client/jobs?cursor=garbage", 400, "validation_failed")]
    [InlineData("/v1/nothing/here", 404, "not_found")]
    public async Task ClientReadsRefuseBadQueriesAndUnknownIds(string path, int status, string code)
    {
        await using var coordinator = await TestCoordinator.StartAsync();
        using var client = coordinator.Client();
        var jobId = await client.SubmitIdAsync();

        using var response = await client.Http.GetAsync(path.Replace("{id}", jobId));

        await response.ExpectProblemAsync((HttpStatusCode)status, code);
    }

    [Fact]
    public async Task CancelOfAnUnknownJobIsNotFound()
    {
        await using var coordinator = await TestCoordinator.StartAsync();
        using var client = coordinator.Client();

        using var response = await client.Http.PostAsync("/v1/client/jobs/job_nope/cancel", null);
        using var wrongMethod = await client.Http.DeleteAsync("/v1/client/jobs/job_nope/cancel");

        await response.ExpectProblemAsync(HttpStatusCode.NotFound, "job_not_found");
        await wrongMethod.ExpectProblemAsync(HttpStatusCode.MethodNotAllowed, "method_not_allowed");
    }

    [Theory]
    [InlineData("{\"max_concurrency\": 0}", "validation_failed")]
    [InlineData("{\"max_concurrency\": 65}", "validation_failed")]
    [InlineData("{\"max_concurrency\": \"two\"}", "invalid_type")]
    [InlineData("{\"capabilities\": {\"models\": \"llama3\"}}", "invalid_type")]
    [InlineData("{\"capabilities\": {\"models\": [\"\"]}}", "validation_failed")]
    [InlineData("{\"capabilities\": {\"gpus\": [{\"name\": \"A100\", \"vram_gb\": -1}]}}", "validation_failed")]
    [InlineData("{\"capabilities\": {\"extras\": \"fast\"}}", "validation_failed")]
    [InlineData("{\"price_per_unit\": \"-0.1\"}", "invalid_value")]
    [InlineData("{\"wallet_address\": \"not an address!\"}", "validation_failed")]
    [InlineData("{\"capabilities\": ", "malformed_json")]
    public async Task RegisterRefusesBadBodies(string body, string code)
    {
        await using var coordinator = await TestCoordinator.StartAsync();
        using var miner = coordinator.Miner(coordinator.Keys[2]);

        using var response = await miner.Http.PostRawAsync("/v1/miner/register", body);

        await response.ExpectProblemAsync(HttpStatusCode.BadRequest, code);
        using var notRegistered = await miner.Http.GetAsync("/v1/miner/jobs");
        await notRegistered.ExpectProblemAsync(HttpStatusCode.Conflict, "miner_not_registered");
    }

    [Fact]
    public async Task UnregisteredMinerIsToldToRegister()
    {
        await using var coordinator = await TestCoordinator.StartAsync();
        using var miner = coordinator.Miner(coordinator.Keys[2]);

        using var heartbeat = await miner.Http.PostJsonAsync("/v1/miner/heartbeat", new { status = "online" });
        using var jobs = await miner.Http.GetAsync("/v1/miner/jobs");
        using var result = await miner.CompleteAsync("job_x", "token");

        await heartbeat.ExpectProblemAsync(HttpStatusCode.Conflict, "miner_not_registered");
        await jobs.ExpectProblemAsync(HttpStatusCode.Conflict, "miner_not_registered");
        await result.ExpectProblemAsync(HttpStatusCode.Conflict, "miner_not_registered");
    }

    [Theory]
    [InlineData("{\"status\": \"sleeping\"}", "validation_failed")]
    [InlineData("{\"running_jobs\": \"job_1\"}", "invalid_type")]
    [InlineData("{\"status\": ", "malformed_json")]
    public async Task HeartbeatRefusesBadBodies(string body, string code)
    {
        await using var coordinator = await TestCoordinator.StartAsync();
        using var miner = coordinator.Miner(coordinator.Keys[2]);
        await miner.RegisterAsync();

        using var response = await miner.Http.PostRawAsync("/v1/miner/heartbeat", body);

        await response.ExpectProblemAsync(HttpStatusCode.BadRequest, code);
    }

    [Fact]
    public async Task TakeRefusesAnOutOfRangeWait()
    {
        await using var coordinator = await TestCoordinator.StartAsync();
        using var miner = coordinator.Miner(coordinator.Keys[2]);
        await miner.RegisterAsync();

        using var response = await miner.Http.GetAsync("/v1/miner/jobs?wait=120");

        await response.ExpectProblemAsync(HttpStatusCode.BadRequest, "validation_failed");
    }

    [Theory]
    [InlineData("{\"job_id\": \"{id}\", \"lease_token\": \"{token}\", \"status\": \"done\"}", 400, "validation_failed")]
    [InlineData("{\"job_id\": \"{id}\", \"status\": \"completed\", \"result\": {}}", 400, "missing_field")]
    [InlineData("{\"job_id\": \"{id}\", \"lease_token\": \"{token}\", \"status\": \"completed\"}", 400,
        "validation_failed")]
    [InlineData("{\"job_id\": \"{id}\", \"lease_token\": \"{token}\", \"status\": \"failed\"}", 400,
        "validation_failed")]
    [InlineData("{\"job_id\": \"{id}\", \"lease_token\": \"{token}\", \"status\": \"completed\", \"result\": 1, "
        + "\"metrics\": [1]}", 400, "validation_failed")]
    [InlineData("{\"job_id\": \"{id}\", \"lease_token\": 42, \"status\": \"completed\", \"result\": 1}", 400,
        "invalid_type")]
    [InlineData("{\"job_id\": \"job_unknown\", \"lease_token\": \"{token}\", \"status\": \"completed\", "
        + "\"result\": 1}", 404, "job_not_found")]
    [InlineData("{\"job_id\": \"{id}\", \"lease_token\": \"forged\", \"status\": \"completed\", \"result\": 1}", 409,
        "lease_expired")]
    public async Task ResultRefusesBadReportsAndLeavesTheJobRunning(string body, int status, string code)
    {
        await using var coordinator = await TestCoordinator.StartAsync();
        using var client = coordinator.Client();
        using var miner = coordinator.Miner(coordinator.Keys[2]);
        await miner.RegisterAsync();
        var jobId = await client.SubmitIdAsync();
        var token = Assert.Single(await miner.TakeAsync()).Str("lease_token");

        using var response = await miner.Http.PostRawAsync(
            "/v1/miner/result", body.Replace("{id}", jobId).Replace("{token}", token));

        await response.ExpectProblemAsync((HttpStatusCode)status, code);
        Assert.Equal("running", (await client.StatusAsync(jobId)).Str("state"));
    }

    [Fact]
    public async Task OversizeResultIsRefusedAndTheLeaseStaysUsable()
    {
        await using var coordinator = await TestCoordinator.StartAsync();
        using var client = coordinator.Client();
        using var miner = coordinator.Miner(coordinator.Keys[2]);
        await miner.RegisterAsync();
        var jobId = await client.SubmitIdAsync();
        var token = Assert.Single(await miner.TakeAsync()).Str("lease_token");
        var result = new StringBuilder("\"").Append('r', 1024 * 1024 + 10).Append('"').ToString();

        using var response = await miner.Http.PostRawAsync("/v1/miner/result",
            $"{{\"job_id\": \"{jobId}\", \"lease_token\": \"{token}\", "
            + $"\"status\": \"completed\", \"result\": {result}}}");

        await response.ExpectProblemAsync(HttpStatusCode.RequestEntityTooLarge, "result_too_large");
        using var fine = await miner.CompleteAsync(jobId, token);
        await fine.ExpectAsync(HttpStatusCode.OK);
    }

    private static async Task AssertNoJobsAsync(TestClient client)
    {
        using var list = await client.Http.GetAsync("/v1/client/jobs");
        Assert.Empty((await list.ExpectAsync(HttpStatusCode.OK))["items"]!.AsArray());
    }
}
