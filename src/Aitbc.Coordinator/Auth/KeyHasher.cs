using System.Security.Cryptography;
using System.Text;

namespace Aitbc.Coordinator.Auth;

/// <summary>
/// Keyed hashes of API keys and session tokens: HMAC-SHA256 under <c>SECRET_KEY</c>. A stolen database alone lets
/// nobody test guesses offline.
/// </summary>
internal sealed class KeyHasher(byte[] secret)
{
    public const string KeyPrefix = "aitbc_";

    public string Hash(string credential)
    {
        Span<byte> mac = stackalloc byte[32];
        HMACSHA256.HashData(secret, Encoding.UTF8.GetBytes(credential), mac);
        return Convert.ToHexStringLower(mac);
    }

    /// <summary>Constant-time comparison of two hashes, so timing tells nothing about how much matched.</summary>
    public static bool SameHash(string a, string b) =>
        CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(a), Encoding.ASCII.GetBytes(b));

    /// <summary>A new API key: a recognisable prefix and 256 bits of randomness.</summary>
    public static string NewApiKey()
    {
        Span<byte> random = stackalloc byte[32];
        RandomNumberGenerator.Fill(random);
        return KeyPrefix + Convert.ToBase64String(random).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }

    /// <summary>What may be shown of a key: enough to tell keys apart, far too little to guess the rest.</summary>
    public static string PrefixOf(string key) => key.Length <= 10 ? key[..Math.Min(4, key.Length)] : key[..10];
}
