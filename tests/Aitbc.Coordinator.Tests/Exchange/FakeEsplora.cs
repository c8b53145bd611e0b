using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Aitbc.Coordinator.Tests.Infrastructure;
using Aitbc.Coordinator.Tests.Users;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Aitbc.Coordinator.Tests.Exchange;

/// <summary>How the fake chain service misbehaves.</summary>
public enum ChainFault
{
    None,

    /// <summary>Every call answers 500.</summary>
    Errors,

    /// <summary>Every call hangs until the client gives up.</summary>
    Hangs,
}

/// <summary>
/// A small chain service speaking the Esplora calls the watcher uses, on a real Kestrel socket, paged as Esplora pages:
/// the address's mempool transactions (up to 50) and its newest 25 confirmed ones, then 25 confirmed ones at a time
/// after a given txid. The test scripts
/// the chain: transactions enter the mempool, get mined, vanish in a reorg. Each answered query raises a signal
/// (the watcher asks the tip every round, then each address), so a test can wait for the watcher's next look
/// instead of sleeping.
/// </summary>
public sealed class FakeEsplora : IAsyncDisposable
{
    private readonly object _gate = new();
    private readonly List<Tx> _txs = [];
    private readonly WebApplication _app;
    private TaskCompletionSource _served = NewSignal();
    private int _tip = 800_000;
    private int _laterPagesServed;

    private FakeEsplora(WebApplication app) => _app = app;

    public Uri BaseAddress { get; private set; } = null!;

    public ChainFault Fault { get; set; }

    /// <summary>How many pages of confirmed history after the first the watcher has asked for.</summary>
    public int LaterPagesServed => Volatile.Read(ref _laterPagesServed);

    public static async Task<FakeEsplora> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var chain = new FakeEsplora(app);
        app.Use(async (context, next) =>
        {
            switch (chain.Fault)
            {
                case ChainFault.Errors:
                    context.Response.StatusCode = 500;
                    await context.Response.WriteAsync("electrs is down", context.RequestAborted);
                    chain.Served();
                    return;
                case ChainFault.Hangs:
                    chain.Served();
                    await Task.Delay(Timeout.Infinite, context.RequestAborted);
                    return;
            }

            await next(context);
        });
        app.MapGet("/blocks/tip/height", () =>
        {
            chain.Served();
            return chain.Tip.ToString(CultureInfo.InvariantCulture);
        });
        app.MapGet("/address/{address}/txs", (string address) =>
        {
            var answer = chain.TxsOf(address, mempool: true, after: null);
            chain.Served();
            return Results.Text(answer.ToJsonString(), "application/json");
        });
        app.MapGet("/address/{address}/txs/chain/{lastSeen}", (string address, string lastSeen) =>
        {
            Interlocked.Increment(ref chain._laterPagesServed);
            var answer = chain.TxsOf(address, mempool: false, after: lastSeen);
            chain.Served();
            return Results.Text(answer.ToJsonString(), "application/json");
        });
        await app.StartAsync();
        chain.BaseAddress = new Uri(app.Services.GetRequiredService<IServer>().Features
            .Get<IServerAddressesFeature>()!.Addresses.First());
        return chain;
    }

    public int Tip
    {
        get
        {
            lock (_gate)
            {
                return _tip;
            }
        }
    }

    /// <summary>A new mempool transaction paying <paramref name="sats"/> to <paramref name="address"/>.</summary>
    public string Pay(string address, long sats)
    {
        var txid = Convert.ToHexString(RandomNumberGenerator.GetBytes(32)).ToLowerInvariant();
        lock (_gate)
        {
            // A change output to someone else, as real payments have.
            _txs.Add(new Tx(txid, null, [(address, sats), ("tb1qchangechangechange", 12_345)]));
        }

        return txid;
    }

    /// <summary>Mines a block holding <paramref name="txid"/>, then <paramref name="more"/> empty blocks.</summary>
    public void Mine(string txid, int more = 0, DateTimeOffset? at = null)
    {
        lock (_gate)
        {
            _tip++;
            var index = _txs.FindIndex(t => t.Txid == txid);
            _txs[index] = _txs[index] with { Height = _tip, Time = at ?? DateTimeOffset.UtcNow };
            _tip += more;
        }
    }

    /// <summary>A reorg that drops the transaction altogether (it was double-spent in the other branch).</summary>
    public void Drop(string txid)
    {
        lock (_gate)
        {
            _txs.RemoveAll(t => t.Txid == txid);
        }
    }

    /// <summary>Completes once the watcher has asked anything (or been failed) after this call.</summary>
    public Task NextLookAsync()
    {
        lock (_gate)
        {
            return _served.Task;
        }
    }

    /// <summary>Waits, look by look, until the payment's status is <paramref name="status"/>.</summary>
    public Task<JsonNode> WaitForStatusAsync(HttpClient http, string paymentId, string status) =>
        WaitForAsync(http, paymentId, p => p.Str("status") == status);

    /// <summary>Waits, look by look, until the payment as the API shows it satisfies <paramref name="done"/>.</summary>
    public async Task<JsonNode> WaitForAsync(HttpClient http, string paymentId, Func<JsonNode, bool> done)
    {
        using var give = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (true)
        {
            var look = NextLookAsync();
            using var response = await http.GetAsync($"/v1/exchange/payment-status/{paymentId}", give.Token);
            var payment = await response.ExpectAsync(HttpStatusCode.OK);
            if (done(payment))
            {
                return payment;
            }

            await look.WaitAsync(give.Token);
        }
    }

    /// <summary>Lets the watcher look <paramref name="times"/> more times: a test sees nothing else happens.</summary>
    public async Task LetWatcherLookAsync(int times = 5)
    {
        using var give = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        for (var i = 0; i < times; i++)
        {
            await NextLookAsync().WaitAsync(give.Token);
        }
    }

    public async ValueTask DisposeAsync()
    {
        Fault = ChainFault.None;
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private JsonArray TxsOf(string address, bool mempool, string? after)
    {
        lock (_gate)
        {
            var mine = _txs.Where(t => t.Outputs.Any(o => o.Address == address)).ToList();
            var confirmed = mine.Where(t => t.Height is not null).OrderByDescending(t => t.Height)
                .SkipWhile(t => after is not null && t.Txid != after).Skip(after is null ? 0 : 1).Take(25);
            var page = mempool ? mine.Where(t => t.Height is null).Reverse().Take(50).Concat(confirmed) : confirmed;
            var txs = new JsonArray();
            foreach (var tx in page)
            {
                var status = tx.Height is { } height
                    ? new JsonObject
                    {
                        ["confirmed"] = true,
                        ["block_height"] = height,
                        ["block_time"] = tx.Time!.Value.ToUnixTimeSeconds(),
                    }
                    : new JsonObject { ["confirmed"] = false };
                var vout = new JsonArray();
                foreach (var (to, value) in tx.Outputs)
                {
                    vout.Add(new JsonObject
                    {
                        ["scriptpubkey"] = "0014",
                        ["scriptpubkey_type"] = "v0_p2wpkh",
                        ["scriptpubkey_address"] = to,
                        ["value"] = value,
                    });
                }

                txs.Add(new JsonObject { ["txid"] = tx.Txid, ["version"] = 2, ["status"] = status, ["vout"] = vout });
            }

            return txs;
        }
    }

    private void Served()
    {
        TaskCompletionSource served;
        lock (_gate)
        {
            served = _served;
            _served = NewSignal();
        }

        served.TrySetResult();
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private sealed record Tx(string Txid, int? Height, List<(string Address, long Value)> Outputs)
    {
        public DateTimeOffset? Time { get; init; }
    }
}

/// <summary>Starting a Coordinator with the exchange on, and speaking its API.</summary>
public static class ExchangeCalls
{
    /// <summary>The BIP84 test mnemonic's testnet account m/84'/1'/0' (see AddressDerivationTests).</summary>
    public const string TestnetVpub =
        "vpub5Y6cjg78GGuNLsaPhmYsiw4gYX3HoQiRBiSwDaBXKUafCt9bNwWQiitDk5VZ5BVxYnQdwoT"
        + "yXSs2JHRPAgjAvtbBrf8ZhDYe2jWAqvZVnsc";

    public static Dictionary<string, string> Settings(FakeEsplora? chain = null, string? staticAddress = null)
    {
        var settings = new Dictionary<string, string>
        {
            ["BITCOIN_NETWORK"] = "testnet",
            ["BTC_TO_AITBC_RATE"] = "100000",
            ["EXCHANGE_MIN_AITBC"] = "1",
            ["EXCHANGE_MAX_AITBC"] = "50000",
            ["EXCHANGE_POLL_SECONDS"] = "0.05",
            ["BITCOIN_ESPLORA_TIMEOUT_SECONDS"] = "0.5",
        };
        if (staticAddress is null)
        {
            settings["BITCOIN_XPUB"] = TestnetVpub;
        }
        else
        {
            settings["BITCOIN_ADDRESS"] = staticAddress;
        }

        if (chain is not null)
        {
            settings["BITCOIN_ESPLORA_URL"] = chain.BaseAddress.ToString();
        }

        return settings;
    }

    public static async Task<JsonNode> CreatePaymentAsync(this HttpClient session, object body)
    {
        using var response = await session.PostJsonAsync("/v1/exchange/create-payment", body);
        return await response.ExpectAsync(HttpStatusCode.Created);
    }

    public static async Task<JsonNode> PaymentAsync(this HttpClient http, string paymentId)
    {
        using var response = await http.GetAsync($"/v1/exchange/payment-status/{paymentId}");
        return await response.ExpectAsync(HttpStatusCode.OK);
    }

    public static long Units(string amount) => UserApi.Units(amount);

    /// <summary>The user's exchange credits, read from the ledger's history.</summary>
    public static async Task<List<JsonNode>> CreditsAsync(this TestCoordinator coordinator, LoggedIn user)
    {
        using var session = coordinator.Session(user.Token);
        using var response = await session.GetAsync($"/v1/users/{user.UserId}/transactions");
        var items = (await response.ExpectAsync(HttpStatusCode.OK))["items"]!.AsArray();
        return [.. items.Where(i => i!.Str("kind") == "credit").Select(i => i!)];
    }
}
