using System.ComponentModel;
using Aitbc.Coordinator.Auth;
using Aitbc.Coordinator.Common;
using Aitbc.Coordinator.Data;
using Aitbc.Coordinator.Errors;
using Aitbc.Coordinator.Jobs;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace Aitbc.Coordinator.Ledger;

internal static partial class LedgerApi
{
    public static RouteGroupBuilder MapLedger(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/v1/admin/ledger")
            .WithTags("Admin")
            .RequireKeyRole(ApiKeyRoles.Admin);

        group.MapPost("/grants", GrantAsync)
            .WithName("GrantAitbc")
            .WithSummary("Credit a user's account from the grants account")
            .WithDescription("Recorded with the admin key and the reason. Errors: validation_failed, "
                + "user_not_found (404).");
        group.MapGet("/audit", AuditAsync)
            .WithName("AuditLedger")
            .WithSummary("Check the books: postings sum to zero, cached balances match, holds belong to live jobs");
        return group;
    }

    private static async Task<Results<Created<GrantView>, ProblemHttpResult>> GrantAsync(
        GrantRequest request, Caller caller, Bookkeeper books, DbWriter writer, ILogger<Bookkeeper> logger)
    {
        var errors = new ValidationErrors();
        if (string.IsNullOrWhiteSpace(request.UserId) || request.UserId.Length > 40)
        {
            errors.Add("user_id", "Give the id of a user, as in usr_….");
        }

        if (request.Amount.Units <= 0)
        {
            errors.Add("amount", "Must be more than 0.");
        }

        if (string.IsNullOrWhiteSpace(request.Reason) || request.Reason.Length > 500)
        {
            errors.Add("reason", "Say why, in 1 to 500 characters.");
        }

        if (errors.Any)
        {
            return errors.ToProblem();
        }

        var transaction = await writer.ExecuteAsync(async scope =>
            await scope.Db.Users.AnyAsync(u => u.Id == request.UserId)
                ? await books.GrantAsync(
                    scope, request.UserId, request.Amount.Units, request.Reason.Trim(), caller.KeyId)
                : null);
        if (transaction is null)
        {
            return Problems.NotFound("user_not_found", $"There is no user {request.UserId}.");
        }

        Log.Granted(logger, request.Amount.ToString(), request.UserId, caller.KeyId);
        return TypedResults.Created($"/v1/users/{request.UserId}/transactions", new GrantView(
            transaction.Id, request.UserId, request.Amount, transaction.Reason!, caller.KeyId, transaction.CreatedAt));
    }

    private static async Task<Ok<LedgerAudit>> AuditAsync(CoordinatorDb db, CancellationToken cancel)
    {
        var total = await db.LedgerPostings.SumAsync(p => (long?)p.Amount, cancel) ?? 0;
        var unbalanced = await db.LedgerPostings
            .GroupBy(p => p.TransactionId)
            .Where(g => g.Sum(p => p.Amount) != 0)
            .Select(g => g.Key)
            .Take(100)
            .ToListAsync(cancel);
        var balances = await db.LedgerAccounts
            .Where(a => a.Kind == AccountKind.User)
            .Select(a => new
            {
                a.Id,
                a.Balance,
                a.Held,
                Posted = db.LedgerPostings.Where(p => p.AccountId == a.Id).Sum(p => (long?)p.Amount) ?? 0,
                Holding = db.LedgerHolds.Where(h => h.AccountId == a.Id && h.SettledAt == null)
                    .Sum(h => (long?)h.Amount) ?? 0,
            })
            .Where(a => a.Balance != a.Posted || a.Held != a.Holding || a.Held > a.Balance || a.Held < 0)
            .Take(100)
            .ToListAsync(cancel);
        var orphans = await db.LedgerHolds
            .Where(h => h.SettledAt == null
                && !db.Jobs.Any(j => j.Id == h.JobId && (j.State == JobState.Queued || j.State == JobState.Running)))
            .Select(h => h.JobId)
            .Take(100)
            .ToListAsync(cancel);
        var problems = new List<string>();
        if (total != 0)
        {
            problems.Add($"The postings sum to {new AitbcAmount(total)}, not 0.");
        }

        problems.AddRange(unbalanced.Select(t => $"Transaction {t} does not sum to zero."));
        problems.AddRange(balances.Select(a => $"Account {a.Id}: cached balance {new AitbcAmount(a.Balance)} and "
            + $"held {new AitbcAmount(a.Held)}, but postings sum to {new AitbcAmount(a.Posted)} and open holds to "
            + $"{new AitbcAmount(a.Holding)}."));
        problems.AddRange(orphans.Select(j => $"The hold for job {j} is open but the job is not queued or running."));
        var grants = await db.LedgerPostings.Where(p => p.AccountId == LedgerAccount.GrantsId)
            .SumAsync(p => (long?)p.Amount, cancel) ?? 0;
        var exchange = await db.LedgerPostings.Where(p => p.AccountId == LedgerAccount.ExchangeId)
            .SumAsync(p => (long?)p.Amount, cancel) ?? 0;
        return TypedResults.Ok(new LedgerAudit(
            problems.Count == 0,
            problems,
            new AitbcAmount(total),
            new AitbcAmount(-grants),
            new AitbcAmount(-exchange)));
    }

    private static partial class Log
    {
        [LoggerMessage(4102, LogLevel.Information, "Granted {Amount} AITBC to {UserId} by key {KeyId}",
            EventName = "Granted")]
        public static partial void Granted(ILogger logger, string amount, string userId, string keyId);
    }
}

internal sealed record GrantRequest
{
    [Description("The user to credit.")]
    public required string UserId { get; init; }

    [Description("AITBC as a decimal string, more than 0.")]
    public required AitbcAmount Amount { get; init; }

    [Description("Why, for the record: a promotion, a correction.")]
    public required string Reason { get; init; }
}

internal sealed record GrantView(
    long TransactionId, string UserId, AitbcAmount Amount, string Reason, string CreatedBy, DateTime CreatedAt);

/// <summary>
/// The books' health. <c>valid</c> (the word the receipts audit uses too) is false with one line per problem found,
/// at most 100 of each kind.
/// </summary>
internal sealed record LedgerAudit(
    bool Valid,
    IReadOnlyList<string> Problems,
    AitbcAmount PostingsSum,
    AitbcAmount Granted,
    AitbcAmount ExchangeCredited);
