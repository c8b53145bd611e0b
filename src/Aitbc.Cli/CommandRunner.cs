using System.CommandLine;
using System.Text.Json;
using Aitbc.Client;

namespace Aitbc.Cli;

/// <summary>Runs a command's body and turns whatever it throws into one line and an exit code.</summary>
internal static class CommandRunner
{
    public static void SetGuardedAction(
        this Command command, GlobalOptions globals, Func<ParseResult, Output, CancellationToken, Task<int>> body)
    {
        command.SetAction(async (parsed, cancel) =>
        {
            var output = globals.Output(parsed);
            try
            {
                return await body(parsed, output, cancel);
            }
            catch (UsageException e)
            {
                output.Error("usage_error", e.Message);
                return ExitCodes.Usage;
            }
            catch (AitbcApiException e)
            {
                output.Error(e.Code, $"{e.Detail} ({e.Code}, HTTP {e.Status})", e.Status);
                return e.Status switch
                {
                    404 => ExitCodes.NotFound,
                    >= 400 and < 500 => ExitCodes.ClientError,
                    _ => ExitCodes.ServerError,
                };
            }
            catch (AitbcNetworkException e)
            {
                output.Error("network_error", e.Message);
                return ExitCodes.ServerError;
            }
            catch (AitbcProtocolException e)
            {
                output.Error("protocol_error", e.Message);
                return ExitCodes.ServerError;
            }
            catch (OperationCanceledException) when (cancel.IsCancellationRequested)
            {
                output.Error("interrupted", "Interrupted.");
                return ExitCodes.Interrupted;
            }
        });
    }

    /// <summary>Reads <c>JSON</c>, <c>@file</c> or <c>@-</c> (stdin) as a JSON object.</summary>
    public static JsonElement ReadJsonObject(string text, string option)
    {
        string json;
        if (text.StartsWith('@'))
        {
            var path = text[1..];
            try
            {
                json = path == "-" ? Console.In.ReadToEnd() : File.ReadAllText(path);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new UsageException($"{option}: cannot read {path}: {e.Message}");
            }
        }
        else
        {
            json = text;
        }

        try
        {
            using var document = JsonDocument.Parse(json);
            return document.RootElement.ValueKind == JsonValueKind.Object
                ? document.RootElement.Clone()
                : throw new UsageException($"{option} must be a JSON object, as in '{{\"prompt\": \"hi\"}}'.");
        }
        catch (JsonException e)
        {
            throw new UsageException($"{option} is not valid JSON: {e.Message}");
        }
    }

    public static IReadOnlyList<string> SplitList(string? text) =>
        text is null
            ? []
            : [.. text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];
}
