using System.Text.Json;
using Aitbc.Client;
using Aitbc.Client.Exchange;
using Aitbc.Client.Jobs;
using Aitbc.Client.Miners;
using Aitbc.Client.Users;
using Aitbc.Coordinator.Tests.Exchange;
using Aitbc.Coordinator.Tests.Infrastructure;
using Aitbc.Coordinator.Tests.Users;
using NBitcoin;

namespace Aitbc.Cli.Tests;

/// <summary>The typed client's Users and Exchange areas in-process against a real Coordinator.</summary>
public sealed class UserClientLibraryTests
{
    [Fact]
    public async Task AWalletLogsInSpendsOnAJobAndSeesItInTheLedger()
    {
        await using var coordinator = await TestCoordinator.StartAsync();
        var wallet = new TestWallet();
        using var user = new AitbcClient(coordinator.BaseAddress, apiKey: null);

        var challenge = await user.Users.ChallengeAsync(wallet.Address);
        var login = await user.Users.LoginAsync(
            new LoginRequest(wallet.Address, challenge.Message, wallet.Sign(challenge.Message)));
        user.SessionToken = login.SessionToken;
        var me = await user.Users.MeAsync();
        await coordinator.GrantAsync(login.UserId, "5");
        var created = await user.Users.CreateApiKeyAsync("worker");

        Assert.True(login.Created);
        Assert.Equal(wallet.Address, login.WalletAddress);
        Assert.DoesNotContain(login.SessionToken, login.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(created.ApiKey, created.ToString(), StringComparison.Ordinal);
        Assert.Equal(login.UserId, me.UserId);
        Assert.True(challenge.ExpiresAt > DateTimeOffset.UtcNow);

        // A job paid from the balance gives the ledger a negative entry, which the client must read.
        using var client = new AitbcClient(coordinator.BaseAddress, created.ApiKey);
        using var miner = new AitbcClient(coordinator.BaseAddress, coordinator.Keys[2]);
        var payout = new Key().PubKey.GetAddress(ScriptPubKeyType.Segwit, Network.TestNet).ToString();
        await miner.Miner.RegisterAsync(new RegisterMinerRequest
        {
            Capabilities = new MinerCapabilities { Models = [] },
            PricePerUnit = 1000m,
            WalletAddress = payout,
        });
        var job = await client.Jobs.SubmitAsync(new SubmitJobRequest
        {
            JobType = "echo",
            Parameters = JsonSerializer.SerializeToElement(new { }),
            MaxPrice = 2m,
        });
        var held = await user.Users.GetBalanceAsync(login.UserId);
        var lease = Assert.Single(await miner.Miner.TakeJobsAsync(TimeSpan.FromSeconds(5)));
        await miner.Miner.SubmitResultAsync(JobResult.Completed(lease, JsonSerializer.SerializeToElement(new { })));
        var balance = await user.Users.GetBalanceAsync(login.UserId);
        var first = await user.Users.ListTransactionsAsync(login.UserId, new LedgerQuery { Limit = 1 });
        var all = new List<LedgerEntry>();
        await foreach (var entry in user.Users.ListAllTransactionsAsync(login.UserId, new LedgerQuery { Limit = 1 }))
        {
            all.Add(entry);
        }

        Assert.Equal(job.Job.JobId, lease.JobId);
        Assert.Equal((5m, 2m, 3m), (held.Balance, held.Held, held.Available));
        Assert.Equal("AITBC", balance.Currency);
        Assert.Equal(0m, balance.Held);
        var payment = Assert.Single(first.Items);
        Assert.NotNull(first.NextCursor);
        Assert.Equal("job_payment", payment.Kind);
        Assert.Equal(job.Job.JobId, payment.JobId);
        Assert.InRange(payment.Amount, -2m, -0.00000001m);
        Assert.Equal(5m + payment.Amount, balance.Balance);
        Assert.Equal(["job_payment", "grant"], all.Select(e => e.Kind));
        Assert.Equal(5m, all[1].Amount);

        Assert.Single(await user.Users.ListApiKeysAsync());
        await user.Users.RevokeApiKeyAsync(created.KeyId);
        Assert.Empty(await user.Users.ListApiKeysAsync());
        await Assert.ThrowsAsync<AitbcNotFoundException>(() => user.Users.RevokeApiKeyAsync(created.KeyId));
        await user.Users.LogoutAsync();
        var refused = await Assert.ThrowsAsync<AitbcAuthException>(() => user.Users.MeAsync());
        Assert.Equal("invalid_session", refused.Code);
        Assert.DoesNotContain(login.SessionToken, refused.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task APaymentIsCreatedReadBackAndRatesAreShown()
    {
        await using var coordinator = await TestCoordinator.StartAsync(settings: ExchangeCalls.Settings());
        var login = await coordinator.LoginAsync();
        using var user = new AitbcClient(coordinator.BaseAddress, apiKey: null) { SessionToken = login.Token };
        using var admin = new AitbcClient(coordinator.BaseAddress, coordinator.AdminKey);

        var payment = await user.Exchange.CreatePaymentAsync(new CreatePaymentRequest { AitbcAmount = 10m });
        var status = await user.Exchange.GetPaymentStatusAsync(payment.PaymentId);
        var asAdmin = await admin.Exchange.GetPaymentStatusAsync(payment.PaymentId);
        var rates = await user.Exchange.GetRatesAsync();

        Assert.Equal(PaymentStatus.Pending, payment.Status);
        Assert.Equal(10_000, payment.AmountSats);
        Assert.Equal(0.0001m, payment.BtcAmount);
        Assert.Equal(10m, payment.AitbcAmount);
        Assert.Equal(100_000m, payment.Rate);
        Assert.StartsWith($"bitcoin:{payment.Address}?amount=0.0001", payment.Bip21Uri, StringComparison.Ordinal);
        Assert.Equal(login.UserId, payment.UserId);
        Assert.Equal(payment, status);
        Assert.Equal(payment, asAdmin);
        Assert.Equal(new ExchangeRates(100_000m, 1m, 50_000m, "testnet", 1, 3600, true), rates);
        await Assert.ThrowsAsync<AitbcNotFoundException>(() => user.Exchange.GetPaymentStatusAsync("pay_none"));
        var invalid = await Assert.ThrowsAsync<AitbcValidationException>(() =>
            user.Exchange.CreatePaymentAsync(new CreatePaymentRequest { AitbcAmount = 0.5m }));
        Assert.True(invalid.Errors.ContainsKey("aitbc_amount"), string.Join(", ", invalid.Errors.Keys));
        var both = new CreatePaymentRequest { AitbcAmount = 1m, BtcAmount = 1m };
        Assert.Throws<ArgumentException>(() => { _ = user.Exchange.CreatePaymentAsync(both); });
    }
}
