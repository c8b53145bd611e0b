using System.Globalization;
using System.Text;
using Aitbc.Client.Exchange;

namespace Aitbc.Client.Admin;

/// <summary>
/// The operator's side (a key with the admin role): statistics, every job and miner, draining and blocking miners,
/// API keys, grants, the ledger and receipt audits, and confirming exchange payments by hand.
/// </summary>
public sealed class AdminClient
{
    private const string Base = "/v1/admin";
    private readonly ApiTransport _transport;

    internal AdminClient(ApiTransport transport) => _transport = transport;

    public Task<AdminStats> GetStatsAsync(CancellationToken cancel = default) =>
        _transport.SendAsync<AdminStats>(HttpMethod.Get, $"{Base}/stats", cancel: cancel);

    /// <summary>One page of every client's jobs, newest first.</summary>
    public Task<AdminJobPage> ListJobsAsync(AdminJobQuery? query = null, CancellationToken cancel = default)
    {
        var path = new PathBuilder($"{Base}/jobs")
            .Add("state", query?.State?.ToString().ToLowerInvariant())
            .Add("job_type", query?.JobType)
            .Add("client_id", query?.ClientId)
            .Add("miner_id", query?.MinerId)
            .Add("limit", query?.Limit)
            .Add("cursor", query?.Cursor);
        return _transport.SendAsync<AdminJobPage>(HttpMethod.Get, path.ToString(), cancel: cancel);
    }

    /// <summary>One page of miners, newest registration first.</summary>
    public Task<AdminMinerPage> ListMinersAsync(AdminMinerQuery? query = null, CancellationToken cancel = default)
    {
        var path = new PathBuilder($"{Base}/miners")
            .Add("status", query?.Status?.ToString().ToLowerInvariant())
            .Add("blocked", query?.Blocked is { } blocked ? (blocked ? "true" : "false") : null)
            .Add("limit", query?.Limit)
            .Add("cursor", query?.Cursor);
        return _transport.SendAsync<AdminMinerPage>(HttpMethod.Get, path.ToString(), cancel: cancel);
    }

    /// <summary>Gives the miner no new work; it keeps and may finish its leases. Repeating it is harmless.</summary>
    public Task<AdminMiner> DrainMinerAsync(string minerId, CancellationToken cancel = default) =>
        ChangeMinerAsync(minerId, "drain", cancel);

    public Task<AdminMiner> UndrainMinerAsync(string minerId, CancellationToken cancel = default) =>
        ChangeMinerAsync(minerId, "undrain", cancel);

    /// <summary>Refuses the miner's key and puts its jobs back in the queue at once.</summary>
    public Task<AdminMiner> BlockMinerAsync(string minerId, CancellationToken cancel = default) =>
        ChangeMinerAsync(minerId, "block", cancel);

    public Task<AdminMiner> UnblockMinerAsync(string minerId, CancellationToken cancel = default) =>
        ChangeMinerAsync(minerId, "unblock", cancel);

    /// <summary>
    /// Creates an API key. The answer carries the key itself, which the Coordinator never shows again: hand it to
    /// its user and keep it out of logs.
    /// </summary>
    public Task<CreatedApiKey> CreateApiKeyAsync(CreateApiKeyRequest request, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        return _transport.SendAsync<CreatedApiKey>(HttpMethod.Post, $"{Base}/api-keys", request, cancel: cancel);
    }

    /// <summary>One page of API keys, newest first.</summary>
    public Task<ApiKeyPage> ListApiKeysAsync(ApiKeyQuery? query = null, CancellationToken cancel = default)
    {
        var path = new PathBuilder($"{Base}/api-keys")
            .Add("include_revoked", query?.IncludeRevoked == true ? "true" : null)
            .Add("role", query?.Role)
            .Add("user_id", query?.UserId)
            .Add("limit", query?.Limit)
            .Add("cursor", query?.Cursor);
        return _transport.SendAsync<ApiKeyPage>(HttpMethod.Get, path.ToString(), cancel: cancel);
    }

    /// <summary>Every API key that matches, page after page.</summary>
    public async IAsyncEnumerable<ApiKeyInfo> ListAllApiKeysAsync(
        ApiKeyQuery? query = null,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancel = default)
    {
        var next = query ?? new ApiKeyQuery();
        while (true)
        {
            var page = await ListApiKeysAsync(next, cancel).ConfigureAwait(false);
            foreach (var key in page.Items)
            {
                yield return key;
            }

            if (page.NextCursor is null)
            {
                yield break;
            }

            next = next with { Cursor = page.NextCursor };
        }
    }

    /// <summary>Revokes a key; revoking it again answers the same. Keys from the configuration get a 409.</summary>
    public Task<ApiKeyInfo> RevokeApiKeyAsync(string keyId, CancellationToken cancel = default) =>
        _transport.SendAsync<ApiKeyInfo>(HttpMethod.Post, $"{Base}/api-keys/{Segment(keyId)}/revoke",
            cancel: cancel);

    /// <summary>Credits a user's account from the grants account, recorded with this key and the reason.</summary>
    public Task<Grant> GrantAsync(GrantRequest request, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        return _transport.SendAsync<Grant>(HttpMethod.Post, $"{Base}/ledger/grants", request, cancel: cancel);
    }

    /// <summary>Checks the books: postings sum to zero, balances match, open holds belong to live jobs.</summary>
    public Task<LedgerAudit> AuditLedgerAsync(CancellationToken cancel = default) =>
        _transport.SendAsync<LedgerAudit>(HttpMethod.Get, $"{Base}/ledger/audit", cancel: cancel);

    /// <summary>Walks the receipt chain: every signature, seq and prev_sha256, and the chain head.</summary>
    public Task<ReceiptAudit> AuditReceiptsAsync(CancellationToken cancel = default) =>
        _transport.SendAsync<ReceiptAudit>(HttpMethod.Get, $"{Base}/receipts/audit", cancel: cancel);

    /// <summary>
    /// Credits an exchange payment by hand, once: a payment already credited throws
    /// <see cref="AitbcConflictException"/> (<c>payment_already_credited</c>).
    /// </summary>
    public Task<Payment> ConfirmPaymentAsync(
        string paymentId, ConfirmPaymentRequest request, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        return _transport.SendAsync<Payment>(HttpMethod.Post,
            $"{Base}/exchange/payments/{Segment(paymentId)}/confirm", request, cancel: cancel);
    }

    private Task<AdminMiner> ChangeMinerAsync(string minerId, string action, CancellationToken cancel) =>
        _transport.SendAsync<AdminMiner>(HttpMethod.Post, $"{Base}/miners/{Segment(minerId)}/{action}",
            cancel: cancel);

    private static string Segment(string id)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(id);
        return Uri.EscapeDataString(id);
    }

    /// <summary>A path with the query parameters that have a value.</summary>
    private sealed class PathBuilder(string path)
    {
        private readonly StringBuilder _path = new(path);
        private char _separator = '?';

        public PathBuilder Add(string name, string? value)
        {
            if (value is not null)
            {
                _path.Append(_separator).Append(name).Append('=').Append(Uri.EscapeDataString(value));
                _separator = '&';
            }

            return this;
        }

        public PathBuilder Add(string name, int? value) =>
            Add(name, value?.ToString(CultureInfo.InvariantCulture));

        public override string ToString() => _path.ToString();
    }
}
