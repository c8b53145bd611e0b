using System.Net;
using Aitbc.Cli.Tests.Infrastructure;
using Aitbc.Coordinator.Data;
using Aitbc.Coordinator.Tests.Infrastructure;
using Aitbc.Coordinator.Tests.Users;
using Microsoft.EntityFrameworkCore;

namespace Aitbc.Cli.Tests;

/// <summary><c>aitbc admin …</c> as a process against a real Coordinator, with the admin key and without.</summary>
public sealed class AdminCommandTests
{
    [Fact]
    public async Task OperatorSeesJobsAndMinersAndSteersAMiner()
    {
        await using var coordinator = await TestCoordinator.StartAsync();
        using var client = coordinator.Client();
        using var miner = coordinator.Miner(coordinator.Keys[2]);
        var minerId = await miner.RegisterAsync(models: ["llama3"]);
        var first = await client.SubmitIdAsync(new { job_type = "x", parameters = new { }, requirements = new
        {
            models = new[] { "nobody-has-it" },
        } });
        var second = await client.SubmitIdAsync(new { job_type = "x", parameters = new { }, requirements = new
        {
            models = new[] { "nobody-has-it" },
        } });

        var stats = await AdminAsync(coordinator, "admin", "stats", "--json");
        var statsText = await AdminAsync(coordinator, "admin", "stats");
        var jobs = await AdminAsync(coordinator, "admin", "jobs", "--state", "queued", "--limit", "1", "--json");
        var rest = await AdminAsync(coordinator, "admin", "jobs", "--cursor", jobs.Json().Str("next_cursor"),
            "--json");
        var miners = await AdminAsync(coordinator, "admin", "miners", "--status", "online", "--json");
        var listed = await AdminAsync(coordinator, "admin", "miners");

        Assert.Equal(2, stats.Json()["jobs_by_state"]!["queued"]!.GetValue<long>());
        Assert.Equal(1, stats.Json()["miners"]!["online"]!.GetValue<long>());
        Assert.Contains("queued 2", statsText.Stdout, StringComparison.Ordinal);
        var job = Assert.Single(jobs.Json()["items"]!.AsArray())!;
        Assert.Equal(second, job.Str("job_id"));
        Assert.StartsWith("key_", job.Str("client_id"), StringComparison.Ordinal);
        Assert.Equal(first, Assert.Single(rest.Json()["items"]!.AsArray())!.Str("job_id"));
        Assert.Equal(minerId, Assert.Single(miners.Json()["items"]!.AsArray())!.Str("miner_id"));
        Assert.Contains($"{minerId}  online", listed.Stdout, StringComparison.Ordinal);

        var drained = await AdminAsync(coordinator, "admin", "miner", "drain", minerId, "--json");
        Assert.True(drained.Json()["drained"]!.GetValue<bool>());
        Assert.Equal("draining", drained.Json().Str("status"));
        var undrained = await AdminAsync(coordinator, "admin", "miner", "undrain", minerId);
        Assert.Equal($"{minerId} online", undrained.Stdout);
        var blocked = await AdminAsync(coordinator, "admin", "miner", "block", minerId, "--json");
        Assert.True(blocked.Json()["blocked"]!.GetValue<bool>());
        var onlyBlocked = await AdminAsync(coordinator, "admin", "miners", "--blocked", "true", "--json");
        var unblockedOnes = await AdminAsync(coordinator, "admin", "miners", "--blocked", "false", "--json");
        Assert.Equal(minerId, Assert.Single(onlyBlocked.Json()["items"]!.AsArray())!.Str("miner_id"));
        Assert.Empty(unblockedOnes.Json()["items"]!.AsArray());
        using (var refused = await miner.Http.GetAsync(new Uri("/v1/miner/jobs", UriKind.Relative)))
        {
            await refused.ExpectProblemAsync(HttpStatusCode.Forbidden, "miner_blocked");
        }

        var unblocked = await AdminAsync(coordinator, "admin", "miner", "unblock", minerId, "--json");
        Assert.False(unblocked.Json()["blocked"]!.GetValue<bool>());
        Assert.Empty(await miner.TakeAsync());

        var unknown = await CliProcess.RunAsync(coordinator, coordinator.AdminKey, "admin", "miner", "drain", "mnr_x");
        Assert.Equal(3, unknown.ExitCode);
        Assert.Equal("aitbc: There is no miner mnr_x. (miner_not_found, HTTP 404)", unknown.Stderr);

        var notAdmin = await CliProcess.RunAsync(coordinator, coordinator.ClientKey, "admin", "stats");
        Assert.Equal(4, notAdmin.ExitCode);
        Assert.Contains("HTTP 403", Assert.Single(notAdmin.Stderr.Split('\n')), StringComparison.Ordinal);
        Assert.Empty(notAdmin.Stdout);

        var badState = await CliProcess.RunAsync(coordinator, coordinator.AdminKey, "admin", "jobs", "--state", "x");
        var badLimit = await CliProcess.RunAsync(coordinator, coordinator.AdminKey, "admin", "jobs", "--limit", "0");
        Assert.Equal(2, badState.ExitCode);
        Assert.Equal(4, badLimit.ExitCode);
        Assert.Contains("validation_failed", badLimit.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task KeysAreCreatedShownOnceListedAndRevoked()
    {
        await using var coordinator = await TestCoordinator.StartAsync();

        var created = await AdminAsync(coordinator, "admin", "keys", "create", "--role", "client", "--label",
            "laptop", "--json");
        var shown = await AdminAsync(coordinator, "admin", "keys", "create", "--role", "client,miner", "--role",
            "client");
        var secret = created.Json().Str("key");
        var keyId = created.Json().Str("key_id");
        Assert.Equal(["client"], created.Json()["roles"]!.AsArray().Select(r => r!.GetValue<string>()));
        Assert.Equal("laptop", created.Json().Str("name"));
        var lines = shown.Stdout.Split('\n');
        Assert.Equal(2, lines.Length);
        Assert.Matches("^key_[a-z0-9]+ \\(client, miner\\) created; the key, shown only now:$", lines[0]);
        using (var http = coordinator.CreateClient(lines[1]))
        {
            using var works = await http.GetAsync(new Uri("/v1/client/jobs", UriKind.Relative));
            await works.ExpectAsync(HttpStatusCode.OK);
        }

        var submitted = await CliProcess.RunAsync(coordinator, secret, "client", "submit", "--type", "x");
        Assert.True(submitted.ExitCode == 0, submitted.ToString());

        var clients = await AdminAsync(coordinator, "admin", "keys", "list", "--role", "client", "--json");
        var admins = await AdminAsync(coordinator, "admin", "keys", "list", "--role", "admin", "--json");
        var table = await AdminAsync(coordinator, "admin", "keys", "list");
        Assert.Contains(keyId, Ids(clients));
        Assert.DoesNotContain(keyId, Ids(admins));
        Assert.Single(Ids(admins));
        Assert.Contains(keyId, table.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain(secret, clients.Stdout + table.Stdout, StringComparison.Ordinal);

        var revoked = await AdminAsync(coordinator, "admin", "keys", "revoke", keyId, "--json");
        Assert.NotNull(revoked.Json()["revoked_at"]);
        var refused = await CliProcess.RunAsync(coordinator, secret, "client", "list");
        Assert.Equal(4, refused.ExitCode);
        Assert.Contains("HTTP 401", refused.Stderr, StringComparison.Ordinal);
        var live = await AdminAsync(coordinator, "admin", "keys", "list", "--json");
        var all = await AdminAsync(coordinator, "admin", "keys", "list", "--include-revoked", "--json");
        Assert.DoesNotContain(keyId, Ids(live));
        Assert.Contains(keyId, Ids(all));

        var unknown = await CliProcess.RunAsync(coordinator, coordinator.AdminKey, "admin", "keys", "revoke", "key_x");
        var badRole = await CliProcess.RunAsync(coordinator, coordinator.AdminKey,
            "admin", "keys", "create", "--role", "wizard");
        var noRole = await CliProcess.RunAsync(coordinator, coordinator.AdminKey, "admin", "keys", "create");
        var notAdmin = await CliProcess.RunAsync(coordinator, coordinator.ClientKey,
            "admin", "keys", "create", "--role", "admin");
        Assert.Equal(3, unknown.ExitCode);
        Assert.Contains("api_key_not_found", unknown.Stderr, StringComparison.Ordinal);
        Assert.Equal(2, badRole.ExitCode);
        Assert.Equal("aitbc: --role must be client, miner or admin, not wizard.", badRole.Stderr);
        Assert.Equal(2, noRole.ExitCode);
        Assert.Equal(4, notAdmin.ExitCode);
        Assert.Empty(notAdmin.Stdout);
    }

    [Fact]
    public async Task GrantsPaymentsAndAuditsGoThroughTheAdminCommands()
    {
        await using var coordinator = await TestCoordinator.StartAsync(settings: new Dictionary<string, string>
        {
            ["BITCOIN_ADDRESS"] = new TestWallet().Address,
        });
        var user = await coordinator.LoginAsync();
        using var session = coordinator.Session(user.Token);
        using var created = await session.PostJsonAsync("/v1/exchange/create-payment", new { aitbc_amount = "10" });
        var paymentId = (await created.ExpectAsync(HttpStatusCode.Created)).Str("payment_id");
        await ReceiptCommandTests.CompleteOneAsync(coordinator);
        var txid = new string('a', 64);

        var grant = await AdminAsync(coordinator, "admin", "grant", "--user", user.UserId, "--amount", "12.5",
            "--reason", "welcome", "--json");
        var grantText = await AdminAsync(coordinator, "admin", "grant", "--user", user.UserId, "--amount",
            "0.00000001", "--reason", "a satoshi's worth");
        var confirmed = await AdminAsync(coordinator, "admin", "payment", "confirm", paymentId, "--txid", txid,
            "--note", "paid by hand", "--json");
        var twice = await CliProcess.RunAsync(coordinator, coordinator.AdminKey,
            "admin", "payment", "confirm", paymentId, "--txid", txid);
        var ledger = await AdminAsync(coordinator, "admin", "audit", "ledger", "--json");
        var ledgerText = await AdminAsync(coordinator, "admin", "audit", "ledger");
        var receipts = await AdminAsync(coordinator, "admin", "audit", "receipts", "--json");

        Assert.Equal("12.5", grant.Json().Str("amount"));
        Assert.Equal(user.UserId, grant.Json().Str("user_id"));
        Assert.Equal("welcome", grant.Json().Str("reason"));
        Assert.StartsWith($"granted 0.00000001 AITBC to {user.UserId}", grantText.Stdout, StringComparison.Ordinal);
        Assert.Equal("credited", confirmed.Json().Str("status"));
        Assert.Equal("paid by hand", confirmed.Json().Str("note"));
        Assert.Equal(txid, confirmed.Json().Str("txid"));
        Assert.Equal(4, twice.ExitCode);
        Assert.Contains("payment_already_credited", Assert.Single(twice.Stderr.Split('\n')), StringComparison.Ordinal);
        Assert.Equal((2_250_000_001L, 0L, 2_250_000_001L), await coordinator.BalanceAsync(user.UserId));
        Assert.True(ledger.Json()["valid"]!.GetValue<bool>());
        Assert.Equal("12.50000001", ledger.Json().Str("granted"));
        Assert.Equal("10", ledger.Json().Str("exchange_credited"));
        Assert.Equal("ledger ok: granted 12.50000001 AITBC, exchange credited 10 AITBC", ledgerText.Stdout);
        Assert.True(receipts.Json()["valid"]!.GetValue<bool>());
        Assert.Equal(1, receipts.Json()["checked"]!.GetValue<long>());

        // Receipts removed behind the Coordinator's back: the chain head still counts one.
        await using (var db = await coordinator.GetService<IDbContextFactory<CoordinatorDb>>().CreateDbContextAsync())
        {
            Assert.Equal(1, await db.Receipts.ExecuteDeleteAsync());
        }

        var broken = await CliProcess.RunAsync(coordinator, coordinator.AdminKey, "admin", "audit", "receipts");
        Assert.Equal(4, broken.ExitCode);
        Assert.Equal("receipt chain broken after 0 receipts", broken.Stdout);
        Assert.StartsWith("aitbc: seq 1 (no receipt) missing: ", Assert.Single(broken.Stderr.Split('\n')),
            StringComparison.Ordinal);

        var nobody = await CliProcess.RunAsync(coordinator, coordinator.AdminKey,
            "admin", "grant", "--user", "usr_nobody", "--amount", "1", "--reason", "x");
        var badAmount = await CliProcess.RunAsync(coordinator, coordinator.AdminKey,
            "admin", "grant", "--user", user.UserId, "--amount", "1.000000001", "--reason", "x");
        var noReason = await CliProcess.RunAsync(coordinator, coordinator.AdminKey,
            "admin", "grant", "--user", user.UserId, "--amount", "1");
        var unknownPayment = await CliProcess.RunAsync(coordinator, coordinator.AdminKey,
            "admin", "payment", "confirm", "pay_nope", "--txid", txid);
        var notAdmin = await CliProcess.RunAsync(coordinator, coordinator.ClientKey, "admin", "audit", "ledger");
        Assert.Equal(3, nobody.ExitCode);
        Assert.Contains("user_not_found", nobody.Stderr, StringComparison.Ordinal);
        Assert.Equal(2, badAmount.ExitCode);
        Assert.Equal(2, noReason.ExitCode);
        Assert.Equal(3, unknownPayment.ExitCode);
        Assert.Equal(4, notAdmin.ExitCode);
    }

    private static async Task<CliResult> AdminAsync(TestCoordinator coordinator, params string[] args)
    {
        var result = await CliProcess.RunAsync(coordinator, coordinator.AdminKey, args);
        Assert.True(result.ExitCode == 0, result.ToString());
        return result;
    }

    private static List<string> Ids(CliResult list) =>
        [.. list.Json()["items"]!.AsArray().Select(k => k!.Str("key_id"))];
}
