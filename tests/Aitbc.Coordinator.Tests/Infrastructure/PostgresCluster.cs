using System.Diagnostics;
using System.Globalization;
using Npgsql;

namespace Aitbc.Coordinator.Tests.Infrastructure;

/// <summary>
/// A throwaway PostgreSQL cluster from the machine's binaries (/usr/lib/postgresql/*/bin), started once per test run
/// on a free port of 127.0.0.1 and removed when the run ends. Each test gets a database of its own. As root (CI), the
/// server runs as the <c>postgres</c> user, since PostgreSQL refuses to run as root. Durability is switched off: a
/// test database need not survive a power cut, and fsyncs would dominate the run on a small machine.
/// </summary>
public sealed class PostgresCluster
{
    private const string RootPrefix = "aitbc-pg-";

    private static readonly Lazy<Task<PostgresCluster>> s_shared = new(StartAsync);

    private readonly string _bin;
    private readonly string _root;

    private PostgresCluster(string bin, string root, int port)
    {
        _bin = bin;
        _root = root;
        Port = port;
    }

    public int Port { get; }

    /// <summary>The cluster of this test run, started on first use.</summary>
    public static Task<PostgresCluster> SharedAsync() => s_shared.Value;

    public string UrlFor(string database) => $"postgresql://postgres@127.0.0.1:{Port}/{database}";

    public string ConnectionStringFor(string database) =>
        $"Host=127.0.0.1;Port={Port};Username=postgres;Database={database};Pooling=false";

    /// <summary>Creates an empty database (the Coordinator migrates it) and returns its DATABASE_URL.</summary>
    public async Task<string> CreateDatabaseAsync(string name)
    {
        await ExecuteAsync($"CREATE DATABASE \"{name}\"");
        return UrlFor(name);
    }

    /// <summary>Drops the database, ending whatever sessions are still on it.</summary>
    public Task DropDatabaseAsync(string name) => ExecuteAsync($"DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");

    private async Task ExecuteAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(ConnectionStringFor("postgres"));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    private static async Task<PostgresCluster> StartAsync()
    {
        var bin = FindBinaries();
        await RemoveAbandonedAsync(bin);
        var root = Path.Combine(Path.GetTempPath(), RootPrefix + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(root);
        await File.WriteAllTextAsync(Path.Combine(root, "owner.pid"),
            Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
        if (IsRoot)
        {
            await RunAsync("chown", ["-R", "postgres:postgres", root]);
        }

        var data = Path.Combine(root, "data");
        await RunAsServerAsync(Path.Combine(bin, "initdb"),
            ["-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync"]);
        var port = CoordinatorProcess.FreePort();
        var options = string.Join(' ',
            $"-p {port}", $"-k {root}", "-c listen_addresses=127.0.0.1", "-c max_connections=400",
            "-c fsync=off", "-c synchronous_commit=off", "-c full_page_writes=off", "-c shared_buffers=64MB");
        await RunAsServerAsync(Path.Combine(bin, "pg_ctl"),
            ["-D", data, "-l", Path.Combine(root, "server.log"), "-w", "-t", "60", "-o", options, "start"]);

        var cluster = new PostgresCluster(bin, root, port);
        AppDomain.CurrentDomain.ProcessExit += (_, _) => cluster.Stop();
        return cluster;
    }

    private void Stop()
    {
        try
        {
            RunAsServerAsync(
                    Path.Combine(_bin, "pg_ctl"), ["-D", Path.Combine(_root, "data"), "-m", "immediate", "stop"])
                .GetAwaiter().GetResult();
            Directory.Delete(_root, recursive: true);
        }
        catch (Exception e) when (e is IOException or InvalidOperationException or UnauthorizedAccessException)
        {
            // The run is over either way; RemoveAbandonedAsync cleans up at the next start.
        }
    }

    /// <summary>Stops clusters left behind by test runs that were killed before they could clean up.</summary>
    private static async Task RemoveAbandonedAsync(string bin)
    {
        foreach (var root in Directory.GetDirectories(Path.GetTempPath(), RootPrefix + "*"))
        {
            try
            {
                var ownerFile = Path.Combine(root, "owner.pid");
                var ownerText = File.Exists(ownerFile) ? await File.ReadAllTextAsync(ownerFile) : "";
                if (!int.TryParse(ownerText, CultureInfo.InvariantCulture, out var owner) || IsAlive(owner))
                {
                    continue;
                }

                if (File.Exists(Path.Combine(root, "data", "postmaster.pid")))
                {
                    await RunAsServerAsync(Path.Combine(bin, "pg_ctl"),
                        ["-D", Path.Combine(root, "data"), "-m", "immediate", "stop"], check: false);
                }

                Directory.Delete(root, recursive: true);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Each test assembly runs in its own process and cleans up at start: another one got here first.
            }
        }
    }

    private static bool IsAlive(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    private static string FindBinaries()
    {
        var versions = Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql")
            : [];
        return versions
            .Select(v => Path.Combine(v, "bin"))
            .Where(b => File.Exists(Path.Combine(b, "initdb")))
            .OrderByDescending(b => int.TryParse(Path.GetFileName(Path.GetDirectoryName(b)), out var n) ? n : 0)
            .FirstOrDefault()
            ?? throw new InvalidOperationException(
                "No PostgreSQL server binaries in /usr/lib/postgresql/*/bin; run scripts/test-prerequisites.sh.");
    }

    private static bool IsRoot => Environment.UserName == "root";

    private static Task RunAsServerAsync(string program, IReadOnlyList<string> arguments, bool check = true) =>
        IsRoot ? RunAsync("runuser", ["-u", "postgres", "--", program, .. arguments], check)
            : RunAsync(program, arguments, check);

    private static async Task RunAsync(string program, IReadOnlyList<string> arguments, bool check = true)
    {
        var start = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{program} did not start.");
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (check && process.ExitCode != 0)
        {
            throw new InvalidOperationException(
                $"{program} {string.Join(' ', arguments)} exited with {process.ExitCode}:\n"
                + $"{await output}{await errors}");
        }
    }
}

/// <summary>
/// Which database the tests run on: SQLite files, or PostgreSQL when <c>AITBC_TEST_DATABASE=postgresql</c> (test.sh
/// runs the suite both ways).
/// </summary>
public static class TestDatabase
{
    public static bool IsPostgres { get; } =
        Environment.GetEnvironmentVariable("AITBC_TEST_DATABASE") is "postgresql" or "postgres";

    /// <summary>The DATABASE_URL for a test's folder: its SQLite file, or a PostgreSQL database of its own.</summary>
    public static Task<string> UrlAsync(TestDirectory directory) =>
        IsPostgres ? PostgresUrlAsync(directory) : Task.FromResult($"sqlite:///{directory.File("coordinator.db")}");

    /// <summary>A PostgreSQL database for the folder, whatever the suite runs on; dropped with the folder.</summary>
    public static async Task<string> PostgresUrlAsync(TestDirectory directory)
    {
        var cluster = await PostgresCluster.SharedAsync();
        var name = "aitbc_" + directory.Name;
        if (directory.Database is null)
        {
            await cluster.CreateDatabaseAsync(name);
            directory.Database = name;
            directory.OnDispose(() => cluster.DropDatabaseAsync(name).GetAwaiter().GetResult());
        }

        return cluster.UrlFor(name);
    }
}
