using Aitbc.Coordinator.Common;
using Aitbc.Coordinator.Configuration;
using Aitbc.Coordinator.Data;
using Aitbc.Coordinator.Ledger;
using Microsoft.EntityFrameworkCore;

namespace Aitbc.Coordinator.Exchange;

/// <summary>What the chain shows for one payment: the outputs that pay it, summed, and how deep they are.</summary>
internal sealed record ChainObservation(string? Txid, long ReceivedSats, int Confirmations);

internal enum ConfirmOutcome
{
    Credited,
    AlreadyCredited,
    NotFound,
}

/// <summary>
/// Every change of a payment's state. All methods run inside a <see cref="DbWriter"/> unit; each change is one
/// update guarded by the state it was decided from, and the credit is posted in the same unit as the change to
/// <c>credited</c>, keyed by the payment id, so it commits with it or not at all and never twice.
/// </summary>
internal sealed class ExchangePayments(CoordinatorSettings settings, Bookkeeper books)
{
    public const string Watcher = "watcher";

    /// <summary>How many satoshis a static-address payment may be raised by to make its amount unique.</summary>
    private const int MaxOffsetSats = 1000;

    private static readonly PaymentStatus[] Open = [PaymentStatus.Pending, PaymentStatus.Seen];

    private ExchangeSettings Exchange => settings.Exchange;

    /// <summary>
    /// Creates a payment for <paramref name="sats"/> with its own receive address, or with the static address and an
    /// amount no other open payment has. Null when no unique amount is left (a thousand open payments of one size).
    /// </summary>
    public async Task<ExchangePayment?> CreateAsync(WriteScope scope, string userId, long sats)
    {
        var db = scope.Db;
        string address;
        int? index = null;
        if (Exchange.AccountKey is { } account)
        {
            index = await NextIndexAsync(scope, account.ToString());
            address = ExchangeSettings.ReceiveAddress(account, (uint)index.Value);
        }
        else
        {
            address = Exchange.StaticAddress!;

            // Recently expired payments keep their amount a while, so a late payer is not taken for a new one.
            var since = scope.Now - Exchange.PaymentTimeout;
            var taken = await db.ExchangePayments
                .Where(p => p.Address == address && p.AmountSats >= sats && p.AmountSats < sats + MaxOffsetSats
                    && (p.Status == PaymentStatus.Pending || p.Status == PaymentStatus.Seen
                        || (p.Status == PaymentStatus.Expired && p.ExpiresAt > since)))
                .Select(p => p.AmountSats)
                .ToListAsync();
            var free = Enumerable.Range(0, MaxOffsetSats).Select(o => sats + o).Except(taken).Take(1).ToList();
            if (free.Count == 0)
            {
                return null;
            }

            sats = free[0];
        }

        var payment = new ExchangePayment
        {
            Id = Ids.New("pay"),
            UserId = userId,
            Status = PaymentStatus.Pending,
            Address = address,
            AddressIndex = index,
            AmountSats = sats,
            AitbcUnits = PaymentMath.AitbcFor(sats, Exchange.RateUnits),
            RateUnits = Exchange.RateUnits,
            CreatedAt = scope.Now,
            ExpiresAt = scope.Now + Exchange.PaymentTimeout,
        };
        db.ExchangePayments.Add(payment);
        await db.SaveChangesAsync();
        return payment;
    }

    /// <summary>Pending payments past their deadline expire; one that was seen in time stays watched.</summary>
    public static Task<int> ExpireAsync(WriteScope scope) => scope.Db.ExchangePayments
        .Where(p => p.Status == PaymentStatus.Pending && p.ExpiresAt <= scope.Now)
        .ExecuteUpdateAsync(set => set.SetProperty(p => p.Status, PaymentStatus.Expired));

    /// <summary>
    /// Applies what the watcher saw to <paramref name="known"/>, the row as it was read before the chain was asked.
    /// Returns the new status, or null when nothing changed (or someone else changed the payment first).
    /// </summary>
    public async Task<PaymentStatus?> ObserveAsync(WriteScope scope, ExchangePayment known, ChainObservation seen)
    {
        var payments = scope.Db.ExchangePayments.Where(p => p.Id == known.Id && p.Status == known.Status);
        var paid = seen.ReceivedSats >= known.AmountSats && seen.Confirmations >= Exchange.MinConfirmations;
        var lateFirstSight = known.Status == PaymentStatus.Pending && known.ExpiresAt <= scope.Now;
        if (seen.ReceivedSats > 0 && (known.Status == PaymentStatus.Expired || lateFirstSight))
        {
            // Money that arrived after the deadline is not credited at the old rate: an operator decides.
            var marked = await payments.ExecuteUpdateAsync(set => set
                .SetProperty(p => p.Status, PaymentStatus.Expired)
                .SetProperty(p => p.NeedsReview, true)
                .SetProperty(p => p.Txid, seen.Txid)
                .SetProperty(p => p.ReceivedSats, seen.ReceivedSats)
                .SetProperty(p => p.Confirmations, seen.Confirmations)
                .SetProperty(p => p.SeenAt, p => p.SeenAt ?? scope.Now));
            return marked == 1 && !known.NeedsReview ? PaymentStatus.Expired : null;
        }

        if (!Open.Contains(known.Status))
        {
            return null;
        }

        if (seen.ReceivedSats == 0)
        {
            // What was seen is gone (a reorg, or a replaced mempool transaction): wait for the money again.
            var back = known.Status == PaymentStatus.Seen
                ? await payments.ExecuteUpdateAsync(set => set
                    .SetProperty(p => p.Status, PaymentStatus.Pending)
                    .SetProperty(p => p.Txid, (string?)null)
                    .SetProperty(p => p.ReceivedSats, 0)
                    .SetProperty(p => p.Confirmations, 0))
                : 0;
            return back == 1 ? PaymentStatus.Pending : null;
        }

        if (paid)
        {
            var credited = await payments.ExecuteUpdateAsync(set => set
                .SetProperty(p => p.Status, PaymentStatus.Credited)
                .SetProperty(p => p.Txid, seen.Txid)
                .SetProperty(p => p.ReceivedSats, seen.ReceivedSats)
                .SetProperty(p => p.Confirmations, seen.Confirmations)
                .SetProperty(p => p.SeenAt, p => p.SeenAt ?? scope.Now)
                .SetProperty(p => p.CreditedAt, scope.Now)
                .SetProperty(p => p.CreditedBy, Watcher));
            if (credited == 0)
            {
                return null;
            }

            await CreditAsync(scope, known, Watcher);
            return PaymentStatus.Credited;
        }

        if (known.Status == PaymentStatus.Seen && known.Txid == seen.Txid && known.ReceivedSats == seen.ReceivedSats
            && known.Confirmations == seen.Confirmations)
        {
            return null;
        }

        // In the mempool, under the threshold, or underpaid: recorded, and the payment stays open.
        var updated = await payments.ExecuteUpdateAsync(set => set
            .SetProperty(p => p.Status, PaymentStatus.Seen)
            .SetProperty(p => p.Txid, seen.Txid)
            .SetProperty(p => p.ReceivedSats, seen.ReceivedSats)
            .SetProperty(p => p.Confirmations, seen.Confirmations)
            .SetProperty(p => p.SeenAt, p => p.SeenAt ?? scope.Now));
        return updated == 1 ? PaymentStatus.Seen : null;
    }

    /// <summary>
    /// An admin's confirmation by hand: credits any payment not yet credited (an expired one under review too, which
    /// the confirmation settles), recorded with the admin's key and note. The status guard and the ledger's unique
    /// key make it once-only.
    /// </summary>
    public async Task<ConfirmOutcome> ConfirmByHandAsync(
        WriteScope scope, string paymentId, string txid, string? note, string adminKeyId)
    {
        var payment = await scope.Db.ExchangePayments.AsNoTracking().FirstOrDefaultAsync(p => p.Id == paymentId);
        if (payment is null)
        {
            return ConfirmOutcome.NotFound;
        }

        var credited = await scope.Db.ExchangePayments
            .Where(p => p.Id == paymentId && p.Status != PaymentStatus.Credited)
            .ExecuteUpdateAsync(set => set
                .SetProperty(p => p.Status, PaymentStatus.Credited)
                .SetProperty(p => p.NeedsReview, false)
                .SetProperty(p => p.Txid, txid)
                .SetProperty(p => p.Note, note)
                .SetProperty(p => p.CreditedAt, scope.Now)
                .SetProperty(p => p.CreditedBy, adminKeyId));
        if (credited == 0)
        {
            return ConfirmOutcome.AlreadyCredited;
        }

        await CreditAsync(scope, payment, adminKeyId);
        return ConfirmOutcome.Credited;
    }

    private async Task CreditAsync(WriteScope scope, ExchangePayment payment, string actor)
    {
        // Null means the ledger already holds this payment's credit: the status guard above makes that unreachable
        // in one database, and the unique key makes it harmless anyway.
        await books.CreditOnceAsync(scope, payment.UserId, payment.AitbcUnits, externalId: payment.Id,
            reason: $"Bitcoin payment {payment.Id}", actorKeyId: actor == Watcher ? null : actor);
    }

    /// <summary>Takes the account's next receive index by a guarded update: no index is handed out twice.</summary>
    private static async Task<int> NextIndexAsync(WriteScope scope, string accountKey)
    {
        var db = scope.Db;
        var next = await db.ExchangeAddressCounters.Where(c => c.AccountKey == accountKey)
            .Select(c => (int?)c.NextIndex).FirstOrDefaultAsync();
        if (next is null)
        {
            db.ExchangeAddressCounters.Add(new ExchangeAddressCounter { AccountKey = accountKey, NextIndex = 1 });
            await db.SaveChangesAsync();
            return 0;
        }

        var taken = await db.ExchangeAddressCounters
            .Where(c => c.AccountKey == accountKey && c.NextIndex == next)
            .ExecuteUpdateAsync(set => set.SetProperty(c => c.NextIndex, c => c.NextIndex + 1));
        return taken == 1
            ? next.Value
            : throw new InvalidOperationException("Another writer took the same receive index; try again.");
    }
}
