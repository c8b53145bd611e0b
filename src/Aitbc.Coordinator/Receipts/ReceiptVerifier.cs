using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text.Json;
using Aitbc.Coordinator.Data;
using Microsoft.EntityFrameworkCore;

namespace Aitbc.Coordinator.Receipts;

/// <summary>
/// Checks receipts the way anyone holding the public keys can: canonicalize the receipt without its signature and
/// verify the Ed25519 signature over those bytes. The audit does that for the whole chain and checks every link.
/// </summary>
internal sealed class ReceiptVerifier(ReceiptKeyring keyring)
{
    private const int AuditPage = 500;

    public async Task<Verification> VerifyAsync(JsonElement receipt, CancellationToken cancel)
    {
        if (receipt.ValueKind != JsonValueKind.Object)
        {
            return Verification.Invalid("not_an_object", "A receipt is a JSON object.");
        }

        var receiptId = StringMember(receipt, "receipt_id");
        if (!receipt.TryGetProperty("signature", out var signature) || signature.ValueKind != JsonValueKind.Object)
        {
            return Verification.Invalid("missing_signature", "The receipt has no signature object.", receiptId);
        }

        var alg = StringMember(signature, "alg");
        var kid = StringMember(signature, "kid");
        var sig = StringMember(signature, "sig");
        if (alg != ReceiptKeyring.Algorithm)
        {
            return Verification.Invalid("unsupported_alg", "signature.alg must be Ed25519.", receiptId, kid);
        }

        var signatureBytes = new byte[64];
        if (kid is null || sig is null || !Base64Url.IsValid(sig)
            || !Base64Url.TryDecodeFromChars(sig, signatureBytes, out var written) || written != 64)
        {
            return Verification.Invalid("malformed_signature",
                "signature needs a kid and a sig of 64 bytes in base64url.", receiptId, kid);
        }

        byte[] signed;
        try
        {
            signed = Jcs.Canonicalize(receipt, omitMember: "signature");
        }
        catch (CanonicalJsonException e)
        {
            return Verification.Invalid("not_canonicalizable", $"The receipt has no canonical form: {e.Message}",
                receiptId, kid);
        }

        return await keyring.VerifyAsync(kid, signed, signatureBytes, cancel) switch
        {
            null => Verification.Invalid("unknown_kid", $"No key {kid} ever signed receipts here.", receiptId, kid),
            false => Verification.Invalid("bad_signature",
                "The signature does not match the receipt: it was changed after signing, or signed by another key.",
                receiptId, kid),
            true => new Verification(true, "signature_valid", "The signature verifies with the named key.",
                receiptId, kid),
        };
    }

    /// <summary>
    /// Walks the chain from seq 1 and reports the first broken link: a receipt whose bytes changed, one that is
    /// missing, or one out of its place. Reads page by page, so it runs in constant memory however long the chain.
    /// </summary>
    public async Task<AuditReport> AuditAsync(CoordinatorDb db, CancellationToken cancel)
    {
        var head = await db.ReceiptChainHeads.AsNoTracking()
            .SingleAsync(h => h.Id == ReceiptChainHead.SingleId, cancel);
        var expected = 1L;
        var previous = ReceiptChainHead.Genesis;
        string? lastId = null;
        while (true)
        {
            var after = expected - 1;
            var page = await db.Receipts.AsNoTracking()
                .Where(r => r.Seq > after)
                .OrderBy(r => r.Seq)
                .Take(AuditPage)
                .ToListAsync(cancel);
            if (page.Count == 0)
            {
                break;
            }

            foreach (var row in page)
            {
                var broken = await CheckAsync(row, expected, previous, cancel);
                if (broken is not null)
                {
                    return new AuditReport(false, expected - 1, head.Seq, head.Sha256, broken);
                }

                previous = Convert.ToHexStringLower(SHA256.HashData(row.Body));
                lastId = row.Id;
                expected++;
            }
        }

        var count = expected - 1;
        if (head.Seq != count)
        {
            return new AuditReport(false, count, head.Seq, head.Sha256, new BrokenLink(expected, null, "missing",
                $"The chain head says {head.Seq} receipts were issued but the stored chain ends at {count}: "
                + "receipts were removed from its end."));
        }

        if (head.Sha256 != previous)
        {
            return new AuditReport(false, count, head.Seq, head.Sha256, new BrokenLink(count, lastId, "changed",
                "The last receipt's bytes do not hash to what the chain head recorded: it was changed."));
        }

        return new AuditReport(true, count, head.Seq, head.Sha256, null);
    }

    private async Task<BrokenLink?> CheckAsync(Receipt row, long expected, string previous, CancellationToken cancel)
    {
        if (row.Seq != expected)
        {
            return new BrokenLink(expected, null, "missing",
                $"Receipt {expected} is missing: the next stored receipt is {row.Seq}.");
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(row.Body);
        }
        catch (JsonException)
        {
            return Changed(row, "Its stored bytes are not JSON any more.");
        }

        using (document)
        {
            var body = document.RootElement;
            if (body.ValueKind != JsonValueKind.Object || !Jcs.Canonicalize(body).AsSpan().SequenceEqual(row.Body))
            {
                return Changed(row, "Its stored bytes are not the canonical form that was signed.");
            }

            var verdict = await VerifyAsync(body, cancel);
            if (!verdict.Valid)
            {
                return Changed(row, $"Its signature does not verify ({verdict.Reason}): it was changed after signing.");
            }

            var seq = body.TryGetProperty("seq", out var s) && s.TryGetInt64(out var n) ? n : -1;
            if (seq != row.Seq)
            {
                return new BrokenLink(row.Seq, row.Id, "reordered",
                    $"The receipt stored as number {row.Seq} is signed as number {seq}: receipts were moved.");
            }

            if (StringMember(body, "prev_sha256") != previous)
            {
                return new BrokenLink(row.Seq, row.Id, "reordered",
                    $"Its prev_sha256 is not the SHA-256 of receipt {row.Seq - 1}: the receipt before it was "
                    + "replaced, or the chain was spliced.");
            }

            if (StringMember(body, "receipt_id") != row.Id || StringMember(body, "job_id") != row.JobId
                || StringMember(body, "client") != row.ClientId || StringMember(body, "miner") != row.MinerId)
            {
                return Changed(row, "Its stored columns (id, job, client or miner) disagree with its signed bytes.");
            }
        }

        return null;
    }

    private static BrokenLink Changed(Receipt row, string detail) => new(row.Seq, row.Id, "changed", detail);

    private static string? StringMember(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value)
            && value.ValueKind == JsonValueKind.String
            ? value.GetString()
            : null;
}

internal sealed record Verification(bool Valid, string Reason, string Detail, string? ReceiptId, string? Kid)
{
    public static Verification Invalid(string reason, string detail, string? receiptId = null, string? kid = null) =>
        new(false, reason, detail, receiptId, kid);
}

/// <summary>The first place the chain is broken: its seq, the receipt there (if any), what is wrong.</summary>
internal sealed record BrokenLink(long Seq, string? ReceiptId, string Problem, string Detail);

internal sealed record AuditReport(bool Valid, long Checked, long HeadSeq, string HeadSha256, BrokenLink? FirstBroken);
