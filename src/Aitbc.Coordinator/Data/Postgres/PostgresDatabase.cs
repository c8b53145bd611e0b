using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;

namespace Aitbc.Coordinator.Data.Postgres;

/// <summary>
/// The PostgreSQL context. Its migrations live in Data/Migrations/Postgres:
/// <code>
/// dotnet ef migrations add NAME --project src/Aitbc.Coordinator --context PostgresCoordinatorDb \
///     --output-dir Data/Migrations/Postgres
/// </code>
/// </summary>
internal sealed class PostgresCoordinatorDb(DbContextOptions<PostgresCoordinatorDb> options) : CoordinatorDb(options);

/// <summary>What the PostgreSQL side of the Coordinator shares: connection strings and advisory lock keys.</summary>
internal static partial class PostgresDatabase
{
    /// <summary>
    /// For connections that hold session state (LISTEN, session advisory locks): never pooled, so closing one really
    /// ends its session and with it whatever it held.
    /// </summary>
    public static string Dedicated(DatabaseUrl url) =>
        new NpgsqlConnectionStringBuilder(url.ConnectionString) { Pooling = false }.ConnectionString;

    public static void Configure(DbContextOptionsBuilder options, DatabaseUrl url) =>
        options.UseNpgsql(url.ConnectionString);

    /// <summary>A stable 64-bit advisory lock key for a name, the same in every process and version.</summary>
    public static long LockKey(string name) =>
        BinaryPrimitives.ReadInt64BigEndian(SHA256.HashData(Encoding.UTF8.GetBytes("aitbc:" + name)));

    /// <summary>
    /// Creates the database when it is missing and returns a session holding the start-up lock: several processes
    /// starting together migrate and seed one after the other. EF Core's own migration lock on Npgsql is a table lock
    /// taken after it has created its history table, and concurrent <c>CREATE TABLE IF NOT EXISTS</c> can still
    /// collide in the catalog, so the whole start-up is serialized here instead.
    /// </summary>
    public static async Task<IAsyncDisposable> LockStartupAsync(
        CoordinatorDb db, DatabaseUrl url, ILogger logger, CancellationToken cancel)
    {
        var creator = db.GetService<IRelationalDatabaseCreator>();
        if (!await creator.ExistsAsync(cancel))
        {
            try
            {
                await creator.CreateAsync(cancel);
                Log.Created(logger);
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.DuplicateDatabase)
            {
                // Another process created it a moment ago.
            }
        }

        var connection = new NpgsqlConnection(Dedicated(url));
        try
        {
            await connection.OpenAsync(cancel);
            await using var command = new NpgsqlCommand("SELECT pg_advisory_lock(@key)", connection)
            {
                CommandTimeout = 0,
            };
            command.Parameters.AddWithValue("key", LockKey("startup"));
            await command.ExecuteNonQueryAsync(cancel);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Whether the error is one a retry of the whole transaction can clear (deadlock, serialization).
    /// </summary>
    public static bool IsRetryable(Exception exception) => exception switch
    {
        PostgresException e => e.SqlState is PostgresErrorCodes.DeadlockDetected
            or PostgresErrorCodes.SerializationFailure,
        { InnerException: { } inner } => IsRetryable(inner),
        _ => false,
    };

    private static partial class Log
    {
        [LoggerMessage(8001, LogLevel.Information, "Created the PostgreSQL database", EventName = "DatabaseCreated")]
        public static partial void Created(ILogger logger);
    }
}

/// <summary>Lets <c>dotnet ef</c> build the PostgreSQL context without a server.</summary>
internal sealed class PostgresDesignTimeFactory : IDesignTimeDbContextFactory<PostgresCoordinatorDb>
{
    public PostgresCoordinatorDb CreateDbContext(string[] args)
    {
        var options = new DbContextOptionsBuilder<PostgresCoordinatorDb>();
        options.UseNpgsql("Host=localhost;Database=design_time");
        return new PostgresCoordinatorDb(options.Options);
    }
}
