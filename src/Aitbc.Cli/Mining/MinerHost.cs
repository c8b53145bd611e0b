using System.Collections.Concurrent;
using System.Diagnostics;
using Aitbc.Client;
using Aitbc.Client.Miners;

namespace Aitbc.Cli.Mining;

/// <summary>
/// The miner loop: register, heartbeat on the interval the Coordinator answers (which keeps every lease alive),
/// long-poll for work, run up to N jobs at once, report each one. On <c>drain</c> it tells the Coordinator it is
/// draining, takes no new work, finishes what it holds and returns; on <c>abort</c> it stops its jobs and reports
/// them as retryable failures, so they go straight back to the queue.
/// </summary>
internal sealed class MinerHost(AitbcClient api, IJobRunner runner, RegisterMinerRequest registration, MinerLog log)
{
    // The Coordinator holds a take until a job this miner can run arrives, also while the miner runs others, so a
    // miner with a free slot always long-polls; a full one waits for a slot first.
    private static readonly TimeSpan PollWait = TimeSpan.FromSeconds(30);

    private readonly ConcurrentDictionary<string, RunningJob> _running = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, byte> _reported = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _slotFreed = new(0);
    private readonly int _concurrency = registration.MaxConcurrency ?? 1;
    private volatile bool _draining;

    public async Task RunAsync(CancellationToken drain, CancellationToken abort)
    {
        var info = await api.Miner.RegisterAsync(registration, abort);
        var interval = TimeSpan.FromSeconds(Math.Max(1, info.HeartbeatIntervalSeconds));
        log.Registered(info.MinerId, _concurrency, interval);

        using var stopHeartbeats = CancellationTokenSource.CreateLinkedTokenSource(abort);
        var heartbeats = HeartbeatLoopAsync(interval, stopHeartbeats.Token);
        try
        {
            await TakeLoopAsync(drain, abort);
            await DrainAsync(abort);
        }
        finally
        {
            await stopHeartbeats.CancelAsync();
            await heartbeats;
        }
    }

    private async Task TakeLoopAsync(CancellationToken drain, CancellationToken abort)
    {
        var failures = 0;
        while (!drain.IsCancellationRequested)
        {
            if (_running.Count >= _concurrency)
            {
                await WaitAsync(_slotFreed, Timeout.InfiniteTimeSpan, drain);
                continue;
            }

            IReadOnlyList<LeasedJob> jobs;
            try
            {
                jobs = await api.Miner.TakeJobsAsync(PollWait, drain);
                failures = 0;
            }
            catch (OperationCanceledException) when (drain.IsCancellationRequested)
            {
                break;
            }
            catch (AitbcConflictException e) when (e.Code == "miner_not_registered")
            {
                await api.Miner.RegisterAsync(registration, abort);
                continue;
            }
            catch (Exception e) when (IsTransient(e))
            {
                log.Trouble("take jobs", e.Message, ++failures);
                await WaitAsync(null, Backoff(failures), drain);
                continue;
            }

            Start(jobs, abort);
        }
    }

    private async Task DrainAsync(CancellationToken abort)
    {
        _draining = true;
        try
        {
            await api.Miner.HeartbeatAsync(MinerStatus.Draining, [.. _running.Keys], abort);

            // A take abandoned when the drain began may have leased a job the miner never saw. A draining miner
            // gets no new work, so this answer is exactly what it holds.
            Start(await api.Miner.TakeJobsAsync(TimeSpan.Zero, abort), abort);
        }
        catch (Exception e) when (IsTransient(e))
        {
            log.Trouble("announce draining", e.Message, 1);
        }

        // Said only once the Coordinator knows, so that whoever reads it can rely on no new work arriving.
        log.Draining(_running.Count);

        while (!_running.IsEmpty)
        {
            await Task.WhenAll(_running.Values.Select(r => r.Task));
        }

        log.Drained();
    }

    /// <summary>Starts the jobs this miner is not running yet; returns how many it started.</summary>
    private int Start(IReadOnlyList<LeasedJob> jobs, CancellationToken abort)
    {
        var started = 0;
        foreach (var job in jobs)
        {
            if (_reported.ContainsKey(job.LeaseToken) || _running.ContainsKey(job.JobId))
            {
                continue;
            }

            var running = new RunningJob(job, CancellationTokenSource.CreateLinkedTokenSource(abort));
            _running[job.JobId] = running;
            running.Task = ExecuteAsync(running, abort);
            started++;
        }

        return started;
    }

    private async Task ExecuteAsync(RunningJob running, CancellationToken abort)
    {
        await Task.Yield();
        var job = running.Job;
        var clock = Stopwatch.StartNew();
        log.Started(job.JobId, job.JobType, job.Attempt);
        try
        {
            RunOutcome outcome;
            try
            {
                outcome = await runner.RunAsync(job, running.Cancel.Token);
            }
            catch (OperationCanceledException) when (running.Cancel.IsCancellationRequested)
            {
                if (running.CancelledByServer)
                {
                    log.Stopped(job.JobId, "the Coordinator cancelled it");
                    return;
                }

                outcome = RunOutcome.Failure("miner_stopped", "The miner stopped before the job finished.", true);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                outcome = RunOutcome.Failure("runner_error", e.Message, retryable: true);
            }

            await ReportAsync(job, outcome, clock.Elapsed, abort);
        }
        finally
        {
            _reported[job.LeaseToken] = 0;
            if (_reported.Count > 10_000)
            {
                _reported.Clear();
            }

            _running.TryRemove(job.JobId, out _);
            running.Cancel.Dispose();
            _slotFreed.Release();
        }
    }

    /// <summary>Reports the outcome, retrying while the Coordinator is unreachable: a report is idempotent.</summary>
    private async Task ReportAsync(LeasedJob job, RunOutcome outcome, TimeSpan took, CancellationToken abort)
    {
        var report = outcome.Error is null
            ? JobResult.Completed(job, outcome.Result!.Value, outcome.Metrics)
            : JobResult.Failed(job, outcome.Error, outcome.Metrics);

        // After an abort the report still gets a short chance, so the job is requeued at once.
        using var grace = abort.IsCancellationRequested ? new CancellationTokenSource(TimeSpan.FromSeconds(5)) : null;
        var token = grace?.Token ?? abort;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                var accepted = await api.Miner.SubmitResultAsync(report, token);
                log.Finished(job.JobId, outcome.Error, accepted.State, took);
                return;
            }
            catch (AitbcConflictException e)
            {
                // Cancelled, expired or moved to another miner meanwhile: nothing is left to report.
                log.Stopped(job.JobId, e.Detail);
                return;
            }
            catch (Exception e) when (IsTransient(e) && attempt < 8 && !token.IsCancellationRequested)
            {
                log.Trouble($"report {job.JobId}", e.Message, attempt);
                await WaitAsync(null, Backoff(attempt), token);
            }
            catch (Exception e) when (e is AitbcApiException or AitbcNetworkException or OperationCanceledException)
            {
                log.Trouble($"report {job.JobId}", e.Message, attempt);
                return;
            }
        }
    }

    private async Task HeartbeatLoopAsync(TimeSpan interval, CancellationToken stop)
    {
        var failures = 0;
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(interval, stop);
                var answer = await api.Miner.HeartbeatAsync(
                    _draining ? MinerStatus.Draining : MinerStatus.Online, [.. _running.Keys], stop);
                failures = 0;
                foreach (var jobId in answer.CancelledJobs)
                {
                    if (_running.TryGetValue(jobId, out var running))
                    {
                        running.CancelledByServer = true;
                        await running.Cancel.CancelAsync();
                    }
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (AitbcConflictException e) when (e.Code == "miner_not_registered")
            {
                log.Trouble("heartbeat", e.Detail, ++failures);
            }
            catch (Exception e) when (IsTransient(e))
            {
                log.Trouble("heartbeat", e.Message, ++failures);
            }
        }
    }

    private static bool IsTransient(Exception e) =>
        e is AitbcNetworkException or AitbcProtocolException || e is AitbcApiException { IsServerError: true }
        || e is AitbcApiException { Status: 429 };

    private static TimeSpan Backoff(int failures) =>
        TimeSpan.FromMilliseconds(Math.Min(10_000, 250 * Math.Pow(2, Math.Min(failures, 6))));

    /// <summary>Waits for the signal (or, without one, just the time); returns early, quietly, on cancel.</summary>
    private static async Task WaitAsync(SemaphoreSlim? signal, TimeSpan time, CancellationToken cancel)
    {
        try
        {
            if (signal is null)
            {
                await Task.Delay(time, cancel);
            }
            else
            {
                await signal.WaitAsync(time, cancel);
            }
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
        }
    }

    private sealed class RunningJob(LeasedJob job, CancellationTokenSource cancel)
    {
        public LeasedJob Job { get; } = job;

        public CancellationTokenSource Cancel { get; } = cancel;

        public Task Task { get; set; } = Task.CompletedTask;

        public volatile bool CancelledByServer;
    }
}
