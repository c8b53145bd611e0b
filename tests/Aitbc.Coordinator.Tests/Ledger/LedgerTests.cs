using System.Collections.Concurrent;
using System.Net;
using Aitbc.Coordinator.Data;
using Aitbc.Coordinator.Jobs;
using Aitbc.Coordinator.Ledger;
using Aitbc.Coordinator.Tests.Infrastructure;
using Aitbc.Coordinator.Tests.Users;

namespace Aitbc.Coordinator.Tests.Ledger;

public sealed class LedgerTests
{
    private const long Coin = 100_000_000;

    /// <summary>No background sweeps or lapses: the test moves the clock and sweeps when it means to.</summary>
    internal static readonly Dictionary<string, string> StillSettings = new()
    {
        ["SWEEP_INTERVAL_SECONDS"] = "60",
        ["LEASE_SECONDS"] = "86400",
        ["HEARTBEAT_TIMEOUT_SECONDS"] = "86400",
    };

    [Fact]
    public async Task CompletedJobPaysTheMinersWalletAndReleasesTheRest()
    {
        var clock = new TestClock();
        await using var coordinator = await TestCoordinator.StartAsync(
            settings: StillSettings, services: clock.Install);
        var payer = await coordinator.LoginAsync();
        var minerWallet = new TestWallet(AddressKind.NestedSegwit);
        await coordinator.GrantAsync(payer.UserId, "10");
        using var client = coordinator.Client(await coordinator.CreateApiKeyAsync(payer.Token));
        using var miner = coordinator.Miner(coordinator.Keys[2]);
        await RegisterAsync(miner, "0.5", minerWallet.Address);

        var cheap = await client.SubmitIdAsync(new { job_type = "a", parameters = new { }, max_price = "2" });
        Assert.Equal((10 * Coin, 2 * Coin, 8 * Coin), await coordinator.BalanceAsync(payer.UserId));
        var lease = Assert.Single(await miner.TakeAsync());
        clock.Advance(TimeSpan.FromSeconds(3));
        using var done = await miner.CompleteAsync(cheap, lease.Str("lease_token"));
        await done.ExpectAsync(HttpStatusCode.OK);
        using var replay = await miner.CompleteAsync(cheap, lease.Str("lease_token"));
        await replay.ExpectAsync(HttpStatusCode.OK);

        var capped = await client.SubmitIdAsync(new { job_type = "b", parameters = new { }, max_price = "1" });
        var second = Assert.Single(await miner.TakeAsync());
        clock.Advance(TimeSpan.FromSeconds(10));
        (await miner.CompleteAsync(capped, second.Str("lease_token"))).Dispose();

        var minerUser = await coordinator.LoginAsync(minerWallet);
        Assert.Equal((7.5m * Coin, 0, 7.5m * Coin), Decimal(await coordinator.BalanceAsync(payer.UserId)));
        Assert.Equal((2.5m * Coin, 0, 2.5m * Coin), Decimal(await coordinator.BalanceAsync(minerUser.UserId)));
        using var session = coordinator.Session(payer.Token);
        using var history = await session.GetAsync($"/v1/users/{payer.UserId}/transactions");
        var items = (await history.ExpectAsync(HttpStatusCode.OK))["items"]!.AsArray();
        Assert.Equal(["-1", "-1.5", "10"], items.Select(i => i!.Str("amount")));
        Assert.Equal([capped, cheap], items.Take(2).Select(i => i!.Str("job_id")));
        Assert.All(items.Take(2), i => Assert.Equal("job_payment", i!.Str("kind")));
        await coordinator.AuditAsync();
    }

    [Fact]
    public async Task FailureCancellationAndExpiryReleaseTheWholeHoldAndARequeueKeepsIt()
    {
        var clock = new TestClock();
        await using var coordinator = await TestCoordinator.StartAsync(
            settings: StillSettings, services: clock.Install);
        var user = await coordinator.LoginAsync();
        await coordinator.GrantAsync(user.UserId, "10");
        using var client = coordinator.Client(await coordinator.CreateApiKeyAsync(user.Token));
        using var miner = coordinator.Miner(coordinator.Keys[2]);
        await RegisterAsync(miner, "1", new TestWallet().Address);
        object Job(int attempts = 3, int ttl = 3600) =>
            new { job_type = "x", parameters = new { }, max_price = "1", max_attempts = attempts, ttl_seconds = ttl };

        var failing = await client.SubmitIdAsync(Job(attempts: 2));
        var first = Assert.Single(await miner.TakeAsync());
        (await miner.FailAsync(failing, first.Str("lease_token"), retryable: true)).Dispose();
        Assert.Equal(1 * Coin, (await coordinator.BalanceAsync(user.UserId)).Held);
        var second = Assert.Single(await miner.TakeAsync());
        (await miner.FailAsync(failing, second.Str("lease_token"), retryable: true)).Dispose();
        await client.WaitForStateAsync(failing, "failed");
        Assert.Equal(0, (await coordinator.BalanceAsync(user.UserId)).Held);

        var cancelled = await client.SubmitIdAsync(Job());
        using var cancel = await client.Http.PostAsync($"/v1/client/jobs/{cancelled}/cancel", null);
        await cancel.ExpectAsync(HttpStatusCode.OK);
        Assert.Equal(0, (await coordinator.BalanceAsync(user.UserId)).Held);

        var lapsing = await client.SubmitIdAsync(Job(attempts: 1, ttl: 86400));
        Assert.Single(await miner.TakeAsync());
        var expiring = await client.SubmitIdAsync(Job(ttl: 60));
        clock.Advance(TimeSpan.FromSeconds(86401));
        await coordinator.GetService<Sweeper>().SweepOnceAsync();
        await coordinator.GetService<Sweeper>().SweepOnceAsync();

        Assert.Equal("expired", (await client.StatusAsync(expiring)).Str("state"));
        Assert.Contains((await client.StatusAsync(lapsing)).Str("state"), new[] { "failed", "expired" });
        Assert.Equal((10 * Coin, 0, 10 * Coin), await coordinator.BalanceAsync(user.UserId));
        await coordinator.AuditAsync();
    }

    [Fact]
    public async Task LeaseRunningOutOfAttemptsReleasesTheHold()
    {
        var clock = new TestClock();
        await using var coordinator = await TestCoordinator.StartAsync(
            settings: new Dictionary<string, string>(StillSettings) { ["LEASE_SECONDS"] = "30" },
            services: clock.Install);
        var user = await coordinator.LoginAsync();
        await coordinator.GrantAsync(user.UserId, "3");
        using var client = coordinator.Client(await coordinator.CreateApiKeyAsync(user.Token));
        using var miner = coordinator.Miner(coordinator.Keys[2]);
        await RegisterAsync(miner, "1", new TestWallet().Address);
        var jobId = await client.SubmitIdAsync(
            new { job_type = "x", parameters = new { }, max_price = "3", max_attempts = 1 });
        Assert.Single(await miner.TakeAsync());

        clock.Advance(TimeSpan.FromSeconds(31));
        await coordinator.GetService<Sweeper>().SweepOnceAsync();

        var status = await client.StatusAsync(jobId);
        Assert.Equal("failed", status.Str("state"));
        Assert.Equal("lease_expired", status["error"]!.Str("code"));
        Assert.Equal((3 * Coin, 0, 3 * Coin), await coordinator.BalanceAsync(user.UserId));
        await coordinator.AuditAsync();
    }

    [Fact]
    public async Task OperatorKeysAreNotBilledAndMinersWithoutAWalletChargeNothing()
    {
        var clock = new TestClock();
        await using var coordinator = await TestCoordinator.StartAsync(
            settings: StillSettings, services: clock.Install);
        var user = await coordinator.LoginAsync();
        await coordinator.GrantAsync(user.UserId, "1");
        using var userClient = coordinator.Client(await coordinator.CreateApiKeyAsync(user.Token));
        using var operatorClient = coordinator.Client();
        using var miner = coordinator.Miner(coordinator.Keys[2]);
        await RegisterAsync(miner, "1", wallet: null);

        var operatorJob = await operatorClient.SubmitIdAsync(
            new { job_type = "x", parameters = new { }, max_price = "100" });
        var userJob = await userClient.SubmitIdAsync(new { job_type = "x", parameters = new { }, max_price = "1" });
        using var noBudget = await userClient.Http.PostJsonAsync(
            "/v1/client/jobs", new { job_type = "x", parameters = new { } });
        for (var i = 0; i < 2; i++)
        {
            var lease = Assert.Single(await miner.TakeAsync());
            clock.Advance(TimeSpan.FromSeconds(5));
            (await miner.CompleteAsync(lease.Str("job_id"), lease.Str("lease_token"))).Dispose();
        }

        Assert.Equal("completed", (await operatorClient.StatusAsync(operatorJob)).Str("state"));
        Assert.Equal("completed", (await userClient.StatusAsync(userJob)).Str("state"));
        await noBudget.ExpectProblemAsync(HttpStatusCode.BadRequest, "validation_failed");
        Assert.Equal((1 * Coin, 0, 1 * Coin), await coordinator.BalanceAsync(user.UserId));
        var audit = await coordinator.AuditAsync();
        Assert.Equal("1", audit.Str("granted"));
    }

    [Fact]
    public async Task ShortBalanceIsPaymentRequiredAndCreatesNoJob()
    {
        await using var coordinator = await TestCoordinator.StartAsync();
        var user = await coordinator.LoginAsync();
        using var client = coordinator.Client(await coordinator.CreateApiKeyAsync(user.Token));

        using var noAccount = await client.Http.PostJsonAsync(
            "/v1/client/jobs", new { job_type = "x", max_price = "1" });
        await coordinator.GrantAsync(user.UserId, "0.99999999");
        using var short1 = await client.Http.PostJsonAsync("/v1/client/jobs", new { job_type = "x", max_price = "1" });
        var exact = await client.SubmitIdAsync(new { job_type = "x", parameters = new { }, max_price = "0.99999999" });

        await noAccount.ExpectProblemAsync(HttpStatusCode.PaymentRequired, "insufficient_funds");
        await short1.ExpectProblemAsync(HttpStatusCode.PaymentRequired, "insufficient_funds");
        using var list = await client.Http.GetAsync("/v1/client/jobs");
        Assert.Equal(
            exact,
            Assert.Single((await list.ExpectAsync(HttpStatusCode.OK))["items"]!.AsArray())!.Str("job_id"));
        Assert.Equal((99_999_999, 99_999_999, 0), await coordinator.BalanceAsync(user.UserId));
    }

    [Fact]
    public async Task FiftyParallelSubmissionsAgainstABalanceForTenAcceptExactlyTen()
    {
        await using var coordinator = await TestCoordinator.StartAsync();
        var user = await coordinator.LoginAsync();
        await coordinator.GrantAsync(user.UserId, "10");
        var key = await coordinator.CreateApiKeyAsync(user.Token);
        using var http = coordinator.CreateClient(key);
        var seen = new ConcurrentBag<long>();
        using var stop = new CancellationTokenSource();
        var watcher = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                seen.Add((await coordinator.BalanceAsync(user.UserId)).Available);
            }
        });

        var responses = await Task.WhenAll(Enumerable.Range(0, 50).Select(i => http.PostJsonAsync(
            "/v1/client/jobs", new { job_type = "x", parameters = new { i }, max_price = "1" })));
        await stop.CancelAsync();
        await watcher;

        Assert.Equal(10, responses.Count(r => r.StatusCode == HttpStatusCode.Created));
        foreach (var refused in responses.Where(r => r.StatusCode != HttpStatusCode.Created))
        {
            await refused.ExpectProblemAsync(HttpStatusCode.PaymentRequired, "insufficient_funds");
        }

        Assert.NotEmpty(seen);
        Assert.All(seen, available => Assert.InRange(available, 0, 10 * Coin));
        Assert.Equal((10 * Coin, 10 * Coin, 0), await coordinator.BalanceAsync(user.UserId));
        using var list = await http.GetAsync("/v1/client/jobs");
        Assert.Equal(10, (await list.ExpectAsync(HttpStatusCode.OK))["items"]!.AsArray().Count);
        await coordinator.AuditAsync();
    }

    [Fact]
    public async Task GrantsAreValidatedAndNeedAnAdminKey()
    {
        await using var coordinator = await TestCoordinator.StartAsync();
        var user = await coordinator.LoginAsync();
        using var admin = coordinator.CreateClient(coordinator.AdminKey);
        using var client = coordinator.CreateClient(coordinator.ClientKey);

        using var zero = await admin.PostJsonAsync(
            "/v1/admin/ledger/grants", new { user_id = user.UserId, amount = "0", reason = "r" });
        using var negative = await admin.PostJsonAsync(
            "/v1/admin/ledger/grants", new { user_id = user.UserId, amount = "-1", reason = "r" });
        using var noReason = await admin.PostJsonAsync(
            "/v1/admin/ledger/grants", new { user_id = user.UserId, amount = "1" });
        using var nobody = await admin.PostJsonAsync(
            "/v1/admin/ledger/grants", new { user_id = "usr_nobody", amount = "1", reason = "r" });
        using var malformed = await admin.PostRawAsync("/v1/admin/ledger/grants", "{\"user_id\": ");
        using var byClient = await client.PostJsonAsync(
            "/v1/admin/ledger/grants", new { user_id = user.UserId, amount = "1", reason = "r" });
        using var auditByClient = await client.GetAsync("/v1/admin/ledger/audit");
        using var granted = await admin.PostJsonAsync(
            "/v1/admin/ledger/grants", new { user_id = user.UserId, amount = "3.5", reason = "launch promo" });

        await zero.ExpectProblemAsync(HttpStatusCode.BadRequest, "validation_failed");
        await negative.ExpectProblemAsync(HttpStatusCode.BadRequest, "invalid_value");
        await noReason.ExpectProblemAsync(HttpStatusCode.BadRequest, "missing_field");
        await nobody.ExpectProblemAsync(HttpStatusCode.NotFound, "user_not_found");
        await malformed.ExpectProblemAsync(HttpStatusCode.BadRequest, "malformed_json");
        await byClient.ExpectProblemAsync(HttpStatusCode.Forbidden, "forbidden");
        await auditByClient.ExpectProblemAsync(HttpStatusCode.Forbidden, "forbidden");
        var grant = await granted.ExpectAsync(HttpStatusCode.Created);
        Assert.Equal("launch promo", grant.Str("reason"));
        Assert.StartsWith("key_", grant.Str("created_by"));
        Assert.Equal((350_000_000, 0, 350_000_000), await coordinator.BalanceAsync(user.UserId));
        Assert.Equal("3.5", (await coordinator.AuditAsync()).Str("granted"));
    }

    [Fact]
    public async Task CreditOnceCreditsExactlyOncePerExternalId()
    {
        await using var coordinator = await TestCoordinator.StartAsync();
        var user = await coordinator.LoginAsync();
        var writer = coordinator.GetService<DbWriter>();
        var books = coordinator.GetService<Bookkeeper>();

        var results = await Task.WhenAll(Enumerable.Range(0, 5).Select(_ =>
            writer.ExecuteAsync(scope => books.CreditOnceAsync(scope, user.UserId, 2 * Coin, "pay_123"))));
        var other = await writer.ExecuteAsync(scope => books.CreditOnceAsync(scope, user.UserId, Coin, "pay_456"));

        Assert.Single(results, r => r is not null);
        Assert.NotNull(other);
        Assert.Equal((3 * Coin, 0, 3 * Coin), await coordinator.BalanceAsync(user.UserId));
        Assert.Equal("3", (await coordinator.AuditAsync()).Str("exchange_credited"));
    }

    internal static async Task RegisterAsync(TestMiner miner, string price, string? wallet)
    {
        using var response = await miner.Http.PostJsonAsync("/v1/miner/register", new
        {
            capabilities = new
            {
                models = new[] { "llama3" },
                gpus = new[] { new { name = "RTX 4090", vram_gb = 24 } },
            },
            max_concurrency = 1,
            price_per_unit = price,
            wallet_address = wallet,
        });
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
    }

    private static (decimal, decimal, decimal) Decimal((long Balance, long Held, long Available) b) =>
        (b.Balance, b.Held, b.Available);
}
