using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Aitbc.Client.Miners;

namespace Aitbc.Cli.Mining;

/// <summary>
/// Runs <c>llm_inference</c> jobs on any server that speaks OpenAI's chat completions protocol (Ollama, vLLM,
/// llama.cpp…). The parameters give <c>model</c>, <c>messages</c> or <c>prompt</c>, and optionally
/// <c>max_tokens</c> and <c>temperature</c>; the result is the answer's text, the metrics its token counts.
/// A refusal by the model server (4xx) fails the job for good; an outage (5xx, 429, no answer) is retryable.
/// </summary>
internal sealed class OpenAiRunner(
    HttpClient http, Uri endpoint, string? defaultModel, TimeSpan timeout, string? apiKey) : IJobRunner
{
    public const string JobType = "llm_inference";

    private readonly Uri _completions = CompletionsUri(endpoint);

    public async Task<RunOutcome> RunAsync(LeasedJob job, CancellationToken cancel)
    {
        if (job.JobType != JobType)
        {
            return RunOutcome.Failure("unsupported_job_type", $"This miner runs only {JobType} jobs.", false);
        }

        var (body, problem) = BuildRequest(job.Parameters);
        if (body is null)
        {
            return RunOutcome.Failure("invalid_parameters", problem!, retryable: false);
        }

        var clock = Stopwatch.StartNew();
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        limit.CancelAfter(timeout);
        using var request = new HttpRequestMessage(HttpMethod.Post, _completions)
        {
            Content = JsonContent.Create(body),
        };
        if (apiKey is not null)
        {
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", apiKey);
        }

        try
        {
            using var response = await http.SendAsync(request, limit.Token);
            var text = await response.Content.ReadAsStringAsync(limit.Token);
            if (!response.IsSuccessStatusCode)
            {
                var retryable = (int)response.StatusCode >= 500
                    || response.StatusCode is HttpStatusCode.TooManyRequests or HttpStatusCode.RequestTimeout;
                return RunOutcome.Failure(retryable ? "inference_unavailable" : "inference_rejected",
                    $"The model server answered {(int)response.StatusCode}: {Shorten(text)}", retryable);
            }

            return ReadAnswer(text, clock.ElapsedMilliseconds);
        }
        catch (OperationCanceledException) when (!cancel.IsCancellationRequested)
        {
            return RunOutcome.Failure("timeout",
                $"The model server did not answer within {timeout.TotalSeconds:0.###} s.", retryable: true);
        }
        catch (HttpRequestException e)
        {
            return RunOutcome.Failure("inference_unavailable", $"Cannot reach the model server: {e.Message}", true);
        }
    }

    private (JsonObject? Body, string? Problem) BuildRequest(JsonElement parameters)
    {
        if (parameters.ValueKind != JsonValueKind.Object)
        {
            return (null, "The parameters must be a JSON object.");
        }

        var model = parameters.TryGetProperty("model", out var m) && m.ValueKind == JsonValueKind.String
            ? m.GetString()
            : defaultModel;
        if (string.IsNullOrWhiteSpace(model))
        {
            return (null, "Give a model in the parameters (this miner has no default model).");
        }

        JsonNode messages;
        if (parameters.TryGetProperty("messages", out var given) && given.ValueKind == JsonValueKind.Array
            && given.GetArrayLength() > 0)
        {
            messages = JsonNode.Parse(given.GetRawText())!;
        }
        else if (parameters.TryGetProperty("prompt", out var prompt) && prompt.ValueKind == JsonValueKind.String)
        {
            messages = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = prompt.GetString() });
        }
        else
        {
            return (null, "Give messages (a non-empty array) or prompt (a string) in the parameters.");
        }

        var body = new JsonObject { ["model"] = model, ["messages"] = messages, ["stream"] = false };
        if (parameters.TryGetProperty("max_tokens", out var maxTokens))
        {
            if (maxTokens.ValueKind != JsonValueKind.Number || !maxTokens.TryGetInt32(out var tokens) || tokens < 1)
            {
                return (null, "max_tokens must be a positive whole number.");
            }

            body["max_tokens"] = tokens;
        }

        if (parameters.TryGetProperty("temperature", out var temperature))
        {
            if (temperature.ValueKind != JsonValueKind.Number)
            {
                return (null, "temperature must be a number.");
            }

            body["temperature"] = temperature.GetDouble();
        }

        return (body, null);
    }

    private static RunOutcome ReadAnswer(string text, long durationMs)
    {
        try
        {
            var answer = JsonNode.Parse(text);
            var choice = answer?["choices"]?[0];
            var content = choice?["message"]?["content"]?.GetValue<string>();
            if (content is null)
            {
                return RunOutcome.Failure("invalid_output",
                    "The model server's answer has no choices[0].message.content.",
                    retryable: true);
            }

            var usage = answer!["usage"];
            var result = JsonSerializer.SerializeToElement(new
            {
                text = content,
                model = answer["model"]?.GetValue<string>(),
                finish_reason = choice!["finish_reason"]?.GetValue<string>(),
            });
            return RunOutcome.Success(result, new
            {
                PromptTokens = usage?["prompt_tokens"]?.GetValue<int>(),
                CompletionTokens = usage?["completion_tokens"]?.GetValue<int>(),
                TotalTokens = usage?["total_tokens"]?.GetValue<int>(),
                DurationMs = durationMs,
            });
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            return RunOutcome.Failure("invalid_output",
                $"The model server's answer is not what was expected: {e.Message}",
                retryable: true);
        }
    }

    /// <summary>Accepts the server's base (<c>http://host:11434</c>) or its <c>/v1</c> base.</summary>
    private static Uri CompletionsUri(Uri endpoint)
    {
        var path = endpoint.AbsolutePath.TrimEnd('/');
        if (path.EndsWith("/chat/completions", StringComparison.Ordinal))
        {
            return endpoint;
        }

        var suffix = path.EndsWith("/v1", StringComparison.Ordinal) ? "/chat/completions" : "/v1/chat/completions";
        return new UriBuilder(endpoint) { Path = path + suffix }.Uri;
    }

    private static string Shorten(string text)
    {
        var line = text.ReplaceLineEndings(" ").Trim();
        return line.Length <= 300 ? line : line[..300] + "…";
    }
}
