using Microsoft.Data.Sqlite;

namespace Aitbc.Coordinator.Tests.Receipts;

/// <summary>
/// The receipts table opened behind the Coordinator's back, as an operator with the database file could. It keeps a
/// copy of the table so each tampering can be undone before the next.
/// </summary>
internal sealed class TamperableDatabase : IDisposable
{
    private readonly SqliteConnection _connection;

    public TamperableDatabase(string path)
    {
        _connection = new SqliteConnection($"Data Source={path};Pooling=False;Default Timeout=30");
        _connection.Open();
        Run("CREATE TABLE receipts_copy AS SELECT * FROM receipts");
    }

    public byte[] Body(long seq)
    {
        using var command = _connection.CreateCommand();
        command.CommandText = "SELECT body FROM receipts WHERE seq = $seq";
        command.Parameters.AddWithValue("$seq", seq);
        return (byte[])command.ExecuteScalar()!;
    }

    public void SetBody(long seq, byte[] body)
    {
        using var command = _connection.CreateCommand();
        command.CommandText = "UPDATE receipts SET body = $body WHERE seq = $seq";
        command.Parameters.AddWithValue("$seq", seq);
        command.Parameters.AddWithValue("$body", body);
        Assert.Equal(1, command.ExecuteNonQuery());
    }

    public void Restore() => Run("DELETE FROM receipts; INSERT INTO receipts SELECT * FROM receipts_copy");

    public void Run(string sql)
    {
        using var command = _connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    public void Dispose() => _connection.Dispose();
}
