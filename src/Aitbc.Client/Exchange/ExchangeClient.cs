namespace Aitbc.Client.Exchange;

/// <summary>
/// Buying AITBC with Bitcoin: <c>/v1/exchange</c>. Creating a payment needs the user's session
/// (<see cref="AitbcClient.SessionToken"/>); its status is for its owner or an admin key; the rates are public.
/// A Coordinator without a receiving address answers 503 <c>exchange_not_configured</c> to all of them.
/// </summary>
public sealed class ExchangeClient
{
    private const string Base = "/v1/exchange";
    private readonly ApiTransport _transport;

    internal ExchangeClient(ApiTransport transport) => _transport = transport;

    /// <summary>Asks to buy AITBC: the answer is the amount of Bitcoin, the address to pay and a BIP21 URI.</summary>
    public Task<Payment> CreatePaymentAsync(CreatePaymentRequest request, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        if ((request.AitbcAmount is null) == (request.BtcAmount is null))
        {
            throw new ArgumentException("Give exactly one of AitbcAmount and BtcAmount.", nameof(request));
        }

        return _transport.SendAsync<Payment>(HttpMethod.Post, $"{Base}/create-payment", request, cancel: cancel);
    }

    /// <summary>The payment's state, confirmations and txid; anyone but its owner and admins gets not found.</summary>
    public Task<Payment> GetPaymentStatusAsync(string paymentId, CancellationToken cancel = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(paymentId);
        return _transport.SendAsync<Payment>(HttpMethod.Get,
            $"{Base}/payment-status/{Uri.EscapeDataString(paymentId)}", cancel: cancel);
    }

    /// <summary>The rate, the limits of one purchase and the confirmations the exchange waits for.</summary>
    public Task<ExchangeRates> GetRatesAsync(CancellationToken cancel = default) =>
        _transport.SendAsync<ExchangeRates>(HttpMethod.Get, $"{Base}/rates", cancel: cancel);
}
