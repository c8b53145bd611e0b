using System.Text;

namespace Aitbc.Client.Jobs;

/// <summary>The client side of jobs: <c>/v1/client/jobs</c>.</summary>
public sealed class JobsClient
{
    /// <summary>The longest wait the server holds a status request for.</summary>
    public static readonly TimeSpan MaxWait = TimeSpan.FromSeconds(60);

    private const string Base = "/v1/client/jobs";
    private readonly ApiTransport _transport;

    internal JobsClient(ApiTransport transport) => _transport = transport;

    /// <summary>
    /// Queues a job. With an <paramref name="idempotencyKey"/>, a retry of the same request returns the original
    /// job (<see cref="SubmittedJob.Replayed"/>), so a submission whose answer was lost can be sent again safely.
    /// </summary>
    public async Task<SubmittedJob> SubmitAsync(
        SubmitJobRequest request, string? idempotencyKey = null, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var headers = idempotencyKey is null
            ? null
            : new Dictionary<string, string> { ["Idempotency-Key"] = idempotencyKey };
        var (job, responseHeaders) = await _transport
            .SendWithResponseAsync<JobStatus>(HttpMethod.Post, Base, request, headers, null, cancel)
            .ConfigureAwait(false);
        var replayed = responseHeaders.TryGetValues("Idempotent-Replayed", out var values)
            && values.Contains("true", StringComparer.OrdinalIgnoreCase);
        return new SubmittedJob(job, replayed);
    }

    /// <summary>
    /// The job's status. With <paramref name="wait"/> (at most a minute) the server holds the answer until the
    /// state changes or the wait is over.
    /// </summary>
    public Task<JobStatus> GetStatusAsync(string jobId, TimeSpan? wait = null, CancellationToken cancel = default)
    {
        var seconds = WaitSeconds(wait);
        return _transport.SendAsync<JobStatus>(HttpMethod.Get, $"{JobPath(jobId)}/status?wait={seconds}",
            serverWait: TimeSpan.FromSeconds(seconds), cancel: cancel);
    }

    /// <summary>The whole job, with its result once completed.</summary>
    public Task<JobDetail> GetAsync(string jobId, CancellationToken cancel = default) =>
        _transport.SendAsync<JobDetail>(HttpMethod.Get, JobPath(jobId), cancel: cancel);

    /// <summary>One page of the caller's jobs, newest first.</summary>
    public Task<JobPage> ListAsync(JobListQuery? query = null, CancellationToken cancel = default)
    {
        var path = new StringBuilder(Base);
        var separator = '?';
        void Add(string name, string? value)
        {
            if (value is not null)
            {
                path.Append(separator).Append(name).Append('=').Append(Uri.EscapeDataString(value));
                separator = '&';
            }
        }

        Add("state", query?.State?.ToString().ToLowerInvariant());
        Add("job_type", query?.JobType);
        Add("limit", query?.Limit?.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Add("cursor", query?.Cursor);
        return _transport.SendAsync<JobPage>(HttpMethod.Get, path.ToString(), cancel: cancel);
    }

    /// <summary>Every job that matches, page after page, newest first.</summary>
    public async IAsyncEnumerable<JobStatus> ListAllAsync(
        JobListQuery? query = null,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancel = default)
    {
        var next = query ?? new JobListQuery();
        while (true)
        {
            var page = await ListAsync(next, cancel).ConfigureAwait(false);
            foreach (var job in page.Items)
            {
                yield return job;
            }

            if (page.NextCursor is null)
            {
                yield break;
            }

            next = next with { Cursor = page.NextCursor };
        }
    }

    /// <summary>Cancels a queued or running job; an ended one throws <see cref="AitbcConflictException"/>.</summary>
    public Task<JobStatus> CancelAsync(string jobId, CancellationToken cancel = default) =>
        _transport.SendAsync<JobStatus>(HttpMethod.Post, $"{JobPath(jobId)}/cancel", cancel: cancel);

    /// <summary>
    /// Long-polls the status until the job is final or <paramref name="timeout"/> has passed (then the last status
    /// seen is returned, not final). <paramref name="onChange"/> sees every status that differs from the last.
    /// </summary>
    public async Task<JobStatus> WaitAsync(
        string jobId, TimeSpan timeout, Action<JobStatus>? onChange = null, CancellationToken cancel = default)
    {
        var deadline = DateTimeOffset.UtcNow + timeout;
        JobStatus? last = null;
        while (true)
        {
            var remaining = deadline - DateTimeOffset.UtcNow;
            var wait = last is null ? TimeSpan.Zero : remaining < MaxWait ? remaining : MaxWait;
            var status = await GetStatusAsync(jobId, wait > TimeSpan.Zero ? wait : TimeSpan.Zero, cancel)
                .ConfigureAwait(false);
            if (last is null || status.State != last.State || status.Attempts != last.Attempts)
            {
                onChange?.Invoke(status);
            }

            last = status;
            if (status.State.IsFinal() || DateTimeOffset.UtcNow >= deadline)
            {
                return status;
            }
        }
    }

    private static string JobPath(string jobId)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(jobId);
        return $"{Base}/{Uri.EscapeDataString(jobId)}";
    }

    private static int WaitSeconds(TimeSpan? wait)
    {
        if (wait is null)
        {
            return 0;
        }

        if (wait < TimeSpan.Zero || wait > MaxWait)
        {
            throw new ArgumentOutOfRangeException(nameof(wait), wait, "A wait is from 0 to 60 seconds.");
        }

        return (int)Math.Ceiling(wait.Value.TotalSeconds);
    }
}
