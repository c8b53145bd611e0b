using System.Diagnostics;
using System.Threading.Channels;
using Aitbc.Coordinator.Configuration;
using Aitbc.Coordinator.Data.Postgres;
using Aitbc.Coordinator.Errors;
using Aitbc.Coordinator.Observability;
using Microsoft.EntityFrameworkCore;

namespace Aitbc.Coordinator.Data;

/// <summary>
/// The one place that writes. Requests hand it small units of work; a single loop runs whatever has queued up in one
/// transaction (should a unit fail, the batch runs again with a savepoint per unit, so one failure spoils nothing
/// else), commits once, and only then answers each caller. Many small commits become one fsync, and SQLite never
/// sees two writers fighting over its lock, so no <c>SQLITE_BUSY</c> reaches a client.
/// </summary>
internal sealed partial class DbWriter(
    IDbContextFactory<CoordinatorDb> contexts,
    INoticeBus notices,
    CoordinatorSettings settings,
    TimeProvider clock,
    CoordinatorMetrics metrics,
    ILogger<DbWriter> logger)
    : BackgroundService
{
    // Large enough to absorb a burst in one commit, small enough to keep every transaction short.
    private const int MaxBatch = 256;

    // On PostgreSQL a batch holds the row locks of its earlier units while its later ones take theirs, so two
    // processes batching, say, a submit (the user's account row) and a completion (the receipt chain head, then that
    // account) in opposite orders would deadlock. Every batch therefore locks the chain head first: batches of
    // different processes take their turns on that one row and never wait on each other while holding anything.
    private const string LockChainHead = "SELECT seq FROM receipt_chain_head WHERE id = 1 FOR UPDATE";

    private readonly bool _lockChainHead = settings.Database.Provider == DatabaseProvider.Postgres;

    // Several processes on PostgreSQL can deadlock on rows they both touch; the loser's work is simply run again.
    private const int MaxTries = 3;

    private readonly Channel<IWork> _queue = Channel.CreateUnbounded<IWork>(
        new UnboundedChannelOptions { SingleReader = true });

    // One context and one open connection for as long as they work, so the prepared statements stay prepared;
    // after any failure both are thrown away and the next batch starts afresh.
    private CoordinatorDb? _db;
    private Statements? _statements;

    /// <summary>
    /// Runs <paramref name="work"/> inside a write transaction and returns its value once that transaction has
    /// committed. The work must only touch the database: it runs on the writer's loop and holds up everyone else.
    /// </summary>
    public Task<T> ExecuteAsync<T>(Func<WriteScope, Task<T>> work)
    {
        var item = new Work<T>(work);
        if (!_queue.Writer.TryWrite(item))
        {
            throw new ServiceUnavailableException("The Coordinator is shutting down and takes no more changes.");
        }

        return item.Completion.Task;
    }

    public Task ExecuteAsync(Func<WriteScope, Task> work) => ExecuteAsync<bool>(async scope =>
    {
        await work(scope);
        return true;
    });

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        // Requests have stopped by now (the server stops first), so finish what is queued rather than drop it.
        _queue.Writer.TryComplete();
        await base.StopAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var batch = new List<IWork>(MaxBatch);
        while (await _queue.Reader.WaitToReadAsync(CancellationToken.None))
        {
            while (batch.Count < MaxBatch && _queue.Reader.TryRead(out var work))
            {
                batch.Add(work);
            }

            await RunBatchAsync(batch);
            batch.Clear();
        }

        await ResetAsync();
    }

    private async Task RunBatchAsync(List<IWork> batch)
    {
        var started = Stopwatch.GetTimestamp();
        var outcomes = new Action?[batch.Count];

        // Savepoints cost two statements a unit, and units almost never fail, so a batch first runs without them.
        // Only when a unit throws is the batch rolled back and run again with each unit under its own savepoint,
        // so that the one failure spoils nothing else.
        var isolated = false;
        for (var tries = 1; ; tries++)
        {
            try
            {
                await RunTransactionAsync(batch, outcomes, isolated);
                break;
            }
            catch (UnitFailedException)
            {
                isolated = true;
            }
            catch (Exception e) when (tries < MaxTries && PostgresDatabase.IsRetryable(e))
            {
                Log.BatchRetried(logger, batch.Count);
                await ResetAsync();
            }
            catch (Exception e)
            {
                Log.BatchFailed(logger, e, batch.Count);
                await ResetAsync();
                foreach (var work in batch)
                {
                    work.Fail(e);
                }

                metrics.WriterBatch(batch.Count, Stopwatch.GetElapsedTime(started));
                return;
            }
        }

        metrics.WriterBatch(batch.Count, Stopwatch.GetElapsedTime(started));
        foreach (var outcome in outcomes)
        {
            outcome?.Invoke();
        }
    }

    /// <summary>
    /// Runs the batch in one transaction and commits it. With <paramref name="isolated"/>, each unit of several runs
    /// under a savepoint and its failure becomes its outcome; without, a failing unit rolls back the whole batch.
    /// </summary>
    private async Task RunTransactionAsync(List<IWork> batch, Action?[] outcomes, bool isolated)
    {
        if (_db is null || _statements is null)
        {
            _db = await contexts.CreateDbContextAsync();

            // Units get a savepoint of their own when they need one; EF's extra one per SaveChanges would only cost.
            _db.Database.AutoSavepointsEnabled = false;
            await _db.Database.OpenConnectionAsync();
            _statements = new Statements(_db);
        }

        var (db, sql) = (_db, _statements);
        await using var transaction = await db.Database.BeginTransactionAsync();
        if (_lockChainHead)
        {
            await sql.For(LockChainHead).ExecuteScalarAsync();
        }

        var savepoints = isolated && batch.Count > 1;
        var published = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < batch.Count; i++)
        {
            for (var tries = 1; ; tries++)
            {
                var scope = new WriteScope(db, sql, clock.GetUtcNow().UtcDateTime);
                if (savepoints)
                {
                    await sql.For("SAVEPOINT work").ExecuteNonQueryAsync();
                }

                try
                {
                    outcomes[i] = await batch[i].RunAsync(scope);
                    if (savepoints)
                    {
                        await sql.For("RELEASE SAVEPOINT work").ExecuteNonQueryAsync();
                    }

                    published.UnionWith(scope.Notices);
                    break;
                }
                catch (Exception e) when (savepoints)
                {
                    await sql.For("ROLLBACK TO SAVEPOINT work").ExecuteNonQueryAsync();
                    if (tries < MaxTries && PostgresDatabase.IsRetryable(e))
                    {
                        continue;
                    }

                    var failed = batch[i];
                    outcomes[i] = () => failed.Fail(e);
                    break;
                }
                catch (Exception e) when (batch.Count > 1)
                {
                    // Disposing the transaction rolls it back; the batch runs again, isolated.
                    throw new UnitFailedException(e);
                }
                finally
                {
                    db.ChangeTracker.Clear();
                }
            }
        }

        if (published.Count > 0)
        {
            await notices.PublishAsync(db, published);
        }

        await transaction.CommitAsync();
    }

    private async Task ResetAsync()
    {
        _statements?.Dispose();
        _statements = null;
        if (_db is not null)
        {
            await _db.DisposeAsync();
            _db = null;
        }
    }

    /// <summary>A unit of a batch run without savepoints failed; the batch must run again with them.</summary>
    private sealed class UnitFailedException(Exception inner) : Exception("A unit of work failed.", inner);

    private interface IWork
    {
        /// <summary>Runs the work and returns what to do once the transaction has committed.</summary>
        Task<Action> RunAsync(WriteScope scope);

        void Fail(Exception exception);
    }

    private sealed class Work<T>(Func<WriteScope, Task<T>> work) : IWork
    {
        public TaskCompletionSource<T> Completion { get; } =
            new(TaskCreationOptions.RunContinuationsAsynchronously);

        public async Task<Action> RunAsync(WriteScope scope)
        {
            var value = await work(scope);
            return () =>
            {
                scope.RunCommitted();
                Completion.TrySetResult(value);
            };
        }

        public void Fail(Exception exception) => Completion.TrySetException(exception);
    }

    private static partial class Log
    {
        [LoggerMessage(1101, LogLevel.Error, "A write batch of {Count} units failed and was rolled back",
            EventName = "WriteBatchFailed")]
        public static partial void BatchFailed(ILogger logger, Exception exception, int count);

        [LoggerMessage(8002, LogLevel.Warning, "A write batch of {Count} units lost a deadlock and runs again",
            EventName = "WriteBatchRetried")]
        public static partial void BatchRetried(ILogger logger, int count);
    }
}

/// <summary>What one unit of work sees: the context, the time it runs at, and a way to act after the commit.</summary>
internal sealed class WriteScope(CoordinatorDb db, Statements statements, DateTime now)
{
    private List<Action>? _committed;
    private List<string>? _notices;

    public CoordinatorDb Db { get; } = db;

    /// <summary>Prepared hand-written statements on the same connection and transaction as <see cref="Db"/>.</summary>
    public Statements Sql { get; } = statements;

    /// <summary>One clock reading per unit of work, so every row it writes agrees on the time.</summary>
    public DateTime Now { get; } = now;

    /// <summary>
    /// Runs <paramref name="action"/> once the work is durable (wake-ups, cache updates); never if not.
    /// </summary>
    public void OnCommitted(Action action) => (_committed ??= []).Add(action);

    /// <summary>
    /// Tells the other Coordinator processes on the same database about this unit's change, in its transaction: they
    /// hear it when it commits and never if it does not. A notice is a short word without spaces, such as a job id.
    /// </summary>
    public void Publish(string notice) => (_notices ??= []).Add(notice);

    internal IReadOnlyList<string> Notices => _notices ?? [];

    internal void RunCommitted()
    {
        if (_committed is null)
        {
            return;
        }

        foreach (var action in _committed)
        {
            action();
        }
    }
}
