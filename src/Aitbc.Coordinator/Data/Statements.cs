using System.Data.Common;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;

namespace Aitbc.Coordinator.Data;

/// <summary>
/// Hand-written statements for the hottest units of work (submit, take, result), each kept as one command on the
/// writer's connection and run again with new values. EF Core spends tens of microseconds a statement translating,
/// tracking and materializing, and the single writer would pay that several times for every job; SQLite keeps the
/// compiled statement with the command, so the second run only binds and steps. The SQL is plain enough for both
/// providers: named <c>@parameters</c>, <c>RETURNING</c>, <c>ON CONFLICT</c>.
/// </summary>
internal sealed class Statements(CoordinatorDb db) : IDisposable
{
    private readonly Dictionary<string, DbCommand> _commands = new(StringComparer.Ordinal);

    /// <summary>The command for <paramref name="sql"/>, in the unit's transaction, with no values bound yet.</summary>
    public DbCommand For(string sql)
    {
        if (!_commands.TryGetValue(sql, out var command))
        {
            command = db.Database.GetDbConnection().CreateCommand();
            command.CommandText = sql;
            _commands[sql] = command;
        }

        command.Parameters.Clear();
        command.Transaction = db.Database.CurrentTransaction?.GetDbTransaction();
        return command;
    }

    /// <summary>
    /// Whether a statement failed on a unique index: the hand-written statements raise the provider's own exception,
    /// where EF Core would have wrapped it in a <see cref="DbUpdateException"/>.
    /// </summary>
    public static bool IsUniqueViolation(Exception exception) => exception switch
    {
        SqliteException e => e.SqliteExtendedErrorCode is SqliteUniqueViolation or SqlitePrimaryKeyViolation,
        PostgresException e => e.SqlState == PostgresErrorCodes.UniqueViolation,
        DbUpdateException { InnerException: { } inner } => IsUniqueViolation(inner),
        _ => false,
    };

    private const int SqliteUniqueViolation = 2067;
    private const int SqlitePrimaryKeyViolation = 1555;

    public void Dispose()
    {
        foreach (var command in _commands.Values)
        {
            command.Dispose();
        }

        _commands.Clear();
    }
}

internal static class CommandValues
{
    /// <summary>Binds <paramref name="value"/> (null as SQL NULL) to the parameter <paramref name="name"/>.</summary>
    public static DbCommand With(this DbCommand command, string name, object? value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.Value = value ?? DBNull.Value;
        command.Parameters.Add(parameter);
        return command;
    }

    public static DateTime? GetUtcOrNull(this DbDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : reader.GetUtc(ordinal);

    /// <summary>SQLite hands times back unlabelled; every time stored is UTC.</summary>
    public static DateTime GetUtc(this DbDataReader reader, int ordinal) =>
        DateTime.SpecifyKind(reader.GetDateTime(ordinal), DateTimeKind.Utc);

    public static string? GetStringOrNull(this DbDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);

    public static long? GetInt64OrNull(this DbDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : reader.GetInt64(ordinal);

    public static int? GetInt32OrNull(this DbDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : reader.GetInt32(ordinal);
}
