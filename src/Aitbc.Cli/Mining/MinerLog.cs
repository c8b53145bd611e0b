using System.Globalization;
using System.Text.Json;
using Aitbc.Client;
using Aitbc.Client.Jobs;
using Aitbc.Client.Miners;

namespace Aitbc.Cli.Mining;

/// <summary>
/// What the miner tells its operator: one line per event on stderr, or with <c>--json</c> one JSON object per
/// event on stdout. Nothing here names a key or a lease token.
/// </summary>
internal sealed class MinerLog(bool json)
{
    private readonly Lock _lock = new();

    public void Registered(string minerId, int concurrency, TimeSpan heartbeat) =>
        Write("registered", $"registered as {minerId}; running up to {concurrency} job(s), heartbeat every "
            + $"{heartbeat.TotalSeconds:0.#} s", new { MinerId = minerId, Concurrency = concurrency });

    public void Started(string jobId, string jobType, int attempt) =>
        Write("started", $"{jobId} started ({jobType}, attempt {attempt})",
            new { JobId = jobId, JobType = jobType, Attempt = attempt });

    public void Finished(string jobId, ResultError? error, JobState state, TimeSpan took)
    {
        var ms = (long)took.TotalMilliseconds;
        var text = error is null
            ? $"{jobId} completed in {ms} ms"
            : $"{jobId} failed ({error.Code}{(error.Retryable ? ", retryable" : "")}): {error.Message}; "
                + $"now {Name(state)}";
        Write("finished", text, new { JobId = jobId, State = Name(state), Error = error, DurationMs = ms });
    }

    public void Stopped(string jobId, string why) =>
        Write("stopped", $"{jobId} dropped: {why}", new { JobId = jobId, Reason = why });

    public void Draining(int running) =>
        Write("draining", $"draining: taking no new work, finishing {running} running job(s)",
            new { Running = running });

    public void Drained() => Write("drained", "drained; exiting", new { });

    public void Trouble(string what, string message, int streak)
    {
        // Once per streak, then every tenth: an outage should not flood the log.
        if (streak == 1 || streak % 10 == 0)
        {
            Write("trouble", $"cannot {what}: {message} (try {streak})",
                new { What = what, Detail = message, Streak = streak });
        }
    }

    private void Write(string eventName, string text, object data)
    {
        lock (_lock)
        {
            if (json)
            {
                var node = JsonSerializer.SerializeToNode(data, Wire.Options)!.AsObject();
                node["event"] = eventName;
                node["time"] = DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture);
                Console.Out.WriteLine(node.ToJsonString());
                Console.Out.Flush();
            }
            else
            {
                Console.Error.WriteLine($"{DateTimeOffset.Now:HH:mm:ss} {text}");
            }
        }
    }

    private static string Name(JobState state) => state.ToString().ToLowerInvariant();
}
