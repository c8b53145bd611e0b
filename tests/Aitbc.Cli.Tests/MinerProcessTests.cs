using System.Diagnostics;
using Aitbc.Cli.Tests.Infrastructure;
using Aitbc.Coordinator.Tests.Infrastructure;

namespace Aitbc.Cli.Tests;

/// <summary>The <c>aitbc</c> client and miner as real processes against a real Coordinator.</summary>
public sealed class MinerProcessTests
{
    [Fact]
    public async Task SubmitWithWaitIsFinishedByAnEchoMinerProcess()
    {
        await using var coordinator = await TestCoordinator.StartAsync();
        await using var miner = CliProcess.Start(coordinator, coordinator.Keys[2],
            ["miner", "run", "--runner", "echo"]);
        await miner.WaitForLineAsync(line => line.Contains("registered as mnr_", StringComparison.Ordinal));

        var submitted = await CliProcess.RunAsync(coordinator, coordinator.ClientKey,
            "client", "submit", "--type", "echo", "--params", """{"prompt": "hi", "n": 3}""", "--wait", "--json");

        Assert.True(submitted.ExitCode == 0, submitted.ToString());
        var job = submitted.Json();
        Assert.Equal("completed", job.Str("state"));
        Assert.Equal("hi", job["result"]!["prompt"]!.GetValue<string>());
        Assert.Equal(3, job["result"]!["n"]!.GetValue<int>());
        Assert.EndsWith("Z", job.Str("completed_at"));
        await miner.WaitForLineAsync(line => line.Contains($"{job.Str("job_id")} completed", StringComparison.Ordinal));

        await miner.TerminateAsync();
        Assert.Equal(0, await miner.WaitForExitAsync());
        Assert.Contains("drained", miner.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MinerDrainsOnSigtermFinishingItsJobAndTakingNoNewOne()
    {
        await using var coordinator = await TestCoordinator.StartAsync();
        using var client = coordinator.Client();
        var gate = coordinator.Directory.File("gate");
        await RunAsync("mkfifo", gate);
        var script = await WriteScriptAsync(coordinator, "gated.sh", """
            #!/bin/sh
            cat > /dev/null
            read line < "$GATE"
            echo '{"done": true}'
            """);
        var first = await client.SubmitIdAsync();
        await using var miner = CliProcess.Start(coordinator, coordinator.Keys[2],
            ["miner", "run", "--runner", "exec", "--concurrency", "2", "--", "/bin/sh", script],
            new Dictionary<string, string> { ["GATE"] = gate });
        await miner.WaitForLineAsync(line => line.Contains($"{first} started", StringComparison.Ordinal));

        await miner.TerminateAsync();
        await miner.WaitForLineAsync(line => line.Contains("draining:", StringComparison.Ordinal));
        var second = await client.SubmitIdAsync();
        await File.WriteAllTextAsync(gate, "go\n");

        Assert.Equal(0, await miner.WaitForExitAsync());
        var finished = await client.JobAsync(first);
        Assert.Equal("completed", finished.Str("state"));
        Assert.True(finished["result"]!["done"]!.GetValue<bool>());
        var waiting = await client.StatusAsync(second);
        Assert.Equal("queued", waiting.Str("state"));
        Assert.Equal(0, waiting["attempts"]!.GetValue<int>());
    }

    [Fact]
    public async Task BusyMinerWithAFreeSlotTakesANewJobWhileItsFirstStillRuns()
    {
        await using var coordinator = await TestCoordinator.StartAsync();
        using var client = coordinator.Client();
        var gates = coordinator.Directory.File("gates");
        Directory.CreateDirectory(gates);

        // Each job waits until a file named after it appears.
        var script = await WriteScriptAsync(coordinator, "gated.sh", """
            #!/bin/sh
            cat > /dev/null
            while [ ! -e "$GATES/$AITBC_JOB_ID" ]; do sleep 0.1; done
            echo '{"done": true}'
            """);
        await using var miner = CliProcess.Start(coordinator, coordinator.Keys[2],
            ["miner", "run", "--runner", "exec", "--concurrency", "2", "--", "/bin/sh", script],
            new Dictionary<string, string> { ["GATES"] = gates });
        await miner.WaitForLineAsync(line => line.Contains("registered as mnr_", StringComparison.Ordinal));
        var first = await client.SubmitIdAsync();
        await miner.WaitForLineAsync(line => line.Contains($"{first} started", StringComparison.Ordinal));

        // The miner long-polls with its second slot while the first job waits at its gate: well inside the 30 s
        // that an unanswered long-poll would take, the new job starts.
        var second = await client.SubmitIdAsync();
        await miner.WaitForLineAsync(
            line => line.Contains($"{second} started", StringComparison.Ordinal), TimeSpan.FromSeconds(15));
        Assert.Equal("running", (await client.StatusAsync(first)).Str("state"));

        await File.WriteAllTextAsync(Path.Combine(gates, first), "");
        await File.WriteAllTextAsync(Path.Combine(gates, second), "");
        Assert.Equal("completed", (await WaitForFinalAsync(client, first)).Str("state"));
        Assert.Equal("completed", (await WaitForFinalAsync(client, second)).Str("state"));
        await miner.TerminateAsync();
        Assert.Equal(0, await miner.WaitForExitAsync());
    }

    [Fact]
    public async Task ExecRunnerReportsSuccessFailureBadJsonAndTimeout()
    {
        await using var coordinator = await TestCoordinator.StartAsync();
        using var client = coordinator.Client();
        var script = await WriteScriptAsync(coordinator, "modes.sh", """
            #!/bin/sh
            params=$(cat)
            case "$params" in
              *'"mode":"ok"'*) printf '{"echo": %s, "job": "%s"}\n' "$params" "$AITBC_JOB_ID" ;;
              *'"mode":"fail"'*) echo "it broke" >&2; exit 3 ;;
              *'"mode":"retry"'*) echo "try elsewhere" >&2; exit 75 ;;
              *'"mode":"badjson"'*) echo "this is not json" ;;
              *'"mode":"hang"'*) exec sleep 300 ;;
            esac
            """);
        Task<string> SubmitAsync(string mode) =>
            client.SubmitIdAsync(new { job_type = "script", parameters = new { mode }, max_attempts = 2 });
        var ok = await SubmitAsync("ok");
        var fail = await SubmitAsync("fail");
        var retry = await SubmitAsync("retry");
        var badJson = await SubmitAsync("badjson");
        var hang = await SubmitAsync("hang");

        await using var miner = CliProcess.Start(coordinator, coordinator.Keys[2],
            ["miner", "run", "--runner", "exec", "--concurrency", "5", "--timeout", "1", "--", "/bin/sh", script]);

        var completed = await WaitForFinalAsync(client, ok);
        Assert.Equal("completed", completed.Str("state"));
        Assert.Equal("ok", completed["result"]!["echo"]!["mode"]!.GetValue<string>());
        Assert.Equal(ok, completed["result"]!.Str("job"));
        Assert.Equal(0, completed["metrics"]!["exit_code"]!.GetValue<int>());

        var failed = await WaitForFinalAsync(client, fail);
        Assert.Equal("failed", failed.Str("state"));
        Assert.Equal(1, failed["attempts"]!.GetValue<int>());
        Assert.Equal("exit_code", failed["error"]!.Str("code"));
        Assert.Contains("it broke", failed["error"]!.Str("message"), StringComparison.Ordinal);

        var retried = await WaitForFinalAsync(client, retry);
        Assert.Equal("failed", retried.Str("state"));
        Assert.Equal(2, retried["attempts"]!.GetValue<int>());

        var invalid = await WaitForFinalAsync(client, badJson);
        Assert.Equal("failed", invalid.Str("state"));
        Assert.Equal(1, invalid["attempts"]!.GetValue<int>());
        Assert.Equal("invalid_output", invalid["error"]!.Str("code"));

        var timedOut = await WaitForFinalAsync(client, hang);
        Assert.Equal("failed", timedOut.Str("state"));
        Assert.Equal(2, timedOut["attempts"]!.GetValue<int>());
        Assert.Equal("timeout", timedOut["error"]!.Str("code"));

        await miner.TerminateAsync();
        Assert.Equal(0, await miner.WaitForExitAsync());
    }

    internal static async Task<System.Text.Json.Nodes.JsonNode> WaitForFinalAsync(TestClient client, string jobId)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            var status = await client.StatusAsync(jobId, wait: 5);
            if (status.Str("state") is not ("queued" or "running"))
            {
                return await client.JobAsync(jobId);
            }

            Assert.True(DateTime.UtcNow < deadline, $"Job {jobId} never ended; last seen {status}");
        }
    }

    private static async Task<string> WriteScriptAsync(TestCoordinator coordinator, string name, string text)
    {
        var path = coordinator.Directory.File(name);
        await File.WriteAllTextAsync(path, text.ReplaceLineEndings("\n") + "\n");
        return path;
    }

    private static async Task RunAsync(string program, params string[] args)
    {
        using var process = Process.Start(program, args);
        await process.WaitForExitAsync();
        Assert.Equal(0, process.ExitCode);
    }
}
