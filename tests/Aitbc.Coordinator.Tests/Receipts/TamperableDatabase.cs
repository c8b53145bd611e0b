using System.Data.Common;
using Aitbc.Coordinator.Data;
using Aitbc.Coordinator.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Aitbc.Coordinator.Tests.Receipts;

/// <summary>
/// The receipts table opened behind the Coordinator's back on a connection of its own, as an operator with access
/// to the database could, on SQLite or PostgreSQL alike. It keeps a copy of the table so each tampering can be undone
/// before the next.
/// </summary>
internal sealed class TamperableDatabase : IDisposable
{
    private readonly CoordinatorDb _context;
    private readonly DbConnection _connection;

    public TamperableDatabase(TestCoordinator coordinator)
    {
        _context = coordinator.GetService<IDbContextFactory<CoordinatorDb>>().CreateDbContext();
        _connection = _context.Database.GetDbConnection();
        _connection.Open();
        Run("CREATE TABLE receipts_copy AS SELECT * FROM receipts");
    }

    public byte[] Body(long seq)
    {
        using var command = Command("SELECT body FROM receipts WHERE seq = @seq", ("seq", seq));
        return (byte[])command.ExecuteScalar()!;
    }

    public void SetBody(long seq, byte[] body)
    {
        using var command = Command("UPDATE receipts SET body = @body WHERE seq = @seq", ("seq", seq), ("body", body));
        Assert.Equal(1, command.ExecuteNonQuery());
    }

    public void Restore() => Run("DELETE FROM receipts; INSERT INTO receipts SELECT * FROM receipts_copy");

    public void Run(string sql)
    {
        using var command = Command(sql);
        command.ExecuteNonQuery();
    }

    private DbCommand Command(string sql, params (string Name, object Value)[] parameters)
    {
        var command = _connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            var parameter = command.CreateParameter();
            parameter.ParameterName = name;
            parameter.Value = value;
            command.Parameters.Add(parameter);
        }

        return command;
    }

    public void Dispose()
    {
        _connection.Close();
        _context.Dispose();
    }
}
