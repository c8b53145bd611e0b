using System.Net;
using System.Text.Json.Nodes;
using Aitbc.Coordinator.Exchange;
using Aitbc.Coordinator.Tests.Infrastructure;
using Aitbc.Coordinator.Tests.Users;
using NBitcoin;

namespace Aitbc.Coordinator.Tests.Exchange;

public sealed class PaymentApiTests
{
    private const long Coin = 100_000_000;

    [Fact]
    public async Task CreatePaymentAnswersTheSpecFieldsWithItsOwnAddress()
    {
        await using var coordinator = await TestCoordinator.StartAsync(settings: ExchangeCalls.Settings());
        var user = await coordinator.LoginAsync();
        using var session = coordinator.Session(user.Token);
        var account = ExchangeSettings.ParseAccountKey(ExchangeCalls.TestnetVpub, Network.TestNet);

        var payment = await session.CreatePaymentAsync(new { aitbc_amount = "10" });
        var second = await session.CreatePaymentAsync(new { btc_amount = "0.00012345" });

        Assert.StartsWith("pay_", payment.Str("payment_id"), StringComparison.Ordinal);
        Assert.Equal("pending", payment.Str("status"));
        Assert.Equal(ExchangeSettings.ReceiveAddress(account, 0), payment.Str("address"));
        Assert.Equal(10_000, payment["amount_sats"]!.GetValue<long>());
        Assert.Equal("0.0001", payment.Str("btc_amount"));
        Assert.Equal("10", payment.Str("aitbc_amount"));
        Assert.Equal("100000", payment.Str("rate"));
        Assert.Equal(0, payment["confirmations"]!.GetValue<int>());
        Assert.Null(payment["txid"]);
        var uri = new NBitcoin.Payment.BitcoinUrlBuilder(payment.Str("bip21_uri"), Network.TestNet);
        Assert.Equal(payment.Str("address"), uri.Address!.ToString());
        Assert.Equal(Money.Satoshis(10_000), uri.Amount);
        var created = DateTime.Parse(payment.Str("created_at")).ToUniversalTime();
        Assert.Equal(TimeSpan.FromHours(1), DateTime.Parse(payment.Str("expires_at")).ToUniversalTime() - created);
        Assert.EndsWith("Z", payment.Str("created_at"), StringComparison.Ordinal);

        Assert.Equal(ExchangeSettings.ReceiveAddress(account, 1), second.Str("address"));
        Assert.Equal(12_345, second["amount_sats"]!.GetValue<long>());
        Assert.Equal("12.345", second.Str("aitbc_amount"));
        Assert.Equal(payment, await session.PaymentAsync(payment.Str("payment_id")), JsonNode.DeepEquals);
    }

    [Fact]
    public async Task ReceiveAddressesAreNeverReusedAcrossParallelRequestsAndRestarts()
    {
        using var directory = new TestDirectory();
        var addresses = new List<string>();
        await using (var first = await TestCoordinator.StartAsync(
            settings: ExchangeCalls.Settings(), directory: directory))
        {
            var user = await first.LoginAsync();
            using var session = first.Session(user.Token);
            var created = await Task.WhenAll(Enumerable.Range(0, 30)
                .Select(_ => session.CreatePaymentAsync(new { aitbc_amount = "2" })));
            addresses.AddRange(created.Select(p => p.Str("address")));
        }

        await using (var second = await TestCoordinator.StartAsync(
            settings: ExchangeCalls.Settings(), directory: directory))
        {
            var user = await second.LoginAsync();
            using var session = second.Session(user.Token);
            addresses.Add((await session.CreatePaymentAsync(new { aitbc_amount = "2" })).Str("address"));
        }

        var account = ExchangeSettings.ParseAccountKey(ExchangeCalls.TestnetVpub, Network.TestNet);
        Assert.Equal(Enumerable.Range(0, 31).Select(i => ExchangeSettings.ReceiveAddress(account, (uint)i)).Order(),
            addresses.Order());
    }

    [Fact]
    public async Task TheStaticAddressMakesEachOpenPaymentsAmountUnique()
    {
        var shared = new Key().PubKey.GetAddress(ScriptPubKeyType.Segwit, Network.TestNet).ToString();
        await using var coordinator = await TestCoordinator.StartAsync(
            settings: ExchangeCalls.Settings(staticAddress: shared));
        var user = await coordinator.LoginAsync();
        using var session = coordinator.Session(user.Token);

        var payments = await Task.WhenAll(Enumerable.Range(0, 12)
            .Select(_ => session.CreatePaymentAsync(new { aitbc_amount = "3" })));

        Assert.All(payments, p => Assert.Equal(shared, p.Str("address")));
        var amounts = payments.Select(p => p["amount_sats"]!.GetValue<long>()).ToList();
        Assert.Equal(amounts.Count, amounts.Distinct().Count());
        Assert.All(amounts, a => Assert.InRange(a, 3_000, 3_000 + 20));

        // The few extra satoshis buy their AITBC too: the buyer never gets less than asked.
        Assert.All(payments, p => Assert.Equal(
            p["amount_sats"]!.GetValue<long>() * 100_000, ExchangeCalls.Units(p.Str("aitbc_amount"))));
    }

    [Theory]
    [InlineData("""{"aitbc_amount": "0"}""")]
    [InlineData("""{"aitbc_amount": "-5"}""")]
    [InlineData("""{"aitbc_amount": "ten"}""")]
    [InlineData("""{"aitbc_amount": true}""")]
    [InlineData("""{"aitbc_amount": "1.123456789"}""")]
    [InlineData("""{"aitbc_amount": "0.5"}""")]
    [InlineData("""{"aitbc_amount": "50000.00000001"}""")]
    [InlineData("""{"aitbc_amount": "99999999999999999999"}""")]
    [InlineData("""{"btc_amount": "0"}""")]
    [InlineData("""{"btc_amount": "-0.001"}""")]
    [InlineData("""{"btc_amount": "0.000001"}""")]
    [InlineData("""{"btc_amount": "21000001"}""")]
    [InlineData("""{"aitbc_amount": "10", "btc_amount": "0.0001"}""")]
    [InlineData("""{}""")]
    public async Task BadAmountsAre400AndCreateNothing(string body)
    {
        await using var coordinator = await TestCoordinator.StartAsync(settings: ExchangeCalls.Settings());
        var user = await coordinator.LoginAsync();
        using var session = coordinator.Session(user.Token);

        using var response = await session.PostRawAsync("/v1/exchange/create-payment", body);

        var problem = await response.ExpectProblemAsync(HttpStatusCode.BadRequest, "validation_failed");
        Assert.NotNull(problem["errors"]);
        var next = await session.CreatePaymentAsync(new { aitbc_amount = "1" });
        var account = ExchangeSettings.ParseAccountKey(ExchangeCalls.TestnetVpub, Network.TestNet);
        Assert.Equal(ExchangeSettings.ReceiveAddress(account, 0), next.Str("address"));
    }

    [Fact]
    public async Task MalformedBodiesAre400()
    {
        await using var coordinator = await TestCoordinator.StartAsync(settings: ExchangeCalls.Settings());
        var user = await coordinator.LoginAsync();
        using var session = coordinator.Session(user.Token);

        using var broken = await session.PostRawAsync("/v1/exchange/create-payment", """{"aitbc_amount": """);
        using var empty = await session.PostRawAsync("/v1/exchange/create-payment", "");

        await broken.ExpectProblemAsync(HttpStatusCode.BadRequest, "malformed_json");
        await empty.ExpectProblemAsync(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task OnlyTheOwnerAndAdminsSeeAPaymentAndCreatingNeedsASession()
    {
        await using var coordinator = await TestCoordinator.StartAsync(settings: ExchangeCalls.Settings());
        var owner = await coordinator.LoginAsync();
        var other = await coordinator.LoginAsync();
        using var ownerSession = coordinator.Session(owner.Token);
        using var otherSession = coordinator.Session(other.Token);
        using var anonymous = coordinator.CreateClient();
        using var client = coordinator.CreateClient(coordinator.ClientKey);
        using var admin = coordinator.CreateClient(coordinator.AdminKey);
        var id = (await ownerSession.CreatePaymentAsync(new { aitbc_amount = "5" })).Str("payment_id");

        using var theirs = await otherSession.GetAsync($"/v1/exchange/payment-status/{id}");
        using var unknown = await ownerSession.GetAsync("/v1/exchange/payment-status/pay_nothing");
        using var noSession = await anonymous.GetAsync($"/v1/exchange/payment-status/{id}");
        using var keyOnly = await client.GetAsync($"/v1/exchange/payment-status/{id}");
        using var createAnonymous = await anonymous.PostJsonAsync(
            "/v1/exchange/create-payment", new { aitbc_amount = "5" });
        using var createWithKey = await client.PostJsonAsync("/v1/exchange/create-payment", new { aitbc_amount = "5" });
        using var rates = await anonymous.GetAsync("/v1/exchange/rates");

        await theirs.ExpectProblemAsync(HttpStatusCode.NotFound, "payment_not_found");
        await unknown.ExpectProblemAsync(HttpStatusCode.NotFound, "payment_not_found");
        await noSession.ExpectProblemAsync(HttpStatusCode.Unauthorized, "missing_credentials");
        Assert.Equal(HttpStatusCode.Forbidden, keyOnly.StatusCode);
        await createAnonymous.ExpectProblemAsync(HttpStatusCode.Unauthorized, "missing_credentials");
        Assert.Equal(HttpStatusCode.Unauthorized, createWithKey.StatusCode);
        Assert.Equal(owner.UserId, (await admin.PaymentAsync(id)).Str("user_id"));
        var rate = await rates.ExpectAsync(HttpStatusCode.OK);
        Assert.Equal("100000", rate.Str("btc_to_aitbc"));
        Assert.Equal("1", rate.Str("min_aitbc"));
        Assert.Equal("testnet", rate.Str("network"));
    }

    [Fact]
    public async Task WithoutAnAddressOrXpubTheExchangeIsUnavailable()
    {
        await using var coordinator = await TestCoordinator.StartAsync();
        var user = await coordinator.LoginAsync();
        using var session = coordinator.Session(user.Token);
        using var admin = coordinator.CreateClient(coordinator.AdminKey);

        using var create = await session.PostJsonAsync("/v1/exchange/create-payment", new { aitbc_amount = "5" });
        using var rates = await session.GetAsync("/v1/exchange/rates");
        using var status = await session.GetAsync("/v1/exchange/payment-status/pay_x");
        using var confirm = await admin.PostJsonAsync("/v1/admin/exchange/payments/pay_x/confirm",
            new { txid = new string('a', 64) });

        await create.ExpectProblemAsync(HttpStatusCode.ServiceUnavailable, "exchange_not_configured");
        await rates.ExpectProblemAsync(HttpStatusCode.ServiceUnavailable, "exchange_not_configured");
        await status.ExpectProblemAsync(HttpStatusCode.ServiceUnavailable, "exchange_not_configured");
        await confirm.ExpectProblemAsync(HttpStatusCode.ServiceUnavailable, "exchange_not_configured");
    }

    [Fact]
    public async Task AnAdminConfirmsByHandOnceEvenWhenManyTryAtOnce()
    {
        await using var coordinator = await TestCoordinator.StartAsync(settings: ExchangeCalls.Settings());
        var user = await coordinator.LoginAsync();
        using var session = coordinator.Session(user.Token);
        using var admin = coordinator.CreateClient(coordinator.AdminKey);
        using var client = coordinator.CreateClient(coordinator.ClientKey);
        var id = (await session.CreatePaymentAsync(new { aitbc_amount = "7.5" })).Str("payment_id");
        var txid = new string('b', 64);
        var path = $"/v1/admin/exchange/payments/{id}/confirm";

        using var badTxid = await admin.PostJsonAsync(path, new { txid = "xyz", note = "paid" });
        using var notAdmin = await client.PostJsonAsync(path, new { txid, note = "paid" });
        using var unknown = await admin.PostJsonAsync("/v1/admin/exchange/payments/pay_nope/confirm", new { txid });
        await badTxid.ExpectProblemAsync(HttpStatusCode.BadRequest, "validation_failed");
        Assert.Equal(HttpStatusCode.Forbidden, notAdmin.StatusCode);
        await unknown.ExpectProblemAsync(HttpStatusCode.NotFound, "payment_not_found");
        Assert.Equal((0, 0, 0), await coordinator.BalanceAsync(user.UserId));

        var responses = await Task.WhenAll(Enumerable.Range(0, 16)
            .Select(_ => admin.PostJsonAsync(path, new { txid, note = "seen in the operator's wallet" })));

        Assert.Single(responses, r => r.StatusCode == HttpStatusCode.OK);
        foreach (var refused in responses.Where(r => r.StatusCode != HttpStatusCode.OK))
        {
            await refused.ExpectProblemAsync(HttpStatusCode.Conflict, "payment_already_credited");
        }

        var payment = await session.PaymentAsync(id);
        Assert.Equal("credited", payment.Str("status"));
        Assert.Equal(txid, payment.Str("txid"));
        Assert.StartsWith("key_", payment.Str("credited_by"), StringComparison.Ordinal);
        Assert.Equal("seen in the operator's wallet", payment.Str("note"));
        Assert.NotNull(payment["credited_at"]);
        Assert.Equal((75 * Coin / 10, 0, 75 * Coin / 10), await coordinator.BalanceAsync(user.UserId));
        var credit = Assert.Single(await coordinator.CreditsAsync(user));
        Assert.Equal("7.5", credit.Str("amount"));
        await coordinator.AuditAsync();
    }
}
