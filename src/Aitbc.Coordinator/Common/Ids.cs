using System.Security.Cryptography;

namespace Aitbc.Coordinator.Common;

/// <summary>
/// Opaque, unguessable identifiers with a type prefix (<c>job_…</c>, <c>key_…</c>, <c>mnr_…</c>, <c>usr_…</c>),
/// so a leaked id names its kind but reveals nothing about order or volume.
/// </summary>
internal static class Ids
{
    public const string Job = "job";
    public const string Key = "key";
    public const string Miner = "mnr";
    public const string User = "usr";

    public static string New(string prefix) => $"{prefix}_{RandomToken(15)}";

    /// <summary>
    /// Lowercase base32 (RFC 4648 alphabet) of <paramref name="bytes"/> random bytes: URL- and log-safe.
    /// </summary>
    public static string RandomToken(int bytes)
    {
        Span<byte> buffer = stackalloc byte[bytes];
        RandomNumberGenerator.Fill(buffer);
        return Base32(buffer);
    }

    private static string Base32(ReadOnlySpan<byte> data)
    {
        const string Alphabet = "abcdefghijklmnopqrstuvwxyz234567";
        var output = new char[(data.Length * 8 + 4) / 5];
        int buffer = 0, bits = 0, index = 0;
        foreach (var b in data)
        {
            buffer = (buffer << 8) | b;
            bits += 8;
            while (bits >= 5)
            {
                output[index++] = Alphabet[(buffer >> (bits - 5)) & 31];
                bits -= 5;
            }
        }

        if (bits > 0)
        {
            output[index++] = Alphabet[(buffer << (5 - bits)) & 31];
        }

        return new string(output, 0, index);
    }
}
