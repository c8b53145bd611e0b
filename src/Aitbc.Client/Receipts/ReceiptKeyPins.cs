using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Aitbc.Client.Receipts;

/// <summary>
/// The receipt keys of one Coordinator, pinned on first use in a file of their own (one per Coordinator address).
/// Later key ids are added as the Coordinator rotates its key, but a pinned key id never gets another key: a
/// Coordinator that serves one is refused with <see cref="ReceiptKeyPinException"/>. The folder is made 0700 and
/// the file 0600: public keys are no secret, but whoever can change them decides which receipts verify.
/// </summary>
public sealed class ReceiptKeyPins
{
    private const string Subfolder = "receipt-keys";
    private const UnixFileMode PrivateFolder =
        UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private const UnixFileMode PrivateFile = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    private static readonly JsonSerializerOptions FileJson = new(Wire.Options) { WriteIndented = true };

    private readonly string _folder;
    private readonly Dictionary<string, PinnedKey> _keys;

    private ReceiptKeyPins(string folder, string filePath, Uri coordinator, Dictionary<string, PinnedKey> keys,
        bool exists)
    {
        _folder = folder;
        FilePath = filePath;
        Coordinator = coordinator;
        _keys = keys;
        Exists = exists;
    }

    public string FilePath { get; }

    public Uri Coordinator { get; }

    /// <summary>Whether anything was pinned for this Coordinator before (the file exists).</summary>
    public bool Exists { get; private set; }

    /// <summary>Pinned key ids and their public keys (base64url <c>x</c>).</summary>
    public IReadOnlyDictionary<string, string> Keys => _keys.ToDictionary(k => k.Key, k => k.Value.X);

    /// <summary>
    /// Where the pins of <paramref name="coordinator"/> live under <paramref name="folder"/> (the user's aitbc
    /// configuration folder): <c>receipt-keys/</c> and a hash of the address, which has no characters a file name
    /// cannot hold and does not spell the address out to a directory listing.
    /// </summary>
    public static string FileFor(string folder, Uri coordinator)
    {
        ArgumentNullException.ThrowIfNull(folder);
        var name = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Normalize(coordinator))))[..32];
        return Path.Combine(folder, Subfolder, name + ".json");
    }

    /// <summary>Reads the pins of <paramref name="coordinator"/>; none yet is an empty set.</summary>
    /// <exception cref="ReceiptKeyPinException">The file exists but cannot be read or is not a pin file.</exception>
    public static ReceiptKeyPins Load(string folder, Uri coordinator)
    {
        var path = FileFor(folder, coordinator);
        var address = new Uri(Normalize(coordinator));
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return new ReceiptKeyPins(folder, path, address, new Dictionary<string, PinnedKey>(StringComparer.Ordinal),
                exists: false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ReceiptKeyPinException("pin_file_unreadable",
                $"Cannot read the pinned keys in {path}: {e.Message}");
        }

        PinFile? file;
        try
        {
            file = JsonSerializer.Deserialize<PinFile>(text, Wire.Options);
        }
        catch (JsonException)
        {
            file = null;
        }

        var keys = new Dictionary<string, PinnedKey>(StringComparer.Ordinal);
        foreach (var key in file?.Keys ?? [])
        {
            if (string.IsNullOrEmpty(key.Kid) || !ReceiptVerifier.IsPublicKey(key.X) || !keys.TryAdd(key.Kid, key))
            {
                file = null;
                break;
            }
        }

        if (file is null)
        {
            throw new ReceiptKeyPinException("pin_file_unreadable",
                $"{path} does not hold pinned receipt keys; check it, or remove it to pin the Coordinator's keys "
                + "again.");
        }

        return new ReceiptKeyPins(folder, path, address, keys, exists: true);
    }

    /// <summary>
    /// Compares the keys the Coordinator serves now with the pins and pins the new key ids (a rotation). Every
    /// served key must be an Ed25519 key named by its RFC 7638 thumbprint.
    /// </summary>
    /// <returns>The key ids pinned by this call.</returns>
    /// <exception cref="ReceiptKeyPinException">
    /// A pinned key id now comes with another public key, or a served key is not what it claims to be. Nothing is
    /// pinned then.
    /// </exception>
    public IReadOnlyList<string> Merge(ReceiptKeySet served, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(served);
        var added = new List<PinnedKey>();
        foreach (var key in served.Keys)
        {
            if (key.Kty != "OKP" || key.Crv != ReceiptVerifier.Algorithm || !ReceiptVerifier.IsPublicKey(key.X)
                || ReceiptVerifier.Thumbprint(key.X) != key.Kid)
            {
                throw new ReceiptKeyPinException("key_not_trusted",
                    $"The Coordinator at {Coordinator} serves a receipt key {key.Kid} that is not an Ed25519 key "
                    + "named by its RFC 7638 thumbprint; refusing its keys.");
            }

            if (_keys.TryGetValue(key.Kid, out var pinned))
            {
                if (pinned.X != key.X)
                {
                    throw new ReceiptKeyPinException("key_pin_mismatch",
                        $"The Coordinator at {Coordinator} now serves another public key for receipt key {key.Kid} "
                        + $"than the one pinned on {pinned.PinnedAt:yyyy-MM-dd} in {FilePath}; refusing to verify. "
                        + "If the change is genuine (check with the operator), remove that file to pin again.");
                }

                continue;
            }

            if (added.All(a => a.Kid != key.Kid))
            {
                added.Add(new PinnedKey(key.Kid, key.X, now));
            }
        }

        foreach (var key in added)
        {
            _keys[key.Kid] = key;
        }

        return [.. added.Select(k => k.Kid)];
    }

    /// <summary>
    /// Writes the pins: a new file 0600 in a 0700 folder, moved into place so it is never half written.
    /// </summary>
    public void Save()
    {
        var folder = Path.GetDirectoryName(FilePath)!;
        CreatePrivateFolder(_folder);
        CreatePrivateFolder(folder);
        var temporary = Path.Combine(folder, $".{Path.GetFileName(FilePath)}.{Environment.ProcessId}.tmp");
        var content = JsonSerializer.SerializeToUtf8Bytes(
            new PinFile(Coordinator.ToString(), [.. _keys.Values.OrderBy(k => k.PinnedAt).ThenBy(k => k.Kid)]),
            FileJson);
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = PrivateFile;
        }

        using (var stream = new FileStream(temporary, options))
        {
            stream.Write(content);
            stream.Flush(flushToDisk: true);
        }

        if (!OperatingSystem.IsWindows())
        {
            // A temporary file left by an earlier crash keeps its old mode under FileMode.Create.
            File.SetUnixFileMode(temporary, PrivateFile);
        }

        File.Move(temporary, FilePath, overwrite: true);
        Exists = true;
    }

    private static void CreatePrivateFolder(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(path);
            return;
        }

        Directory.CreateDirectory(path, PrivateFolder);
        File.SetUnixFileMode(path, PrivateFolder);
    }

    /// <summary>
    /// One address, one file: no user information, query or trailing slash; Uri lowercases the host.
    /// </summary>
    private static string Normalize(Uri coordinator)
    {
        ArgumentNullException.ThrowIfNull(coordinator);
        var address = new UriBuilder(coordinator) { UserName = "", Password = "", Query = "", Fragment = "" }.Uri;
        return address.GetLeftPart(UriPartial.Path).TrimEnd('/') + "/";
    }

    private sealed record PinFile(string Coordinator, IReadOnlyList<PinnedKey> Keys);

    private sealed record PinnedKey(string Kid, string X, DateTimeOffset PinnedAt);
}

/// <summary>
/// The pinned receipt keys cannot be trusted to decide: <see cref="Code"/> is <c>key_pin_mismatch</c> (a pinned
/// key id now has another key), <c>key_not_trusted</c> (the Coordinator serves a key that is not what it claims)
/// or <c>pin_file_unreadable</c>.
/// </summary>
public sealed class ReceiptKeyPinException(string code, string message) : Exception(message)
{
    public string Code { get; } = code;
}
