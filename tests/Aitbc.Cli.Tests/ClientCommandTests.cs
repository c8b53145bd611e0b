using System.Net;
using Aitbc.Cli.Tests.Infrastructure;
using Aitbc.Coordinator.Tests.Infrastructure;

namespace Aitbc.Cli.Tests;

/// <summary><c>aitbc client …</c> as a process: answers, one-line errors and exit codes.</summary>
public sealed class ClientCommandTests
{
    [Fact]
    public async Task SubmitStatusListCancelAndResultSpeakJson()
    {
        await using var coordinator = await TestCoordinator.StartAsync();
        var key = coordinator.ClientKey;
        var paramsFile = coordinator.Directory.File("params.json");
        await File.WriteAllTextAsync(paramsFile, """{"prompt": "from a file"}""");

        var first = await CliProcess.RunAsync(coordinator, key, "client", "submit", "--type", "llm_inference",
            "--params", "@" + paramsFile, "--max-price", "0.00000001", "--priority", "7", "--idempotency-key", "k-1",
            "--json");
        var again = await CliProcess.RunAsync(coordinator, key, "client", "submit", "--type", "llm_inference",
            "--params", "@" + paramsFile, "--max-price", "0.00000001", "--priority", "7", "--idempotency-key", "k-1",
            "--json");
        var second = await CliProcess.RunAsync(coordinator, key, "client", "submit", "--type", "other", "--json");

        Assert.True(first.ExitCode == 0, first.ToString());
        var jobId = first.Json().Str("job_id");
        Assert.Equal("0.00000001", first.Json().Str("max_price"));
        Assert.Equal(7, first.Json()["priority"]!.GetValue<int>());
        Assert.Equal(jobId, again.Json().Str("job_id"));
        var secondId = second.Json().Str("job_id");

        var status = await CliProcess.RunAsync(coordinator, key, "client", "status", jobId, "--json");
        Assert.Equal("queued", status.Json().Str("state"));
        Assert.Equal(1, status.Json()["queue_position"]!.GetValue<int>());

        var page = await CliProcess.RunAsync(coordinator, key, "client", "list", "--limit", "1", "--json");
        Assert.Equal(secondId, Assert.Single(page.Json()["items"]!.AsArray())!.Str("job_id"));
        var cursor = page.Json().Str("next_cursor");
        var next = await CliProcess.RunAsync(coordinator, key, "client", "list", "--limit", "1", "--cursor", cursor,
            "--json");
        Assert.Equal(jobId, Assert.Single(next.Json()["items"]!.AsArray())!.Str("job_id"));
        var all = await CliProcess.RunAsync(coordinator, key, "client", "list", "--all", "--limit", "1", "--json");
        Assert.Equal(2, all.Json()["items"]!.AsArray().Count);

        var notYet = await CliProcess.RunAsync(coordinator, key, "client", "result", jobId);
        Assert.Equal(4, notYet.ExitCode);
        Assert.Contains("has no result yet", notYet.Stderr, StringComparison.Ordinal);

        var cancelled = await CliProcess.RunAsync(coordinator, key, "client", "cancel", secondId, "--json");
        Assert.Equal("cancelled", cancelled.Json().Str("state"));

        using var miner = coordinator.Miner(coordinator.Keys[2]);
        await miner.RegisterAsync(models: []);
        var lease = await miner.TakeJobAsync(jobId);
        using var done = await miner.CompleteAsync(jobId, lease.Str("lease_token"), new { text = "hi" });
        await done.ExpectAsync(HttpStatusCode.OK);

        var result = await CliProcess.RunAsync(coordinator, key, "client", "result", jobId);
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("\"text\": \"hi\"", result.Stdout, StringComparison.Ordinal);
        var finished = await CliProcess.RunAsync(coordinator, key, "client", "cancel", jobId);
        Assert.Equal(4, finished.ExitCode);
        Assert.Contains("(job_finished, HTTP 409)", finished.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ErrorsAreOneLineWithExitCodesThatTellThemApart()
    {
        await using var coordinator = await TestCoordinator.StartAsync();
        var key = coordinator.ClientKey;

        var notFound = await CliProcess.RunAsync(coordinator, key, "client", "status", "job_doesnotexist");
        Assert.Equal(3, notFound.ExitCode);
        Assert.Equal("aitbc: There is no job job_doesnotexist of yours. (job_not_found, HTTP 404)", notFound.Stderr);
        Assert.Empty(notFound.Stdout);

        var notFoundJson = await CliProcess.RunAsync(coordinator, key, "client", "status", "job_x", "--json");
        Assert.Equal(3, notFoundJson.ExitCode);
        var error = System.Text.Json.Nodes.JsonNode.Parse(notFoundJson.Stderr)!["error"]!;
        Assert.Equal("job_not_found", error.Str("code"));
        Assert.Equal(404, error["status"]!.GetValue<int>());

        const string wrongKey = "not-a-key-but-secret-looking-0123456789";
        var unauthorized = await CliProcess.RunAsync(coordinator, wrongKey, "client", "list");
        Assert.Equal(4, unauthorized.ExitCode);
        Assert.Contains("HTTP 401", unauthorized.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain(wrongKey, unauthorized.Stderr, StringComparison.Ordinal);
        Assert.Single(unauthorized.Stderr.Split('\n'));

        var invalid = await CliProcess.RunAsync(coordinator, key,
            "client", "submit", "--type", "x", "--priority", "12");
        Assert.Equal(4, invalid.ExitCode);
        Assert.Contains("priority", invalid.Stderr, StringComparison.Ordinal);
        Assert.Contains("validation_failed", invalid.Stderr, StringComparison.Ordinal);

        var usage = new[]
        {
            await CliProcess.RunAsync(coordinator, null, "client", "list"),
            await CliProcess.RunAsync(coordinator, key, "client", "submit"),
            await CliProcess.RunAsync(coordinator, key, "client", "submit", "--type", "x", "--params", "{bad"),
            await CliProcess.RunAsync(coordinator, key, "client", "submit", "--type", "x", "--params", "[1]"),
            await CliProcess.RunAsync(coordinator, key,
                "client", "submit", "--type", "x", "--max-price", "0.123456789"),
            await CliProcess.RunAsync(coordinator, key, "client", "status", "job_x", "--wait", "61"),
            await CliProcess.RunAsync(coordinator, key, "client", "frobnicate"),
            await CliProcess.RunAsync(coordinator, key, "miner", "run", "--runner", "exec"),
            await CliProcess.RunAsync(coordinator, key, "miner", "run", "--runner", "openai"),
        };
        Assert.All(usage, run =>
        {
            Assert.True(run.ExitCode == 2, run.ToString());
            Assert.StartsWith("aitbc: ", run.Stderr, StringComparison.Ordinal);
            Assert.Single(run.Stderr.Split('\n'));
        });

        await using var stopped = await TestCoordinator.StartAsync();
        var address = stopped.BaseAddress.ToString();
        await stopped.DisposeAsync();
        await using var unreachable = CliProcess.Start(address, key, ["client", "list"]);
        Assert.Equal(5, await unreachable.WaitForExitAsync());
        Assert.Contains("Cannot reach the Coordinator", unreachable.Stderr, StringComparison.Ordinal);
    }
}
