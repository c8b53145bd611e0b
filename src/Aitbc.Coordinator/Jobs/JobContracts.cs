using System.ComponentModel;
using System.Text.Json;
using System.Text.Json.Serialization;
using Aitbc.Coordinator.Common;

namespace Aitbc.Coordinator.Jobs;

internal sealed record SubmitJobRequest
{
    [Description("What kind of work this is, for example llm_inference.")]
    public required string JobType { get; init; }

    [Description("The job's input, a JSON object of at most 256 KiB, handed to the miner as it is.")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public JsonElement Parameters { get; init; }

    [Description("What a miner must offer to take the job.")]
    public JobRequirements? Requirements { get; init; }

    [Description("0 to 9, higher first. Default 5.")]
    public int? Priority { get; init; }

    [Description("The most the client pays, in AITBC as a decimal string.")]
    public AitbcAmount? MaxPrice { get; init; }

    [Description("Seconds the job may wait and run before it expires, 1 to 86400.")]
    public int? TtlSeconds { get; init; }

    [Description("How many leases the job may use before it fails, 1 to 10. Default 3.")]
    public int? MaxAttempts { get; init; }
}

internal sealed record JobRequirements
{
    [Description("Models the miner must offer, every one of them.")]
    public List<string>? Models { get; init; }

    [Description("Least VRAM of the miner's largest GPU, in GB.")]
    public int? MinVramGb { get; init; }

    [Description("A GPU name the miner must have, for example RTX 4090.")]
    public string? Gpu { get; init; }

    public string? Region { get; init; }
}

internal sealed record JobError(string Code, string Message);

/// <summary>A job as a status answer and list item show it (SPEC §9).</summary>
internal record JobStatus
{
    public required string JobId { get; init; }

    public required string JobType { get; init; }

    public required JobState State { get; init; }

    public required int Priority { get; init; }

    public required int Attempts { get; init; }

    public required int MaxAttempts { get; init; }

    [Description("1 for the next job a matching miner gets; null unless queued.")]
    public long? QueuePosition { get; init; }

    public AitbcAmount? MaxPrice { get; init; }

    public required DateTime CreatedAt { get; init; }

    public DateTime? StartedAt { get; init; }

    public DateTime? CompletedAt { get; init; }

    public required DateTime ExpiresAt { get; init; }

    public JobError? Error { get; init; }

    [Description("While queued: how many online miners could take the job.")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? EligibleMiners { get; init; }

    [Description("While queued and no online miner could take it: why.")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? WaitingReason { get; init; }
}

/// <summary>The whole job: the status plus what was asked and what came back.</summary>
internal sealed record JobDetail : JobStatus
{
    public required RawJson Parameters { get; init; }

    public RawJson? Requirements { get; init; }

    public RawJson? Result { get; init; }

    public RawJson? Metrics { get; init; }

    public string? MinerId { get; init; }
}

internal sealed record JobPage(IReadOnlyList<JobStatus> Items, string? NextCursor);

internal static class JobViews
{
    public static JobStatus ToStatus(this Job job, long? queuePosition = null) => new()
    {
        JobId = job.Id,
        JobType = job.JobType,
        State = job.State,
        Priority = job.Priority,
        Attempts = job.Attempts,
        MaxAttempts = job.MaxAttempts,
        QueuePosition = job.State == JobState.Queued ? queuePosition : null,
        MaxPrice = job.MaxPrice is { } price ? new AitbcAmount(price) : null,
        CreatedAt = job.CreatedAt,
        StartedAt = job.StartedAt,
        CompletedAt = job.CompletedAt,
        ExpiresAt = job.ExpiresAt,
        Error = job.ErrorCode is null ? null : new JobError(job.ErrorCode, job.ErrorMessage ?? ""),
    };

    public static JobDetail ToDetail(this Job job, long? queuePosition = null)
    {
        var status = job.ToStatus(queuePosition);
        return new JobDetail
        {
            JobId = status.JobId,
            JobType = status.JobType,
            State = status.State,
            Priority = status.Priority,
            Attempts = status.Attempts,
            MaxAttempts = status.MaxAttempts,
            QueuePosition = status.QueuePosition,
            MaxPrice = status.MaxPrice,
            CreatedAt = status.CreatedAt,
            StartedAt = status.StartedAt,
            CompletedAt = status.CompletedAt,
            ExpiresAt = status.ExpiresAt,
            Error = status.Error,
            Parameters = new RawJson(job.Parameters),
            Requirements = RawJson.OrNull(job.Requirements),
            Result = RawJson.OrNull(job.Result),
            Metrics = RawJson.OrNull(job.Metrics),
            MinerId = job.MinerId,
        };
    }
}

/// <summary>
/// JSON that was checked when it came in and is stored as text: written out as it is, never parsed again.
/// </summary>
[JsonConverter(typeof(RawJsonConverter))]
internal sealed record RawJson(string Text)
{
    public static RawJson? OrNull(string? text) => text is null ? null : new RawJson(text);
}

internal sealed class RawJsonConverter : JsonConverter<RawJson>
{
    public override RawJson Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        using var document = JsonDocument.ParseValue(ref reader);
        return new RawJson(document.RootElement.GetRawText());
    }

    public override void Write(Utf8JsonWriter writer, RawJson value, JsonSerializerOptions options) =>
        writer.WriteRawValue(value.Text, skipInputValidation: true);
}
