using System.Net;
using Aitbc.Coordinator.Jobs;
using Aitbc.Coordinator.Tests.Infrastructure;
using Aitbc.Coordinator.Tests.Users;
using CsCheck;

namespace Aitbc.Coordinator.Tests.Ledger;

/// <summary>
/// Random deposits, submissions, completions, failures, cancellations and expiries through the HTTP API, against a
/// model of what every balance must be. After every step the audit passes and the books agree to the unit.
/// </summary>
public sealed class LedgerPropertyTests
{
    private const long Coin = 100_000_000;

    // The miner charges 0.7 AITBC per GPU-second and every job runs exactly one (the clock only moves by the test).
    private const long PricePerRun = 70_000_000;

    [Fact]
    public async Task BooksBalanceAfterEveryStepOfARandomHistory()
    {
        var step = Gen.Select(Gen.Int[0, 5], Gen.Int[0, 1], Gen.Long[0, 3 * Coin]);
        await step.Array[1, 25].SampleAsync(RunAsync, iter: 6, threads: 1);
    }

    private static async Task RunAsync((int Kind, int User, long Units)[] steps)
    {
        var clock = new TestClock();
        await using var coordinator = await TestCoordinator.StartAsync(
            settings: LedgerTests.StillSettings, services: clock.Install);
        var minerWallet = new TestWallet();
        var payee = await coordinator.LoginAsync(minerWallet);
        var payers = new[] { await coordinator.LoginAsync(), await coordinator.LoginAsync() };
        var clients = new List<TestClient>();
        foreach (var payer in payers)
        {
            clients.Add(coordinator.Client(await coordinator.CreateApiKeyAsync(payer.Token)));
        }

        using var miner = coordinator.Miner(coordinator.Keys[2]);
        await LedgerTests.RegisterAsync(miner, "0.7", minerWallet.Address);
        var model = new Model { UserIds = [.. payers.Select(p => p.UserId)] };
        try
        {
            foreach (var (kind, user, units) in steps)
            {
                await ApplyAsync(coordinator, clock, clients, miner, model, kind, user, units);
                await CheckAsync(coordinator, model, payers, payee);
            }
        }
        finally
        {
            clients.ForEach(c => c.Dispose());
        }
    }

    private static async Task ApplyAsync(TestCoordinator coordinator, TestClock clock, List<TestClient> clients,
        TestMiner miner, Model model, int kind, int user, long units)
    {
        switch (kind)
        {
            case 0:
                await coordinator.GrantAsync(model.UserIds[user], UserApi.Amount(units + 1));
                model.Balance[user] += units + 1;
                model.Granted += units + 1;
                break;
            case 1:
                using (var response = await clients[user].Http.PostJsonAsync("/v1/client/jobs", new
                {
                    job_type = "x", parameters = new { }, max_price = UserApi.Amount(units), ttl_seconds = 3600,
                }))
                {
                    if (model.Balance[user] - model.Held[user] >= units)
                    {
                        var job = await response.ExpectAsync(HttpStatusCode.Created);
                        model.Live.Add(new LiveJob(job.Str("job_id"), user, units));
                        model.Held[user] += units;
                    }
                    else
                    {
                        await response.ExpectProblemAsync(HttpStatusCode.PaymentRequired, "insufficient_funds");
                    }
                }

                break;
            case 2 or 3:
                var lease = (await miner.TakeAsync()).FirstOrDefault();
                if (lease is null)
                {
                    Assert.Empty(model.Live);
                    break;
                }

                var taken = model.Live.Single(j => j.Id == lease.Str("job_id"));
                clock.Advance(TimeSpan.FromSeconds(1));
                using (var result = kind == 2
                    ? await miner.CompleteAsync(taken.Id, lease.Str("lease_token"))
                    : await miner.FailAsync(taken.Id, lease.Str("lease_token"), retryable: false))
                {
                    await result.ExpectAsync(HttpStatusCode.OK);
                }

                var paid = kind == 2 ? Math.Min(PricePerRun, taken.Budget) : 0;
                model.Live.Remove(taken);
                model.Held[taken.User] -= taken.Budget;
                model.Balance[taken.User] -= paid;
                model.PayeeBalance += paid;
                break;
            case 4:
                var mine = model.Live.FirstOrDefault(j => j.User == user);
                if (mine is null)
                {
                    break;
                }

                using (var cancel = await clients[user].Http.PostAsync($"/v1/client/jobs/{mine.Id}/cancel", null))
                {
                    await cancel.ExpectAsync(HttpStatusCode.OK);
                }

                model.Live.Remove(mine);
                model.Held[user] -= mine.Budget;
                break;
            default:
                clock.Advance(TimeSpan.FromSeconds(3601));
                await coordinator.GetService<Sweeper>().SweepOnceAsync();
                foreach (var job in model.Live)
                {
                    Assert.Equal("expired", (await clients[job.User].StatusAsync(job.Id)).Str("state"));
                    model.Held[job.User] -= job.Budget;
                }

                model.Live.Clear();
                break;
        }
    }

    private static async Task CheckAsync(TestCoordinator coordinator, Model model, LoggedIn[] payers, LoggedIn payee)
    {
        var audit = await coordinator.AuditAsync();
        Assert.Equal(UserApi.Amount(model.Granted), audit.Str("granted"));
        var total = 0L;
        for (var i = 0; i < payers.Length; i++)
        {
            var balance = await coordinator.BalanceAsync(payers[i].UserId);
            Assert.Equal((model.Balance[i], model.Held[i], model.Balance[i] - model.Held[i]), balance);
            Assert.True(balance.Available >= 0);
            total += balance.Balance;
        }

        var earned = await coordinator.BalanceAsync(payee.UserId);
        Assert.Equal((model.PayeeBalance, 0L, model.PayeeBalance), earned);
        Assert.Equal(model.Granted, total + earned.Balance);
    }

    private sealed record LiveJob(string Id, int User, long Budget);

    private sealed class Model
    {
        public string[] UserIds { get; set; } = [];

        public long[] Balance { get; } = new long[2];

        public long[] Held { get; } = new long[2];

        public long PayeeBalance { get; set; }

        public long Granted { get; set; }

        public List<LiveJob> Live { get; } = [];
    }
}
