using System.Globalization;

namespace Aitbc.Coordinator.Operations;

/// <summary>
/// <c>dotnet Aitbc.Coordinator.dll healthcheck</c>: asks the running Coordinator's <c>/readyz</c> and exits 0 when it
/// is ready, 1 when not. It is the container's health check, since the runtime image has no curl or wget.
/// </summary>
internal static class HealthProbe
{
    public const string Command = "healthcheck";

    public static async Task<int> RunAsync()
    {
        var host = Environment.GetEnvironmentVariable("API_HOST") is { Length: > 0 } configured
            && configured is not ("0.0.0.0" or "::" or "[::]")
                ? configured
                : "127.0.0.1";
        var port = int.TryParse(Environment.GetEnvironmentVariable("API_PORT"), NumberStyles.None,
            CultureInfo.InvariantCulture, out var parsed) ? parsed : 8000;
        var url = $"http://{(host.Contains(':', StringComparison.Ordinal) ? $"[{host}]" : host)}:{port}/readyz";
        try
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
            using var response = await http.GetAsync(url);
            await Console.Out.WriteLineAsync($"{url}: {(int)response.StatusCode}");
            return response.IsSuccessStatusCode ? 0 : 1;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            await Console.Out.WriteLineAsync($"{url}: {e.Message}");
            return 1;
        }
    }
}
