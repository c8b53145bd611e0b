using System.Buffers.Text;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Aitbc.Coordinator.Receipts;
using Aitbc.Coordinator.Tests.Infrastructure;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Crypto.Signers;

namespace Aitbc.Coordinator.Tests.Receipts;

/// <summary>What a receipt holder does: fetch the bytes, fetch the keys, check with another Ed25519 library.</summary>
internal static class ReceiptChecks
{
    /// <summary>Runs one job from submit to completion; returns its id and the receipt id the miner got.</summary>
    public static async Task<(string JobId, string ReceiptId)> CompleteOneAsync(
        TestClient client, TestMiner miner, object? job = null)
    {
        var jobId = await client.SubmitIdAsync(job);
        var lease = await miner.TakeJobAsync(jobId);
        using var done = await miner.CompleteAsync(jobId, lease.Str("lease_token"));
        var answer = await done.ExpectAsync(HttpStatusCode.OK);
        return (jobId, answer.Str("receipt_id"));
    }

    /// <summary>The receipt exactly as served.</summary>
    public static async Task<byte[]> FetchAsync(HttpClient http, string receiptId)
    {
        using var response = await http.GetAsync($"/v1/receipts/{receiptId}");
        var bytes = await response.Content.ReadAsByteArrayAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, Encoding.UTF8.GetString(bytes));
        return bytes;
    }

    public static async Task<Dictionary<string, string>> KeysAsync(HttpClient http, string path = "/v1/receipts/keys")
    {
        using var response = await http.GetAsync(path);
        var jwks = await response.ExpectAsync(HttpStatusCode.OK);
        return jwks["keys"]!.AsArray().ToDictionary(k => k.Str("kid"), k =>
        {
            Assert.Equal("OKP", k.Str("kty"));
            Assert.Equal("Ed25519", k.Str("crv"));
            return k.Str("x");
        });
    }

    /// <summary>
    /// Verifies with BouncyCastle over the canonical form of the JSON as received, without its signature, with the
    /// key the signature names.
    /// </summary>
    public static bool VerifiesIndependently(string receiptJson, IReadOnlyDictionary<string, string> keys)
    {
        using var document = JsonDocument.Parse(receiptJson);
        var signature = document.RootElement.GetProperty("signature");
        Assert.Equal("Ed25519", signature.GetProperty("alg").GetString());
        if (!keys.TryGetValue(signature.GetProperty("kid").GetString()!, out var x))
        {
            return false;
        }

        var signed = Jcs.Canonicalize(document.RootElement, omitMember: "signature");
        var verifier = new Ed25519Signer();
        verifier.Init(false, new Ed25519PublicKeyParameters(Base64Url.DecodeFromChars(x), 0));
        verifier.BlockUpdate(signed, 0, signed.Length);
        return verifier.VerifySignature(Base64Url.DecodeFromChars(signature.GetProperty("sig").GetString()!));
    }

    public static async Task<JsonNode> VerifyThroughApiAsync(HttpClient http, string receiptJson)
    {
        using var response = await http.PostRawAsync("/v1/receipts/verify", receiptJson);
        return await response.ExpectAsync(HttpStatusCode.OK);
    }

    public static async Task<JsonNode> AuditAsync(TestCoordinator coordinator)
    {
        using var admin = coordinator.CreateClient(coordinator.AdminKey);
        using var response = await admin.GetAsync("/v1/admin/receipts/audit");
        return await response.ExpectAsync(HttpStatusCode.OK);
    }

    public static string Sha256Hex(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    public static string CanonicalSha256(object value) =>
        Sha256Hex(Jcs.Canonicalize(JsonSerializer.Serialize(value)));
}
