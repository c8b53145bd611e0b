using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Aitbc.Cli.Tests.Infrastructure;
using Aitbc.Client.Receipts;
using Aitbc.Coordinator.Tests.Infrastructure;

namespace Aitbc.Cli.Tests;

/// <summary>
/// <c>aitbc client receipts --verify</c> and <c>aitbc receipts verify</c> as processes: offline verification of real
/// receipts against keys pinned in a configuration folder of the test's own.
/// </summary>
public sealed class ReceiptCommandTests
{
    [Fact]
    public async Task RealReceiptVerifiesAndOneChangedByteIsRejected()
    {
        await using var coordinator = await TestCoordinator.StartAsync();
        var config = coordinator.Directory.File("config");
        await using var miner = CliProcess.Start(coordinator, coordinator.Keys[2],
            ["miner", "run", "--runner", "echo"]);
        await miner.WaitForLineAsync(line => line.Contains("registered as mnr_", StringComparison.Ordinal));
        var submitted = await CliProcess.RunAsync(coordinator, coordinator.ClientKey,
            "client", "submit", "--type", "echo", "--params", """{"prompt": "hi"}""", "--wait", "--json");
        Assert.True(submitted.ExitCode == 0, submitted.ToString());
        var jobId = submitted.Json().Str("job_id");

        var verified = await RunAsync(coordinator, coordinator.ClientKey, config,
            "client", "receipts", jobId, "--verify", "--json");

        Assert.True(verified.ExitCode == 0, verified.ToString());
        var item = Assert.Single(verified.Json()["receipts"]!.AsArray())!;
        Assert.Equal(jobId, item["receipt"]!.Str("job_id"));
        Assert.True(item["verification"]!["valid"]!.GetValue<bool>());
        Assert.Equal("signature_valid", item["verification"]!.Str("reason"));
        var receiptId = item["receipt"]!.Str("receipt_id");

        var pinFile = ReceiptKeyPins.FileFor(Path.Combine(config, "aitbc"), coordinator.BaseAddress);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, ModeOf(pinFile));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute,
            ModeOf(Path.GetDirectoryName(pinFile)!));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute,
            ModeOf(Path.Combine(config, "aitbc")));
        using var http = coordinator.CreateClient(coordinator.ClientKey);
        var keys = await http.GetStringAsync(new Uri("/v1/receipts/keys", UriKind.Relative));
        var kid = JsonNode.Parse(keys)!["keys"]![0]!.Str("kid");
        Assert.Contains(kid, await File.ReadAllTextAsync(pinFile), StringComparison.Ordinal);

        var fetched = await RunAsync(coordinator, coordinator.ClientKey, config, "receipts", "get", receiptId);
        Assert.True(fetched.ExitCode == 0, fetched.ToString());
        var served = await http.GetByteArrayAsync(new Uri($"/v1/receipts/{receiptId}", UriKind.Relative));
        Assert.Equal(served, Encoding.UTF8.GetBytes(fetched.Stdout));
        var original = coordinator.Directory.File("receipt.json");
        await File.WriteAllBytesAsync(original, served);

        var changed = coordinator.Directory.File("changed.json");
        var text = Encoding.UTF8.GetString(served);
        Assert.Contains("\"attempt\":1,", text, StringComparison.Ordinal);
        var tampered = Encoding.UTF8.GetBytes(
            text.Replace("\"attempt\":1,", "\"attempt\":2,", StringComparison.Ordinal));
        Assert.Equal(1, served.Zip(tampered).Count(pair => pair.First != pair.Second));
        await File.WriteAllBytesAsync(changed, tampered);

        // Offline: no API key, and the keys come from the pin file.
        var good = await RunAsync(coordinator, null, config, "receipts", "verify", "--file", original);
        var bad = await RunAsync(coordinator, null, config, "receipts", "verify", "--file", changed);
        var badJson = await RunAsync(coordinator, null, config, "receipts", "verify", "--file", changed, "--json");

        Assert.True(good.ExitCode == 0, good.ToString());
        Assert.Equal($"{receiptId} valid: signed by key {kid}", good.Stdout);
        Assert.Equal(4, bad.ExitCode);
        Assert.Equal($"aitbc: receipt {receiptId} does not verify: bad_signature: The signature does not match the "
            + "receipt: it was changed after signing, or signed by another key.", bad.Stderr);
        Assert.Equal(4, badJson.ExitCode);
        Assert.False(badJson.Json()["verification"]!["valid"]!.GetValue<bool>());
        Assert.Equal(2, badJson.Json()["receipt"]!["attempt"]!.GetValue<int>());
        Assert.Equal("bad_signature", JsonNode.Parse(badJson.Stderr)!["error"]!.Str("code"));
    }

    [Fact]
    public async Task ChangedPinnedKeyFailsLoudlyAndUnknownJobAndWrongKeyAreTold()
    {
        await using var coordinator = await TestCoordinator.StartAsync();
        var config = coordinator.Directory.File("config");
        var (jobId, _) = await CompleteOneAsync(coordinator);
        var first = await RunAsync(coordinator, coordinator.ClientKey, config, "client", "receipts", jobId, "--verify");
        Assert.True(first.ExitCode == 0, first.ToString());
        Assert.Contains("pinned 1 receipt key(s)", first.Stderr, StringComparison.Ordinal);
        Assert.EndsWith("  verified", first.Stdout, StringComparison.Ordinal);

        var again = await RunAsync(coordinator, coordinator.ClientKey, config, "client", "receipts", jobId, "--verify");
        Assert.True(again.ExitCode == 0, again.ToString());
        Assert.Empty(again.Stderr);

        // Another Ed25519 key (RFC 8037 A.2) under the pinned kid, as if the Coordinator's key had been swapped.
        var pinFile = ReceiptKeyPins.FileFor(Path.Combine(config, "aitbc"), coordinator.BaseAddress);
        var pins = JsonNode.Parse(await File.ReadAllTextAsync(pinFile))!;
        pins["keys"]![0]!["x"] = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo";
        await File.WriteAllTextAsync(pinFile, pins.ToJsonString());

        var mismatch = await RunAsync(coordinator, coordinator.ClientKey, config,
            "client", "receipts", jobId, "--verify");

        Assert.Equal(4, mismatch.ExitCode);
        var line = Assert.Single(mismatch.Stderr.Split('\n'));
        Assert.StartsWith("aitbc: The Coordinator at ", line, StringComparison.Ordinal);
        Assert.Contains("now serves another public key for receipt key", line, StringComparison.Ordinal);
        Assert.Contains(pinFile, line, StringComparison.Ordinal);
        Assert.Equal(pins.ToJsonString(), await File.ReadAllTextAsync(pinFile));

        var unknownJob = await RunAsync(coordinator, coordinator.ClientKey, config,
            "client", "receipts", "job_nope", "--verify");
        Assert.Equal(3, unknownJob.ExitCode);
        Assert.Equal("aitbc: There is no job job_nope of yours. (job_not_found, HTTP 404)", unknownJob.Stderr);

        const string wrongKey = "wrong-key-0123456789-must-not-leak";
        var unauthorized = await RunAsync(coordinator, wrongKey, config, "client", "receipts", jobId, "--verify");
        Assert.Equal(4, unauthorized.ExitCode);
        Assert.Contains("HTTP 401", Assert.Single(unauthorized.Stderr.Split('\n')), StringComparison.Ordinal);
        Assert.DoesNotContain(wrongKey, unauthorized.Stderr, StringComparison.Ordinal);

        using var client = coordinator.Client();
        var queued = await client.SubmitIdAsync();
        var none = await RunAsync(coordinator, coordinator.ClientKey, config, "client", "receipts", queued, "--verify");
        var listed = await RunAsync(coordinator, coordinator.ClientKey, config, "client", "receipts", queued, "--json");
        Assert.Equal(4, none.ExitCode);
        Assert.Equal($"aitbc: Job {queued} has no receipt to verify: it has not completed.", none.Stderr);
        Assert.Equal(0, listed.ExitCode);
        Assert.Empty(listed.Json()["receipts"]!.AsArray());

        var missingFile = await RunAsync(coordinator, null, config, "receipts", "verify", "--file", "/nonexistent");
        var notJson = coordinator.Directory.File("not.json");
        await File.WriteAllTextAsync(notJson, "receipt?");
        var garbage = await RunAsync(coordinator, null, config, "receipts", "verify", "--file", notJson);
        Assert.Equal(2, missingFile.ExitCode);
        Assert.Equal(4, garbage.ExitCode);
        Assert.Contains("not JSON", Assert.Single(garbage.Stderr.Split('\n')), StringComparison.Ordinal);
    }

    [Fact]
    public async Task RotatedKeyIsAddedToThePinsAndAForeignKeyIsRejected()
    {
        using var directory = new TestDirectory();
        var config = directory.File("config");
        string oldReceipt, oldReceiptId, oldPins, oldKid;
        await using (var before = await TestCoordinator.StartAsync(directory: directory))
        {
            var (jobId, receiptId) = await CompleteOneAsync(before);
            oldReceiptId = receiptId;
            var verified = await RunAsync(before, before.ClientKey, config, "client", "receipts", jobId, "--verify");
            Assert.True(verified.ExitCode == 0, verified.ToString());
            oldReceipt = directory.File("old.json");
            using var http = before.CreateClient(before.ClientKey);
            await File.WriteAllBytesAsync(oldReceipt,
                await http.GetByteArrayAsync(new Uri($"/v1/receipts/{receiptId}", UriKind.Relative)));
            oldPins = ReceiptKeyPins.FileFor(Path.Combine(config, "aitbc"), before.BaseAddress);
            oldKid = ReceiptKeyPins.Load(Path.Combine(config, "aitbc"), before.BaseAddress).Keys.Keys.Single();
        }

        // The same Coordinator, restarted with a new signing key; its port changed, so its pins are moved along.
        await using var after = await TestCoordinator.StartAsync(directory: directory,
            settings: new Dictionary<string, string> { ["RECEIPT_SIGNING_KEY"] = new string('7', 64) });
        var pinFile = ReceiptKeyPins.FileFor(Path.Combine(config, "aitbc"), after.BaseAddress);
        File.Copy(oldPins, pinFile);
        var (newJob, _) = await CompleteOneAsync(after);

        var rotated = await RunAsync(after, after.ClientKey, config,
            "client", "receipts", newJob, "--verify", "--json");
        var old = await RunAsync(after, null, config, "receipts", "verify", "--file", oldReceipt);

        Assert.True(rotated.ExitCode == 0, rotated.ToString());
        var pinned = ReceiptKeyPins.Load(Path.Combine(config, "aitbc"), after.BaseAddress).Keys;
        Assert.Equal(2, pinned.Count);
        var newKid = Assert.Single(pinned.Keys, kid => kid != oldKid);
        Assert.Equal(newKid, rotated.Json()["receipts"]![0]!["verification"]!.Str("kid"));
        Assert.True(old.ExitCode == 0, old.ToString());

        await using var foreign = await TestCoordinator.StartAsync();
        var stranger = await RunAsync(foreign, null, config, "receipts", "verify", "--file", oldReceipt);
        Assert.Equal(4, stranger.ExitCode);
        Assert.Equal(
            [
                $"pinned 1 receipt key(s) of {foreign.BaseAddress} in "
                    + ReceiptKeyPins.FileFor(Path.Combine(config, "aitbc"), foreign.BaseAddress),
                $"aitbc: receipt {oldReceiptId} does not verify: unknown_kid: Key {oldKid} is not among the trusted "
                    + "keys.",
            ],
            stranger.Stderr.Split('\n'));
    }

    [Fact]
    public async Task MinerReceiptsPageThroughTheMinersOwnAndVerifyThem()
    {
        await using var coordinator = await TestCoordinator.StartAsync();
        var config = coordinator.Directory.File("config");
        var mine = await FinishJobsAsync(coordinator, coordinator.Keys[2], 3);
        await FinishJobsAsync(coordinator, coordinator.Keys[3], 1);

        var first = await RunAsync(coordinator, coordinator.Keys[2], config,
            "miner", "receipts", "--limit", "2", "--json");
        var every = await RunAsync(coordinator, coordinator.Keys[2], config,
            "miner", "receipts", "--all", "--limit", "2", "--verify", "--json");
        var lines = await RunAsync(coordinator, coordinator.Keys[2], config, "miner", "receipts", "--limit", "2");

        Assert.True(first.ExitCode == 0, first.ToString());
        Assert.Equal(2, first.Json()["receipts"]!.AsArray().Count);
        var cursor = first.Json().Str("next_cursor");
        Assert.True(every.ExitCode == 0, every.ToString());
        var items = every.Json()["receipts"]!.AsArray().Select(i => i!).ToList();
        Assert.Equal(mine.Order(), items.Select(i => i["receipt"]!.Str("job_id")).Order());
        Assert.All(items, i => Assert.True(i["verification"]!["valid"]!.GetValue<bool>()));
        Assert.Null(every.Json()["next_cursor"]);
        Assert.True(lines.ExitCode == 0, lines.ToString());
        Assert.Equal(2, lines.Stdout.Split('\n').Length);
        Assert.Contains($"more: aitbc miner receipts --cursor {cursor}", lines.Stderr, StringComparison.Ordinal);

        var rest = await RunAsync(coordinator, coordinator.Keys[2], config,
            "miner", "receipts", "--cursor", cursor, "--json");
        Assert.True(rest.ExitCode == 0, rest.ToString());
        Assert.Equal(items[2]["receipt"]!.Str("receipt_id"),
            Assert.Single(rest.Json()["receipts"]!.AsArray())!["receipt"]!.Str("receipt_id"));
    }

    [Fact]
    public async Task MinerReceiptsRefuseBadPagingAndCallersThatAreNoMiner()
    {
        await using var coordinator = await TestCoordinator.StartAsync();
        var config = coordinator.Directory.File("config");

        var zero = await RunAsync(coordinator, coordinator.Keys[2], config, "miner", "receipts", "--limit", "0");
        var both = await RunAsync(coordinator, coordinator.Keys[2], config,
            "miner", "receipts", "--all", "--cursor", "abc");
        var client = await RunAsync(coordinator, coordinator.ClientKey, config, "miner", "receipts");
        var noKey = await RunAsync(coordinator, null, config, "miner", "receipts");

        Assert.Equal(2, zero.ExitCode);
        Assert.Equal("aitbc: --limit must be from 1 to 200.", zero.Stderr);
        Assert.Equal(2, both.ExitCode);
        Assert.Equal(4, client.ExitCode);
        Assert.Equal(2, noKey.ExitCode);
    }

    /// <summary>Registers a miner on <paramref name="key"/> and has it finish <paramref name="count"/> jobs.</summary>
    private static async Task<List<string>> FinishJobsAsync(TestCoordinator coordinator, string key, int count)
    {
        using var client = coordinator.Client();
        using var miner = coordinator.Miner(key);
        await miner.RegisterAsync(models: []);
        var jobs = new List<string>();
        for (var i = 0; i < count; i++)
        {
            var jobId = await client.SubmitIdAsync(new { job_type = "echo", parameters = new { n = i } });
            var lease = await miner.TakeJobAsync(jobId);
            using var done = await miner.CompleteAsync(jobId, lease.Str("lease_token"));
            await done.ExpectAsync(HttpStatusCode.OK);
            jobs.Add(jobId);
        }

        return jobs;
    }

    private static UnixFileMode ModeOf(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            throw new PlatformNotSupportedException("File modes are checked on Unix only.");
        }

        return File.GetUnixFileMode(path);
    }

    /// <summary>Runs one job to completion with a test miner; returns the job and receipt ids.</summary>
    internal static async Task<(string JobId, string ReceiptId)> CompleteOneAsync(TestCoordinator coordinator)
    {
        using var client = coordinator.Client();
        using var miner = coordinator.Miner(coordinator.Keys[2]);
        await miner.RegisterAsync(models: []);
        var jobId = await client.SubmitIdAsync(new { job_type = "echo", parameters = new { prompt = "hi" } });
        var lease = await miner.TakeJobAsync(jobId);
        using var done = await miner.CompleteAsync(jobId, lease.Str("lease_token"));
        return (jobId, (await done.ExpectAsync(HttpStatusCode.OK)).Str("receipt_id"));
    }

    /// <summary>Runs aitbc with a configuration folder of the test's own, never the user's.</summary>
    internal static async Task<CliResult> RunAsync(
        TestCoordinator coordinator, string? apiKey, string configHome, params string[] args)
    {
        await using var cli = CliProcess.Start(coordinator, apiKey, args,
            new Dictionary<string, string> { ["XDG_CONFIG_HOME"] = configHome });
        var exitCode = await cli.WaitForExitAsync();
        return new CliResult(exitCode, cli.Stdout, cli.Stderr);
    }
}
