using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Aitbc.Cli.Tests.Infrastructure;
using Aitbc.Coordinator.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Aitbc.Cli.Tests;

public sealed class OpenAiRunnerTests
{
    [Fact]
    public async Task LlmInferenceRunsThroughAChatCompletionsServer()
    {
        await using var coordinator = await TestCoordinator.StartAsync();
        await using var model = await FakeChatServer.StartAsync();
        using var client = coordinator.Client();
        var fromPrompt = await client.SubmitIdAsync(new
        {
            job_type = "llm_inference",
            parameters = new { model = "tiny", prompt = "Say hi", max_tokens = 5 },
        });
        var fromMessages = await client.SubmitIdAsync(new
        {
            job_type = "llm_inference",
            parameters = new
            {
                messages = new[]
                {
                    new { role = "system", content = "Be brief." },
                    new { role = "user", content = "Hello there" },
                },
            },
        });
        var unknownModel = await client.SubmitIdAsync(new
        {
            job_type = "llm_inference",
            parameters = new { model = "missing", prompt = "x" },
            max_attempts = 2,
        });
        var noPrompt = await client.SubmitIdAsync(new
        {
            job_type = "llm_inference",
            parameters = new { model = "tiny" },
            max_attempts = 2,
        });

        await using var miner = CliProcess.Start(coordinator, coordinator.Keys[2],
        [
            "miner", "run", "--runner", "openai", "--endpoint", model.Address, "--model", "default-model",
            "--concurrency", "2",
        ]);

        var answered = await MinerProcessTests.WaitForFinalAsync(client, fromPrompt);
        Assert.Equal("completed", answered.Str("state"));
        Assert.Equal("echo: Say hi", answered["result"]!.Str("text"));
        Assert.Equal("stop", answered["result"]!.Str("finish_reason"));
        Assert.Equal(2, answered["metrics"]!["prompt_tokens"]!.GetValue<int>());
        Assert.Equal(3, answered["metrics"]!["completion_tokens"]!.GetValue<int>());
        Assert.Equal(5, answered["metrics"]!["total_tokens"]!.GetValue<int>());
        var sent = model.Requests.Single(r => r["model"]!.GetValue<string>() == "tiny"
            && r["messages"]![0]!["content"]!.GetValue<string>() == "Say hi");
        Assert.Equal(5, sent["max_tokens"]!.GetValue<int>());
        Assert.Equal("user", sent["messages"]![0]!["role"]!.GetValue<string>());

        var chatted = await MinerProcessTests.WaitForFinalAsync(client, fromMessages);
        Assert.Equal("completed", chatted.Str("state"));
        Assert.Equal("echo: Hello there", chatted["result"]!.Str("text"));
        Assert.Equal("default-model", chatted["result"]!.Str("model"));

        var refused = await MinerProcessTests.WaitForFinalAsync(client, unknownModel);
        Assert.Equal("failed", refused.Str("state"));
        Assert.Equal(1, refused["attempts"]!.GetValue<int>());
        Assert.Equal("inference_rejected", refused["error"]!.Str("code"));
        Assert.Contains("404", refused["error"]!.Str("message"), StringComparison.Ordinal);

        var invalid = await MinerProcessTests.WaitForFinalAsync(client, noPrompt);
        Assert.Equal("failed", invalid.Str("state"));
        Assert.Equal("invalid_parameters", invalid["error"]!.Str("code"));

        await miner.TerminateAsync();
        Assert.Equal(0, await miner.WaitForExitAsync());
    }

    /// <summary>A small server that speaks the chat completions protocol: it echoes the last message.</summary>
    private sealed class FakeChatServer : IAsyncDisposable
    {
        private readonly WebApplication _app;

        private FakeChatServer(WebApplication app, string address)
        {
            _app = app;
            Address = address;
        }

        public string Address { get; }

        public ConcurrentQueue<JsonNode> Requests { get; } = new();

        public static async Task<FakeChatServer> StartAsync()
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            builder.Logging.ClearProviders();
            var app = builder.Build();
            FakeChatServer? server = null;
            app.MapPost("/v1/chat/completions", async (HttpContext http) =>
            {
                var body = (await JsonNode.ParseAsync(http.Request.Body))!;
                server!.Requests.Enqueue(body);
                var name = body["model"]!.GetValue<string>();
                if (name == "missing")
                {
                    return Results.Json(new { error = new { message = $"model '{name}' not found" } }, statusCode: 404);
                }

                var messages = body["messages"]!.AsArray();
                var last = messages[^1]!["content"]!.GetValue<string>();
                var words = last.Split(' ').Length;
                return Results.Json(new
                {
                    id = "chatcmpl-1",
                    @object = "chat.completion",
                    model = name,
                    choices = new[]
                    {
                        new
                        {
                            index = 0,
                            message = new { role = "assistant", content = $"echo: {last}" },
                            finish_reason = "stop",
                        },
                    },
                    usage = new { prompt_tokens = words, completion_tokens = 3, total_tokens = words + 3 },
                });
            });
            await app.StartAsync();
            var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!
                .Addresses.First();
            server = new FakeChatServer(app, address);
            return server;
        }

        public async ValueTask DisposeAsync()
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }
}
