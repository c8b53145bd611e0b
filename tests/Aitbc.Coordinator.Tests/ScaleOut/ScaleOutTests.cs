using System.Net;
using Aitbc.Coordinator.Tests.Infrastructure;
using Aitbc.Coordinator.Tests.Users;

namespace Aitbc.Coordinator.Tests.ScaleOut;

/// <summary>
/// Several Coordinator processes on one PostgreSQL database. These run on PostgreSQL whatever the suite runs on,
/// since a SQLite file has one process; test.sh runs them once, in the PostgreSQL pass.
/// </summary>
[Trait("Category", "ScaleOut")]
public sealed class ScaleOutTests
{
    private const string ClientKey = "scale-out-client-key";
    private const string AdminKey = "scale-out-admin-key";

    private static readonly string[] MinerKeys = [.. Enumerable.Range(0, 8).Select(i => $"scale-out-miner-key-{i}")];

    [Fact]
    public async Task TwoProcessesCompleteTwoThousandJobsEachExactlyOnce()
    {
        using var directory = new TestDirectory();
        var url = await TestDatabase.PostgresUrlAsync(directory);
        var environment = ClusterRun.Environment(url, [ClientKey, .. MinerKeys], new Dictionary<string, string>
        {
            ["ADMIN_API_KEYS"] = AdminKey,
        });
        var run = new ClusterRun(await ConnectionStringAsync(directory));

        // Started together, so both race for the empty database: one migrates, the other waits.
        var processes = await Task.WhenAll(
            CoordinatorProcess.StartAsync(environment), CoordinatorProcess.StartAsync(environment));
        await using var a = processes[0];
        await using var b = processes[1];
        using var clientA = new TestClient(a.CreateClient(ClientKey));
        using var clientB = new TestClient(b.CreateClient(ClientKey));
        var miners = MinerKeys.Select((key, i) => new TestMiner(processes[i % 2].CreateClient(key))).ToList();
        foreach (var miner in miners)
        {
            await miner.RegisterAsync(concurrency: 4);
        }

        using var stop = new CancellationTokenSource();
        var working = miners.Select(m => run.WorkAsync(m, stop.Token)).ToList();
        var submitted = await ClusterRun.SubmitAsync([clientA, clientB], 2000);
        await run.WaitForAcceptedAsync(2000, TimeSpan.FromMinutes(4));
        await stop.CancelAsync();
        await Task.WhenAll(working);

        Assert.Empty(run.Unexpected);
        Assert.Equal(0, run.Lapsed);
        Assert.Equal(submitted.Order(), run.Accepted.Keys.Order());
        Assert.All(run.Accepted.Values, n => Assert.Equal(1, n));
        var listed = await ClusterRun.ListStatesAsync(clientB);
        Assert.Equal(submitted.Order(), listed.Keys.Order());
        Assert.All(listed.Values, state => Assert.Equal("completed", state));

        // In the database: every job completed on its first and only lease, so no two miners ever held one job.
        var jobs = await run.JobsAsync();
        Assert.Equal(2000, jobs.Count);
        Assert.All(jobs, j => Assert.Equal(("completed", 1), (j.State, j.Attempts)));
        Assert.Equal(2000L, await run.ScalarAsync<long>("SELECT count(*) FROM job_attempts"));

        // Both processes issued receipts, yet they form one chain: seq 1 to 2000, every link intact.
        using var admin = a.CreateClient(AdminKey);
        using var audit = await admin.GetAsync("/v1/admin/receipts/audit");
        var report = await audit.ExpectAsync(System.Net.HttpStatusCode.OK);
        Assert.True(report["valid"]!.GetValue<bool>(), report.ToJsonString());
        Assert.Equal(2000, report["checked"]!.GetValue<long>());
        Assert.Equal(2000, report["head_seq"]!.GetValue<long>());
        Assert.Equal(2000L, await run.ScalarAsync<long>("SELECT count(DISTINCT job_id) FROM receipts"));
        using var ledger = await admin.GetAsync("/v1/admin/ledger/audit");
        Assert.True((await ledger.ExpectAsync(System.Net.HttpStatusCode.OK))["valid"]!.GetValue<bool>());
        miners.ForEach(m => m.Dispose());
    }

    [Fact]
    public async Task TwoProcessesBillAUsersJobsExactlyOnce()
    {
        using var directory = new TestDirectory();
        var url = await TestDatabase.PostgresUrlAsync(directory);
        var environment = ClusterRun.Environment(url, [.. MinerKeys.Take(4)], new Dictionary<string, string>
        {
            ["ADMIN_API_KEYS"] = AdminKey,
        });
        var run = new ClusterRun(await ConnectionStringAsync(directory));
        var processes = await Task.WhenAll(
            CoordinatorProcess.StartAsync(environment), CoordinatorProcess.StartAsync(environment));
        await using var a = processes[0];
        await using var b = processes[1];
        using var adminA = a.CreateClient(AdminKey);
        using var adminB = b.CreateClient(AdminKey);

        // A user logs in on one process, is granted money on the other, and submits through both.
        var buyer = new TestWallet();
        var buyerId = await LoginAsync(a, buyer);
        using (var grant = await adminB.PostJsonAsync(
            "/v1/admin/ledger/grants", new { user_id = buyerId.UserId, amount = "1000", reason = "scale-out test" }))
        {
            await grant.ExpectAsync(System.Net.HttpStatusCode.Created);
        }

        string userKey;
        using (var session = a.CreateClient())
        {
            session.DefaultRequestHeaders.Add("X-Session-Token", buyerId.Token);
            using var created = await session.PostJsonAsync("/v1/users/api-keys", new { name = "scale-out" });
            userKey = (await created.ExpectAsync(System.Net.HttpStatusCode.Created)).Str("api_key");
        }

        var payouts = MinerKeys.Take(4).Select(_ => new TestWallet()).ToList();
        var miners = MinerKeys.Take(4).Select((key, i) => new TestMiner(processes[i % 2].CreateClient(key))).ToList();
        for (var i = 0; i < miners.Count; i++)
        {
            await miners[i].RegisterAsync(concurrency: 4, price: "1", wallet: payouts[i].Address);
        }

        using var stop = new CancellationTokenSource();
        var working = miners.Select(m => run.WorkAsync(m, stop.Token)).ToList();
        using var clientA = new TestClient(a.CreateClient(userKey));
        using var clientB = new TestClient(b.CreateClient(userKey));
        var clients = new[] { clientA, clientB };
        var submitted = new string[300];
        await Parallel.ForAsync(0, submitted.Length, new ParallelOptions { MaxDegreeOfParallelism = 16 },
            async (i, _) => submitted[i] = await clients[i % 2].SubmitIdAsync(
                new { job_type = "echo", parameters = new { i }, max_price = "0.5" }));
        await run.WaitForAcceptedAsync(submitted.Length, TimeSpan.FromMinutes(3));
        await stop.CancelAsync();
        await Task.WhenAll(working);

        Assert.Empty(run.Unexpected);
        Assert.All(run.Accepted.Values, n => Assert.Equal(1, n));

        // Every completion was paid once: what the buyer spent is exactly what the miners' wallets earned, nothing
        // is still held, and both processes' audits agree the books balance.
        var (balance, held) = await BalanceAsync(adminA, buyerId.UserId);
        Assert.Equal(0, held);
        var spent = 1000m - balance;
        var earned = 0m;
        foreach (var payout in payouts)
        {
            var payee = await LoginAsync(b, payout);
            earned += (await BalanceAsync(adminB, payee.UserId)).Balance;
        }

        Assert.True(spent > 0, "The jobs cost nothing, so nothing was checked.");
        Assert.Equal(spent, earned);
        foreach (var admin in new[] { adminA, adminB })
        {
            using var audit = await admin.GetAsync("/v1/admin/ledger/audit");
            var report = await audit.ExpectAsync(System.Net.HttpStatusCode.OK);
            Assert.True(report["valid"]!.GetValue<bool>(), report.ToJsonString());
        }

        var prices = await run.ScalarAsync<decimal>(
            "SELECT coalesce(sum(paid), 0) / 100000000.0 FROM ledger_holds WHERE settled_at IS NOT NULL");
        Assert.Equal(spent, prices);
        Assert.Equal(
            300L, await run.ScalarAsync<long>("SELECT count(*) FROM ledger_holds WHERE settled_at IS NOT NULL"));
        miners.ForEach(m => m.Dispose());
    }

    [Fact]
    public async Task FirstLoginsOfTheSameWalletsOnTwoProcessesAtOnceMakeOneUserEach()
    {
        using var directory = new TestDirectory();
        var environment = ClusterRun.Environment(await TestDatabase.PostgresUrlAsync(directory), [ClientKey]);
        var processes = await Task.WhenAll(
            CoordinatorProcess.StartAsync(environment), CoordinatorProcess.StartAsync(environment));
        await using var a = processes[0];
        await using var b = processes[1];

        // Each new wallet logs in on both processes at the same moment: both register it unless the writers of the
        // two processes take turns (every batch locks the receipt chain head first).
        var wallets = Enumerable.Range(0, 20).Select(_ => new TestWallet()).ToList();
        var logins = await Task.WhenAll(wallets.SelectMany(wallet => new[] { a, b }.Select(async process =>
            (wallet.Address, (await LoginAsync(process, wallet)).UserId))));

        Assert.All(logins.GroupBy(l => l.Address), pair => Assert.Single(pair.Select(l => l.UserId).Distinct()));
        Assert.Equal(20, logins.Select(l => l.UserId).Distinct().Count());
    }

    [Fact]
    public async Task FirstPaymentsOfANewXpubOnTwoProcessesAtOnceGetDistinctAddresses()
    {
        using var directory = new TestDirectory();
        var exchange = new Dictionary<string, string>
        {
            ["BITCOIN_NETWORK"] = "testnet",
            ["BITCOIN_XPUB"] = Exchange.ExchangeCalls.TestnetVpub,
            ["BTC_TO_AITBC_RATE"] = "100000",
        };
        var environment = ClusterRun.Environment(
            await TestDatabase.PostgresUrlAsync(directory), [ClientKey], exchange);
        var processes = await Task.WhenAll(
            CoordinatorProcess.StartAsync(environment), CoordinatorProcess.StartAsync(environment));
        await using var a = processes[0];
        await using var b = processes[1];
        var sessions = await Task.WhenAll(Enumerable.Range(0, 8).Select(async i =>
        {
            var process = i % 2 == 0 ? a : b;
            var http = process.CreateClient();
            http.DefaultRequestHeaders.Add("X-Session-Token", (await LoginAsync(process, new TestWallet())).Token);
            return http;
        }));

        try
        {
            // The xpub's address counter has no row yet: each process's first payment would insert it unless their
            // writers take turns, and the loser would answer 500.
            var payments = await Task.WhenAll(sessions.SelectMany(session => Enumerable.Range(0, 3).Select(async _ =>
            {
                using var created = await session.PostJsonAsync(
                    "/v1/exchange/create-payment", new { aitbc_amount = "2" });
                return await created.ExpectAsync(HttpStatusCode.Created);
            })));

            Assert.Equal(24, payments.Select(p => p.Str("address")).Distinct().Count());
        }
        finally
        {
            foreach (var session in sessions)
            {
                session.Dispose();
            }
        }
    }

    private static async Task<(string UserId, string Token)> LoginAsync(CoordinatorProcess process, TestWallet wallet)
    {
        using var http = process.CreateClient();
        using var challenge = await http.PostJsonAsync(
            "/v1/users/login/challenge", new { wallet_address = wallet.Address });
        var message = (await challenge.ExpectAsync(System.Net.HttpStatusCode.OK)).Str("message");
        using var login = await http.PostJsonAsync(
            "/v1/users/login", new { wallet_address = wallet.Address, message, signature = wallet.Sign(message) });
        var body = await login.ExpectAsync(System.Net.HttpStatusCode.OK);
        return (body.Str("user_id"), body.Str("session_token"));
    }

    private static async Task<(decimal Balance, decimal Held)> BalanceAsync(HttpClient admin, string userId)
    {
        using var response = await admin.GetAsync($"/v1/users/{userId}/balance");
        var body = await response.ExpectAsync(System.Net.HttpStatusCode.OK);
        return (decimal.Parse(body.Str("balance"), System.Globalization.CultureInfo.InvariantCulture),
            decimal.Parse(body.Str("held"), System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task KilledProcessLeasesComeBackAndTheSweeperMovesToTheSurvivor()
    {
        using var directory = new TestDirectory();
        var url = await TestDatabase.PostgresUrlAsync(directory);
        var environment = ClusterRun.Environment(url, [ClientKey, .. MinerKeys], new Dictionary<string, string>
        {
            ["LEASE_SECONDS"] = "4",
            ["HEARTBEAT_INTERVAL_SECONDS"] = "1",
            ["HEARTBEAT_TIMEOUT_SECONDS"] = "6",
            ["SWEEP_INTERVAL_SECONDS"] = "0.25",
        });
        var run = new ClusterRun(await ConnectionStringAsync(directory));

        // The first process up holds the sweeper; the second waits for the role.
        await using var doomed = await CoordinatorProcess.StartAsync(environment);
        await WaitForOutputAsync(doomed, "now runs the sweeper");
        await using var survivor = await CoordinatorProcess.StartAsync(environment);
        Assert.DoesNotContain("now runs the sweeper", survivor.Output, StringComparison.Ordinal);

        using var client = new TestClient(survivor.CreateClient(ClientKey));
        using var doomedClient = new TestClient(doomed.CreateClient(ClientKey));
        var doomedMiners = MinerKeys[..4].Select(k => new TestMiner(doomed.CreateClient(k))).ToList();
        var survivingMiners = MinerKeys[4..].Select(k => new TestMiner(survivor.CreateClient(k))).ToList();
        foreach (var miner in doomedMiners)
        {
            await miner.RegisterAsync(concurrency: 4);
        }

        var survivingIds = new List<string>();
        foreach (var miner in survivingMiners)
        {
            survivingIds.Add(await miner.RegisterAsync(concurrency: 4));
        }

        var submitted = await ClusterRun.SubmitAsync([client, doomedClient], 600);
        using var stopDoomed = new CancellationTokenSource();
        using var stopAll = new CancellationTokenSource();
        var doomedWork = doomedMiners.Select(m => run.WorkAsync(m, stopDoomed.Token)).ToList();
        var survivingWork = survivingMiners.Select(m => run.WorkAsync(m, stopAll.Token)).ToList();
        await run.WaitForAcceptedAsync(150, TimeSpan.FromMinutes(2));

        // The doomed process's miners take one last round of work and die with it, before they report anything.
        await stopDoomed.CancelAsync();
        await Task.WhenAll(doomedWork);
        var stranded = new List<string>();
        foreach (var miner in doomedMiners)
        {
            stranded.AddRange((await miner.TakeAsync()).Select(l => l.Str("job_id")));
        }

        Assert.NotEmpty(stranded);
        await doomed.KillAsync();

        await run.WaitForAcceptedAsync(submitted.Count, TimeSpan.FromMinutes(3));
        await stopAll.CancelAsync();
        await Task.WhenAll(survivingWork);

        Assert.Empty(run.Unexpected);
        Assert.Contains("now runs the sweeper", survivor.Output, StringComparison.Ordinal);
        Assert.All(run.Accepted.Values, n => Assert.Equal(1, n));
        Assert.Equal(submitted.Order(), run.Accepted.Keys.Order());
        var listed = await ClusterRun.ListStatesAsync(client);
        Assert.All(submitted, id => Assert.Equal("completed", listed[id]));

        // The stranded jobs were leased a second time, after the first lease ran out, and finished on the survivor.
        var jobs = (await run.JobsAsync()).ToDictionary(j => j.JobId);
        Assert.All(jobs.Values, j => Assert.Equal("completed", j.State));
        Assert.All(stranded, id =>
        {
            Assert.True(jobs[id].Attempts >= 2, $"{id} was leased only {jobs[id].Attempts} time(s).");
            Assert.Contains(jobs[id].CompletedBy, survivingIds);
        });
        doomedMiners.Concat(survivingMiners).ToList().ForEach(m => m.Dispose());
    }

    [Fact]
    public async Task MinerLongPollingOnOneProcessWakesForAJobSubmittedToAnother()
    {
        using var directory = new TestDirectory();
        var url = await TestDatabase.PostgresUrlAsync(directory);
        var environment = ClusterRun.Environment(url, [ClientKey, MinerKeys[0]]);
        var run = new ClusterRun(await ConnectionStringAsync(directory));
        await using var a = await CoordinatorProcess.StartAsync(environment);
        await using var b = await CoordinatorProcess.StartAsync(environment);
        using var miner = new TestMiner(a.CreateClient(MinerKeys[0]));
        using var client = new TestClient(b.CreateClient(ClientKey));
        var minerId = await miner.RegisterAsync();

        // A take marks the miner seen when it was last seen over a second ago. Backdating that makes the long-poll's
        // first, empty claim visible in the database; from then on it can only be woken.
        await run.ScalarAsync<int>(
            $"UPDATE miners SET last_seen_at = now() - interval '1 hour' WHERE id = '{minerId}' RETURNING 1");
        var waiting = miner.TakeAsync(wait: 60);
        await WaitForConditionAsync(() => run.ScalarAsync<bool>(
            $"SELECT last_seen_at > now() - interval '1 minute' FROM miners WHERE id = '{minerId}'"));
        Assert.False(waiting.IsCompleted);

        var jobId = await client.SubmitIdAsync();

        var lease = Assert.Single(await waiting);
        Assert.Equal(jobId, lease.Str("job_id"));
    }

    [Fact]
    public async Task StatusLongPollOnOneProcessWakesForAChangeMadeOnAnother()
    {
        using var directory = new TestDirectory();
        var url = await TestDatabase.PostgresUrlAsync(directory);
        var environment = ClusterRun.Environment(url, [ClientKey, MinerKeys[0]]);
        await using var a = await CoordinatorProcess.StartAsync(environment);
        await using var b = await CoordinatorProcess.StartAsync(environment);
        using var client = new TestClient(a.CreateClient(ClientKey));
        using var miner = new TestMiner(b.CreateClient(MinerKeys[0]));
        await miner.RegisterAsync();
        var jobId = await client.SubmitIdAsync();

        var watching = client.StatusAsync(jobId, wait: 60);
        var lease = Assert.Single(await miner.TakeAsync());
        using var result = await miner.CompleteAsync(jobId, lease.Str("lease_token"));
        await result.ExpectAsync(HttpStatusCode.OK);

        // Woken by the lease or by the result, never by the 60 s timeout, which would still say queued.
        Assert.NotEqual("queued", (await watching).Str("state"));
    }

    [Fact]
    public async Task SameIdempotencyKeyOnTwoProcessesAtOnceMakesOneJob()
    {
        using var directory = new TestDirectory();
        var environment = ClusterRun.Environment(await TestDatabase.PostgresUrlAsync(directory), [ClientKey]);
        var processes = await Task.WhenAll(
            CoordinatorProcess.StartAsync(environment), CoordinatorProcess.StartAsync(environment));
        await using var a = processes[0];
        await using var b = processes[1];
        using var clientA = new TestClient(a.CreateClient(ClientKey));
        using var clientB = new TestClient(b.CreateClient(ClientKey));

        // Each key is sent to both processes at the same moment.
        var keys = Enumerable.Range(0, 60).Select(i => $"key-{i}").ToList();
        var answers = await Task.WhenAll(keys.SelectMany(key => new[] { clientA, clientB }.Select(async client =>
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/client/jobs")
            {
                Content = Http.Content(new { job_type = "llm_inference", parameters = new { key } }),
            };
            request.Headers.Add("Idempotency-Key", key);
            using var response = await client.Http.SendAsync(request);
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode is HttpStatusCode.Created, body);
            return (Key: key, JobId: System.Text.Json.Nodes.JsonNode.Parse(body).Str("job_id"));
        })));

        Assert.All(answers.GroupBy(x => x.Key), pair => Assert.Single(pair.Select(x => x.JobId).Distinct()));
        var listed = await ClusterRun.ListStatesAsync(clientA);
        Assert.Equal(answers.Select(x => x.JobId).Distinct().Order(), listed.Keys.Order());
    }

    [Fact]
    public async Task PostgresWithoutSecretKeyRefusesToStartAndSaysWhy()
    {
        using var directory = new TestDirectory();
        var environment = ClusterRun.Environment(await TestDatabase.PostgresUrlAsync(directory), [ClientKey]);
        environment["SECRET_KEY"] = "";

        var failure = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            CoordinatorProcess.StartAsync(environment));

        Assert.Contains("exited with 2", failure.Message, StringComparison.Ordinal);
        Assert.Contains("SECRET_KEY must be set when DATABASE_URL is PostgreSQL", failure.Message,
            StringComparison.Ordinal);
    }

    private static async Task<string> ConnectionStringAsync(TestDirectory directory) =>
        (await PostgresCluster.SharedAsync()).ConnectionStringFor(directory.Database!);

    private static Task WaitForOutputAsync(CoordinatorProcess process, string text) =>
        WaitForConditionAsync(() => Task.FromResult(process.Output.Contains(text, StringComparison.Ordinal)));

    /// <summary>Checks a condition that nothing announces, until it holds or 30 seconds have passed.</summary>
    private static async Task WaitForConditionAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "The condition never held.");
            await Task.Delay(20);
        }
    }
}
