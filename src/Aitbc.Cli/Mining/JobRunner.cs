using System.Text.Json;
using Aitbc.Client.Miners;

namespace Aitbc.Cli.Mining;

/// <summary>Does the work of one leased job. Runners never throw for a job's failure; they return it.</summary>
internal interface IJobRunner
{
    Task<RunOutcome> RunAsync(LeasedJob job, CancellationToken cancel);
}

/// <summary>What came of a job: a result, or an error that says whether another attempt may succeed.</summary>
internal sealed record RunOutcome(JsonElement? Result, ResultError? Error, JsonElement? Metrics)
{
    public static RunOutcome Success(JsonElement result, object? metrics = null) =>
        new(result, null, metrics is null ? null : JsonSerializer.SerializeToElement(metrics, Client.Wire.Options));

    public static RunOutcome Failure(string code, string message, bool retryable, object? metrics = null) =>
        new(null, new ResultError(code, Truncate(message), retryable),
            metrics is null ? null : JsonSerializer.SerializeToElement(metrics, Client.Wire.Options));

    private static string Truncate(string text) => text.Length <= 2000 ? text : text[..2000] + "…";
}

/// <summary>Returns the parameters as the result: for trying the network and for benchmarks.</summary>
internal sealed class EchoRunner : IJobRunner
{
    public Task<RunOutcome> RunAsync(LeasedJob job, CancellationToken cancel) =>
        Task.FromResult(RunOutcome.Success(job.Parameters.Clone()));
}
