using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Aitbc.Client;

namespace Aitbc.Cli.Wallet;

/// <summary>
/// A wallet login kept between runs. The token is a secret: it lives only in the 0600 session file, and
/// <see cref="ToString"/> leaves it out.
/// </summary>
internal sealed record StoredSession(
    string CoordinatorUrl,
    string UserId,
    string WalletAddress,
    string SessionToken,
    DateTimeOffset ExpiresAt,
    DateTimeOffset LoggedInAt)
{
    public override string ToString() =>
        $"StoredSession {{ CoordinatorUrl = {CoordinatorUrl}, UserId = {UserId}, ExpiresAt = {ExpiresAt:O} }}";
}

/// <summary>
/// One session file per Coordinator in <c>&lt;config&gt;/aitbc/sessions/</c>, so logins to several Coordinators
/// do not replace each other. Folders are 0700 and files 0600 (<see cref="PrivateFiles"/>).
/// </summary>
internal sealed class SessionStore(string configFolder)
{
    private string Folder { get; } = Path.Combine(configFolder, "sessions");

    public static SessionStore ForUser() => new(PrivateFiles.ConfigFolder());

    /// <summary>The Coordinator's address as sessions are filed: no user info, query or trailing slash.</summary>
    public static string Normalize(Uri url) =>
        new UriBuilder(url) { UserName = "", Password = "", Query = "", Fragment = "" }.Uri.GetLeftPart(
            UriPartial.Path).TrimEnd('/');

    /// <summary>A readable name (host and port) plus a hash that tells apart paths and schemes on one host.</summary>
    public string PathFor(Uri url)
    {
        var normalized = Normalize(url);
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(normalized)))[..12];
        var host = new string([.. url.Host.Select(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' ? c : '_')]);
        return Path.Combine(Folder, $"{host}-{url.Port}-{hash}.json");
    }

    /// <summary>This Coordinator's session; <see cref="SessionException"/> if there is none or it ended.</summary>
    public StoredSession Load(Uri url, DateTimeOffset now)
    {
        var path = PathFor(url);
        var normalized = Normalize(url);
        StoredSession? session;
        try
        {
            session = JsonSerializer.Deserialize<StoredSession>(File.ReadAllBytes(path), Wire.Options);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new SessionException("not_logged_in",
                $"Not logged in to {normalized}; run aitbc wallet login first.");
        }
        catch (JsonException)
        {
            throw new SessionException("not_logged_in",
                $"The session file {path} is damaged; run aitbc wallet login again.");
        }

        if (session is null || session.CoordinatorUrl != normalized || session.SessionToken.Length == 0)
        {
            throw new SessionException("not_logged_in",
                $"Not logged in to {normalized}; run aitbc wallet login first.");
        }

        if (session.ExpiresAt <= now)
        {
            Delete(url);
            throw new SessionException("session_expired",
                $"Your session at {normalized} expired at {session.ExpiresAt.UtcDateTime:yyyy-MM-dd HH:mm:ss'Z'}; "
                + "run aitbc wallet login again.");
        }

        return session;
    }

    /// <summary>The session, or null when there is none that could be used.</summary>
    public StoredSession? TryLoad(Uri url, DateTimeOffset now)
    {
        try
        {
            return Load(url, now);
        }
        catch (SessionException)
        {
            return null;
        }
    }

    public string Save(StoredSession session)
    {
        PrivateFiles.EnsureFolder(Path.GetDirectoryName(Folder)!);
        PrivateFiles.EnsureFolder(Folder);
        var path = PathFor(new Uri(session.CoordinatorUrl));
        PrivateFiles.WriteAtomically(path, JsonSerializer.SerializeToUtf8Bytes(session, Wire.Options));
        return path;
    }

    /// <summary>Removes the session file; true when there was one.</summary>
    public bool Delete(Uri url)
    {
        var path = PathFor(url);
        if (!File.Exists(path))
        {
            return false;
        }

        File.Delete(path);
        return true;
    }
}

/// <summary>No usable session for a command that needs one: exit code 4, <see cref="Code"/> in the error.</summary>
internal sealed class SessionException(string code, string message) : Exception(message)
{
    public string Code { get; } = code;
}
