using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Aitbc.Client.Receipts;

/// <summary>
/// A receipt exactly as the Coordinator served it. <see cref="Utf8"/> keeps the bytes received, untouched, so the
/// receipt can be stored and verified offline later and its SHA-256 matches the next receipt's
/// <c>prev_sha256</c>; the properties are read from those bytes for display and are null when a member is missing
/// or of another type. Serializing it writes the same bytes back.
/// </summary>
[JsonConverter(typeof(SignedReceiptConverter))]
public sealed class SignedReceipt
{
    private readonly byte[] _utf8;

    private SignedReceipt(byte[] utf8, JsonElement element)
    {
        _utf8 = utf8;
        Element = element;
    }

    /// <summary>The receipt's bytes as received.</summary>
    public ReadOnlyMemory<byte> Utf8 => _utf8;

    /// <summary>The parsed receipt: an object, unless what was received was something else.</summary>
    public JsonElement Element { get; }

    public string? ReceiptId => Text("receipt_id");

    public string? JobId => Text("job_id");

    public string? JobType => Text("job_type");

    /// <summary>The client's principal id (<c>key_…</c> or <c>usr_…</c>).</summary>
    public string? Client => Text("client");

    public string? Miner => Text("miner");

    public long? Seq => Element.ValueKind == JsonValueKind.Object && Element.TryGetProperty("seq", out var seq)
        && seq.TryGetInt64(out var value)
            ? value
            : null;

    /// <summary>GPU-seconds, a decimal string in thousandths.</summary>
    public string? Units => Text("units");

    /// <summary>AITBC charged, a decimal string.</summary>
    public string? Price => Text("price");

    public string? IssuedAt => Text("issued_at");

    public string? PrevSha256 => Text("prev_sha256");

    /// <summary>The id of the key that signed it (<c>signature.kid</c>).</summary>
    public string? Kid => Element.ValueKind == JsonValueKind.Object
        && Element.TryGetProperty("signature", out var signature) && signature.ValueKind == JsonValueKind.Object
        && signature.TryGetProperty("kid", out var kid) && kid.ValueKind == JsonValueKind.String
            ? kid.GetString()
            : null;

    /// <summary>Reads a receipt from its bytes, keeping them as they are.</summary>
    /// <exception cref="JsonException">The bytes are not JSON.</exception>
    public static SignedReceipt Parse(ReadOnlySpan<byte> utf8)
    {
        var copy = utf8.ToArray();
        using var document = JsonDocument.Parse(copy);
        return new SignedReceipt(copy, document.RootElement.Clone());
    }

    /// <summary>Lowercase hex SHA-256 of the bytes as received: what the next receipt names as prev_sha256.</summary>
    public string Sha256Hex() => Convert.ToHexStringLower(SHA256.HashData(_utf8));

    /// <summary>The receipt as text, byte for byte.</summary>
    public override string ToString() => Encoding.UTF8.GetString(_utf8);

    private string? Text(string name) =>
        Element.ValueKind == JsonValueKind.Object && Element.TryGetProperty(name, out var value)
        && value.ValueKind == JsonValueKind.String
            ? value.GetString()
            : null;

    /// <summary>Takes the value's raw bytes from the reader, so nothing is re-encoded on the way in or out.</summary>
    private sealed class SignedReceiptConverter : JsonConverter<SignedReceipt>
    {
        public override SignedReceipt Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            using var document = JsonDocument.ParseValue(ref reader);
            var raw = JsonMarshal.GetRawUtf8Value(document.RootElement).ToArray();
            return new SignedReceipt(raw, document.RootElement.Clone());
        }

        public override void Write(Utf8JsonWriter writer, SignedReceipt value, JsonSerializerOptions options) =>
            writer.WriteRawValue(value._utf8, skipInputValidation: true);
    }
}

/// <summary>A public key that signs receipts (RFC 8037: <c>kty</c> OKP, <c>crv</c> Ed25519).</summary>
public sealed record ReceiptKey
{
    public required string Kid { get; init; }

    public required string Kty { get; init; }

    public required string Crv { get; init; }

    /// <summary>The 32-byte public key, base64url without padding.</summary>
    public required string X { get; init; }
}

/// <summary><c>GET /v1/receipts/keys</c>: the current key first, then the retired ones.</summary>
public sealed record ReceiptKeySet(IReadOnlyList<ReceiptKey> Keys);

/// <summary>The Coordinator's answer to <c>POST /v1/receipts/verify</c>.</summary>
public sealed record ServerVerification(bool Valid, string Reason, string Detail, string? ReceiptId, string? Kid);

public sealed record JobReceipts(IReadOnlyList<SignedReceipt> Receipts);

public sealed record ReceiptPage(IReadOnlyList<SignedReceipt> Receipts, string? NextCursor);
