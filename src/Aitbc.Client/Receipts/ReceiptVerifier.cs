using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using NSec.Cryptography;

namespace Aitbc.Client.Receipts;

/// <summary>
/// Checks a receipt's signature offline, as the Coordinator defines it: the Ed25519 signature in
/// <c>signature.sig</c> covers the RFC 8785 form of the receipt without its <c>signature</c> member, made with the
/// key named by <c>signature.kid</c>. Nothing is sent anywhere; the keys are the caller's (see
/// <see cref="ReceiptKeyPins"/>).
/// </summary>
public static class ReceiptVerifier
{
    public const string Algorithm = "Ed25519";

    private const int SignatureBytes = 64;
    private const int PublicKeyBytes = 32;

    /// <summary>
    /// The verdict on one receipt. <paramref name="publicKeys"/> maps each trusted key id to its public key (the
    /// JWK's <c>x</c>, base64url). The reasons are those of the Coordinator's own verifier: <c>signature_valid</c>,
    /// <c>not_an_object</c>, <c>missing_signature</c>, <c>unsupported_alg</c>, <c>malformed_signature</c>,
    /// <c>not_canonicalizable</c>, <c>unknown_kid</c> and <c>bad_signature</c>.
    /// </summary>
    public static ReceiptVerdict Verify(SignedReceipt receipt, IReadOnlyDictionary<string, string> publicKeys)
    {
        ArgumentNullException.ThrowIfNull(receipt);
        ArgumentNullException.ThrowIfNull(publicKeys);
        var body = receipt.Element;
        if (body.ValueKind != JsonValueKind.Object)
        {
            return ReceiptVerdict.Invalid("not_an_object", "A receipt is a JSON object.", null, null);
        }

        var id = receipt.ReceiptId;
        if (!body.TryGetProperty("signature", out var signature) || signature.ValueKind != JsonValueKind.Object)
        {
            return ReceiptVerdict.Invalid("missing_signature", "The receipt has no signature object.", id, null);
        }

        var kid = Member(signature, "kid");
        if (Member(signature, "alg") != Algorithm)
        {
            return ReceiptVerdict.Invalid("unsupported_alg", "signature.alg is not Ed25519.", id, kid);
        }

        var sig = new byte[SignatureBytes];
        if (kid is null || Member(signature, "sig") is not { } sigText || !TryDecode(sigText, sig))
        {
            return ReceiptVerdict.Invalid("malformed_signature",
                "The signature needs a kid and a sig of 64 bytes in base64url.", id, kid);
        }

        byte[] signed;
        try
        {
            signed = CanonicalJson.Canonicalize(body, leaveOut: "signature");
        }
        catch (CanonicalJsonException e)
        {
            return ReceiptVerdict.Invalid("not_canonicalizable", $"The receipt has no canonical form: {e.Message}",
                id, kid);
        }

        if (!publicKeys.TryGetValue(kid, out var x))
        {
            return ReceiptVerdict.Invalid("unknown_kid", $"Key {kid} is not among the trusted keys.", id, kid);
        }

        if (!TryImport(x, out var key))
        {
            return ReceiptVerdict.Invalid("unknown_kid", $"The trusted key {kid} is not an Ed25519 public key.",
                id, kid);
        }

        return SignatureAlgorithm.Ed25519.Verify(key, signed, sig)
            ? new ReceiptVerdict(true, "signature_valid", $"Signed by key {kid}.", id, kid)
            : ReceiptVerdict.Invalid("bad_signature",
                "The signature does not match the receipt: it was changed after signing, or signed by another key.",
                id, kid);
    }

    /// <summary>
    /// RFC 7638 thumbprint of an Ed25519 public key: base64url SHA-256 of the JWK's required members (crv, kty, x)
    /// in that order, without whitespace. The Coordinator names each key by it, so a kid vouches for its key.
    /// </summary>
    public static string Thumbprint(string x)
    {
        ArgumentNullException.ThrowIfNull(x);
        var members = "{\"crv\":\"" + Algorithm + "\",\"kty\":\"OKP\",\"x\":\"" + x + "\"}";
        return Base64Url.EncodeToString(SHA256.HashData(Encoding.UTF8.GetBytes(members)));
    }

    /// <summary>True when <paramref name="x"/> is 32 bytes of base64url that import as an Ed25519 public key.</summary>
    public static bool IsPublicKey(string x) => TryImport(x, out _);

    private static bool TryImport(string x, out PublicKey key)
    {
        key = null!;
        var raw = new byte[PublicKeyBytes];
        return TryDecode(x, raw)
            && PublicKey.TryImport(SignatureAlgorithm.Ed25519, raw, KeyBlobFormat.RawPublicKey, out key!);
    }

    /// <summary>Exactly <c>destination.Length</c> bytes of base64url, or false (never an exception).</summary>
    private static bool TryDecode(string text, Span<byte> destination) =>
        Base64Url.IsValid(text, out var length) && length == destination.Length
        && Base64Url.TryDecodeFromChars(text, destination, out var written) && written == destination.Length;

    private static string? Member(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()
            : null;
}

/// <summary>Whether a receipt verified, a stable reason code, and a sentence for a person.</summary>
public sealed record ReceiptVerdict(bool Valid, string Reason, string Detail, string? ReceiptId, string? Kid)
{
    public static ReceiptVerdict Invalid(string reason, string detail, string? receiptId, string? kid) =>
        new(false, reason, detail, receiptId, kid);
}
