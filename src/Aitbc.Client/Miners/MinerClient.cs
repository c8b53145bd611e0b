namespace Aitbc.Client.Miners;

/// <summary>The miner side: <c>/v1/miner</c>. The miner is the calling key; one key is one miner.</summary>
public sealed class MinerClient
{
    /// <summary>The longest wait the server holds a take request for.</summary>
    public static readonly TimeSpan MaxWait = TimeSpan.FromSeconds(60);

    private readonly ApiTransport _transport;

    internal MinerClient(ApiTransport transport) => _transport = transport;

    /// <summary>Registers the calling key as a miner, or updates its registration.</summary>
    public Task<MinerInfo> RegisterAsync(RegisterMinerRequest request, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        return _transport.SendAsync<MinerInfo>(HttpMethod.Post, "/v1/miner/register", request, cancel: cancel);
    }

    /// <summary>
    /// Keeps the miner online and the leases of its jobs alive; <see cref="MinerStatus.Draining"/> asks for no new
    /// work. The answer names the jobs in <paramref name="runningJobs"/> that the miner must stop.
    /// </summary>
    public Task<HeartbeatResponse> HeartbeatAsync(
        MinerStatus status, IReadOnlyList<string> runningJobs, CancellationToken cancel = default) =>
        _transport.SendAsync<HeartbeatResponse>(HttpMethod.Post, "/v1/miner/heartbeat",
            new HeartbeatRequest(status, runningJobs), cancel: cancel);

    /// <summary>
    /// The miner's leased jobs: those it already holds plus new ones up to its free capacity. With
    /// <paramref name="wait"/> the server holds the answer until work arrives. Asking again returns the same
    /// leases, so an answer lost on the way loses no job.
    /// </summary>
    public async Task<IReadOnlyList<LeasedJob>> TakeJobsAsync(TimeSpan? wait = null, CancellationToken cancel = default)
    {
        var seconds = wait is null ? 0 : (int)Math.Ceiling(wait.Value.TotalSeconds);
        if (seconds < 0 || seconds > MaxWait.TotalSeconds)
        {
            throw new ArgumentOutOfRangeException(nameof(wait), wait, "A wait is from 0 to 60 seconds.");
        }

        var answer = await _transport.SendAsync<MinerJobs>(HttpMethod.Get,
                $"/v1/miner/jobs?wait={seconds}", serverWait: TimeSpan.FromSeconds(seconds), cancel: cancel)
            .ConfigureAwait(false);
        return answer.Jobs;
    }

    /// <summary>Reports a result or failure; the same report again gets the same answer.</summary>
    public Task<ResultAccepted> SubmitResultAsync(JobResult result, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(result);
        return _transport.SendAsync<ResultAccepted>(HttpMethod.Post, "/v1/miner/result", result, cancel: cancel);
    }
}
