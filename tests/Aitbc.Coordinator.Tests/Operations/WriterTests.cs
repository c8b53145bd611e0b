using Aitbc.Coordinator.Data;
using Aitbc.Coordinator.Jobs;
using Aitbc.Coordinator.Ledger;
using Aitbc.Coordinator.Tests.Infrastructure;
using Aitbc.Coordinator.Tests.Users;
using Microsoft.EntityFrameworkCore;

namespace Aitbc.Coordinator.Tests.Operations;

public sealed class WriterTests
{
    private const long Coin = 100_000_000;

    [Fact]
    public async Task AUnitThatFailsInABatchTakesOnlyItsOwnChangesWithIt()
    {
        await using var coordinator = await TestCoordinator.StartAsync();
        var user = await coordinator.LoginAsync();
        var writer = coordinator.GetService<DbWriter>();
        var books = coordinator.GetService<Bookkeeper>();

        // The first unit holds the writer until everything else has queued, so the rest run as one batch.
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var holding = writer.ExecuteAsync(async _ => await gate.Task);
        var units = Enumerable.Range(0, 9).Select(i => i % 3 == 1
                ? writer.ExecuteAsync<bool>(async scope =>
                {
                    await books.CreditOnceAsync(scope, user.UserId, 100 * Coin, $"pay_failing_{i}");
                    throw new InvalidOperationException($"unit {i} fails after writing");
                })
                : writer.ExecuteAsync(async scope =>
                    await books.CreditOnceAsync(scope, user.UserId, Coin, $"pay_{i}") is not null))
            .ToList();
        gate.SetResult();
        await holding;

        for (var i = 0; i < units.Count; i++)
        {
            if (i % 3 == 1)
            {
                var failure = await Assert.ThrowsAsync<InvalidOperationException>(() => units[i]);
                Assert.Equal($"unit {i} fails after writing", failure.Message);
            }
            else
            {
                Assert.True(await units[i]);
            }
        }

        // Six credits of one coin each, none of the failing units' hundred; the ledger still balances.
        Assert.Equal((6 * Coin, 0, 6 * Coin), await coordinator.BalanceAsync(user.UserId));
        Assert.Equal("6", (await coordinator.AuditAsync()).Str("exchange_credited"));
    }

    [Fact]
    public async Task AProfileSeenOnlyInsideARolledBackBatchIsNotRemembered()
    {
        await using var coordinator = await TestCoordinator.StartAsync();
        var writer = coordinator.GetService<DbWriter>();
        var profiles = coordinator.GetService<JobProfiles>();

        // The unit adds a profile and sees it among those a miner can serve, then fails: the batch is rolled back,
        // and SQLite hands the next new profile the same id.
        var failing = writer.ExecuteAsync<bool>(async scope =>
        {
            await profiles.IdForAsync(scope, ["model-a"], null, null, null);
            Assert.NotEmpty(await profiles.ServableAsync(scope, new MinerOffer(["model-a"], [], 24, null)));
            throw new InvalidOperationException("the batch fails");
        });
        await Assert.ThrowsAsync<InvalidOperationException>(() => failing);

        // The next new profile is one only a model-b miner can serve, and that miner must see it as such.
        using var client = coordinator.Client();
        using var miner = coordinator.Miner(coordinator.Keys[2]);
        var jobId = await client.SubmitIdAsync(new
        {
            job_type = "llm_inference",
            parameters = new { prompt = "Say hi" },
            requirements = new { models = new[] { "model-b" } },
        });
        await miner.RegisterAsync(models: ["model-b"]);

        var lease = await miner.TakeJobAsync(jobId, seconds: 10);
        Assert.Equal(jobId, lease.Str("job_id"));
    }

    [Fact]
    public async Task EverySqliteConnectionSyncsEachCommitAndCheckpointsInLargeSteps()
    {
        // SQLite keeps these per connection (the log mode per file), so look through a connection of the service's.
        using var directory = new TestDirectory();
        await using var coordinator = await TestCoordinator.StartAsync(
            settings: new Dictionary<string, string> { ["DATABASE_URL"] = $"sqlite:///{directory.File("c.db")}" });
        await using var db = await coordinator.GetService<IDbContextFactory<CoordinatorDb>>().CreateDbContextAsync();
        await db.Database.OpenConnectionAsync();

        Assert.Equal("wal", await PragmaAsync(db, "journal_mode"));
        Assert.Equal("2", await PragmaAsync(db, "synchronous"));
        Assert.Equal("4000", await PragmaAsync(db, "wal_autocheckpoint"));
    }

    private static async Task<string?> PragmaAsync(CoordinatorDb db, string name)
    {
        await using var command = db.Database.GetDbConnection().CreateCommand();
        command.CommandText = $"PRAGMA {name}";
        return Convert.ToString(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }
}
