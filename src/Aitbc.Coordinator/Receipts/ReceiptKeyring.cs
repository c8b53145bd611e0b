using System.Buffers.Text;
using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Aitbc.Coordinator.Auth;
using Aitbc.Coordinator.Configuration;
using Aitbc.Coordinator.Data;
using Microsoft.EntityFrameworkCore;
using NSec.Cryptography;

namespace Aitbc.Coordinator.Receipts;

/// <summary>
/// The receipt signing key and every public key that ever signed a receipt. The seed comes from
/// <c>RECEIPT_SIGNING_KEY</c>; without it one is generated once and kept in a file beside the SQLite database, or,
/// with no such file, in the database itself so that every process on it signs with the same key. A new key retires
/// the old ones, which stay published so the receipts they signed still verify.
/// </summary>
internal sealed partial class ReceiptKeyring(
    CoordinatorSettings settings,
    IDbContextFactory<CoordinatorDb> contexts,
    TimeProvider clock,
    ILogger<ReceiptKeyring> logger) : IDisposable
{
    public const string Algorithm = "Ed25519";

    private static readonly SignatureAlgorithm Ed25519 = SignatureAlgorithm.Ed25519;

    private readonly ConcurrentDictionary<string, PublicKey> _known = new(StringComparer.Ordinal);
    private Key? _signing;
    private string? _kid;

    public string CurrentKid => _kid ?? throw new InvalidOperationException("The receipt keyring is not initialized.");

    /// <summary>Loads or creates the signing key and records its public key, once, before the first request.</summary>
    public async Task InitializeAsync(CancellationToken cancel)
    {
        await using var db = await contexts.CreateDbContextAsync(cancel);
        var now = clock.GetUtcNow().UtcDateTime;
        var seed = settings.ReceiptSigningKey ?? await GeneratedSeedAsync(db, now, cancel);
        var key = Key.Import(Ed25519, seed, KeyBlobFormat.RawPrivateKey);
        var x = Base64Url.EncodeToString(key.PublicKey.Export(KeyBlobFormat.RawPublicKey));
        var kid = Thumbprint(x);

        var known = await db.ReceiptKeys.FirstOrDefaultAsync(k => k.Kid == kid, cancel);
        if (known is null)
        {
            db.ReceiptKeys.Add(new ReceiptKey { Kid = kid, X = x, CreatedAt = now });
        }
        else
        {
            known.RetiredAt = null;
        }

        try
        {
            await db.SaveChangesAsync(cancel);
        }
        catch (DbUpdateException)
        {
            // Another process sharing the database recorded the same key first; its row is the same.
            db.ChangeTracker.Clear();
        }

        var retired = await db.ReceiptKeys
            .Where(k => k.Kid != kid && k.RetiredAt == null)
            .ExecuteUpdateAsync(set => set.SetProperty(k => k.RetiredAt, now), cancel);
        if (retired > 0)
        {
            Log.KeysRetired(logger, retired, kid);
        }

        _signing = key;
        _kid = kid;
        _known[kid] = key.PublicKey;
    }

    public byte[] Sign(ReadOnlySpan<byte> data) =>
        Ed25519.Sign(_signing ?? throw new InvalidOperationException("The receipt keyring is not initialized."), data);

    /// <summary>Checks a signature with the key named <paramref name="kid"/>; null when there is no such key.</summary>
    public async Task<bool?> VerifyAsync(string kid, ReadOnlyMemory<byte> data, ReadOnlyMemory<byte> signature,
        CancellationToken cancel)
    {
        if (!_known.TryGetValue(kid, out var key))
        {
            // Another process may have started with a new key since this one loaded.
            await using var db = await contexts.CreateDbContextAsync(cancel);
            var row = await db.ReceiptKeys.AsNoTracking().FirstOrDefaultAsync(k => k.Kid == kid, cancel);
            if (row is null || !TryImport(row.X, out key))
            {
                return null;
            }

            _known[kid] = key;
        }

        return Ed25519.Verify(key, data.Span, signature.Span);
    }

    /// <summary>Every published key, the current one first.</summary>
    public static async Task<List<ReceiptKey>> ListAsync(CoordinatorDb db, CancellationToken cancel) =>
        await db.ReceiptKeys.AsNoTracking()
            .OrderBy(k => k.RetiredAt != null)
            .ThenByDescending(k => k.CreatedAt)
            .ToListAsync(cancel);

    /// <summary>RFC 7638: SHA-256 over the required members of the OKP JWK in lexicographic order, base64url.</summary>
    public static string Thumbprint(string x) => Base64Url.EncodeToString(
        SHA256.HashData(Encoding.UTF8.GetBytes($"{{\"crv\":\"{Algorithm}\",\"kty\":\"OKP\",\"x\":\"{x}\"}}")));

    private static bool TryImport(string x, out PublicKey key)
    {
        key = null!;
        var raw = new byte[32];
        return Base64Url.TryDecodeFromChars(x, raw, out var written) && written == 32
            && PublicKey.TryImport(Ed25519, raw, KeyBlobFormat.RawPublicKey, out key!);
    }

    private async Task<byte[]> GeneratedSeedAsync(CoordinatorDb db, DateTime now, CancellationToken cancel)
    {
        if (settings.Database.StateDirectory is { } directory)
        {
            var path = Path.Combine(directory, Path.GetFileName(settings.Database.SqlitePath!) + ".receipt-key");
            var hex = StateFiles.ReadOrCreate(path, () => StateFiles.RandomHex(32), out var created);
            if (hex.Length != 64 || !hex.All(char.IsAsciiHexDigit))
            {
                throw new SettingsException($"{path} does not hold a receipt signing seed (64 hex characters).");
            }

            Log.GeneratedKeyFile(logger, created ? "generated and stored" : "read", path);
            return Convert.FromHexString(hex);
        }

        var (seed, stored) = await ReadOrCreateStoredSeedAsync(db, now, cancel);
        Log.GeneratedKeyInDatabase(logger, stored ? "generated and stored" : "read");
        return seed;
    }

    /// <summary>
    /// The seed kept in the database. Two processes starting at once may both try to store one; the primary key lets
    /// only the first in, and the other reads that one back, so every process ends up with the same key.
    /// </summary>
    internal static async Task<(byte[] Seed, bool Created)> ReadOrCreateStoredSeedAsync(
        CoordinatorDb db, DateTime now, CancellationToken cancel)
    {
        var created = false;
        var stored = await db.ReceiptSigningSeeds.AsNoTracking()
            .FirstOrDefaultAsync(s => s.Id == ReceiptSigningSeed.SingleId, cancel);
        if (stored is null)
        {
            db.ReceiptSigningSeeds.Add(new ReceiptSigningSeed
            {
                Id = ReceiptSigningSeed.SingleId,
                Seed = StateFiles.RandomHex(32),
                CreatedAt = now,
            });
            try
            {
                await db.SaveChangesAsync(cancel);
                created = true;
            }
            catch (DbUpdateException)
            {
                db.ChangeTracker.Clear();
            }

            stored = await db.ReceiptSigningSeeds.AsNoTracking()
                .FirstAsync(s => s.Id == ReceiptSigningSeed.SingleId, cancel);
        }

        return (Convert.FromHexString(stored.Seed), created);
    }

    public void Dispose() => _signing?.Dispose();

    private static partial class Log
    {
        [LoggerMessage(3001, LogLevel.Warning,
            "RECEIPT_SIGNING_KEY is not set: a receipt signing key was {What} at {Path}. Keep that file; losing it "
            + "means new receipts are signed with a new key",
            EventName = "ReceiptKeyFile")]
        public static partial void GeneratedKeyFile(ILogger logger, string what, string path);

        [LoggerMessage(3002, LogLevel.Warning,
            "RECEIPT_SIGNING_KEY is not set: a receipt signing key was {What} in the database (receipt_signing_seed). "
            + "Set RECEIPT_SIGNING_KEY to keep the private key out of the database",
            EventName = "ReceiptKeyInDatabase")]
        public static partial void GeneratedKeyInDatabase(ILogger logger, string what);

        [LoggerMessage(3003, LogLevel.Information,
            "Receipts are now signed with key {Kid}; {Count} earlier keys were retired and stay published",
            EventName = "ReceiptKeysRetired")]
        public static partial void KeysRetired(ILogger logger, int count, string kid);
    }
}
