using Npgsql;

namespace Aitbc.Coordinator.Data.Postgres;

/// <summary>
/// A role held as a session-level advisory lock on a dedicated connection. The waiting processes sit in
/// <c>pg_advisory_lock</c>, so PostgreSQL hands the lock to one of them the moment the holder's session ends, and a
/// killed process's session ends with its socket. The holder checks its connection every few seconds and stops the
/// work when the check fails, since by then another process may hold the role.
/// </summary>
internal sealed partial class PostgresSingleton(DatabaseUrl url, ILogger<PostgresSingleton> logger)
    : IClusterSingleton
{
    private static readonly TimeSpan CheckInterval = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(1);

    public async Task RunAsync(string name, Func<CancellationToken, Task> work, CancellationToken stopping)
    {
        var failing = false;
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                await using var connection = new NpgsqlConnection(PostgresDatabase.Dedicated(url));
                await connection.OpenAsync(stopping);
                await using (var take = new NpgsqlCommand("SELECT pg_advisory_lock(@key)", connection))
                {
                    take.CommandTimeout = 0;
                    take.Parameters.AddWithValue("key", PostgresDatabase.LockKey(name));
                    await take.ExecuteNonQueryAsync(stopping);
                }

                failing = false;
                Log.Acquired(logger, name);
                await HoldAsync(connection, name, work, stopping);
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                if (!failing)
                {
                    Log.Failed(logger, e, name);
                    failing = true;
                }

                try
                {
                    await Task.Delay(RetryDelay, stopping);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    private async Task HoldAsync(
        NpgsqlConnection connection, string name, Func<CancellationToken, Task> work, CancellationToken stopping)
    {
        using var held = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        var running = work(held.Token);
        try
        {
            while (await Task.WhenAny(running, Task.Delay(CheckInterval, stopping)) != running)
            {
                stopping.ThrowIfCancellationRequested();
                await using var check = new NpgsqlCommand("SELECT 1", connection);
                await check.ExecuteScalarAsync(stopping);
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            Log.Lost(logger, name);
            throw;
        }
        finally
        {
            await held.CancelAsync();
            await running;
        }
    }

    private static partial class Log
    {
        [LoggerMessage(8021, LogLevel.Information, "This process now runs the {Role}", EventName = "RoleAcquired")]
        public static partial void Acquired(ILogger logger, string role);

        [LoggerMessage(8022, LogLevel.Warning, "This process lost the {Role} role with its database session",
            EventName = "RoleLost")]
        public static partial void Lost(ILogger logger, string role);

        [LoggerMessage(8023, LogLevel.Error, "Could not take part in the election for the {Role}; retrying",
            EventName = "RoleFailed")]
        public static partial void Failed(ILogger logger, Exception exception, string role);
    }
}
