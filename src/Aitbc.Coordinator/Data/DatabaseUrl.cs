using System.Globalization;

namespace Aitbc.Coordinator.Data;

internal enum DatabaseProvider
{
    Sqlite,
    Postgres,
}

/// <summary>
/// A <c>DATABASE_URL</c> in the SQLAlchemy style of the public page: <c>sqlite:///relative.db</c>,
/// <c>sqlite:////absolute/path.db</c> or <c>postgresql://user:password@host:port/database</c>.
/// </summary>
internal sealed record DatabaseUrl(DatabaseProvider Provider, string ConnectionString, string? SqlitePath)
{
    public static DatabaseUrl Parse(string url)
    {
        if (url.StartsWith("sqlite:///", StringComparison.OrdinalIgnoreCase))
        {
            // Three slashes then a relative path; a fourth slash starts an absolute one.
            var path = url["sqlite:///".Length..];
            if (path.Length == 0 || path == "/")
            {
                throw new FormatException("a SQLite URL needs a file path, as in sqlite:///coordinator.db.");
            }

            if (path == ":memory:")
            {
                throw new FormatException("an in-memory SQLite database would lose every job on restart.");
            }

            var fullPath = Path.GetFullPath(path);
            return new DatabaseUrl(DatabaseProvider.Sqlite, $"Data Source={fullPath}", fullPath);
        }

        if (url.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase)
            || url.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase))
        {
            return new DatabaseUrl(DatabaseProvider.Postgres, PostgresConnectionString(url), null);
        }

        throw new FormatException("expected sqlite:///path.db, sqlite:////absolute/path.db or postgresql://…");
    }

    private static string PostgresConnectionString(string url)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || string.IsNullOrEmpty(uri.Host))
        {
            throw new FormatException("the PostgreSQL URL is not of the form postgresql://user:password@host:port/db.");
        }

        var database = Uri.UnescapeDataString(uri.AbsolutePath.TrimStart('/'));
        if (database.Length == 0)
        {
            throw new FormatException("the PostgreSQL URL names no database.");
        }

        var parts = new List<string>
        {
            $"Host={uri.Host}",
            $"Port={(uri.IsDefaultPort || uri.Port < 0 ? 5432 : uri.Port).ToString(CultureInfo.InvariantCulture)}",
            $"Database={database}",
        };
        if (uri.UserInfo.Length > 0)
        {
            var userInfo = uri.UserInfo.Split(':', 2);
            parts.Add($"Username={Uri.UnescapeDataString(userInfo[0])}");
            if (userInfo.Length == 2)
            {
                parts.Add($"Password={Uri.UnescapeDataString(userInfo[1])}");
            }
        }

        // Query options such as sslmode=require pass through as connection string keywords.
        foreach (var pair in uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var kv = pair.Split('=', 2);
            parts.Add($"{Uri.UnescapeDataString(kv[0])}={(kv.Length == 2 ? Uri.UnescapeDataString(kv[1]) : "")}");
        }

        return string.Join(';', parts);
    }

    /// <summary>The URL without its password, for log lines.</summary>
    public string Describe() => Provider == DatabaseProvider.Sqlite
        ? $"SQLite at {SqlitePath}"
        : "PostgreSQL at " + string.Join(';', ConnectionString.Split(';')
            .Where(p => !p.StartsWith("Password=", StringComparison.OrdinalIgnoreCase)));

    /// <summary>The folder where generated secrets are kept: beside the SQLite file.</summary>
    public string? StateDirectory => SqlitePath is null ? null : Path.GetDirectoryName(SqlitePath);
}
