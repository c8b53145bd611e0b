using Aitbc.Coordinator.Jobs;
using Prometheus;

namespace Aitbc.Coordinator.Observability;

/// <summary>
/// The Prometheus metrics at /metrics. Each Coordinator has a registry of its own (not prometheus-net's static one),
/// so several instances in one process, as in the tests, count only their own work. Counters are per process, as
/// Prometheus expects; the gauges of jobs and miners are read from the database, which all processes share.
/// </summary>
internal sealed class CoordinatorMetrics
{
    private readonly Counter _httpRequests;
    private readonly Histogram _httpDuration;
    private readonly Gauge _httpInFlight;
    private readonly Counter _jobsSubmitted;
    private readonly Counter _jobsFinished;
    private readonly Histogram _queueWait;
    private readonly Histogram _runTime;
    private readonly Counter _leasesExpired;
    private readonly Counter _receiptsIssued;
    private readonly Counter _writerBatches;
    private readonly Counter _writerUnits;
    private readonly Counter _writerBusy;

    public CoordinatorMetrics()
    {
        Registry = Metrics.NewCustomRegistry();
        var factory = Metrics.WithCustomRegistry(Registry);
        _httpRequests = factory.CreateCounter("aitbc_http_requests_total",
            "HTTP requests answered, by route template (never the raw path), method and status.",
            ["method", "route", "status"]);
        _httpDuration = factory.CreateHistogram("aitbc_http_request_duration_seconds",
            "Time to answer HTTP requests, long-polls included, by route template and method.",
            ["method", "route"],
            new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(0.001, 2, 17) });
        _httpInFlight = factory.CreateGauge("aitbc_http_requests_in_flight",
            "HTTP requests being handled now, open long-polls included.");
        _jobsSubmitted = factory.CreateCounter("aitbc_jobs_submitted_total", "Jobs accepted (replays not counted).");
        _jobsFinished = factory.CreateCounter("aitbc_jobs_finished_total",
            "Jobs that reached a final state: completed, failed, cancelled or expired.", ["state"]);
        _queueWait = factory.CreateHistogram("aitbc_job_queue_wait_seconds",
            "Time from submission to the first lease.", [],
            new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(0.01, 2, 20) });
        _runTime = factory.CreateHistogram("aitbc_job_run_seconds",
            "Time from the lease to the result, for completed and failed jobs.", [],
            new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(0.01, 2, 20) });
        _leasesExpired = factory.CreateCounter("aitbc_leases_expired_total",
            "Leases taken back before a result came: lease_expired, miner_offline or miner_blocked.", ["reason"]);
        _receiptsIssued = factory.CreateCounter("aitbc_receipts_issued_total", "Signed receipts issued.");
        _writerBatches = factory.CreateCounter("aitbc_writer_batches_total", "Transactions run by the single writer.");
        _writerUnits = factory.CreateCounter("aitbc_writer_units_total", "Units of work run by the single writer.");
        _writerBusy = factory.CreateCounter("aitbc_writer_busy_seconds_total",
            "Time the single writer spent running transactions; a rate near 1 means every write waits for it.");
        Jobs = factory.CreateGauge("aitbc_jobs", "Jobs in the database by state.", ["state"]);
        QueueDepth = factory.CreateGauge("aitbc_queue_depth", "Queued jobs by job type.", ["job_type"]);
        Miners = factory.CreateGauge("aitbc_miners", "Miners by status: online, draining, offline.", ["status"]);
        MinersBlocked = factory.CreateGauge("aitbc_miners_blocked", "Miners blocked by an operator.");

        // Every state is shown from the start, so a dashboard sees 0 rather than no series.
        foreach (var state in Enum.GetValues<JobState>().Where(s => s.IsFinal()))
        {
            _jobsFinished.WithLabels(Name(state));
        }
    }

    public CollectorRegistry Registry { get; }

    internal Gauge Jobs { get; }

    internal Gauge QueueDepth { get; }

    internal Gauge Miners { get; }

    internal Gauge MinersBlocked { get; }

    public void HttpRequest(string method, string route, int status, TimeSpan duration)
    {
        _httpRequests.WithLabels(method, route, status.ToString(System.Globalization.CultureInfo.InvariantCulture))
            .Inc();
        _httpDuration.WithLabels(method, route).Observe(duration.TotalSeconds);
    }

    /// <summary>Counts a request as in flight until the returned handle is disposed.</summary>
    public IDisposable InFlight() => _httpInFlight.TrackInProgress();

    public void JobSubmitted() => _jobsSubmitted.Inc();

    public void JobLeased(TimeSpan queueWait) => _queueWait.Observe(Math.Max(0, queueWait.TotalSeconds));

    public void JobFinished(JobState state, TimeSpan? runTime = null)
    {
        _jobsFinished.WithLabels(Name(state)).Inc();
        if (runTime is { } run)
        {
            _runTime.Observe(Math.Max(0, run.TotalSeconds));
        }
    }

    public void LeasesExpired(string reason, int count) => _leasesExpired.WithLabels(reason).Inc(count);

    /// <summary>For the receipts feature: once per receipt, after the transaction that stored it commits.</summary>
    public void ReceiptIssued() => _receiptsIssued.Inc();

    /// <summary>For the single writer: once per transaction, committed or not.</summary>
    public void WriterBatch(int units, TimeSpan busy)
    {
        _writerBatches.Inc();
        _writerUnits.Inc(units);
        _writerBusy.Inc(busy.TotalSeconds);
    }

    private static string Name(JobState state) => state.ToString().ToLowerInvariant();
}
