namespace Aitbc.Cli.Bench;

/// <summary>What a bench run measured; <c>--json</c> prints exactly this.</summary>
internal sealed record BenchReport
{
    public required int Clients { get; init; }

    public required int Miners { get; init; }

    /// <summary>Jobs each miner ran at once.</summary>
    public required int MinerConcurrency { get; init; }

    public required int Queued { get; init; }

    public required JobCounts Jobs { get; init; }

    public required double DurationSeconds { get; init; }

    /// <summary>Completed jobs over the time from the first submission to the last completion.</summary>
    public required double JobsPerSecond { get; init; }

    public required Latencies LatencyMs { get; init; }

    /// <summary>Failed calls as operation/code (<c>take/network_error</c>), over every client and miner call.</summary>
    public required IReadOnlyDictionary<string, long> Errors { get; init; }

    /// <summary>The Coordinator's memory, when its pid was given.</summary>
    public ServerMemory? Server { get; init; }

    /// <summary>The API keys made for the run with --admin-key, and how many were revoked afterwards.</summary>
    public BenchKeyUse? Keys { get; init; }
}

internal sealed record BenchKeyUse(IReadOnlyList<string> CreatedKeyIds, int Revoked);

/// <summary>Every job the run tried to submit is counted once: requested = submitted + submit_errors, and
/// submitted = completed + failed + unfinished.</summary>
internal sealed record JobCounts(
    long Requested, long Submitted, long SubmitErrors, long Completed, long Failed, long Unfinished);

internal sealed record Latencies(Percentiles Submit, Percentiles Dispatch, Percentiles EndToEnd);

internal sealed record Percentiles(long Count, double P50, double P95, double P99, double Max)
{
    public static Percentiles Of(List<double> values)
    {
        if (values.Count == 0)
        {
            return new Percentiles(0, 0, 0, 0, 0);
        }

        values.Sort();
        double At(double q) => values[Math.Clamp((int)Math.Ceiling(q * values.Count) - 1, 0, values.Count - 1)];
        return new Percentiles(values.Count, At(0.50), At(0.95), At(0.99), values[^1]);
    }
}

internal sealed record ServerMemory(int Pid, long RssBytes, long PeakRssBytes)
{
    /// <summary>Reads VmRSS and VmHWM of a local process from /proc; null when it cannot.</summary>
    public static ServerMemory? Read(int pid)
    {
        try
        {
            long rss = 0, peak = 0;
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                {
                    rss = Kilobytes(line) * 1024;
                }
                else if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                {
                    peak = Kilobytes(line) * 1024;
                }
            }

            return new ServerMemory(pid, rss, peak);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static long Kilobytes(string line) => long.Parse(
        line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture);
}
