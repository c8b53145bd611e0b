using System.Globalization;

namespace Aitbc.Client.Receipts;

/// <summary>
/// Receipts: the public keys, the server's verifier, and the receipts a client or miner may read. Every receipt
/// comes back as a <see cref="SignedReceipt"/> holding the bytes served, so it verifies offline with
/// <see cref="ReceiptVerifier"/>.
/// </summary>
public sealed class ReceiptsClient
{
    private readonly ApiTransport _transport;

    internal ReceiptsClient(ApiTransport transport) => _transport = transport;

    /// <summary><c>GET /v1/receipts/keys</c>, or the same at <c>/.well-known/jwks.json</c>.</summary>
    public Task<ReceiptKeySet> GetKeysAsync(bool wellKnown = false, CancellationToken cancel = default) =>
        _transport.SendAsync<ReceiptKeySet>(HttpMethod.Get,
            wellKnown ? "/.well-known/jwks.json" : "/v1/receipts/keys", cancel: cancel);

    /// <summary>
    /// Asks the Coordinator to check a receipt. Its answer is only as trustworthy as the Coordinator; to check a
    /// receipt without trusting it, use <see cref="ReceiptVerifier"/> with pinned keys.
    /// </summary>
    public Task<ServerVerification> VerifyOnServerAsync(SignedReceipt receipt, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(receipt);
        return _transport.SendAsync<ServerVerification>(HttpMethod.Post, "/v1/receipts/verify", receipt,
            cancel: cancel);
    }

    /// <summary>One receipt, for its client, its miner or an admin.</summary>
    public Task<SignedReceipt> GetAsync(string receiptId, CancellationToken cancel = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(receiptId);
        return _transport.SendAsync<SignedReceipt>(HttpMethod.Get,
            $"/v1/receipts/{Uri.EscapeDataString(receiptId)}", cancel: cancel);
    }

    /// <summary>The receipts of one of the caller's jobs (the client role); empty until it completes.</summary>
    public async Task<IReadOnlyList<SignedReceipt>> ListForJobAsync(string jobId, CancellationToken cancel = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(jobId);
        var answer = await _transport.SendAsync<JobReceipts>(HttpMethod.Get,
            $"/v1/client/jobs/{Uri.EscapeDataString(jobId)}/receipts", cancel: cancel).ConfigureAwait(false);
        return answer.Receipts;
    }

    /// <summary>
    /// One page of the calling miner's receipts, newest first: <paramref name="limit"/> from 1 to 200 (the server's
    /// default is 50), <paramref name="cursor"/> the <see cref="ReceiptPage.NextCursor"/> of the previous page.
    /// </summary>
    public Task<ReceiptPage> ListMineAsync(int? limit = null, string? cursor = null, CancellationToken cancel = default)
    {
        var query = new List<string>();
        if (limit is { } size)
        {
            query.Add("limit=" + size.ToString(CultureInfo.InvariantCulture));
        }

        if (cursor is not null)
        {
            query.Add("cursor=" + Uri.EscapeDataString(cursor));
        }

        var path = "/v1/miner/receipts" + (query.Count == 0 ? "" : "?" + string.Join('&', query));
        return _transport.SendAsync<ReceiptPage>(HttpMethod.Get, path, cancel: cancel);
    }

    /// <summary>Every receipt of the calling miner, page after page, newest first.</summary>
    public async IAsyncEnumerable<SignedReceipt> ListAllMineAsync(
        int? pageSize = null,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancel = default)
    {
        string? cursor = null;
        do
        {
            var page = await ListMineAsync(pageSize, cursor, cancel).ConfigureAwait(false);
            foreach (var receipt in page.Receipts)
            {
                yield return receipt;
            }

            cursor = page.NextCursor;
        }
        while (cursor is not null);
    }
}
