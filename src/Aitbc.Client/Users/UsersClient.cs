using System.Globalization;
using System.Text;

namespace Aitbc.Client.Users;

/// <summary>
/// Wallet login and the user's account: <c>/v1/users</c>. Logging in needs no credential; everything else needs
/// the session in <see cref="AitbcClient.SessionToken"/>. The balance and ledger of a user may also be read with
/// an admin API key, which the server prefers when both are sent.
/// </summary>
public sealed class UsersClient
{
    private const string Base = "/v1/users";
    private readonly ApiTransport _transport;

    internal UsersClient(ApiTransport transport) => _transport = transport;

    /// <summary>A message for the wallet of <paramref name="walletAddress"/> to sign: valid 5 minutes, once.</summary>
    public Task<LoginChallenge> ChallengeAsync(string walletAddress, CancellationToken cancel = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(walletAddress);
        return _transport.SendAsync<LoginChallenge>(HttpMethod.Post, $"{Base}/login/challenge",
            new { WalletAddress = walletAddress }, cancel: cancel);
    }

    /// <summary>
    /// Logs in with a signed challenge, registering a wallet the Coordinator does not know yet. The answer's token
    /// is not used by this client until it is put in <see cref="AitbcClient.SessionToken"/>.
    /// </summary>
    public Task<LoginSession> LoginAsync(LoginRequest request, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        return _transport.SendAsync<LoginSession>(HttpMethod.Post, $"{Base}/login", request, cancel: cancel);
    }

    /// <summary>Revokes the current session on the server.</summary>
    public Task LogoutAsync(CancellationToken cancel = default) =>
        _transport.SendNoContentAsync(HttpMethod.Post, $"{Base}/logout", cancel: cancel);

    /// <summary>The user of the current session.</summary>
    public Task<UserInfo> MeAsync(CancellationToken cancel = default) =>
        _transport.SendAsync<UserInfo>(HttpMethod.Get, $"{Base}/me", cancel: cancel);

    /// <summary>A user's balance; anyone but the user and admins gets <see cref="AitbcNotFoundException"/>.</summary>
    public Task<UserBalance> GetBalanceAsync(string userId, CancellationToken cancel = default) =>
        _transport.SendAsync<UserBalance>(HttpMethod.Get, $"{UserPath(userId)}/balance", cancel: cancel);

    /// <summary>One page of a user's ledger entries, newest first.</summary>
    public Task<LedgerPage> ListTransactionsAsync(
        string userId, LedgerQuery? query = null, CancellationToken cancel = default)
    {
        var path = new StringBuilder(UserPath(userId)).Append("/transactions");
        var separator = '?';
        if (query?.Limit is { } limit)
        {
            path.Append(separator).Append("limit=").Append(limit.ToString(CultureInfo.InvariantCulture));
            separator = '&';
        }

        if (query?.Cursor is { } cursor)
        {
            path.Append(separator).Append("cursor=").Append(Uri.EscapeDataString(cursor));
        }

        return _transport.SendAsync<LedgerPage>(HttpMethod.Get, path.ToString(), cancel: cancel);
    }

    /// <summary>Every ledger entry of a user, page after page, newest first.</summary>
    public async IAsyncEnumerable<LedgerEntry> ListAllTransactionsAsync(
        string userId,
        LedgerQuery? query = null,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancel = default)
    {
        var next = query ?? new LedgerQuery();
        while (true)
        {
            var page = await ListTransactionsAsync(userId, next, cancel).ConfigureAwait(false);
            foreach (var entry in page.Items)
            {
                yield return entry;
            }

            if (page.NextCursor is null)
            {
                yield break;
            }

            next = next with { Cursor = page.NextCursor };
        }
    }

    /// <summary>
    /// Creates a client API key billed to the user. Its <see cref="CreatedUserApiKey.ApiKey"/> is shown only in
    /// this answer; a user has at most 20 live keys (<see cref="AitbcConflictException"/> beyond).
    /// </summary>
    public Task<CreatedUserApiKey> CreateApiKeyAsync(string? name = null, CancellationToken cancel = default) =>
        _transport.SendAsync<CreatedUserApiKey>(HttpMethod.Post, $"{Base}/api-keys",
            new CreateUserApiKeyRequest(name), cancel: cancel);

    /// <summary>The user's live API keys, oldest first, never the keys themselves.</summary>
    public async Task<IReadOnlyList<UserApiKey>> ListApiKeysAsync(CancellationToken cancel = default)
    {
        var list = await _transport.SendAsync<UserApiKeyList>(HttpMethod.Get, $"{Base}/api-keys", cancel: cancel)
            .ConfigureAwait(false);
        return list.Items;
    }

    /// <summary>Revokes one of the user's keys at once; an unknown or revoked key is not found.</summary>
    public Task RevokeApiKeyAsync(string keyId, CancellationToken cancel = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(keyId);
        return _transport.SendNoContentAsync(HttpMethod.Delete, $"{Base}/api-keys/{Uri.EscapeDataString(keyId)}",
            cancel: cancel);
    }

    private static string UserPath(string userId)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(userId);
        return $"{Base}/{Uri.EscapeDataString(userId)}";
    }
}
