using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Aitbc.Coordinator.Configuration;
using Aitbc.Coordinator.Data;
using Aitbc.Coordinator.Receipts;
using Aitbc.Coordinator.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using static Aitbc.Coordinator.Tests.Receipts.ReceiptChecks;

namespace Aitbc.Coordinator.Tests.Receipts;

public sealed class ReceiptTests
{
    private static readonly string Genesis = new('0', 64);

    [Fact]
    public async Task CompletedJobGetsAReceiptThatVerifiesIndependentlyAndAnyChangeFails()
    {
        await using var coordinator = await TestCoordinator.StartAsync();
        using var client = coordinator.Client();
        using var miner = coordinator.Miner(coordinator.Keys[2]);
        using var anonymous = coordinator.CreateClient();
        var minerId = await miner.RegisterAsync(price: "0.25");
        var parameters = new { prompt = "Say hi", max_tokens = 5, temperature = 0.5 };
        var jobId = await client.SubmitIdAsync(new { job_type = "llm_inference", parameters, max_price = "100" });
        var lease = await miner.TakeJobAsync(jobId);

        using var done = await miner.CompleteAsync(jobId, lease.Str("lease_token"), new { text = "hi!" });
        var receiptId = (await done.ExpectAsync(HttpStatusCode.OK)).Str("receipt_id");
        var bytes = await FetchAsync(client.Http, receiptId);
        var text = Encoding.UTF8.GetString(bytes);
        var receipt = JsonNode.Parse(text)!;

        Assert.StartsWith("rct_", receiptId);
        Assert.Equal(bytes, Jcs.Canonicalize(text));
        Assert.Equal(receiptId, receipt.Str("receipt_id"));
        Assert.Equal(1, receipt["version"]!.GetValue<int>());
        Assert.Equal(jobId, receipt.Str("job_id"));
        Assert.Equal("llm_inference", receipt.Str("job_type"));
        Assert.StartsWith("key_", receipt.Str("client"));
        Assert.Equal(minerId, receipt.Str("miner"));
        Assert.Equal(1, receipt["attempt"]!.GetValue<int>());
        Assert.Equal(CanonicalSha256(parameters), receipt.Str("parameters_sha256"));
        Assert.Equal(CanonicalSha256(new { text = "hi!" }), receipt.Str("result_sha256"));
        Assert.Matches(new Regex(@"^(0|[1-9]\d*)(\.\d{0,2}[1-9])?$"), receipt.Str("units"));
        Assert.Equal("gpu_second", receipt.Str("unit_type"));
        Assert.Equal("0.25", receipt.Str("unit_price"));
        var units = decimal.Parse(receipt.Str("units"), CultureInfo.InvariantCulture);
        Assert.Equal(Math.Min(units * 0.25m, 100m), decimal.Parse(receipt.Str("price"), CultureInfo.InvariantCulture));
        Assert.Equal("100", receipt.Str("max_price"));
        Assert.Equal(3, receipt["reported"]!["tokens"]!.GetValue<int>());
        Assert.All(["started_at", "completed_at", "issued_at"], name => Assert.EndsWith("Z", receipt.Str(name)));
        Assert.Equal(1, receipt["seq"]!.GetValue<long>());
        Assert.Equal(Genesis, receipt.Str("prev_sha256"));
        Assert.Null(receipt["result"]);
        Assert.Null(receipt["parameters"]);

        var keys = await KeysAsync(anonymous);
        Assert.Equal(keys, await KeysAsync(anonymous, "/.well-known/jwks.json"));
        Assert.Equal(Assert.Single(keys).Key, receipt["signature"]!.Str("kid"));
        Assert.True(VerifiesIndependently(text, keys));
        var verdict = await VerifyThroughApiAsync(anonymous, text);
        Assert.True(verdict["valid"]!.GetValue<bool>());
        Assert.Equal("signature_valid", verdict.Str("reason"));

        // One digit of units, then every other member in turn.
        var unitsText = receipt.Str("units");
        var changedDigit = (char)('0' + (unitsText[^1] - '0' + 1) % 10);
        var tampered = text.Replace($"\"units\":\"{unitsText}\"", $"\"units\":\"{unitsText[..^1]}{changedDigit}\"",
            StringComparison.Ordinal);
        Assert.NotEqual(text, tampered);
        Assert.False(VerifiesIndependently(tampered, keys));
        var refused = await VerifyThroughApiAsync(anonymous, tampered);
        Assert.False(refused["valid"]!.GetValue<bool>());
        Assert.Equal("bad_signature", refused.Str("reason"));
        foreach (var (name, _) in receipt.AsObject().Where(m => m.Key != "signature"))
        {
            var changed = JsonNode.Parse(text)!.AsObject();
            changed[name] = changed[name] is JsonValue value && value.TryGetValue<string>(out var s)
                ? s + "0"
                : JsonValue.Create(7);
            Assert.False(VerifiesIndependently(changed.ToJsonString(), keys), $"A changed {name} still verified.");
        }

        // The miner's retry gets the same receipt and issues no other.
        using var retried = await miner.CompleteAsync(jobId, lease.Str("lease_token"), new { text = "hi!" });
        Assert.Equal(receiptId, (await retried.ExpectAsync(HttpStatusCode.OK)).Str("receipt_id"));
        using var list = await client.Http.GetAsync($"/v1/client/jobs/{jobId}/receipts");
        var listed = Assert.Single((await list.ExpectAsync(HttpStatusCode.OK))["receipts"]!.AsArray());
        Assert.Equal(receiptId, listed.Str("receipt_id"));
        Assert.Equal(1, (await AuditAsync(coordinator))["checked"]!.GetValue<int>());
    }

    [Fact]
    public async Task FailedCancelledAndExpiredJobsGetNoReceipt()
    {
        await using var coordinator = await TestCoordinator.StartAsync(settings: new Dictionary<string, string>
        {
            ["SWEEP_INTERVAL_SECONDS"] = "0.2",
        });
        using var client = coordinator.Client();
        using var miner = coordinator.Miner(coordinator.Keys[2]);
        await miner.RegisterAsync();

        var failedId = await client.SubmitIdAsync();
        var failedLease = await miner.TakeJobAsync(failedId);
        using var failed = await miner.FailAsync(failedId, failedLease.Str("lease_token"), retryable: false);
        var failedAnswer = await failed.ExpectAsync(HttpStatusCode.OK);
        var cancelledRunningId = await client.SubmitIdAsync();
        var runningLease = await miner.TakeJobAsync(cancelledRunningId);
        using var cancelRunning = await client.Http.PostAsync($"/v1/client/jobs/{cancelledRunningId}/cancel", null);
        await cancelRunning.ExpectAsync(HttpStatusCode.OK);
        using var late = await miner.CompleteAsync(cancelledRunningId, runningLease.Str("lease_token"));
        await late.ExpectProblemAsync(HttpStatusCode.Conflict, "job_cancelled");
        var cancelledQueuedId = await client.SubmitIdAsync();
        using var cancelQueued = await client.Http.PostAsync($"/v1/client/jobs/{cancelledQueuedId}/cancel", null);
        await cancelQueued.ExpectAsync(HttpStatusCode.OK);
        var expiredId = await client.SubmitIdAsync(
            new { job_type = "llm_inference", parameters = new { }, ttl_seconds = 1 });
        await client.WaitForStateAsync(expiredId, "expired");

        Assert.Equal("failed", failedAnswer.Str("state"));
        Assert.Null(failedAnswer["receipt_id"]);
        foreach (var jobId in new[] { failedId, cancelledRunningId, cancelledQueuedId, expiredId })
        {
            using var response = await client.Http.GetAsync($"/v1/client/jobs/{jobId}/receipts");
            Assert.Empty((await response.ExpectAsync(HttpStatusCode.OK))["receipts"]!.AsArray());
        }

        using var mine = await miner.Http.GetAsync("/v1/miner/receipts");
        Assert.Empty((await mine.ExpectAsync(HttpStatusCode.OK))["receipts"]!.AsArray());
        var audit = await AuditAsync(coordinator);
        Assert.True(audit["valid"]!.GetValue<bool>());
        Assert.Equal(0, audit["head_seq"]!.GetValue<int>());
    }

    [Fact]
    public async Task TwoHundredJobsCompletedInParallelFormOneGapFreeChain()
    {
        const int jobs = 200;
        await using var coordinator = await TestCoordinator.StartAsync(keys: 11);
        using var client = coordinator.Client();
        var miners = coordinator.Keys.Skip(1).Select(coordinator.Miner).ToList();
        await Task.WhenAll(miners.Select(m => m.RegisterAsync(concurrency: 8, price: "0.001")));
        var submitted = await Task.WhenAll(Enumerable.Range(0, jobs).Select(i => client.SubmitIdAsync(
            new { job_type = "llm_inference", parameters = new { n = i } })));
        var receiptIds = new ConcurrentDictionary<string, string>();

        await Task.WhenAll(miners.Select(async miner =>
        {
            while (receiptIds.Count < jobs)
            {
                var leases = await miner.TakeAsync(wait: 1);
                await Task.WhenAll(leases.Select(async lease =>
                {
                    using var done = await miner.CompleteAsync(lease.Str("job_id"), lease.Str("lease_token"));
                    receiptIds[lease.Str("job_id")] = (await done.ExpectAsync(HttpStatusCode.OK)).Str("receipt_id");
                }));
            }
        }));
        var bodies = await Task.WhenAll(receiptIds.Values.Select(id => FetchAsync(client.Http, id)));
        using var anonymous = coordinator.CreateClient();
        var keys = await KeysAsync(anonymous);

        Assert.Equal(submitted.Order(), receiptIds.Keys.Order());
        var chain = bodies.Select(b => (Bytes: b, Node: JsonNode.Parse(b)!))
            .OrderBy(r => r.Node["seq"]!.GetValue<long>())
            .ToList();
        Assert.Equal(
            Enumerable.Range(1, jobs).Select(i => (long)i), chain.Select(r => r.Node["seq"]!.GetValue<long>()));
        Assert.Equal(Genesis, chain[0].Node.Str("prev_sha256"));
        for (var i = 1; i < chain.Count; i++)
        {
            Assert.Equal(Sha256Hex(chain[i - 1].Bytes), chain[i].Node.Str("prev_sha256"));
        }

        Assert.All(chain, r => Assert.True(VerifiesIndependently(Encoding.UTF8.GetString(r.Bytes), keys)));
        var audit = await AuditAsync(coordinator);
        Assert.True(audit["valid"]!.GetValue<bool>(), audit.ToJsonString());
        Assert.Equal(jobs, audit["checked"]!.GetValue<int>());
        Assert.Equal(jobs, audit["head_seq"]!.GetValue<int>());
        Assert.Equal(Sha256Hex(chain[^1].Bytes), audit.Str("head_sha256"));
        foreach (var miner in miners)
        {
            miner.Dispose();
        }
    }

    [Fact]
    public async Task AuditFindsAReceiptEditedDeletedOrSwappedInTheDatabase()
    {
        await using var coordinator = await TestCoordinator.StartAsync();
        using var client = coordinator.Client();
        using var miner = coordinator.Miner(coordinator.Keys[2]);
        await miner.RegisterAsync(price: "1");
        for (var i = 0; i < 4; i++)
        {
            await CompleteOneAsync(client, miner);
        }

        using var database = new TamperableDatabase(coordinator);
        Assert.True((await AuditAsync(coordinator))["valid"]!.GetValue<bool>());

        var second = database.Body(2);
        var edited = (byte[])second.Clone();
        var units = Encoding.UTF8.GetString(edited).IndexOf("\"units\":\"", StringComparison.Ordinal) + 9;
        edited[units] = (byte)(edited[units] == (byte)'9' ? '8' : edited[units] + 1);
        database.SetBody(2, edited);
        await ExpectBrokenAsync(coordinator, 2, "changed");
        database.SetBody(2, second);
        Assert.True((await AuditAsync(coordinator))["valid"]!.GetValue<bool>());

        database.Run("DELETE FROM receipts WHERE seq = 3");
        await ExpectBrokenAsync(coordinator, 3, "missing");
        database.Restore();

        var third = database.Body(3);
        database.SetBody(3, second);
        database.SetBody(2, third);
        await ExpectBrokenAsync(coordinator, 2, "reordered");
        database.Restore();

        database.Run("DELETE FROM receipts WHERE seq = 4");
        await ExpectBrokenAsync(coordinator, 4, "missing");
        database.Restore();

        var last = database.Body(4);
        database.SetBody(4, [.. last.Take(last.Length - 2), (byte)' ', .. last.TakeLast(2)]);
        await ExpectBrokenAsync(coordinator, 4, "changed");
        database.Restore();
        Assert.True((await AuditAsync(coordinator))["valid"]!.GetValue<bool>());
    }

    [Fact]
    public async Task GeneratedKeyIsKeptInAPrivateFileAndSurvivesARestart()
    {
        using var directory = new TestDirectory();
        string firstReceipt;
        Dictionary<string, string> firstKeys;

        // About the key file kept beside a SQLite database, so SQLite in every pass.
        var sqlite = new Dictionary<string, string>
        {
            ["DATABASE_URL"] = $"sqlite:///{directory.File("coordinator.db")}",
        };
        await using (var first = await TestCoordinator.StartAsync(directory: directory, settings: sqlite))
        {
            using var client = first.Client();
            using var miner = first.Miner(first.Keys[2]);
            await miner.RegisterAsync();
            var (_, receiptId) = await CompleteOneAsync(client, miner);
            firstReceipt = Encoding.UTF8.GetString(await FetchAsync(client.Http, receiptId));
            firstKeys = await KeysAsync(client.Http);
        }

        var keyFile = directory.File("coordinator.db.receipt-key");
        await using var second = await TestCoordinator.StartAsync(directory: directory, settings: sqlite);
        using var anonymous = second.CreateClient();
        var secondKeys = await KeysAsync(anonymous);
        using var secondClient = second.Client();
        using var secondMiner = second.Miner(second.Keys[2]);
        var (_, nextId) = await CompleteOneAsync(secondClient, secondMiner);
        var next = JsonNode.Parse(await FetchAsync(secondClient.Http, nextId))!;

        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(keyFile));
        }

        Assert.Equal(64, File.ReadAllText(keyFile).Trim().Length);
        Assert.Equal(firstKeys, secondKeys);
        Assert.True(VerifiesIndependently(firstReceipt, secondKeys));
        Assert.True((await VerifyThroughApiAsync(anonymous, firstReceipt))["valid"]!.GetValue<bool>());
        Assert.Equal(Assert.Single(firstKeys).Key, next["signature"]!.Str("kid"));
        Assert.Equal(2, next["seq"]!.GetValue<int>());
        Assert.Equal(Sha256Hex(Encoding.UTF8.GetBytes(firstReceipt)), next.Str("prev_sha256"));
    }

    [Fact]
    public async Task AfterAKeyChangeOldReceiptsStillVerify()
    {
        // RFC 8032 test vector 1, whose public key is RFC 8037's example: its thumbprint is published there.
        const string oldSeed = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
        const string oldKid = "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k";
        var newSeed = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        using var directory = new TestDirectory();
        string oldReceipt;
        await using (var first = await Start(directory, oldSeed))
        {
            using var client = first.Client();
            using var miner = first.Miner(first.Keys[2]);
            await miner.RegisterAsync();
            var (_, receiptId) = await CompleteOneAsync(client, miner);
            oldReceipt = Encoding.UTF8.GetString(await FetchAsync(client.Http, receiptId));
        }

        await using var second = await Start(directory, newSeed);
        using var secondClient = second.Client();
        using var secondMiner = second.Miner(second.Keys[2]);
        var (_, newId) = await CompleteOneAsync(secondClient, secondMiner);
        var newReceipt = Encoding.UTF8.GetString(await FetchAsync(secondClient.Http, newId));
        using var anonymous = second.CreateClient();
        var keys = await KeysAsync(anonymous);

        Assert.Equal(oldKid, JsonNode.Parse(oldReceipt)!["signature"]!.Str("kid"));
        Assert.Equal("11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo", keys[oldKid]);
        Assert.Equal(2, keys.Count);
        Assert.NotEqual(oldKid, keys.Keys.First());
        Assert.Equal(keys.Keys.First(), JsonNode.Parse(newReceipt)!["signature"]!.Str("kid"));
        Assert.True(VerifiesIndependently(oldReceipt, keys));
        Assert.True(VerifiesIndependently(newReceipt, keys));
        Assert.True((await VerifyThroughApiAsync(anonymous, oldReceipt))["valid"]!.GetValue<bool>());
        Assert.True((await VerifyThroughApiAsync(anonymous, newReceipt))["valid"]!.GetValue<bool>());
        Assert.True((await AuditAsync(second))["valid"]!.GetValue<bool>());

        static Task<TestCoordinator> Start(TestDirectory directory, string seed) => TestCoordinator.StartAsync(
            directory: directory, settings: new Dictionary<string, string> { ["RECEIPT_SIGNING_KEY"] = seed });
    }

    [Fact]
    public async Task OnlyTheClientTheMinerAndAdminsSeeAReceipt()
    {
        await using var coordinator = await TestCoordinator.StartAsync();
        using var client = coordinator.Client();
        using var otherClient = coordinator.Client(coordinator.OtherClientKey);
        using var miner = coordinator.Miner(coordinator.Keys[2]);
        using var otherMiner = coordinator.Miner(coordinator.Keys[3]);
        using var admin = coordinator.CreateClient(coordinator.AdminKey);
        using var anonymous = coordinator.CreateClient();
        await miner.RegisterAsync();
        var (jobId, receiptId) = await CompleteOneAsync(client, miner);
        await otherMiner.RegisterAsync();
        var path = $"/v1/receipts/{receiptId}";

        Assert.NotEmpty(await FetchAsync(client.Http, receiptId));
        Assert.NotEmpty(await FetchAsync(miner.Http, receiptId));
        Assert.NotEmpty(await FetchAsync(admin, receiptId));
        using (var response = await otherClient.Http.GetAsync(path))
        {
            await response.ExpectProblemAsync(HttpStatusCode.NotFound, "receipt_not_found");
        }

        using (var response = await otherMiner.Http.GetAsync(path))
        {
            await response.ExpectProblemAsync(HttpStatusCode.NotFound, "receipt_not_found");
        }

        using (var response = await client.Http.GetAsync("/v1/receipts/rct_nosuchreceipt"))
        {
            await response.ExpectProblemAsync(HttpStatusCode.NotFound, "receipt_not_found");
        }

        using (var response = await anonymous.GetAsync(path))
        {
            await response.ExpectProblemAsync(HttpStatusCode.Unauthorized);
        }

        using (var response = await otherClient.Http.GetAsync($"/v1/client/jobs/{jobId}/receipts"))
        {
            await response.ExpectProblemAsync(HttpStatusCode.NotFound, "job_not_found");
        }

        using (var response = await otherMiner.Http.GetAsync("/v1/miner/receipts"))
        {
            Assert.Empty((await response.ExpectAsync(HttpStatusCode.OK))["receipts"]!.AsArray());
        }

        using (var response = await client.Http.GetAsync("/v1/admin/receipts/audit"))
        {
            await response.ExpectProblemAsync(HttpStatusCode.Forbidden, "forbidden");
        }

        using (var response = await admin.GetAsync("/v1/miner/receipts"))
        {
            await response.ExpectProblemAsync(HttpStatusCode.Forbidden, "forbidden");
        }
    }

    [Fact]
    public async Task MinerReceiptsArePagedNewestFirst()
    {
        await using var coordinator = await TestCoordinator.StartAsync();
        using var client = coordinator.Client();
        using var miner = coordinator.Miner(coordinator.Keys[2]);
        using var unregistered = coordinator.Miner(coordinator.Keys[3]);
        await miner.RegisterAsync();
        var issued = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            issued.Add((await CompleteOneAsync(client, miner)).ReceiptId);
        }

        using var first = await miner.Http.GetAsync("/v1/miner/receipts?limit=2");
        var firstPage = await first.ExpectAsync(HttpStatusCode.OK);
        using var second = await miner.Http.GetAsync(
            $"/v1/miner/receipts?limit=2&cursor={firstPage.Str("next_cursor")}");
        var secondPage = await second.ExpectAsync(HttpStatusCode.OK);

        var seen = firstPage["receipts"]!.AsArray().Concat(secondPage["receipts"]!.AsArray())
            .Select(r => r.Str("receipt_id"));
        Assert.Equal(Enumerable.Reverse(issued), seen);
        Assert.Null(secondPage["next_cursor"]);
        using (var response = await miner.Http.GetAsync("/v1/miner/receipts?limit=0"))
        {
            await response.ExpectProblemAsync(HttpStatusCode.BadRequest, "validation_failed");
        }

        using (var response = await miner.Http.GetAsync("/v1/miner/receipts?cursor=not-a-cursor"))
        {
            await response.ExpectProblemAsync(HttpStatusCode.BadRequest, "validation_failed");
        }

        using (var response = await miner.Http.GetAsync("/v1/miner/receipts?limit=ten"))
        {
            await response.ExpectProblemAsync(HttpStatusCode.BadRequest);
        }

        using (var response = await unregistered.Http.GetAsync("/v1/miner/receipts"))
        {
            await response.ExpectProblemAsync(HttpStatusCode.Conflict, "miner_not_registered");
        }
    }

    [Fact]
    public async Task VerifyExplainsWhyAReceiptIsNotValid()
    {
        await using var coordinator = await TestCoordinator.StartAsync();
        using var client = coordinator.Client();
        using var miner = coordinator.Miner(coordinator.Keys[2]);
        using var anonymous = coordinator.CreateClient();
        await miner.RegisterAsync();
        var (_, receiptId) = await CompleteOneAsync(client, miner);
        var text = Encoding.UTF8.GetString(await FetchAsync(client.Http, receiptId));
        var kid = JsonNode.Parse(text)!["signature"]!.Str("kid");

        async Task<string> ReasonAsync(string body)
        {
            var verdict = await VerifyThroughApiAsync(anonymous, body);
            Assert.False(verdict["valid"]!.GetValue<bool>());
            Assert.False(string.IsNullOrWhiteSpace(verdict.Str("detail")));
            return verdict.Str("reason");
        }

        Assert.Equal("not_an_object", await ReasonAsync("[1, 2]"));
        Assert.Equal("missing_signature", await ReasonAsync("""{"receipt_id": "rct_x"}"""));
        Assert.Equal("unknown_kid", await ReasonAsync(text.Replace(kid, "AAAA" + kid[4..], StringComparison.Ordinal)));
        Assert.Equal("unsupported_alg", await ReasonAsync(Swap(text, "\"Ed25519\"", "\"RS256\"")));
        Assert.Equal("malformed_signature", await ReasonAsync(Swap(text, "\"sig\":\"", "\"sig\":\"!")));
        Assert.Equal("not_canonicalizable",
            await ReasonAsync(Swap(text, "{\"attempt\":", "{\"attempt\":1e999,\"attempt\":")));
        using var malformed = await anonymous.PostRawAsync("/v1/receipts/verify", "{\"receipt_id\": ");
        await malformed.ExpectProblemAsync(HttpStatusCode.BadRequest, "malformed_json");
        using var empty = await anonymous.PostRawAsync("/v1/receipts/verify", "");
        await empty.ExpectProblemAsync(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task ResultsWithoutACanonicalFormAreRefusedAndChangeNothing()
    {
        await using var coordinator = await TestCoordinator.StartAsync();
        using var client = coordinator.Client();
        using var miner = coordinator.Miner(coordinator.Keys[2]);
        await miner.RegisterAsync();
        var jobId = await client.SubmitIdAsync();
        var token = (await miner.TakeJobAsync(jobId)).Str("lease_token");

        using var hugeNumber = await miner.Http.PostRawAsync("/v1/miner/result",
            $$$"""
            {"job_id": "{{{jobId}}}", "lease_token": "{{{token}}}", "status": "completed", "result": {"x": 1e400}}
            """);
        var problem = await hugeNumber.ExpectProblemAsync(HttpStatusCode.BadRequest, "validation_failed");
        using var badMetrics = await miner.Http.PostRawAsync("/v1/miner/result",
            $$$"""
            {"job_id": "{{{jobId}}}", "lease_token": "{{{token}}}", "status": "completed", "result": {},
             "metrics": {"a": 1, "a": 2}}
            """);
        var metricsProblem = await badMetrics.ExpectProblemAsync(HttpStatusCode.BadRequest, "validation_failed");

        Assert.NotNull(problem["errors"]!["result"]);
        Assert.NotNull(metricsProblem["errors"]!["metrics"]);
        Assert.Equal("running", (await client.StatusAsync(jobId)).Str("state"));
        Assert.Equal(0, (await AuditAsync(coordinator))["head_seq"]!.GetValue<int>());
        using var done = await miner.CompleteAsync(jobId, token);
        Assert.StartsWith("rct_", (await done.ExpectAsync(HttpStatusCode.OK)).Str("receipt_id"));
    }

    [Fact]
    public void ABadSigningKeyStopsTheStartNamingTheVariable()
    {
        using var directory = new TestDirectory();

        var error = Assert.Throws<SettingsException>(() => CoordinatorApp.Build(
            ["--RECEIPT_SIGNING_KEY=secret-but-not-hex", $"--DATABASE_URL=sqlite:///{directory.File("c.db")}"]));

        Assert.Contains("RECEIPT_SIGNING_KEY", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("secret-but-not-hex", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SeedKeptInTheDatabaseIsCreatedOnceAndSharedByEveryProcess()
    {
        // On SQLite start-up keeps the seed in a file, so the database path is still unused and can be watched
        // being created; on PostgreSQL start-up has already taken it.
        using var directory = new TestDirectory();
        await using var coordinator = await TestCoordinator.StartAsync(directory: directory, settings:
            new Dictionary<string, string> { ["DATABASE_URL"] = $"sqlite:///{directory.File("coordinator.db")}" });
        var contexts = coordinator.GetService<IDbContextFactory<CoordinatorDb>>();
        await using var firstProcess = await contexts.CreateDbContextAsync();
        await using var secondProcess = await contexts.CreateDbContextAsync();

        var (first, created) = await ReceiptKeyring.ReadOrCreateStoredSeedAsync(firstProcess, DateTime.UtcNow, default);
        var (second, createdAgain) =
            await ReceiptKeyring.ReadOrCreateStoredSeedAsync(secondProcess, DateTime.UtcNow, default);

        Assert.True(created);
        Assert.False(createdAgain);
        Assert.Equal(32, first.Length);
        Assert.Equal(first, second);
    }

    private static string Swap(string text, string from, string to)
    {
        var swapped = text.Replace(from, to, StringComparison.Ordinal);
        Assert.NotEqual(text, swapped);
        return swapped;
    }

    private static async Task ExpectBrokenAsync(TestCoordinator coordinator, long seq, string problem)
    {
        var audit = await AuditAsync(coordinator);
        Assert.False(audit["valid"]!.GetValue<bool>(), audit.ToJsonString());
        Assert.Equal(seq, audit["first_broken"]!["seq"]!.GetValue<long>());
        Assert.Equal(problem, audit["first_broken"]!.Str("problem"));
        Assert.False(string.IsNullOrWhiteSpace(audit["first_broken"]!.Str("detail")));
    }
}
