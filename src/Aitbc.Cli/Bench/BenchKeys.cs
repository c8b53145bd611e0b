using Aitbc.Client;
using Aitbc.Client.Admin;

namespace Aitbc.Cli.Bench;

/// <summary>
/// API keys made for one bench run through the admin API (<c>--admin-key</c>): one client key per simulated client
/// and one miner key per simulated miner, each named after the run, and all revoked when the run ends, however it
/// ends. The keys themselves stay in this process's memory; only their ids are reported.
/// </summary>
internal sealed class BenchKeys
{
    private const int Parallelism = 8;
    private static readonly TimeSpan RevokeTimeout = TimeSpan.FromSeconds(60);

    private readonly AitbcClient _admin;
    private readonly List<CreatedApiKey> _created;

    private BenchKeys(AitbcClient admin, List<CreatedApiKey> created, int clients)
    {
        _admin = admin;
        _created = created;
        ClientKeys = [.. created.Take(clients).Select(k => k.Key)];
        MinerKeys = [.. created.Skip(clients).Select(k => k.Key)];
    }

    public IReadOnlyList<string> ClientKeys { get; }

    public IReadOnlyList<string> MinerKeys { get; }

    public IReadOnlyList<string> KeyIds => [.. _created.Select(k => k.KeyId)];

    /// <summary>
    /// Creates the keys; when one cannot be made, those already made are revoked before the error goes on.
    /// </summary>
    public static async Task<BenchKeys> CreateAsync(
        AitbcClient admin, int clients, int miners, CancellationToken cancel)
    {
        var run = Guid.NewGuid().ToString("N")[..8];
        var wanted = Enumerable.Range(0, clients).Select(i => new CreateApiKeyRequest($"aitbc bench {run} client {i}",
                ["client"]))
            .Concat(Enumerable.Range(0, miners).Select(i => new CreateApiKeyRequest($"aitbc bench {run} miner {i}",
                ["miner"])))
            .ToList();
        var created = new CreatedApiKey?[wanted.Count];
        try
        {
            await Parallel.ForEachAsync(Enumerable.Range(0, wanted.Count),
                new ParallelOptions { MaxDegreeOfParallelism = Parallelism, CancellationToken = cancel },
                async (i, token) => created[i] = await admin.Admin.CreateApiKeyAsync(wanted[i], token));
        }
        catch
        {
            await new BenchKeys(admin, [.. created.OfType<CreatedApiKey>()], 0).RevokeAllAsync();
            throw;
        }

        return new BenchKeys(admin, [.. created.Select(k => k!)], clients);
    }

    /// <summary>
    /// Revokes every key made for the run, with a deadline of its own so that a cancelled run still cleans up; a
    /// second Ctrl-C gives up. Returns the ids that could not be revoked.
    /// </summary>
    public async Task<IReadOnlyList<string>> RevokeAllAsync()
    {
        using var deadline = new CancellationTokenSource(RevokeTimeout);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token,
            Signals.Current?.Second ?? CancellationToken.None);
        var revoked = new System.Collections.Concurrent.ConcurrentDictionary<string, bool>(StringComparer.Ordinal);
        try
        {
            await Parallel.ForEachAsync(_created,
                new ParallelOptions { MaxDegreeOfParallelism = Parallelism, CancellationToken = stop.Token },
                async (key, token) =>
                {
                    try
                    {
                        await _admin.Admin.RevokeApiKeyAsync(key.KeyId, token);
                        revoked[key.KeyId] = true;
                    }
                    catch (Exception e) when (e is AitbcApiException or AitbcNetworkException
                        or AitbcProtocolException)
                    {
                        // Counted below as not revoked; the others are still tried.
                    }
                });
        }
        catch (OperationCanceledException)
        {
            // Out of time or aborted: report what is left.
        }

        return [.. _created.Select(k => k.KeyId).Where(id => !revoked.ContainsKey(id))];
    }
}
