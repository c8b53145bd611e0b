using Aitbc.Coordinator.Data;
using Aitbc.Coordinator.Users;
using Microsoft.EntityFrameworkCore;

namespace Aitbc.Coordinator.Ledger;

/// <summary>
/// Every movement of money. All methods run inside a <see cref="DbWriter"/> unit, so a settlement commits with the
/// job transition that caused it or not at all. Money moves only in balanced transactions with a unique business
/// key; user accounts' cached balance and held amount change by guarded, relative updates in the same unit.
/// </summary>
internal sealed partial class Bookkeeper(WalletSignatures wallets, ILogger<Bookkeeper> logger)
{
    /// <summary>
    /// Reserves <paramref name="amount"/> of the user's available money for a job about to be created. False, and
    /// nothing changed, when the available balance is short. The check and the reservation are one conditional
    /// update, so parallel submissions can never hold more than there is.
    /// </summary>
    public async Task<bool> HoldForJobAsync(WriteScope scope, string userId, string jobId, long amount)
    {
        if (amount <= 0)
        {
            // A budget of nothing can pay nothing: there is nothing to reserve.
            return true;
        }

        var db = scope.Db;
        var accountId = await db.LedgerAccounts.Where(a => a.UserId == userId).Select(a => (long?)a.Id)
            .FirstOrDefaultAsync();
        if (accountId is not { } id)
        {
            return false;
        }

        var reserved = await db.LedgerAccounts
            .Where(a => a.Id == id && a.Balance - a.Held >= amount)
            .ExecuteUpdateAsync(set => set.SetProperty(a => a.Held, a => a.Held + amount));
        if (reserved == 0)
        {
            return false;
        }

        db.LedgerHolds.Add(new LedgerHold { JobId = jobId, AccountId = id, Amount = amount, CreatedAt = scope.Now });
        await db.SaveChangesAsync();
        return true;
    }

    /// <summary>
    /// Settles a completed job: pays the miner's payout account <paramref name="price"/> (never more than the
    /// hold) and releases the rest. A job without an open hold (an operator's job) costs nothing. When the miner
    /// has no valid payout wallet, nobody is owed the money, so the client is not charged and all is released.
    /// </summary>
    public async Task SettleJobAsync(WriteScope scope, string jobId, long price, string minerId)
    {
        var db = scope.Db;
        var hold = await db.LedgerHolds.AsNoTracking()
            .FirstOrDefaultAsync(h => h.JobId == jobId && h.SettledAt == null);
        if (hold is null)
        {
            return;
        }

        var wallet = await db.Miners.Where(m => m.Id == minerId).Select(m => m.WalletAddress).FirstOrDefaultAsync();
        var payee = wallets.Canonical(wallet);
        var paid = payee is null ? 0 : Math.Clamp(price, 0, hold.Amount);
        if (!await CloseHoldAsync(scope, hold, paid))
        {
            return;
        }

        if (payee is null)
        {
            Log.NoPayoutWallet(logger, jobId, minerId);
            return;
        }

        if (paid == 0)
        {
            return;
        }

        var (user, _) = await UserDirectory.FindOrCreateAsync(scope, payee);
        var payeeAccount = await UserAccountAsync(scope, user.Id);
        await PostAsync(scope, new LedgerTransaction
        {
            Kind = LedgerTransactionKind.JobPayment,
            BusinessKey = $"job:{jobId}:payment",
            JobId = jobId,
            CreatedAt = scope.Now,
        }, (hold.AccountId, -paid), (payeeAccount, paid));
    }

    /// <summary>
    /// Releases the whole hold of a job that failed, was cancelled or expired. Harmless when there is none.
    /// </summary>
    public async Task ReleaseJobAsync(WriteScope scope, string jobId)
    {
        var hold = await scope.Db.LedgerHolds.AsNoTracking()
            .FirstOrDefaultAsync(h => h.JobId == jobId && h.SettledAt == null);
        if (hold is not null)
        {
            await CloseHoldAsync(scope, hold, paid: 0);
        }
    }

    /// <summary>An admin's grant from the grants account, recorded with who made it and why.</summary>
    public async Task<LedgerTransaction> GrantAsync(
        WriteScope scope, string userId, long amount, string reason, string adminKeyId)
    {
        var account = await UserAccountAsync(scope, userId);
        return await PostAsync(scope, new LedgerTransaction
        {
            Kind = LedgerTransactionKind.Grant,
            BusinessKey = $"grant:{Common.Ids.RandomToken(15)}",
            Reason = reason,
            CreatedBy = adminKeyId,
            CreatedAt = scope.Now,
        }, (LedgerAccount.GrantsId, -amount), (account, amount));
    }

    /// <summary>
    /// Credits <paramref name="userId"/> with <paramref name="amount"/> from the system account
    /// <paramref name="from"/>, exactly once per <paramref name="externalId"/> (a payment id): a second call with the
    /// same id changes nothing and returns null, and the unique key refuses a concurrent twin from another process.
    /// For the exchange: call it in the same unit as the payment's own state change.
    /// </summary>
    public async Task<LedgerTransaction?> CreditOnceAsync(
        WriteScope scope, string userId, long amount, string externalId, long from = LedgerAccount.ExchangeId,
        string? reason = null, string? actorKeyId = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(amount);
        if (from is not (LedgerAccount.ExchangeId or LedgerAccount.GrantsId))
        {
            throw new ArgumentOutOfRangeException(nameof(from), from, "Credits come from a system account.");
        }

        var key = $"credit:{externalId}";
        if (await scope.Db.LedgerTransactions.AnyAsync(t => t.BusinessKey == key))
        {
            return null;
        }

        var account = await UserAccountAsync(scope, userId);
        return await PostAsync(scope, new LedgerTransaction
        {
            Kind = LedgerTransactionKind.Credit,
            BusinessKey = key,
            Reason = reason,
            CreatedBy = actorKeyId,
            CreatedAt = scope.Now,
        }, (from, -amount), (account, amount));
    }

    /// <summary>Closes an open hold exactly once: the guarded update's row count decides who does it.</summary>
    private static async Task<bool> CloseHoldAsync(WriteScope scope, LedgerHold hold, long paid)
    {
        var closed = await scope.Db.LedgerHolds
            .Where(h => h.JobId == hold.JobId && h.SettledAt == null)
            .ExecuteUpdateAsync(set => set.SetProperty(h => h.SettledAt, scope.Now).SetProperty(h => h.Paid, paid));
        if (closed == 0)
        {
            return false;
        }

        await scope.Db.LedgerAccounts
            .Where(a => a.Id == hold.AccountId)
            .ExecuteUpdateAsync(set => set.SetProperty(a => a.Held, a => a.Held - hold.Amount));
        return true;
    }

    /// <summary>The user's account id, opened at the first money it receives.</summary>
    private static async Task<long> UserAccountAsync(WriteScope scope, string userId)
    {
        var db = scope.Db;
        var id = await db.LedgerAccounts.Where(a => a.UserId == userId).Select(a => (long?)a.Id).FirstOrDefaultAsync();
        if (id is { } found)
        {
            return found;
        }

        var account = new LedgerAccount { Kind = AccountKind.User, UserId = userId, CreatedAt = scope.Now };
        db.LedgerAccounts.Add(account);
        await db.SaveChangesAsync();
        return account.Id;
    }

    /// <summary>
    /// Appends a balanced transaction and moves the cached balances of the user accounts it touches. System
    /// accounts' rows are never updated: their balance is derived from their postings.
    /// </summary>
    private static async Task<LedgerTransaction> PostAsync(
        WriteScope scope, LedgerTransaction transaction, params (long Account, long Amount)[] postings)
    {
        if (postings.Sum(p => p.Amount) != 0)
        {
            throw new InvalidOperationException("A ledger transaction must sum to zero.");
        }

        transaction.Postings =
            [.. postings.Select(p => new LedgerPosting { AccountId = p.Account, Amount = p.Amount })];
        scope.Db.LedgerTransactions.Add(transaction);
        await scope.Db.SaveChangesAsync();
        foreach (var (account, amount) in postings)
        {
            if (account is LedgerAccount.GrantsId or LedgerAccount.ExchangeId)
            {
                continue;
            }

            await scope.Db.LedgerAccounts
                .Where(a => a.Id == account && a.Kind == AccountKind.User)
                .ExecuteUpdateAsync(set => set.SetProperty(a => a.Balance, a => a.Balance + amount));
        }

        return transaction;
    }

    private static partial class Log
    {
        [LoggerMessage(4101, LogLevel.Warning,
            "Job {JobId} completed on miner {MinerId}, which has no valid payout wallet; the client was not charged",
            EventName = "NoPayoutWallet")]
        public static partial void NoPayoutWallet(ILogger logger, string jobId, string minerId);
    }
}
