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
    [property: JsonPropertyName("block_height")] int? BlockHeight);

internal sealed record EsploraOutput(
    [property: JsonPropertyName("scriptpubkey_address")] string? Address,
    [property: JsonPropertyName("value")] long Value);
