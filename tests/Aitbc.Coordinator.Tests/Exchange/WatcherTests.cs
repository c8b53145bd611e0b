using System.Net;
using Aitbc.Coordinator.Tests.Infrastructure;
using Aitbc.Coordinator.Tests.Users;
using NBitcoin;

namespace Aitbc.Coordinator.Tests.Exchange;

public sealed class WatcherTests
{
    private const long Coin = 100_000_000;

    [Fact]
    public async Task APaymentGoesFromMempoolToCreditedExactlyOnce()
    {
        await using var chain = await FakeEsplora.StartAsync();
        await using var coordinator = await TestCoordinator.StartAsync(settings: ExchangeCalls.Settings(chain));
        var user = await coordinator.LoginAsync();
        using var session = coordinator.Session(user.Token);
        var payment = await session.CreatePaymentAsync(new { aitbc_amount = "25" });
        var id = payment.Str("payment_id");
        await chain.LetWatcherLookAsync();
        Assert.Equal("pending", (await session.PaymentAsync(id)).Str("status"));

        var txid = chain.Pay(payment.Str("address"), payment["amount_sats"]!.GetValue<long>());
        var seen = await chain.WaitForStatusAsync(session, id, "seen");
        Assert.Equal(txid, seen.Str("txid"));
        Assert.Equal(0, seen["confirmations"]!.GetValue<int>());
        Assert.Equal(25_000, seen["received_sats"]!.GetValue<long>());
        Assert.Equal((0, 0, 0), await coordinator.BalanceAsync(user.UserId));

        chain.Mine(txid);
        var credited = await chain.WaitForStatusAsync(session, id, "credited");
        await chain.LetWatcherLookAsync();

        Assert.Equal(1, credited["confirmations"]!.GetValue<int>());
        Assert.Equal("watcher", credited.Str("credited_by"));
        Assert.Equal((25 * Coin, 0, 25 * Coin), await coordinator.BalanceAsync(user.UserId));
        Assert.Equal("25", Assert.Single(await coordinator.CreditsAsync(user)).Str("amount"));
        Assert.Equal("credited", (await session.PaymentAsync(id)).Str("status"));
        await coordinator.AuditAsync();
    }

    [Fact]
    public async Task ARestartBetweenSeenAndConfirmedStillCreditsOnce()
    {
        await using var chain = await FakeEsplora.StartAsync();
        using var directory = new TestDirectory();
        LoggedIn user;
        string id;
        string txid;
        await using (var first = await TestCoordinator.StartAsync(
            settings: ExchangeCalls.Settings(chain), directory: directory))
        {
            user = await first.LoginAsync();
            using var session = first.Session(user.Token);
            var payment = await session.CreatePaymentAsync(new { btc_amount = "0.0004" });
            id = payment.Str("payment_id");
            txid = chain.Pay(payment.Str("address"), 40_000);
            await chain.WaitForStatusAsync(session, id, "seen");
        }

        chain.Mine(txid, more: 2);
        await using var second = await TestCoordinator.StartAsync(
            settings: ExchangeCalls.Settings(chain), directory: directory);
        using var again = second.Session(user.Token);
        var credited = await chain.WaitForStatusAsync(again, id, "credited");
        await chain.LetWatcherLookAsync();

        Assert.Equal(3, credited["confirmations"]!.GetValue<int>());
        Assert.Equal((40 * Coin, 0, 40 * Coin), await second.BalanceAsync(user.UserId));
        Assert.Single(await second.CreditsAsync(user));
        await second.AuditAsync();
    }

    [Fact]
    public async Task ATransactionThatVanishesBeforeCreditingPutsThePaymentBackToPending()
    {
        await using var chain = await FakeEsplora.StartAsync();
        var settings = ExchangeCalls.Settings(chain);
        settings["BITCOIN_MIN_CONFIRMATIONS"] = "2";
        await using var coordinator = await TestCoordinator.StartAsync(settings: settings);
        var user = await coordinator.LoginAsync();
        using var session = coordinator.Session(user.Token);
        var payment = await session.CreatePaymentAsync(new { aitbc_amount = "3" });
        var id = payment.Str("payment_id");
        var first = chain.Pay(payment.Str("address"), 3_000);
        chain.Mine(first);
        var seen = await chain.WaitForAsync(session, id, p => p["confirmations"]!.GetValue<int>() == 1);
        Assert.Equal("seen", seen.Str("status"));

        chain.Drop(first);
        var back = await chain.WaitForStatusAsync(session, id, "pending");

        Assert.Null(back["txid"]);
        Assert.Equal(0, back["received_sats"]!.GetValue<long>());
        Assert.Equal((0, 0, 0), await coordinator.BalanceAsync(user.UserId));

        var second = chain.Pay(payment.Str("address"), 3_000);
        chain.Mine(second, more: 1);
        var credited = await chain.WaitForStatusAsync(session, id, "credited");
        Assert.Equal(second, credited.Str("txid"));
        Assert.Equal((3 * Coin, 0, 3 * Coin), await coordinator.BalanceAsync(user.UserId));
    }

    [Fact]
    public async Task AnUnderpaymentStaysOpenUntilToppedUpAndAnOverpaymentIsRecorded()
    {
        await using var chain = await FakeEsplora.StartAsync();
        await using var coordinator = await TestCoordinator.StartAsync(settings: ExchangeCalls.Settings(chain));
        var user = await coordinator.LoginAsync();
        using var session = coordinator.Session(user.Token);
        var payment = await session.CreatePaymentAsync(new { aitbc_amount = "10" });
        var id = payment.Str("payment_id");
        var address = payment.Str("address");

        chain.Mine(chain.Pay(address, 9_999), more: 5);
        var under = await chain.WaitForAsync(session, id, p => p["confirmations"]!.GetValue<int>() == 6);
        await chain.LetWatcherLookAsync();

        Assert.Equal("seen", (await session.PaymentAsync(id)).Str("status"));
        Assert.Equal(9_999, under["received_sats"]!.GetValue<long>());
        Assert.Equal((0, 0, 0), await coordinator.BalanceAsync(user.UserId));

        chain.Mine(chain.Pay(address, 501));
        var credited = await chain.WaitForStatusAsync(session, id, "credited");

        Assert.Equal(10_500, credited["received_sats"]!.GetValue<long>());
        Assert.Equal(500, credited["overpaid_sats"]!.GetValue<long>());
        Assert.Equal((10 * Coin, 0, 10 * Coin), await coordinator.BalanceAsync(user.UserId));
    }

    [Fact]
    public async Task OnTheStaticAddressOnlyTheUniqueAmountPaysAPayment()
    {
        await using var chain = await FakeEsplora.StartAsync();
        var shared = new Key().PubKey.GetAddress(ScriptPubKeyType.Segwit, Network.TestNet).ToString();
        await using var coordinator = await TestCoordinator.StartAsync(
            settings: ExchangeCalls.Settings(chain, staticAddress: shared));
        var user = await coordinator.LoginAsync();
        using var session = coordinator.Session(user.Token);
        var first = await session.CreatePaymentAsync(new { aitbc_amount = "4" });
        var second = await session.CreatePaymentAsync(new { aitbc_amount = "4" });
        var secondSats = second["amount_sats"]!.GetValue<long>();
        Assert.NotEqual(first["amount_sats"]!.GetValue<long>(), secondSats);

        // An old payment of the same amount, mined long before this payment existed, is not its money.
        chain.Mine(chain.Pay(shared, secondSats), at: DateTimeOffset.UtcNow.AddDays(-1));
        await chain.LetWatcherLookAsync();
        Assert.Equal("pending", (await session.PaymentAsync(second.Str("payment_id"))).Str("status"));

        chain.Mine(chain.Pay(shared, secondSats));
        await chain.WaitForStatusAsync(session, second.Str("payment_id"), "credited");
        await chain.LetWatcherLookAsync();

        Assert.Equal("pending", (await session.PaymentAsync(first.Str("payment_id"))).Str("status"));
        Assert.Equal(secondSats * 100_000, (await coordinator.BalanceAsync(user.UserId)).Balance);
    }

    [Fact]
    public async Task ABusyStaticAddressIsReadPastTheFirstPageOfItsHistory()
    {
        await using var chain = await FakeEsplora.StartAsync();
        var shared = new Key().PubKey.GetAddress(ScriptPubKeyType.Segwit, Network.TestNet).ToString();
        await using var coordinator = await TestCoordinator.StartAsync(
            settings: ExchangeCalls.Settings(chain, staticAddress: shared));
        var user = await coordinator.LoginAsync();
        using var session = coordinator.Session(user.Token);
        var payment = await session.CreatePaymentAsync(new { aitbc_amount = "4" });
        var sats = payment["amount_sats"]!.GetValue<long>();

        // While the chain service is down, the payment is mined, then buried under 60 newer transactions to the same
        // address: Esplora's first answer holds only the newest 25 of them.
        chain.Fault = ChainFault.Errors;
        chain.Mine(chain.Pay(shared, sats));
        for (var i = 0; i < 60; i++)
        {
            chain.Mine(chain.Pay(shared, 1_000 + i));
        }

        chain.Fault = ChainFault.None;

        var credited = await chain.WaitForStatusAsync(session, payment.Str("payment_id"), "credited");
        Assert.Equal(61, credited["confirmations"]!.GetValue<int>());
        Assert.Equal(sats * 100_000, (await coordinator.BalanceAsync(user.UserId)).Balance);
        Assert.True(chain.LaterPagesServed >= 2, $"{chain.LaterPagesServed} later pages");
    }

    [Fact]
    public async Task HistoryOlderThanEveryWatchedPaymentIsNotPagedThrough()
    {
        await using var chain = await FakeEsplora.StartAsync();
        var shared = new Key().PubKey.GetAddress(ScriptPubKeyType.Segwit, Network.TestNet).ToString();
        for (var i = 0; i < 100; i++)
        {
            chain.Mine(chain.Pay(shared, 1_000 + i), at: DateTimeOffset.UtcNow.AddDays(-2));
        }

        await using var coordinator = await TestCoordinator.StartAsync(
            settings: ExchangeCalls.Settings(chain, staticAddress: shared));
        var user = await coordinator.LoginAsync();
        using var session = coordinator.Session(user.Token);
        var payment = await session.CreatePaymentAsync(new { aitbc_amount = "4" });
        await chain.LetWatcherLookAsync();

        Assert.Equal("pending", (await session.PaymentAsync(payment.Str("payment_id"))).Str("status"));
        Assert.Equal(0, chain.LaterPagesServed);
    }

    [Fact]
    public async Task MoneyFirstSeenAfterExpiryIsMarkedForReviewNotCredited()
    {
        var clock = new TestClock();
        await using var chain = await FakeEsplora.StartAsync();
        await using var coordinator = await TestCoordinator.StartAsync(
            settings: ExchangeCalls.Settings(chain), services: clock.Install);
        var user = await coordinator.LoginAsync();
        using var session = coordinator.Session(user.Token);
        using var admin = coordinator.CreateClient(coordinator.AdminKey);
        var payment = await session.CreatePaymentAsync(new { aitbc_amount = "2" });
        var id = payment.Str("payment_id");

        clock.Advance(TimeSpan.FromHours(1) + TimeSpan.FromSeconds(1));
        await chain.WaitForStatusAsync(session, id, "expired");
        var txid = chain.Pay(payment.Str("address"), 2_000);
        chain.Mine(txid);
        var review = await chain.WaitForAsync(session, id, p => p["needs_review"]!.GetValue<bool>());
        await chain.LetWatcherLookAsync();

        Assert.Equal("expired", review.Str("status"));
        Assert.Equal(txid, review.Str("txid"));
        Assert.Equal((0, 0, 0), await coordinator.BalanceAsync(user.UserId));

        using var confirm = await admin.PostJsonAsync($"/v1/admin/exchange/payments/{id}/confirm",
            new { txid, note = "late but honoured at the quoted rate" });
        await confirm.ExpectAsync(HttpStatusCode.OK);
        await chain.LetWatcherLookAsync();
        Assert.Equal((2 * Coin, 0, 2 * Coin), await coordinator.BalanceAsync(user.UserId));
        Assert.Single(await coordinator.CreditsAsync(user));

        // The admin's decision settles the review: the watcher, still seeing the late money, does not raise it again.
        var settled = await session.PaymentAsync(id);
        Assert.Equal("credited", settled.Str("status"));
        Assert.False(settled["needs_review"]!.GetValue<bool>());
    }

    [Fact]
    public async Task AnAdminConfirmationBeforeTheWatcherLeavesTheWatcherNothingToCredit()
    {
        await using var chain = await FakeEsplora.StartAsync();
        await using var coordinator = await TestCoordinator.StartAsync(settings: ExchangeCalls.Settings(chain));
        var user = await coordinator.LoginAsync();
        using var session = coordinator.Session(user.Token);
        using var admin = coordinator.CreateClient(coordinator.AdminKey);
        var payment = await session.CreatePaymentAsync(new { aitbc_amount = "6" });
        var id = payment.Str("payment_id");
        var txid = chain.Pay(payment.Str("address"), 6_000);
        await chain.WaitForStatusAsync(session, id, "seen");

        using var confirm = await admin.PostJsonAsync($"/v1/admin/exchange/payments/{id}/confirm", new { txid });
        await confirm.ExpectAsync(HttpStatusCode.OK);
        chain.Mine(txid, more: 3);
        await chain.LetWatcherLookAsync();

        var final = await session.PaymentAsync(id);
        Assert.Equal("credited", final.Str("status"));
        Assert.StartsWith("key_", final.Str("credited_by"), StringComparison.Ordinal);
        Assert.Equal((6 * Coin, 0, 6 * Coin), await coordinator.BalanceAsync(user.UserId));
        Assert.Single(await coordinator.CreditsAsync(user));
    }

    [Fact]
    public async Task AFailingChainServiceStallsNothingElse()
    {
        await using var chain = await FakeEsplora.StartAsync();
        await using var coordinator = await TestCoordinator.StartAsync(settings: ExchangeCalls.Settings(chain));
        var user = await coordinator.LoginAsync();
        using var session = coordinator.Session(user.Token);
        using var client = coordinator.Client(coordinator.ClientKey);
        using var miner = coordinator.Miner(coordinator.Keys[2]);
        await miner.RegisterAsync();
        var payment = await session.CreatePaymentAsync(new { aitbc_amount = "8" });
        var id = payment.Str("payment_id");

        foreach (var fault in new[] { ChainFault.Hangs, ChainFault.Errors })
        {
            chain.Fault = fault;
            await chain.LetWatcherLookAsync(2);

            var job = await client.SubmitIdAsync(new { job_type = "llm_inference", parameters = new { } });
            var lease = await miner.TakeJobAsync(job);
            using var done = await miner.CompleteAsync(job, lease.Str("lease_token"));
            await done.ExpectAsync(HttpStatusCode.OK);
            Assert.Equal("completed", (await client.StatusAsync(job)).Str("state"));
            await session.CreatePaymentAsync(new { aitbc_amount = "1" });
            Assert.Equal("pending", (await session.PaymentAsync(id)).Str("status"));
        }

        chain.Fault = ChainFault.None;
        chain.Mine(chain.Pay(payment.Str("address"), 8_000));
        await chain.WaitForStatusAsync(session, id, "credited");
        Assert.Equal((8 * Coin, 0, 8 * Coin), await coordinator.BalanceAsync(user.UserId));
    }
}
