using System.ComponentModel;
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Aitbc.Client.Miners;

namespace Aitbc.Cli.Mining;

/// <summary>
/// Runs a command per job: the parameters as JSON on its stdin, the result as JSON from its stdout. Exit code 75
/// (EX_TEMPFAIL) marks a failure another attempt may cure; any other non-zero exit or output that is not JSON fails
/// the job for good. A command that outlives the time limit is killed with its children, and the failure is
/// retryable, since a faster miner may finish it.
/// </summary>
internal sealed class ExecRunner(IReadOnlyList<string> command, TimeSpan timeout) : IJobRunner
{
    public const int RetryableExitCode = 75;
    private const int MaxOutputBytes = 1024 * 1024;
    private const int StderrTailChars = 500;

    public async Task<RunOutcome> RunAsync(LeasedJob job, CancellationToken cancel)
    {
        var start = new ProcessStartInfo(command[0])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        foreach (var argument in command.Skip(1))
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["AITBC_JOB_ID"] = job.JobId;
        start.Environment["AITBC_JOB_TYPE"] = job.JobType;
        start.Environment["AITBC_ATTEMPT"] = job.Attempt.ToString(System.Globalization.CultureInfo.InvariantCulture);

        var clock = Stopwatch.StartNew();
        using var process = new Process { StartInfo = start };
        try
        {
            process.Start();
        }
        catch (Win32Exception e)
        {
            return RunOutcome.Failure("exec_failed", $"Cannot start {command[0]}: {e.Message}", retryable: true);
        }

        var stdout = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
        var stderr = process.StandardError.ReadToEndAsync(CancellationToken.None);
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        limit.CancelAfter(timeout);
        try
        {
            await WriteInputAsync(process, job.Parameters, limit.Token);
            await process.WaitForExitAsync(limit.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            cancel.ThrowIfCancellationRequested();
            return RunOutcome.Failure("timeout", $"The command did not finish within {timeout.TotalSeconds:0.###} s.",
                retryable: true, new { DurationMs = clock.ElapsedMilliseconds });
        }

        var output = await stdout;
        var errors = await stderr;
        var metrics = new { DurationMs = clock.ElapsedMilliseconds, ExitCode = process.ExitCode };
        if (process.ExitCode != 0)
        {
            var tail = errors.Trim();
            tail = tail.Length <= StderrTailChars ? tail : "…" + tail[^StderrTailChars..];
            return RunOutcome.Failure("exit_code",
                $"The command exited with {process.ExitCode}{(tail.Length > 0 ? ": " + tail : ".")}",
                retryable: process.ExitCode == RetryableExitCode, metrics);
        }

        if (Encoding.UTF8.GetByteCount(output) > MaxOutputBytes)
        {
            return RunOutcome.Failure("result_too_large", "The command printed more than 1 MiB.", false, metrics);
        }

        try
        {
            using var document = JsonDocument.Parse(output);
            return RunOutcome.Success(document.RootElement.Clone(), metrics);
        }
        catch (JsonException e)
        {
            return RunOutcome.Failure("invalid_output", $"The command's stdout is not JSON: {e.Message}",
                retryable: false, metrics);
        }
    }

    private static async Task WriteInputAsync(Process process, JsonElement parameters, CancellationToken cancel)
    {
        try
        {
            await process.StandardInput.WriteAsync(parameters.GetRawText().AsMemory(), cancel);
            await process.StandardInput.FlushAsync(cancel);
            process.StandardInput.Close();
        }
        catch (IOException)
        {
            // The command exited or closed stdin without reading it all: its exit code and output decide.
        }
    }
}
