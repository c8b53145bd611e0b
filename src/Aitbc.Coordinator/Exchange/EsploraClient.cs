using System.Globalization;
using System.Text.Json.Serialization;

namespace Aitbc.Coordinator.Exchange;

/// <summary>
/// The few calls of the Esplora REST API (Blockstream's and mempool.space's explorers, self-hosted electrs) that
/// watching payments needs. Every call gives up after <c>BITCOIN_ESPLORA_TIMEOUT_SECONDS</c>.
/// </summary>
internal sealed class EsploraClient(HttpClient http, TimeSpan timeout)
{
    /// <summary>Esplora's page of confirmed transactions; a shorter page is the end of the history.</summary>
    private const int ConfirmedPerPage = 25;

    /// <summary>
    /// 1,000 confirmed transactions a look: enough for a static address busier than any shop's, while a look at an
    /// address with years of history stays bounded. Older money is for an admin to confirm by hand.
    /// </summary>
    private const int MaxPages = 40;

    public async Task<int> TipHeightAsync(CancellationToken cancel)
    {
        using var limit = Limit(cancel);
        var text = await http.GetStringAsync("blocks/tip/height", limit.Token);
        return int.Parse(text.Trim(), NumberStyles.None, CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// The address's transactions: the mempool's (Esplora lists up to 50, without paging), then the confirmed ones,
    /// newest first, page by page back to the first one mined before <paramref name="minedSince"/>, at most
    /// <see cref="MaxPages"/> pages a call.
    /// </summary>
    public async Task<IReadOnlyList<EsploraTx>> AddressTxsAsync(
        string address, DateTime minedSince, CancellationToken cancel)
    {
        var path = $"address/{Uri.EscapeDataString(address)}/txs";
        var txs = await GetTxsAsync(path, cancel);
        var page = txs.Where(tx => tx.Status?.Confirmed == true).ToList();
        for (var pages = 1; page.Count >= ConfirmedPerPage && pages < MaxPages && !MinedBefore(page[^1]); pages++)
        {
            page = await GetTxsAsync($"{path}/chain/{Uri.EscapeDataString(page[^1].Txid)}", cancel);
            txs.AddRange(page);
        }

        return txs;

        bool MinedBefore(EsploraTx tx) =>
            tx.Status?.BlockTime is { } mined && DateTimeOffset.FromUnixTimeSeconds(mined).UtcDateTime < minedSince;
    }

    private async Task<List<EsploraTx>> GetTxsAsync(string path, CancellationToken cancel)
    {
        using var limit = Limit(cancel);
        return await http.GetFromJsonAsync<List<EsploraTx>>(path, limit.Token) ?? [];
    }

    private CancellationTokenSource Limit(CancellationToken cancel)
    {
        var limit = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        limit.CancelAfter(timeout);
        return limit;
    }
}

internal sealed record EsploraTx(
    [property: JsonPropertyName("txid")] string Txid,
    [property: JsonPropertyName("status")] EsploraTxStatus? Status,
    [property: JsonPropertyName("vout")] IReadOnlyList<EsploraOutput>? Vout);

internal sealed record EsploraTxStatus(
    [property: JsonPropertyName("confirmed")] bool Confirmed,
    [property: JsonPropertyName("block_height")] int? BlockHeight,
    [property: JsonPropertyName("block_time")] long? BlockTime);

internal sealed record EsploraOutput(
    [property: JsonPropertyName("scriptpubkey_address")] string? Address,
    [property: JsonPropertyName("value")] long Value);
