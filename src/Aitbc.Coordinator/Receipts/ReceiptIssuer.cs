using System.Buffers.Text;
using System.Security.Cryptography;
using Aitbc.Coordinator.Common;
using Aitbc.Coordinator.Data;
using Aitbc.Coordinator.Jobs;

namespace Aitbc.Coordinator.Receipts;

/// <summary>
/// Issues the receipt of a completed job, inside the unit of work that completes it. The receipt is built, made
/// canonical (RFC 8785), signed, and appended to the chain by moving its head with a conditional update; the bytes
/// stored are the bytes signed and hashed, and nothing is added to them afterwards.
/// </summary>
internal sealed partial class ReceiptIssuer(ReceiptKeyring keyring, ILogger<ReceiptIssuer> logger)
{
    public const string IdPrefix = "rct";
    public const int Version = 1;
    public const string UnitType = "gpu_second";

    // On one SQLite file the single writer never loses the head; several processes on PostgreSQL may, a few times.
    private const int MaxHeadAttempts = 50;

    public async Task<string> IssueAsync(WriteScope scope, Job job, ResultReport report)
    {
        var milliUnits = JobPricing.MilliUnits(job.StartedAt!.Value, scope.Now);
        var unitPrice = job.UnitPrice ?? 0;
        var facts = new Facts(
            Ids.New(IdPrefix),
            job,
            job.ParametersSha256,
            report.ResultSha256 ?? Jcs.Sha256Hex(report.Result ?? "null"),
            FormatUnits(milliUnits),
            new AitbcAmount(unitPrice),
            new AitbcAmount(JobPricing.Price(milliUnits, unitPrice, job.MaxPrice)),
            report.Metrics,
            scope.Now);

        for (var attempt = 1; ; attempt++)
        {
            var (headSeq, headSha256) = await ReadHeadAsync(scope);
            var seq = headSeq + 1;
            var body = Build(facts, seq, headSha256);
            var sha256 = Convert.ToHexStringLower(SHA256.HashData(body));

            // The guard names the seq just read: if another writer appended meanwhile, nothing moves and we retry.
            var moved = await scope.Sql.For(MoveHead)
                .With("@seq", seq)
                .With("@sha256", sha256)
                .With("@previous", headSeq)
                .ExecuteNonQueryAsync();
            if (moved == 1)
            {
                await scope.Sql.For(InsertReceipt)
                    .With("@seq", seq)
                    .With("@id", facts.ReceiptId)
                    .With("@job", job.Id)
                    .With("@client", job.ClientId)
                    .With("@miner", job.MinerId)
                    .With("@now", scope.Now)
                    .With("@body", body)
                    .ExecuteNonQueryAsync();
                Log.Issued(logger, facts.ReceiptId, seq, job.Id);
                return facts.ReceiptId;
            }

            if (attempt == MaxHeadAttempts)
            {
                throw new InvalidOperationException(
                    $"The receipt chain head moved {MaxHeadAttempts} times while issuing a receipt for {job.Id}.");
            }

            Log.HeadMoved(logger, headSeq);
        }
    }

    private static async Task<(long Seq, string Sha256)> ReadHeadAsync(WriteScope scope)
    {
        await using var row = await scope.Sql.For(SelectHead).ExecuteReaderAsync();
        return await row.ReadAsync()
            ? (row.GetInt64(0), row.GetString(1))
            : throw new InvalidOperationException("The receipt chain has no head row; the database is not set up.");
    }

    private const string SelectHead = "SELECT seq, sha256 FROM receipt_chain_head WHERE id = 1";

    private const string MoveHead =
        "UPDATE receipt_chain_head SET seq = @seq, sha256 = @sha256 WHERE id = 1 AND seq = @previous";

    private const string InsertReceipt = """
        INSERT INTO receipts (seq, id, job_id, client_id, miner_id, issued_at, body)
        VALUES (@seq, @id, @job, @client, @miner, @now, @body)
        """;

    /// <summary>Units are kept in thousandths of a GPU-second, shown as a plain decimal: 12345 is "12.345".</summary>
    public static string FormatUnits(long milliUnits)
    {
        var whole = milliUnits / JobPricing.MilliUnitsPerUnit;
        var fraction = milliUnits % JobPricing.MilliUnitsPerUnit;
        return fraction == 0 ? $"{whole}" : $"{whole}.{fraction:D3}".TrimEnd('0');
    }

    /// <summary>The canonical bytes of the receipt: first without its signature, to sign, then with it.</summary>
    private byte[] Build(Facts facts, long seq, string previous)
    {
        var receipt = Members(facts, seq, previous);
        var signature = Base64Url.EncodeToString(keyring.Sign(receipt.ToUtf8()));
        return receipt.Object("signature", new JcsObject()
                .String("alg", ReceiptKeyring.Algorithm)
                .String("kid", keyring.CurrentKid)
                .String("sig", signature))
            .ToUtf8();
    }

    private static JcsObject Members(Facts facts, long seq, string previous)
    {
        var job = facts.Job;
        return new JcsObject()
            .String("receipt_id", facts.ReceiptId)
            .Number("version", Version)
            .String("job_id", job.Id)
            .String("job_type", job.JobType)
            .String("client", job.ClientId)
            .String("miner", job.MinerId)
            .Number("attempt", job.Attempts)
            .String("parameters_sha256", facts.ParametersSha256)
            .String("result_sha256", facts.ResultSha256)
            .String("units", facts.Units)
            .String("unit_type", UnitType)
            .String("unit_price", facts.UnitPrice.ToString())
            .String("price", facts.Price.ToString())
            .String("max_price", job.MaxPrice is { } maxPrice ? new AitbcAmount(maxPrice).ToString() : null)
            .Json("reported", facts.Reported)
            .String("started_at", Json.FormatTime(job.StartedAt!.Value))
            .String("completed_at", Json.FormatTime(facts.Now))
            .String("issued_at", Json.FormatTime(facts.Now))
            .Number("seq", seq)
            .String("prev_sha256", previous);
    }

    private sealed record Facts(
        string ReceiptId,
        Job Job,
        string ParametersSha256,
        string ResultSha256,
        string Units,
        AitbcAmount UnitPrice,
        AitbcAmount Price,
        string? Reported,
        DateTime Now);

    private static partial class Log
    {
        [LoggerMessage(3010, LogLevel.Debug, "Issued receipt {ReceiptId} (seq {Seq}) for job {JobId}",
            EventName = "ReceiptIssued")]
        public static partial void Issued(ILogger logger, string receiptId, long seq, string jobId);

        [LoggerMessage(3011, LogLevel.Information,
            "The receipt chain head moved past seq {Seq} while issuing; another process appended first, retrying",
            EventName = "ReceiptHeadMoved")]
        public static partial void HeadMoved(ILogger logger, long seq);
    }
}
