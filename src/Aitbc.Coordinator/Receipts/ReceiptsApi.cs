using System.ComponentModel;
using System.Text;
using System.Text.Json;
using Aitbc.Coordinator.Auth;
using Aitbc.Coordinator.Common;
using Aitbc.Coordinator.Data;
using Aitbc.Coordinator.Errors;
using Aitbc.Coordinator.Jobs;
using Aitbc.Coordinator.Miners;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;

namespace Aitbc.Coordinator.Receipts;

internal static class ReceiptsApi
{
    private const int DefaultPageSize = 50;

    public static IServiceCollection AddReceipts(this IServiceCollection services)
    {
        services.AddSingleton<ReceiptKeyring>();
        services.AddSingleton<ReceiptIssuer>();
        services.AddSingleton<ReceiptVerifier>();
        return services;
    }

    public static IEndpointRouteBuilder MapReceipts(this IEndpointRouteBuilder routes)
    {
        // Public: anyone must be able to check a receipt offline, so the keys and the verifier need no credential.
        var open = routes.MapGroup("").WithTags("Receipts");
        open.MapGet("/v1/receipts/keys", KeysAsync)
            .WithName("ReceiptKeys")
            .WithSummary("The public keys that sign receipts, as a JWKS (RFC 8037 OKP/Ed25519), current key first")
            .WithDescription("Retired keys stay listed so the receipts they signed still verify. No errors.");
        open.MapGet("/.well-known/jwks.json", KeysAsync)
            .WithName("WellKnownJwks")
            .WithSummary("The same JWKS at its well-known address");
        open.MapPost("/v1/receipts/verify", VerifyAsync)
            .WithName("VerifyReceipt")
            .WithSummary("Check a receipt's signature: valid, and the reason")
            .WithDescription("Send the receipt as it was received. Answers valid false with a reason "
                + "(bad_signature, unknown_kid, unsupported_alg, missing_signature, malformed_signature, "
                + "not_canonicalizable, not_an_object) for anything that is JSON. Errors: malformed_json (400).");

        // Any key: the receipt's client, its miner, or an admin may read it; anyone else gets 404.
        routes.MapGet("/v1/receipts/{receiptId}", GetAsync)
            .WithTags("Receipts")
            .RequireAuthorization(policy => policy
                .AddAuthenticationSchemes(ApiKeyAuthentication.SchemeName)
                .RequireAuthenticatedUser())
            .WithName("GetReceipt")
            .WithSummary("One receipt, byte for byte as it was signed")
            .WithDescription("For the job's client, its miner or an admin. Errors: receipt_not_found (404).");

        routes.MapGet("/v1/client/jobs/{jobId}/receipts", JobReceiptsAsync)
            .WithTags("Client")
            .RequireKeyRole(ApiKeyRoles.Client)
            .WithName("GetJobReceipts")
            .WithSummary("The signed receipts of one of the caller's jobs")
            .WithDescription("Empty until the job completes. Errors: job_not_found (404).");

        routes.MapGet("/v1/miner/receipts", MinerReceiptsAsync)
            .WithTags("Miner")
            .RequireKeyRole(ApiKeyRoles.Miner)
            .WithName("GetMinerReceipts")
            .WithSummary("The calling miner's receipts, newest first, cursor paged")
            .WithDescription("Errors: validation_failed (400), miner_not_registered (409).");

        routes.MapGet("/v1/admin/receipts/audit", AuditAsync)
            .WithTags("Admin")
            .RequireKeyRole(ApiKeyRoles.Admin)
            .WithName("AuditReceipts")
            .WithSummary("Walk the whole receipt chain and report its first broken link")
            .WithDescription("Checks every receipt's signature, seq and prev_sha256, and the chain head. "
                + "A broken chain is a 200 answer with valid false. No errors.");
        return routes;
    }

    private static async Task<Ok<Jwks>> KeysAsync(CoordinatorDb db, CancellationToken cancel)
    {
        var keys = await ReceiptKeyring.ListAsync(db, cancel);
        return TypedResults.Ok(new Jwks([.. keys.Select(k => new Jwk("OKP", ReceiptKeyring.Algorithm, k.X, k.Kid))]));
    }

    private static async Task<Ok<Verification>> VerifyAsync(
        [FromBody] JsonElement receipt, ReceiptVerifier verifier, CancellationToken cancel) =>
        TypedResults.Ok(await verifier.VerifyAsync(receipt, cancel));

    private static async Task<Results<Ok<RawJson>, ProblemHttpResult>> GetAsync(
        string receiptId, Caller caller, CoordinatorDb db, CancellationToken cancel)
    {
        var receipt = await db.Receipts.AsNoTracking().FirstOrDefaultAsync(r => r.Id == receiptId, cancel);
        var allowed = receipt is not null && (caller.Has(ApiKeyRoles.Admin) || receipt.ClientId == caller.OwnerId
            || await db.Miners.AnyAsync(m => m.Id == receipt.MinerId && m.ApiKeyId == caller.KeyId, cancel));
        return allowed
            ? TypedResults.Ok(Served(receipt!))
            : Problems.NotFound("receipt_not_found", $"There is no receipt {receiptId} of yours.");
    }

    private static async Task<Results<Ok<ReceiptList>, ProblemHttpResult>> JobReceiptsAsync(
        string jobId, Caller caller, CoordinatorDb db, CancellationToken cancel)
    {
        if (!await db.Jobs.AnyAsync(j => j.Id == jobId && j.ClientId == caller.OwnerId, cancel))
        {
            return ClientJobsApi.JobNotFound(jobId);
        }

        var receipts = await db.Receipts.AsNoTracking()
            .Where(r => r.JobId == jobId)
            .OrderBy(r => r.Seq)
            .ToListAsync(cancel);
        return TypedResults.Ok(new ReceiptList([.. receipts.Select(Served)]));
    }

    private static async Task<Results<Ok<ReceiptPage>, ProblemHttpResult>> MinerReceiptsAsync(
        Caller caller,
        CoordinatorDb db,
        MinerKeys minerKeys,
        [Description("Page size, 1 to 200. Default 50.")] int? limit,
        [Description("next_cursor of the previous page.")] string? cursor,
        CancellationToken cancel)
    {
        var errors = new ValidationErrors();
        errors.PageSize(limit);

        var before = errors.Cursor(cursor, Cursor.Decode);

        if (errors.Any)
        {
            return errors.ToProblem();
        }

        var minerId = await minerKeys.MinerOfAsync(caller.KeyId, cancel);
        if (minerId is null)
        {
            return Problems.Conflict("miner_not_registered",
                "This key has no miner yet: register it with POST /v1/miner/register first.");
        }

        var size = limit ?? DefaultPageSize;
        var query = db.Receipts.AsNoTracking().Where(r => r.MinerId == minerId);
        if (before is { } b)
        {
            query = query.Where(r => r.Seq < b);
        }

        var page = await query.OrderByDescending(r => r.Seq).Take(size + 1).ToListAsync(cancel);
        var next = page.Count > size ? Cursor.Encode(page[size - 1].Seq) : null;
        return TypedResults.Ok(new ReceiptPage([.. page.Take(size).Select(Served)], next));
    }

    private static async Task<Ok<AuditReport>> AuditAsync(
        CoordinatorDb db, ReceiptVerifier verifier, CancellationToken cancel) =>
        TypedResults.Ok(await verifier.AuditAsync(db, cancel));

    /// <summary>The stored bytes, written out as they are: a receipt is never rebuilt from its columns.</summary>
    private static RawJson Served(Receipt receipt) => new(Encoding.UTF8.GetString(receipt.Body));
}

internal sealed record Jwk(string Kty, string Crv, string X, string Kid);

internal sealed record Jwks(IReadOnlyList<Jwk> Keys);

internal sealed record ReceiptList(IReadOnlyList<RawJson> Receipts);

internal sealed record ReceiptPage(IReadOnlyList<RawJson> Receipts, string? NextCursor);
