using System.Data.Common;
using Aitbc.Coordinator.Data;

namespace Aitbc.Coordinator.Jobs;

/// <summary>
/// Reads jobs from the hand-written statements of the hot paths (<see cref="Statements"/>). A job read this way
/// leaves out its result and metrics, which only the client's reads (through EF Core) need.
/// </summary>
internal static class JobRows
{
    public const string Columns = """
        seq, id, client_id, api_key_id, job_type, state, priority, parameters, parameters_sha256, requirements,
        profile_id, min_vram_gb, required_gpu, region, max_price, attempts, max_attempts, created_at, expires_at,
        started_at, completed_at, miner_id, unit_price, lease_token, lease_expires_at, result_lease_token,
        error_code, error_message, idempotency_key, request_hash
        """;

    /// <summary>The stored name of a state, as the EF Core value converter writes it.</summary>
    public static string Name(JobState state) => state switch
    {
        JobState.Queued => "queued",
        JobState.Running => "running",
        JobState.Completed => "completed",
        JobState.Failed => "failed",
        JobState.Cancelled => "cancelled",
        JobState.Expired => "expired",
        _ => throw new ArgumentOutOfRangeException(nameof(state)),
    };

    public static async Task<Job?> ReadOneAsync(DbCommand command)
    {
        await using var reader = await command.ExecuteReaderAsync();
        return await reader.ReadAsync() ? Read(reader) : null;
    }

    public static async Task<List<Job>> ReadAllAsync(DbCommand command)
    {
        var jobs = new List<Job>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            jobs.Add(Read(reader));
        }

        return jobs;
    }

    private static Job Read(DbDataReader row) => new()
    {
        Seq = row.GetInt64(0),
        Id = row.GetString(1),
        ClientId = row.GetString(2),
        ApiKeyId = row.GetString(3),
        JobType = row.GetString(4),
        State = Enum.Parse<JobState>(row.GetString(5), ignoreCase: true),
        Priority = row.GetInt32(6),
        Parameters = row.GetString(7),
        ParametersSha256 = row.GetString(8),
        Requirements = row.GetStringOrNull(9),
        ProfileId = row.GetInt64(10),
        MinVramGb = row.GetInt32OrNull(11),
        RequiredGpu = row.GetStringOrNull(12),
        Region = row.GetStringOrNull(13),
        MaxPrice = row.GetInt64OrNull(14),
        Attempts = row.GetInt32(15),
        MaxAttempts = row.GetInt32(16),
        CreatedAt = row.GetUtc(17),
        ExpiresAt = row.GetUtc(18),
        StartedAt = row.GetUtcOrNull(19),
        CompletedAt = row.GetUtcOrNull(20),
        MinerId = row.GetStringOrNull(21),
        UnitPrice = row.GetInt64OrNull(22),
        LeaseToken = row.GetStringOrNull(23),
        LeaseExpiresAt = row.GetUtcOrNull(24),
        ResultLeaseToken = row.GetStringOrNull(25),
        ErrorCode = row.GetStringOrNull(26),
        ErrorMessage = row.GetStringOrNull(27),
        IdempotencyKey = row.GetStringOrNull(28),
        RequestHash = row.GetStringOrNull(29),
    };
}
