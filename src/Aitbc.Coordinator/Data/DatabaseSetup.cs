using System.Data.Common;
using Aitbc.Coordinator.Configuration;
using Aitbc.Coordinator.Data.Postgres;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace Aitbc.Coordinator.Data;

internal static partial class DatabaseSetup
{
    public static IServiceCollection AddCoordinatorDatabase(this IServiceCollection services, DatabaseUrl url)
    {
        switch (url.Provider)
        {
            case DatabaseProvider.Sqlite:
                Directory.CreateDirectory(url.StateDirectory!);
                services.AddPooledDbContextFactory<SqliteCoordinatorDb>(options => ConfigureSqlite(options, url));
                services.AddSingleton<IDbContextFactory<CoordinatorDb>, Factory<SqliteCoordinatorDb>>();
                services.AddSingleton<SingleProcess>();
                services.AddSingleton<INoticeBus>(sp => sp.GetRequiredService<SingleProcess>());
                services.AddSingleton<IClusterSingleton>(sp => sp.GetRequiredService<SingleProcess>());
                break;
            case DatabaseProvider.Postgres:
                // Several processes may share this database: wake-ups travel by LISTEN/NOTIFY, and background
                // roles such as the sweeper are held as advisory locks.
                services.AddPooledDbContextFactory<PostgresCoordinatorDb>(options =>
                    PostgresDatabase.Configure(options, url));
                services.AddSingleton<IDbContextFactory<CoordinatorDb>, Factory<PostgresCoordinatorDb>>();
                services.AddSingleton(url);
                services.AddSingleton<PostgresNotices>();
                services.AddSingleton<INoticeBus>(sp => sp.GetRequiredService<PostgresNotices>());
                services.AddHostedService(sp => sp.GetRequiredService<PostgresNotices>());
                services.AddSingleton<IClusterSingleton, PostgresSingleton>();
                break;
        }

        // Handlers that only read take a context from the pool per request.
        services.AddScoped<CoordinatorDb>(sp => sp.GetRequiredService<IDbContextFactory<CoordinatorDb>>()
            .CreateDbContext());
        services.AddSingleton<DbWriter>();
        services.AddHostedService(sp => sp.GetRequiredService<DbWriter>());
        return services;
    }

    internal static void ConfigureSqlite(DbContextOptionsBuilder options, DatabaseUrl url)
    {
        // A busy timeout covers the rare lock held by a checkpoint or a sqlite3 shell; the single writer makes
        // contention inside the process impossible.
        options.UseSqlite($"{url.ConnectionString};Default Timeout=30;Pooling=True")
            .AddInterceptors(SqliteTuning.Instance);
    }

    /// <summary>
    /// Makes this process the only one starting up on the database until the result is disposed, so that migrations
    /// and seeding run once; other processes wait here. A SQLite file has one process anyway.
    /// </summary>
    public static async Task<IAsyncDisposable?> LockStartupAsync(
        IServiceProvider services, ILogger logger, CancellationToken cancel)
    {
        var url = services.GetRequiredService<CoordinatorSettings>().Database;
        if (url.Provider != DatabaseProvider.Postgres)
        {
            return null;
        }

        var factory = services.GetRequiredService<IDbContextFactory<CoordinatorDb>>();
        await using var db = await factory.CreateDbContextAsync(cancel);
        return await PostgresDatabase.LockStartupAsync(db, url, logger, cancel);
    }

    /// <summary>Brings the schema up to date, before the server takes any request.</summary>
    public static async Task MigrateAsync(IServiceProvider services, ILogger logger, CancellationToken cancel)
    {
        var factory = services.GetRequiredService<IDbContextFactory<CoordinatorDb>>();
        await using var db = await factory.CreateDbContextAsync(cancel);
        if (db.Database.IsSqlite())
        {
            // WAL lets readers run beside the writer; it is a property of the file, so setting it once sticks.
            await db.Database.OpenConnectionAsync(cancel);
            await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;", cancel);
        }

        var pending = (await db.Database.GetPendingMigrationsAsync(cancel)).ToList();
        if (pending.Count > 0)
        {
            Log.Migrating(logger, pending.Count, string.Join(", ", pending));
            await db.Database.MigrateAsync(cancel);
        }
    }

    private sealed class Factory<T>(IDbContextFactory<T> inner) : IDbContextFactory<CoordinatorDb>
        where T : CoordinatorDb
    {
        public CoordinatorDb CreateDbContext() => inner.CreateDbContext();
    }

    /// <summary>
    /// Per-connection settings, set on every connection because SQLite keeps them per connection.
    /// <c>synchronous=FULL</c> in WAL mode syncs the log at each commit, so what the Coordinator answered survives a
    /// power cut too: jobs, leases and payments are promises to clients. The single writer commits many requests at
    /// once, so the sync is paid once per batch, not per request. The writer copies the log back into the file
    /// (a checkpoint) every <see cref="CheckpointPages"/> pages rather than SQLite's default 1,000: a page the jobs
    /// rewrite many times in that stretch is copied once, which cut the bytes written per job by an eighth and raised
    /// the benchmark's throughput by about a tenth, for a log file of up to 16 MiB.
    /// </summary>
    private sealed class SqliteTuning : DbConnectionInterceptor
    {
        public const int CheckpointPages = 4000;

        public static readonly SqliteTuning Instance = new();

        private static readonly string Pragmas =
            $"PRAGMA synchronous=FULL; PRAGMA temp_store=MEMORY; PRAGMA wal_autocheckpoint={CheckpointPages};";

        public override void ConnectionOpened(DbConnection connection, ConnectionEndEventData eventData)
        {
            using var command = connection.CreateCommand();
            command.CommandText = Pragmas;
            command.ExecuteNonQuery();
        }

        public override async Task ConnectionOpenedAsync(
            DbConnection connection, ConnectionEndEventData eventData, CancellationToken cancellationToken = default)
        {
            await using var command = connection.CreateCommand();
            command.CommandText = Pragmas;
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(1201, LogLevel.Information, "Applying {Count} database migrations: {Migrations}",
            EventName = "Migrating")]
        public static partial void Migrating(ILogger logger, int count, string migrations);
    }
}

/// <summary>Lets <c>dotnet ef</c> build the SQLite context without starting the service.</summary>
internal sealed class SqliteDesignTimeFactory : IDesignTimeDbContextFactory<SqliteCoordinatorDb>
{
    public SqliteCoordinatorDb CreateDbContext(string[] args)
    {
        var options = new DbContextOptionsBuilder<SqliteCoordinatorDb>();
        options.UseSqlite("Data Source=design-time.db");
        return new SqliteCoordinatorDb(options.Options);
    }
}
