using Aitbc.Coordinator.Configuration;
using Aitbc.Coordinator.Data;
using Microsoft.EntityFrameworkCore;

namespace Aitbc.Coordinator.Exchange;

/// <summary>
/// Polls <c>BITCOIN_ESPLORA_URL</c> for the open payments' addresses and moves each payment along what the chain
/// shows. The HTTP calls happen here, outside the writer, each with a timeout; only the resulting changes go through
/// the <see cref="DbWriter"/>, each guarded by the state it was decided from. Errors back off and are logged once
/// per streak; nothing else waits on this loop.
/// </summary>
internal sealed partial class ExchangeWatcher(
    CoordinatorSettings settings,
    ExchangePayments payments,
    DbWriter writer,
    IDbContextFactory<CoordinatorDb> contexts,
    IClusterSingleton singleton,
    TimeProvider clock,
    ILogger<ExchangeWatcher> logger) : BackgroundService
{
    /// <summary>Block timestamps may run this far behind the real time (the consensus rules allow two hours).</summary>
    private static readonly TimeSpan BlockTimeSlack = TimeSpan.FromHours(2);

    /// <summary>How long after its deadline a payment is still watched, to catch late money for review.</summary>
    private static readonly TimeSpan LateWindow = TimeSpan.FromDays(1);

    private const int BatchLimit = 500;

    private ExchangeSettings Exchange => settings.Exchange;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!Exchange.Configured)
        {
            Log.NotConfigured(logger);
            return;
        }

        if (Exchange.EsploraUrl is not { } url)
        {
            Log.ManualOnly(logger);
            return;
        }

        // With several processes on one PostgreSQL database, one of them watches at a time; the others take over
        // when it dies. Crediting is once-only either way; this just spares the chain service duplicate polls.
        await singleton.RunAsync("payment-watcher", token => WatchAsync(url, token), stoppingToken);
    }

    private async Task WatchAsync(Uri url, CancellationToken stoppingToken)
    {
        Log.Watching(logger, url.ToString(), Exchange.MinConfirmations);
        using var http = new HttpClient { BaseAddress = url, Timeout = Timeout.InfiniteTimeSpan };
        var esplora = new EsploraClient(http, Exchange.EsploraTimeout);
        var longest = TimeSpan.FromTicks(Math.Min(Exchange.PollInterval.Ticks * 32, TimeSpan.FromMinutes(5).Ticks));
        var delay = Exchange.PollInterval;
        var failing = false;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await WatchOnceAsync(esplora, stoppingToken);
                delay = Exchange.PollInterval;
                if (failing)
                {
                    Log.Recovered(logger);
                    failing = false;
                }
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                // Once per streak, and waiting longer each time, so a dead chain service costs little.
                if (!failing)
                {
                    Log.Failed(logger, e);
                    failing = true;
                }

                delay = TimeSpan.FromTicks(
                    Math.Max(Exchange.PollInterval.Ticks, Math.Min(delay.Ticks * 2, longest.Ticks)));
            }

            try
            {
                await Task.Delay(delay, clock, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task WatchOnceAsync(EsploraClient esplora, CancellationToken cancel)
    {
        // The tip is asked every round, payments or not, so a broken chain service shows in the log at once.
        var tip = await esplora.TipHeightAsync(cancel);
        await writer.ExecuteAsync(ExchangePayments.ExpireAsync);

        List<ExchangePayment> watched;
        Dictionary<string, string> claimed;
        await using (var db = await contexts.CreateDbContextAsync(cancel))
        {
            var lateSince = clock.GetUtcNow().UtcDateTime - LateWindow;
            watched = await db.ExchangePayments.AsNoTracking()
                .Where(p => p.Status == PaymentStatus.Pending || p.Status == PaymentStatus.Seen
                    || (p.Status == PaymentStatus.Expired && p.ExpiresAt > lateSince))
                .OrderBy(p => p.CreatedAt)
                .Take(BatchLimit)
                .ToListAsync(cancel);
            if (watched.Count == 0)
            {
                return;
            }

            // On the shared static address a transaction pays one payment only, whichever matched it first.
            claimed = Exchange.StaticAddress is { } shared
                ? await db.ExchangePayments.AsNoTracking()
                    .Where(p => p.Address == shared && p.AddressIndex == null && p.Txid != null)
                    .Select(p => new { p.Id, p.Txid })
                    .ToDictionaryAsync(p => p.Txid!, p => p.Id, cancel)
                : [];
        }

        foreach (var group in watched.GroupBy(p => p.Address))
        {
            // Paged back past the oldest money any of these payments could take; twice the slack, because block
            // times may also run out of order between neighbouring blocks.
            var since = group.Min(p => p.CreatedAt) - 2 * BlockTimeSlack;
            var txs = await esplora.AddressTxsAsync(group.Key, since, cancel);
            foreach (var payment in group)
            {
                var seen = payment.AddressIndex is null
                    ? ObserveShared(payment, txs, tip, claimed)
                    : ObserveOwn(payment, txs, tip);
                if (seen.Txid == payment.Txid && seen.ReceivedSats == payment.ReceivedSats
                    && seen.Confirmations == payment.Confirmations)
                {
                    continue;
                }

                var changed = await writer.ExecuteAsync(scope => payments.ObserveAsync(scope, payment, seen));
                if (changed is { } status)
                {
                    if (seen.Txid is not null && payment.AddressIndex is null)
                    {
                        claimed[seen.Txid] = payment.Id;
                    }

                    Log.Moved(logger, payment.Id, payment.Status, status, seen.Txid, seen.ReceivedSats,
                        seen.Confirmations);
                }
            }
        }
    }

    /// <summary>A payment's own address: everything paid to it counts; it is complete at the depth of the last
    /// transaction needed to reach the amount.</summary>
    private static ChainObservation ObserveOwn(ExchangePayment payment, IReadOnlyList<EsploraTx> txs, int tip)
    {
        var paying = txs
            .Select(tx => (tx.Txid, Value: PaidTo(tx, payment.Address).Sum(o => o.Value), Depth: Depth(tx, tip)))
            .Where(t => t.Value > 0)
            .OrderByDescending(t => t.Depth)
            .ToList();
        if (paying.Count == 0)
        {
            return new ChainObservation(null, 0, 0);
        }

        long total = 0;
        var depth = 0;
        foreach (var (_, value, txDepth) in paying)
        {
            total += value;
            depth = txDepth;
            if (total >= payment.AmountSats)
            {
                break;
            }
        }

        return new ChainObservation(paying[0].Txid, paying.Sum(t => t.Value), depth);
    }

    /// <summary>
    /// The shared address: only an output of exactly the payment's unique amount, not claimed by another payment
    /// and not mined before the payment existed, is its money.
    /// </summary>
    private static ChainObservation ObserveShared(
        ExchangePayment payment, IReadOnlyList<EsploraTx> txs, int tip, Dictionary<string, string> claimed)
    {
        var match = txs
            .Where(tx => !claimed.TryGetValue(tx.Txid, out var owner) || owner == payment.Id)
            .Where(tx => tx.Status?.BlockTime is not { } mined
                || DateTimeOffset.FromUnixTimeSeconds(mined).UtcDateTime >= payment.CreatedAt - BlockTimeSlack)
            .Where(tx => PaidTo(tx, payment.Address).Any(o => o.Value == payment.AmountSats))
            .OrderByDescending(tx => Depth(tx, tip))
            .FirstOrDefault();
        return match is null
            ? new ChainObservation(null, 0, 0)
            : new ChainObservation(match.Txid, payment.AmountSats, Depth(match, tip));
    }

    private static IEnumerable<EsploraOutput> PaidTo(EsploraTx tx, string address) =>
        (tx.Vout ?? []).Where(o =>
            string.Equals(o.Address, address, StringComparison.OrdinalIgnoreCase) && o.Value > 0);

    private static int Depth(EsploraTx tx, int tip) =>
        tx.Status is { Confirmed: true, BlockHeight: { } height } ? Math.Max(0, tip - height + 1) : 0;

    private static partial class Log
    {
        [LoggerMessage(5001, LogLevel.Warning,
            "The exchange is not configured (set BITCOIN_XPUB or BITCOIN_ADDRESS); its endpoints answer 503",
            EventName = "ExchangeNotConfigured")]
        public static partial void NotConfigured(ILogger logger);

        [LoggerMessage(5002, LogLevel.Information,
            "No BITCOIN_ESPLORA_URL: payments are not watched and must be confirmed by an admin",
            EventName = "ExchangeManualOnly")]
        public static partial void ManualOnly(ILogger logger);

        [LoggerMessage(5003, LogLevel.Information,
            "Watching payments on {EsploraUrl}, crediting at {MinConfirmations} confirmations",
            EventName = "ExchangeWatching")]
        public static partial void Watching(ILogger logger, string esploraUrl, int minConfirmations);

        [LoggerMessage(5020, LogLevel.Information,
            "Payment {PaymentId} went from {From} to {To} (txid {Txid}, {ReceivedSats} sat, {Confirmations} conf)",
            EventName = "PaymentMoved")]
        public static partial void Moved(ILogger logger, string paymentId, PaymentStatus from, PaymentStatus to,
            string? txid, long receivedSats, int confirmations);

        [LoggerMessage(5030, LogLevel.Warning,
            "The payment watcher failed; it backs off and keeps trying", EventName = "ExchangeWatchFailed")]
        public static partial void Failed(ILogger logger, Exception exception);

        [LoggerMessage(5031, LogLevel.Information, "The payment watcher works again",
            EventName = "ExchangeWatchRecovered")]
        public static partial void Recovered(ILogger logger);
    }
}
