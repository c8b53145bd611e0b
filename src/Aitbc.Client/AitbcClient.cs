using System.Text.Json.Serialization;
using Aitbc.Client.Admin;
using Aitbc.Client.Exchange;
using Aitbc.Client.Jobs;
using Aitbc.Client.Miners;
using Aitbc.Client.Receipts;
using Aitbc.Client.Users;

namespace Aitbc.Client;

/// <summary>
/// A typed client of the AITBC Coordinator's HTTP API. Each area of the API is one property over the same transport
/// (<see cref="Jobs"/>, <see cref="Miner"/>, <see cref="Users"/>, <see cref="Exchange"/>, <see cref="Receipts"/>,
/// <see cref="Admin"/>). Failed calls throw <see cref="AitbcApiException"/> (the server answered with a problem) or
/// <see cref="AitbcNetworkException"/> (it could not be reached); neither message ever carries the API key.
/// </summary>
public sealed class AitbcClient : IDisposable
{
    private readonly ApiTransport _transport;
    private readonly HttpClient? _ownedHttp;

    /// <summary>A client with its own <see cref="HttpClient"/>, disposed with this client.</summary>
    public AitbcClient(Uri baseAddress, string? apiKey)
        : this(new HttpClient { Timeout = Timeout.InfiniteTimeSpan }, baseAddress, apiKey)
    {
        _ownedHttp = _transport.Http;
    }

    /// <summary>
    /// A client over a caller's <see cref="HttpClient"/>, which may be shared: the base address and key are sent
    /// with each request, never set on the <see cref="HttpClient"/>. Its own timeout should be infinite, since
    /// each call has its own deadline (long-polls hold up to a minute).
    /// </summary>
    public AitbcClient(HttpClient http, Uri baseAddress, string? apiKey)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(baseAddress);
        _transport = new ApiTransport(http, baseAddress, apiKey);
        Jobs = new JobsClient(_transport);
        Miner = new MinerClient(_transport);
        Users = new UsersClient(_transport);
        Exchange = new ExchangeClient(_transport);
        Receipts = new ReceiptsClient(_transport);
        Admin = new AdminClient(_transport);
    }

    /// <summary>How long a call may take beyond any wait it asked the server for. Default 30 seconds.</summary>
    public TimeSpan RequestTimeout
    {
        get => _transport.RequestTimeout;
        set => _transport.RequestTimeout = value > TimeSpan.Zero
            ? value
            : throw new ArgumentOutOfRangeException(nameof(value), "The timeout must be positive.");
    }

    /// <summary>The Coordinator's address, without any user information it was given with.</summary>
    public Uri BaseAddress => _transport.SafeBaseAddress;

    /// <summary>Submitting, watching, listing and cancelling jobs (the client role).</summary>
    public JobsClient Jobs { get; }

    /// <summary>Registering, heartbeats, taking jobs and reporting results (the miner role).</summary>
    public MinerClient Miner { get; }

    /// <summary>
    /// A user's session token (from <see cref="UsersClient.LoginAsync"/>), sent as <c>X-Session-Token</c> with every
    /// call once set. Routes open to a user or an admin judge the API key when both are sent, so a client acting
    /// for a user should have no API key.
    /// </summary>
    public string? SessionToken
    {
        get => _transport.SessionToken;
        set => _transport.SessionToken = value;
    }

    /// <summary>Wallet login, the user's balance, ledger and API keys (a session).</summary>
    public UsersClient Users { get; }

    /// <summary>Buying AITBC with Bitcoin (a session), payment status and rates.</summary>
    public ExchangeClient Exchange { get; }

    /// <summary>Receipt keys, the receipts a client or miner may read, and the server's verifier.</summary>
    public ReceiptsClient Receipts { get; }

    /// <summary>Statistics, jobs, miners, API keys, grants and audits (the admin role).</summary>
    public AdminClient Admin { get; }

    /// <summary><c>GET /healthz</c>: the process is alive.</summary>
    public Task<HealthStatus> HealthAsync(CancellationToken cancel = default) =>
        _transport.SendAsync<HealthStatus>(HttpMethod.Get, "/healthz", cancel: cancel);

    /// <summary><c>GET /readyz</c>: the database is reachable and its schema current.</summary>
    public Task<HealthStatus> ReadyAsync(CancellationToken cancel = default) =>
        _transport.SendAsync<HealthStatus>(HttpMethod.Get, "/readyz", cancel: cancel);

    public void Dispose() => _ownedHttp?.Dispose();
}

public sealed record HealthStatus([property: JsonPropertyName("status")] string Status);
