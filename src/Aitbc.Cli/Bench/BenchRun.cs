using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using Aitbc.Client;
using Aitbc.Client.Jobs;
using Aitbc.Client.Miners;

namespace Aitbc.Cli.Bench;

internal sealed record BenchSettings(
    Uri Url,
    IReadOnlyList<string> ClientKeys,
    IReadOnlyList<string> MinerKeys,
    int Clients,
    int Miners,
    int MinerConcurrency,
    int Jobs,
    int Queued,
    int? ServerPid)
{
    public void Validate()
    {
        ValidateShape();
        if (MinerKeys.Count < Miners)
        {
            throw new UsageException(
                $"Each miner needs its own key: --miner-keys has {MinerKeys.Count} for {Miners} miners.");
        }
    }

    /// <summary>Everything but the keys, which may still have to be created.</summary>
    public void ValidateShape()
    {
        if (Clients is < 1 or > 1024 || Miners is < 1 or > 1024)
        {
            throw new UsageException("--clients and --miners must be from 1 to 1024.");
        }

        if (MinerConcurrency is < 1 or > 64)
        {
            throw new UsageException("--miner-concurrency must be from 1 to 64.");
        }

        if (Jobs is < 1 or > 10_000_000 || Queued is < 0 or > 10_000_000)
        {
            throw new UsageException("--jobs must be from 1 and --queued from 0, each at most 10,000,000.");
        }

        if (ServerPid is { } pid && !Directory.Exists($"/proc/{pid}"))
        {
            throw new UsageException($"--server-pid: no process {pid} on this machine.");
        }
    }
}

internal interface IBenchProgress
{
    void Phase(string name, double total);

    void Set(double value);
}

/// <summary>
/// One benchmark: optionally fills the queue with jobs no miner takes, then simulated clients submit the jobs while
/// echo miners take and finish them, all over real HTTP. Every time is taken in this process on one clock:
/// submit latency is the submit call, dispatch latency runs from the submit call's start to a miner holding the
/// job, end-to-end latency from the submit call's start to the Coordinator accepting the result.
/// </summary>
internal sealed class BenchRun(BenchSettings settings)
{
    private const string JobType = "bench_echo";
    private static readonly TimeSpan StallLimit = TimeSpan.FromSeconds(30);

    private readonly string _run = Guid.NewGuid().ToString("N")[..12];
    private readonly ConcurrentDictionary<string, (long Start, long End)> _submitted = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, long> _taken = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, long> _completed = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, long> _failed = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, long> _errors = new(StringComparer.Ordinal);
    private long _submitErrors;
    private long _firstSubmit = long.MaxValue;
    private long _lastFinish;

    public async Task<BenchReport> RunAsync(IBenchProgress? progress, CancellationToken cancel)
    {
        var handler = new SocketsHttpHandler { PooledConnectionIdleTimeout = TimeSpan.FromMinutes(2) };
        using var http = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
        var clients = settings.ClientKeys.Select(key => new AitbcClient(http, settings.Url, key)).ToList();
        var miners = settings.MinerKeys.Take(settings.Miners).Select(key => new AitbcClient(http, settings.Url, key))
            .ToList();

        if (settings.Queued > 0)
        {
            await FillQueueAsync(clients, progress, cancel);
        }

        var registration = new RegisterMinerRequest
        {
            MaxConcurrency = settings.MinerConcurrency,
            Capabilities = new MinerCapabilities(),
        };
        var registrations = await Task.WhenAll(miners.Select(m => m.Miner.RegisterAsync(registration, cancel)));
        var heartbeat = TimeSpan.FromSeconds(Math.Max(1, registrations[0].HeartbeatIntervalSeconds));

        progress?.Phase($"{settings.Jobs:N0} jobs", settings.Jobs);
        using var stopMiners = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        var minerTasks = miners.Select(m => MinerLoopAsync(m, stopMiners.Token)).ToList();
        var heartbeats = HeartbeatLoopAsync(miners, heartbeat, stopMiners.Token);
        var next = -1;
        var clientTasks = Enumerable.Range(0, settings.Clients)
            .Select(i => ClientLoopAsync(clients[i % clients.Count], () => Interlocked.Increment(ref next), cancel))
            .ToList();

        await WaitUntilFinishedAsync(Task.WhenAll(clientTasks), progress, cancel);
        await stopMiners.CancelAsync();
        await Task.WhenAll(minerTasks);
        await heartbeats;
        progress?.Set(_completed.Count + _failed.Count);
        return Report();
    }

    private async Task FillQueueAsync(List<AitbcClient> clients, IBenchProgress? progress, CancellationToken cancel)
    {
        progress?.Phase($"queueing {settings.Queued:N0} jobs no miner takes", settings.Queued);
        var request = new SubmitJobRequest
        {
            JobType = "bench_fill",
            Parameters = JsonSerializer.SerializeToElement(new { run = _run }),
            Requirements = new JobRequirements { Models = [$"aitbc-bench-unmatched-{_run}"] },
            Priority = 0,
        };
        var next = -1;
        var done = 0;
        await Task.WhenAll(Enumerable.Range(0, settings.Clients).Select(async i =>
        {
            var api = clients[i % clients.Count];
            while (Interlocked.Increment(ref next) < settings.Queued)
            {
                try
                {
                    await api.Jobs.SubmitAsync(request, cancel: cancel);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    CountError("fill", e);
                }

                progress?.Set(Interlocked.Increment(ref done));
            }
        }));
    }

    private async Task ClientLoopAsync(AitbcClient api, Func<int> next, CancellationToken cancel)
    {
        for (var n = next(); n < settings.Jobs; n = next())
        {
            var request = new SubmitJobRequest
            {
                JobType = JobType,
                Parameters = JsonSerializer.SerializeToElement(new { run = _run, n }),
            };
            var start = Stopwatch.GetTimestamp();
            InterlockedMin(ref _firstSubmit, start);
            try
            {
                var job = await api.Jobs.SubmitAsync(request, cancel: cancel);
                _submitted[job.Job.JobId] = (start, Stopwatch.GetTimestamp());
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                Interlocked.Increment(ref _submitErrors);
                CountError("submit", e);
            }
        }
    }

    private async Task MinerLoopAsync(AitbcClient api, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            IReadOnlyList<LeasedJob> jobs;
            try
            {
                jobs = await api.Miner.TakeJobsAsync(TimeSpan.FromSeconds(5), stop);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                CountError("take", e);
                await PauseAsync(stop);
                continue;
            }

            // A miner running several jobs at once reports each as soon as it is done, not one after another.
            await Task.WhenAll(jobs.Select(job => FinishAsync(api, job, stop)));
        }
    }

    private async Task FinishAsync(AitbcClient api, LeasedJob job, CancellationToken stop)
    {
        var ours = IsOurs(job);
        if (ours)
        {
            _taken.TryAdd(job.JobId, Stopwatch.GetTimestamp());
        }

        try
        {
            var accepted = await api.Miner.SubmitResultAsync(JobResult.Completed(job, job.Parameters), stop);
            var now = Stopwatch.GetTimestamp();
            var finished = accepted.State == JobState.Completed ? _completed
                : accepted.State.IsFinal() ? _failed : null;
            if (ours && finished is not null && finished.TryAdd(job.JobId, now))
            {
                InterlockedMax(ref _lastFinish, now);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            CountError("result", e);
        }
    }

    private async Task HeartbeatLoopAsync(List<AitbcClient> miners, TimeSpan interval, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(interval, stop);
                await Task.WhenAll(miners.Select(m => m.Miner.HeartbeatAsync(MinerStatus.Online, [], stop)));
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                CountError("heartbeat", e);
            }
        }
    }

    /// <summary>Until every submitted job has ended, or none ended for a while (the rest are unfinished).</summary>
    private async Task WaitUntilFinishedAsync(Task submitting, IBenchProgress? progress, CancellationToken cancel)
    {
        var lastCount = -1L;
        var lastChange = Stopwatch.GetTimestamp();
        using var tick = new PeriodicTimer(TimeSpan.FromMilliseconds(100));
        while (true)
        {
            var ended = (long)_completed.Count + _failed.Count;
            progress?.Set(ended);
            if (submitting.IsCompleted)
            {
                await submitting;
                if (ended >= _submitted.Count)
                {
                    return;
                }
            }

            if (ended != lastCount)
            {
                lastCount = ended;
                lastChange = Stopwatch.GetTimestamp();
            }
            else if (Stopwatch.GetElapsedTime(lastChange) > StallLimit)
            {
                return;
            }

            await tick.WaitForNextTickAsync(cancel);
        }
    }

    private BenchReport Report()
    {
        List<double> submit = [], dispatch = [], endToEnd = [];
        long completed = 0, failed = 0;
        foreach (var (jobId, (start, end)) in _submitted)
        {
            submit.Add(Ms(start, end));
            if (_taken.TryGetValue(jobId, out var taken))
            {
                dispatch.Add(Ms(start, taken));
            }

            if (_completed.TryGetValue(jobId, out var done))
            {
                completed++;
                endToEnd.Add(Ms(start, done));
            }
            else if (_failed.ContainsKey(jobId))
            {
                failed++;
            }
        }

        var submitted = _submitted.Count;
        var duration = completed == 0 ? 0 : Stopwatch.GetElapsedTime(_firstSubmit, _lastFinish).TotalSeconds;
        return new BenchReport
        {
            Clients = settings.Clients,
            Miners = settings.Miners,
            MinerConcurrency = settings.MinerConcurrency,
            Queued = settings.Queued,
            Jobs = new JobCounts(settings.Jobs, submitted, _submitErrors, completed, failed,
                submitted - completed - failed),
            DurationSeconds = Math.Round(duration, 3),
            JobsPerSecond = duration > 0 ? Math.Round(completed / duration, 1) : 0,
            LatencyMs = new Latencies(Percentiles.Of(submit), Percentiles.Of(dispatch), Percentiles.Of(endToEnd)),
            Errors = new SortedDictionary<string, long>(_errors, StringComparer.Ordinal),
            Server = settings.ServerPid is { } pid ? ServerMemory.Read(pid) : null,
        };
    }

    private bool IsOurs(LeasedJob job) =>
        job.JobType == JobType && job.Parameters.ValueKind == JsonValueKind.Object
        && job.Parameters.TryGetProperty("run", out var run) && run.ValueKind == JsonValueKind.String
        && run.GetString() == _run;

    /// <summary>Counts a failed call as <c>operation/code</c>, as in <c>take/network_error</c>.</summary>
    private void CountError(string operation, Exception e)
    {
        var code = e switch
        {
            AitbcApiException api => api.Code,
            AitbcNetworkException => "network_error",
            _ => e.GetType().Name,
        };
        _errors.AddOrUpdate($"{operation}/{code}", 1, (_, count) => count + 1);
    }

    /// <summary>A short pause after a failed take, so an unreachable server is not hammered.</summary>
    private static async Task PauseAsync(CancellationToken stop)
    {
        try
        {
            await Task.Delay(TimeSpan.FromMilliseconds(100), stop);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
    }

    private static double Ms(long from, long to) => Math.Round(Stopwatch.GetElapsedTime(from, to).TotalMilliseconds, 3);

    private static void InterlockedMin(ref long target, long value)
    {
        var current = Volatile.Read(ref target);
        while (value < current)
        {
            var seen = Interlocked.CompareExchange(ref target, value, current);
            if (seen == current)
            {
                return;
            }

            current = seen;
        }
    }

    private static void InterlockedMax(ref long target, long value)
    {
        var current = Volatile.Read(ref target);
        while (value > current)
        {
            var seen = Interlocked.CompareExchange(ref target, value, current);
            if (seen == current)
            {
                return;
            }

            current = seen;
        }
    }
}
