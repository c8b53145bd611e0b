using System.Globalization;
using System.Text.Json.Serialization;

namespace Aitbc.Coordinator.Exchange;

/// <summary>
/// The few calls of the Esplora REST API (Blockstream's and mempool.space's explorers, self-hosted electrs) that
/// watching payments needs. Every call gives up after <c>BITCOIN_ESPLORA_TIMEOUT_SECONDS</c>.
/// </summary>
internal sealed class EsploraClient(HttpClient http, TimeSpan timeout)
{
    public async Task<int> TipHeightAsync(CancellationToken cancel)
    {
        using var limit = Limit(cancel);
        var text = await http.GetStringAsync("blocks/tip/height", limit.Token);
        return int.Parse(text.Trim(), NumberStyles.None, CultureInfo.InvariantCulture);
    }

    /// <summary>The address's transactions: the mempool's, then the newest confirmed ones.</summary>
    // TODO: Esplora answers at most 50 mempool and 25 confirmed transactions here; a busy static address needs
    // paging through /address/{a}/txs/chain/{last_txid}. Per-payment addresses (BITCOIN_XPUB) never get near it.
    public async Task<IReadOnlyList<EsploraTx>> AddressTxsAsync(string address, CancellationToken cancel)
    {
        using var limit = Limit(cancel);
        var txs = await http.GetFromJsonAsync<List<EsploraTx>>(
            $"address/{Uri.EscapeDataString(address)}/txs", limit.Token);
        return txs ?? [];
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
