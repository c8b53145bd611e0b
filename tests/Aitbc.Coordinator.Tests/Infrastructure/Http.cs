using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Aitbc.Coordinator.Tests.Infrastructure;

/// <summary>Small helpers to speak the API's JSON and check its problem details.</summary>
public static class Http
{
    public static Task<HttpResponseMessage> PostJsonAsync(this HttpClient client, string path, object? body) =>
        client.PostAsync(path, Content(body));

    public static Task<HttpResponseMessage> PostRawAsync(
        this HttpClient client, string path, string body, string contentType = "application/json") =>
        client.PostAsync(path, new StringContent(body, Encoding.UTF8, contentType));

    public static StringContent Content(object? body) => new(
        body is string text ? text : JsonSerializer.Serialize(body), Encoding.UTF8, "application/json");

    public static async Task<JsonNode> JsonAsync(this HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        return JsonNode.Parse(text) ?? throw new InvalidOperationException("The body was JSON null.");
    }

    /// <summary>Asserts the status and returns the parsed body, showing the body when the status is wrong.</summary>
    public static async Task<JsonNode> ExpectAsync(this HttpResponseMessage response, HttpStatusCode status)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status,
            $"Expected {(int)status} but got {(int)response.StatusCode}: {text}");
        return text.Length == 0 ? new JsonObject() : JsonNode.Parse(text)!;
    }

    /// <summary>Asserts an RFC 9457 problem with the given status and code, and a detail worth reading.</summary>
    public static async Task<JsonNode> ExpectProblemAsync(
        this HttpResponseMessage response, HttpStatusCode status, string? code = null)
    {
        var body = await response.ExpectAsync(status);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal((int)status, body["status"]!.GetValue<int>());
        Assert.False(string.IsNullOrWhiteSpace(body["title"]?.GetValue<string>()));
        Assert.False(string.IsNullOrWhiteSpace(body["type"]?.GetValue<string>()));
        Assert.False(string.IsNullOrWhiteSpace(body["detail"]?.GetValue<string>()), $"No detail in {body}");
        var actual = body["code"]?.GetValue<string>();
        Assert.False(string.IsNullOrWhiteSpace(actual));
        if (code is not null)
        {
            Assert.Equal(code, actual);
        }

        return body;
    }

    public static string Str(this JsonNode? node, string name) =>
        node?[name]?.GetValue<string>() ?? throw new InvalidOperationException($"No string '{name}' in {node}");
}
