using System.Text.Json.Nodes;
using Aitbc.Cli.Tests.Infrastructure;
using Aitbc.Coordinator.Tests.Infrastructure;

namespace Aitbc.Cli.Tests;

public sealed class BenchTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    public async Task BenchReportCountsEverySubmittedJobOnce(int minerConcurrency)
    {
        await using var coordinator = await TestCoordinator.StartAsync(keys: 6);
        var keys = coordinator.Keys;

        var run = await CliProcess.RunAsync(coordinator, keys[0],
            "bench", "--clients", "4", "--miners", "3", "--jobs", "300", "--queued", "25",
            "--miner-concurrency", minerConcurrency.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--client-keys", $"{keys[0]},{keys[1]}", "--miner-keys", $"{keys[2]},{keys[3]},{keys[4]}",
            "--server-pid", Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--json");

        Assert.True(run.ExitCode == 0, run.ToString());
        var report = run.Json();
        var jobs = report["jobs"]!;
        long Count(string name) => jobs[name]!.GetValue<long>();
        Assert.Equal(minerConcurrency, report["miner_concurrency"]!.GetValue<int>());
        Assert.Equal(300, Count("requested"));
        Assert.Equal(Count("requested"), Count("submitted") + Count("submit_errors"));
        Assert.Equal(Count("submitted"), Count("completed") + Count("failed") + Count("unfinished"));
        Assert.Equal(300, Count("completed"));
        Assert.Empty(report["errors"]!.AsObject());
        Assert.True(report["jobs_per_second"]!.GetValue<double>() > 0);
        Assert.True(report["server"]!["rss_bytes"]!.GetValue<long>() > 0);
        foreach (var name in new[] { "submit", "dispatch", "end_to_end" })
        {
            var latency = report["latency_ms"]![name]!;
            Assert.Equal(300, latency["count"]!.GetValue<long>());
            var (p50, p95, p99, max) = (At(latency, "p50"), At(latency, "p95"), At(latency, "p99"), At(latency, "max"));
            Assert.True(0 < p50 && p50 <= p95 && p95 <= p99 && p99 <= max, $"{name}: {latency}");
        }

        Assert.True(At(report["latency_ms"]!["dispatch"]!, "p50") <= At(report["latency_ms"]!["end_to_end"]!, "p50"));

        // The server agrees: 300 echo jobs completed, once each, and the filler still waits.
        var completed = new HashSet<string>();
        var filler = 0;
        foreach (var key in keys.Take(2))
        {
            using var client = coordinator.Client(key);
            var done = await ListAsync(client, "?job_type=bench_echo&state=completed");
            completed.UnionWith(done.Select(j => j.Str("job_id")));
            Assert.Empty(await ListAsync(client, "?job_type=bench_echo&state=running"));
            Assert.Empty(await ListAsync(client, "?job_type=bench_echo&state=queued"));
            filler += (await ListAsync(client, "?job_type=bench_fill&state=queued")).Count;
        }

        Assert.Equal(300, completed.Count);
        Assert.Equal(25, filler);
    }

    [Fact]
    public async Task BenchWithAnAdminKeyMakesAKeyPerClientAndMinerAndRevokesThem()
    {
        await using var coordinator = await TestCoordinator.StartAsync();

        var run = await CliProcess.RunAsync(coordinator, null,
            "bench", "--clients", "2", "--miners", "2", "--jobs", "50", "--admin-key", coordinator.AdminKey, "--json");

        Assert.True(run.ExitCode == 0, run.ToString());
        var report = run.Json();
        var jobs = report["jobs"]!;
        long Count(string name) => jobs[name]!.GetValue<long>();
        Assert.Equal(50, Count("requested"));
        Assert.Equal(Count("requested"), Count("submitted") + Count("submit_errors"));
        Assert.Equal(Count("submitted"), Count("completed") + Count("failed") + Count("unfinished"));
        Assert.Equal(50, Count("completed"));
        Assert.Equal(50, report["latency_ms"]!["end_to_end"]!["count"]!.GetValue<long>());
        var created = report["keys"]!["created_key_ids"]!.AsArray().Select(k => k!.GetValue<string>()).ToList();
        Assert.Equal(4, created.Distinct().Count());
        Assert.Equal(4, report["keys"]!["revoked"]!.GetValue<int>());

        // The admin API agrees: the run's keys exist, have the roles asked for, and are all revoked.
        var keys = await AllKeysAsync(coordinator);
        var runKeys = created.Select(id => keys.Single(k => k.Str("key_id") == id)).ToList();
        Assert.All(runKeys, key =>
        {
            Assert.NotNull(key["revoked_at"]);
            Assert.StartsWith("aitbc bench ", key.Str("name"), StringComparison.Ordinal);
        });
        Assert.Equal(["client", "client", "miner", "miner"],
            runKeys.Select(k => Assert.Single(k["roles"]!.AsArray())!.GetValue<string>()).Order());
        Assert.Equal(created.ToHashSet(), keys.Where(k => k.Str("name").StartsWith("aitbc bench ",
            StringComparison.Ordinal)).Select(k => k.Str("key_id")).ToHashSet());

        // The jobs were submitted with the run's client keys, one principal per key, and all completed.
        using var admin = coordinator.CreateClient(coordinator.AdminKey);
        var completed = 0;
        string? cursor = null;
        do
        {
            using var response = await admin.GetAsync(new Uri(
                $"/v1/admin/jobs?job_type=bench_echo&limit=200{(cursor is null ? "" : "&cursor=" + cursor)}",
                UriKind.Relative));
            var page = await response.ExpectAsync(System.Net.HttpStatusCode.OK);
            foreach (var job in page["items"]!.AsArray())
            {
                Assert.Equal("completed", job!.Str("state"));
                Assert.Contains(job.Str("api_key_id"), created);
                completed++;
            }

            cursor = page["next_cursor"]?.GetValue<string>();
        }
        while (cursor is not null);

        Assert.Equal(50, completed);
    }

    [Fact]
    public async Task BenchRevokesItsKeysWhenTheRunFailsOrIsStopped()
    {
        await using var coordinator = await TestCoordinator.StartAsync();

        // Too few miner keys: refused after the client keys were made, which must not outlive the refusal.
        var refused = await CliProcess.RunAsync(coordinator, null, "bench", "--clients", "2", "--miners", "2",
            "--jobs", "5", "--miner-keys", coordinator.Keys[1], "--admin-key", coordinator.AdminKey);
        Assert.Equal(2, refused.ExitCode);
        Assert.Contains("--miner-keys has 1 for 2 miners", refused.Stderr, StringComparison.Ordinal);

        await using var stopped = CliProcess.Start(coordinator, null,
            ["bench", "--clients", "1", "--miners", "1", "--jobs", "1000000", "--admin-key", coordinator.AdminKey]);
        await stopped.WaitForLineAsync(line => line.Contains("created 2 API keys", StringComparison.Ordinal));
        await stopped.TerminateAsync();
        Assert.Equal(130, await stopped.WaitForExitAsync());
        Assert.Contains("revoked the 2 API keys of the run", stopped.Stderr, StringComparison.Ordinal);

        var runKeys = (await AllKeysAsync(coordinator))
            .Where(k => k.Str("name").StartsWith("aitbc bench ", StringComparison.Ordinal))
            .ToList();
        Assert.Equal(4, runKeys.Count);
        Assert.All(runKeys, key => Assert.NotNull(key["revoked_at"]));

        var both = await CliProcess.RunAsync(coordinator, null, "bench", "--client-keys", coordinator.Keys[0],
            "--miner-keys", coordinator.Keys[1], "--miners", "1", "--admin-key", coordinator.AdminKey);
        Assert.Equal(2, both.ExitCode);
    }

    [Fact]
    public async Task BenchRefusesFewerMinerKeysThanMiners()
    {
        await using var coordinator = await TestCoordinator.StartAsync();

        var run = await CliProcess.RunAsync(coordinator, coordinator.ClientKey,
            "bench", "--miners", "2", "--jobs", "10", "--miner-keys", coordinator.Keys[1]);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("--miner-keys has 1 for 2 miners", run.Stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("65")]
    public async Task BenchRefusesAMinerConcurrencyOutOfRange(string concurrency)
    {
        await using var coordinator = await TestCoordinator.StartAsync();

        var run = await CliProcess.RunAsync(coordinator, coordinator.ClientKey,
            "bench", "--jobs", "10", "--miner-concurrency", concurrency);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("--miner-concurrency must be from 1 to 64", run.Stderr, StringComparison.Ordinal);
    }

    private static async Task<List<JsonNode>> AllKeysAsync(TestCoordinator coordinator)
    {
        using var admin = coordinator.CreateClient(coordinator.AdminKey);
        using var response = await admin.GetAsync(
            new Uri("/v1/admin/api-keys?include_revoked=true&limit=200", UriKind.Relative));
        var page = await response.ExpectAsync(System.Net.HttpStatusCode.OK);
        Assert.Null(page["next_cursor"]);
        return [.. page["items"]!.AsArray().Select(k => k!)];
    }

    private static double At(JsonNode node, string name) => node[name]!.GetValue<double>();

    private static async Task<List<JsonNode>> ListAsync(TestClient client, string query)
    {
        var items = new List<JsonNode>();
        string? cursor = null;
        do
        {
            var path = $"/v1/client/jobs{query}&limit=200{(cursor is null ? "" : "&cursor=" + cursor)}";
            using var response = await client.Http.GetAsync(path);
            var page = await response.ExpectAsync(System.Net.HttpStatusCode.OK);
            items.AddRange(page["items"]!.AsArray().Select(j => j!));
            cursor = page["next_cursor"]?.GetValue<string>();
        }
        while (cursor is not null);

        return items;
    }
}
