using System.Collections.Concurrent;
using System.Net;
using System.Text.Json.Nodes;
using Aitbc.Coordinator.Tests.Infrastructure;
using Npgsql;

namespace Aitbc.Coordinator.Tests.ScaleOut;

/// <summary>
/// Several Coordinator processes on one PostgreSQL database and the miners working against them, with a tally of
/// every answer: which completions were accepted, and any status that is not the expected one.
/// </summary>
internal sealed class ClusterRun(string connectionString)
{
    public ConcurrentDictionary<string, int> Accepted { get; } = new(StringComparer.Ordinal);

    private readonly List<(int Count, TaskCompletionSource Reached)> _waiters = [];
    private int _lapsed;

    public ConcurrentQueue<string> Unexpected { get; } = new();

    public int AcceptedCount => Accepted.Count;

    /// <summary>Results refused because the lease had run out first.</summary>
    public int Lapsed => Volatile.Read(ref _lapsed);

    public static Dictionary<string, string> Environment(string databaseUrl, IEnumerable<string> keys,
        IReadOnlyDictionary<string, string>? extra = null)
    {
        var environment = new Dictionary<string, string>
        {
            ["DATABASE_URL"] = databaseUrl,
            ["API_KEYS"] = string.Join(',', keys),
            ["SECRET_KEY"] = "scale-out-secret-key-0123456789",
            ["Logging__LogLevel__Microsoft.EntityFrameworkCore"] = "Warning",
        };
        foreach (var (name, value) in extra ?? new Dictionary<string, string>())
        {
            environment[name] = value;
        }

        return environment;
    }

    /// <summary>Submits through each process in turn, a few at a time, and returns the job ids.</summary>
    public static async Task<List<string>> SubmitAsync(IReadOnlyList<TestClient> clients, int count)
    {
        var ids = new string[count];
        await Parallel.ForAsync(0, count, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (i, _) =>
            ids[i] = await clients[i % clients.Count].SubmitIdAsync());
        return [.. ids];
    }

    /// <summary>
    /// Takes and completes work until <paramref name="stop"/> fires. Returns normally when its process goes away,
    /// as a miner whose Coordinator died would stop hearing from it.
    /// </summary>
    public async Task WorkAsync(TestMiner miner, CancellationToken stop)
    {
        try
        {
            while (!stop.IsCancellationRequested)
            {
                using var response = await miner.Http.GetAsync("/v1/miner/jobs?wait=2", CancellationToken.None);
                if (response.StatusCode != HttpStatusCode.OK)
                {
                    var text = await response.Content.ReadAsStringAsync(CancellationToken.None);
                    Unexpected.Enqueue($"take: {(int)response.StatusCode} {text}");
                    Progressed();
                    return;
                }

                var leases = (await response.JsonAsync())["jobs"]!.AsArray();
                foreach (var lease in leases)
                {
                    await CompleteAsync(miner, lease!);
                }
            }
        }
        catch (HttpRequestException)
        {
            // The process this miner talks to is gone.
        }
    }

    private async Task CompleteAsync(TestMiner miner, JsonNode lease)
    {
        var jobId = lease.Str("job_id");
        using var response = await miner.CompleteAsync(jobId, lease.Str("lease_token"));
        var body = await response.Content.ReadAsStringAsync();
        if (response.StatusCode == HttpStatusCode.OK && JsonNode.Parse(body).Str("state") == "completed")
        {
            Accepted.AddOrUpdate(jobId, 1, (_, n) => n + 1);
        }
        else if (response.StatusCode == HttpStatusCode.Conflict
            && body.Contains("\"lease_expired\"", StringComparison.Ordinal))
        {
            // Correct with the short leases these tests use on a busy machine: the job is simply leased again.
            Interlocked.Increment(ref _lapsed);
        }
        else
        {
            Unexpected.Enqueue($"result for {jobId}: {(int)response.StatusCode} {body}");
        }

        Progressed();
    }

    /// <summary>
    /// Completes once <paramref name="count"/> completions were accepted, or fails on anything unexpected.
    /// </summary>
    public async Task WaitForAcceptedAsync(int count, TimeSpan timeout)
    {
        var reached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_waiters)
        {
            _waiters.Add((count, reached));
        }

        Progressed();
        try
        {
            await reached.Task.WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            Assert.Fail($"Only {AcceptedCount} of {count} completions were accepted in time.");
        }

        Assert.True(Unexpected.IsEmpty, string.Join('\n', Unexpected));
    }

    private void Progressed()
    {
        lock (_waiters)
        {
            foreach (var (count, reached) in _waiters.Where(w => AcceptedCount >= w.Count || !Unexpected.IsEmpty))
            {
                reached.TrySetResult();
            }
        }
    }

    public async Task<T> ScalarAsync<T>(string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return (T)(await command.ExecuteScalarAsync())!;
    }

    public async Task<List<(string JobId, string State, int Attempts, string? CompletedBy)>> JobsAsync()
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("""
            SELECT j.id, j.state, j.attempts, a.miner_id
            FROM jobs AS j
            LEFT JOIN job_attempts AS a ON a.job_seq = j.seq AND a.lease_token = j.result_lease_token
            """, connection);
        await using var reader = await command.ExecuteReaderAsync();
        var jobs = new List<(string, string, int, string?)>();
        while (await reader.ReadAsync())
        {
            jobs.Add((reader.GetString(0), reader.GetString(1), reader.GetInt32(2),
                reader.IsDBNull(3) ? null : reader.GetString(3)));
        }

        return jobs;
    }

    /// <summary>Every job of the client, through the API's paged list.</summary>
    public static async Task<Dictionary<string, string>> ListStatesAsync(TestClient client)
    {
        var states = new Dictionary<string, string>(StringComparer.Ordinal);
        string? cursor = null;
        do
        {
            var path = "/v1/client/jobs?limit=200" + (cursor is null ? "" : $"&cursor={Uri.EscapeDataString(cursor)}");
            using var response = await client.Http.GetAsync(path);
            var page = await response.ExpectAsync(HttpStatusCode.OK);
            foreach (var item in page["items"]!.AsArray())
            {
                states.Add(item.Str("job_id"), item.Str("state"));
            }

            cursor = page["next_cursor"]?.GetValue<string>();
        }
        while (cursor is not null);
        return states;
    }
}
