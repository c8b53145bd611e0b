using System.Text;
using Aitbc.Coordinator.Jobs;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Aitbc.Coordinator.Data.Postgres;

/// <summary>
/// Wake-ups across processes with LISTEN/NOTIFY. Notices are sent with <c>pg_notify</c> inside the transaction that
/// makes the change, so PostgreSQL delivers them exactly when (and only if) it commits, including after a crash right
/// after the commit; a unit rolled back to its savepoint takes its notices with it. One dedicated connection per
/// process listens and hands what arrives to <see cref="JobSignals"/>; when it has to reconnect, every waiter is
/// woken once, because notices sent while nobody listened are gone.
/// </summary>
internal sealed partial class PostgresNotices(
    DatabaseUrl url, JobSignals signals, ILogger<PostgresNotices> logger) : BackgroundService, INoticeBus
{
    private const string Channel = "aitbc_jobs";

    // PostgreSQL refuses payloads from 8000 bytes; job ids are ASCII, so characters are bytes.
    private const int MaxPayload = 7000;

    private static readonly TimeSpan IdleCheck = TimeSpan.FromSeconds(15);
    private static readonly TimeSpan ReconnectDelay = TimeSpan.FromSeconds(1);

    // A process hears its own notices too; it has already acted on them after its commit.
    private readonly string _origin = Guid.NewGuid().ToString("N")[..12];

    public async Task PublishAsync(CoordinatorDb db, IReadOnlyCollection<string> notices)
    {
        var payloads = new List<string>();
        var payload = new StringBuilder(_origin);
        foreach (var notice in notices)
        {
            if (payload.Length + 1 + notice.Length > MaxPayload)
            {
                payloads.Add(payload.ToString());
                payload.Clear().Append(_origin);
            }

            payload.Append(' ').Append(notice);
        }

        payloads.Add(payload.ToString());
        await db.Database.ExecuteSqlAsync($"SELECT pg_notify({Channel}, p) FROM unnest({payloads.ToArray()}) AS p");
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var failing = false;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = new NpgsqlConnection(PostgresDatabase.Dedicated(url));
                connection.Notification += (_, e) => Receive(e.Payload);
                await connection.OpenAsync(stoppingToken);
                await using (var listen = new NpgsqlCommand($"LISTEN {Channel}", connection))
                {
                    await listen.ExecuteNonQueryAsync(stoppingToken);
                }

                signals.WakeAll();
                if (failing)
                {
                    Log.Reconnected(logger);
                    failing = false;
                }

                while (true)
                {
                    if (!await connection.WaitAsync(IdleCheck, stoppingToken))
                    {
                        // A quiet channel or a dead connection: only a round trip tells them apart.
                        await using var ping = new NpgsqlCommand("SELECT 1", connection);
                        await ping.ExecuteScalarAsync(stoppingToken);
                    }
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                if (!failing)
                {
                    Log.Lost(logger, e);
                    failing = true;
                }

                await DelayAsync(ReconnectDelay, stoppingToken);
            }
        }
    }

    private void Receive(string payload)
    {
        var parts = payload.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length < 2 || parts[0] == _origin)
        {
            return;
        }

        signals.Receive(parts.AsSpan(1));
    }

    private static async Task DelayAsync(TimeSpan delay, CancellationToken cancel)
    {
        try
        {
            await Task.Delay(delay, cancel);
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }

    private static partial class Log
    {
        [LoggerMessage(8011, LogLevel.Warning,
            "Lost the PostgreSQL notification connection; changes made by other processes wake no long-poll "
            + "until it is back",
            EventName = "NoticesLost")]
        public static partial void Lost(ILogger logger, Exception exception);

        [LoggerMessage(8012, LogLevel.Information, "Listening for PostgreSQL notifications again",
            EventName = "NoticesReconnected")]
        public static partial void Reconnected(ILogger logger);
    }
}
