using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Aitbc.Coordinator.Tests.Infrastructure;

namespace Aitbc.Coordinator.Tests.Operations;

/// <summary>The deployment files, checked with the tools an operator would use on them.</summary>
public sealed partial class DeploymentTests
{
    private const string Prerequisites = "run scripts/test-prerequisites.sh (as root or with sudo).";

    [Fact]
    public async Task DockerfilePassesTheLinter()
    {
        var linter = Tools.InRepository(".tools/npm/node_modules/.bin/dockerfilelint");
        Assert.True(File.Exists(linter), $"dockerfilelint is not installed: {Prerequisites}");

        var (exitCode, output) = await Tools.RunAsync(linter, ["--output", "json", "Dockerfile"]);

        Assert.True(exitCode == 0, output);
        Assert.Equal(0, JsonNode.Parse(output)!["totalIssues"]!.GetValue<int>());
    }

    [Fact]
    public async Task DockerfileBuildsInTwoStagesAndRunsAsTheUnprivilegedUser()
    {
        var dockerfile = await File.ReadAllTextAsync(Tools.InRepository("Dockerfile"));
        var ignored = await File.ReadAllLinesAsync(Tools.InRepository(".dockerignore"));
        var entrypoint = Tools.InRepository("deploy/docker/entrypoint.sh");

        var stages = FromLine().Matches(dockerfile).Select(m => m.Groups[1].Value).ToList();
        Assert.Equal(["mcr.microsoft.com/dotnet/sdk:10.0", "mcr.microsoft.com/dotnet/aspnet:10.0"], stages);
        var runtime = dockerfile[dockerfile.LastIndexOf("\nFROM ", StringComparison.Ordinal)..];
        Assert.Contains("\nWORKDIR /app\n", runtime, StringComparison.Ordinal);
        Assert.Contains("\nVOLUME /app/data\n", runtime, StringComparison.Ordinal);
        Assert.Contains("\nEXPOSE 8000\n", runtime, StringComparison.Ordinal);
        Assert.Contains("\nHEALTHCHECK ", runtime, StringComparison.Ordinal);
        Assert.Equal("sqlite:////app/data/coordinator.db", DockerfileEnvironment(dockerfile)["DATABASE_URL"]);
        Assert.Contains("**/bin/", ignored);
        Assert.Contains("**/*.db", ignored);
        Assert.Contains("setpriv --reuid=app --regid=app", await File.ReadAllTextAsync(entrypoint),
            StringComparison.Ordinal);
        var (exitCode, output) = await Tools.RunAsync("sh", ["-n", entrypoint]);
        Assert.True(exitCode == 0, output);
    }

    [Fact]
    public async Task PublishedServiceStartedWithTheDockerfileEnvironmentAnswersReadyz()
    {
        using var directory = new TestDirectory();
        var app = Path.Combine(directory.Path, "app");
        var (published, output) = await Tools.RunAsync("dotnet",
        [
            "publish", "src/Aitbc.Coordinator/Aitbc.Coordinator.csproj", "--configuration", "Release",
            "--output", app, "--artifacts-path", Path.Combine(directory.Path, "artifacts"), "-p:UseAppHost=false",
        ]);
        Assert.True(published == 0, output);
        var dockerfile = await File.ReadAllTextAsync(Tools.InRepository("Dockerfile"));
        var environment = DockerfileEnvironment(dockerfile);

        // As the page runs it: -e DATABASE_URL=sqlite:///data/coordinator.db, relative to WORKDIR /app. The port is
        // the one difference: 8000 may be taken on a shared machine.
        environment["DATABASE_URL"] = "sqlite:///data/coordinator.db";
        environment.Remove("API_PORT");
        await using var coordinator = await CoordinatorProcess.StartAsync(
            environment, binary: Path.Combine(app, "Aitbc.Coordinator.dll"), workingDirectory: app);
        using var http = coordinator.CreateClient();

        using var ready = await http.GetAsync("/readyz");
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.True(File.Exists(Path.Combine(app, "data", "coordinator.db")));
        var healthcheck = JsonNode.Parse(HealthcheckLine().Match(dockerfile).Groups[1].Value)!.AsArray()
            .Select(a => a!.GetValue<string>().Replace("/app/", app + "/", StringComparison.Ordinal))
            .ToList();
        var probeEnvironment = new Dictionary<string, string>(environment)
        {
            ["API_PORT"] = coordinator.BaseAddress.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        var (healthy, probeOutput) = await Tools.RunAsync(healthcheck[0], healthcheck.Skip(1), app, probeEnvironment);
        Assert.True(healthy == 0, probeOutput);
        Assert.Equal(0, await coordinator.TerminateAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task SystemdUnitVerifiesCleanlyAndTheCheckCatchesMistakes()
    {
        var analyze = Tools.Require("systemd-analyze", Prerequisites);
        var unit = Tools.InRepository("deploy/systemd/aitbc-coordinator.service");
        using var directory = new TestDirectory();
        var broken = Path.Combine(directory.Path, "aitbc-coordinator.service");
        await File.WriteAllTextAsync(broken, (await File.ReadAllTextAsync(unit))
            .Replace("Restart=on-failure", "Restart=sometimes", StringComparison.Ordinal));

        var (exitCode, output) = await Tools.RunAsync(analyze, ["verify", unit]);
        var (_, brokenOutput) = await Tools.RunAsync(analyze, ["verify", broken]);

        // systemd-analyze exits 0 even for lines it ignores, so any complaint naming the unit counts.
        Assert.True(exitCode == 0, output);
        Assert.DoesNotContain("aitbc-coordinator.service", output, StringComparison.Ordinal);
        Assert.Contains("aitbc-coordinator.service", brokenOutput, StringComparison.Ordinal);
        var text = await File.ReadAllTextAsync(unit);
        Assert.Contains("\nUser=aitbc\n", text, StringComparison.Ordinal);
        Assert.Contains("\nEnvironmentFile=/etc/aitbc/coordinator.env\n", text, StringComparison.Ordinal);
        Assert.Contains("\nStateDirectory=aitbc\n", text, StringComparison.Ordinal);
        Assert.Contains("\nRestart=on-failure\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task NginxConfigurationIsValidAndProxiesTheApiAlsoUnderApi()
    {
        var nginx = Tools.Require("nginx", Prerequisites);
        await using var coordinator = await TestCoordinator.StartAsync(
            settings: new Dictionary<string, string> { ["TRUSTED_PROXIES"] = "127.0.0.1" });
        using var directory = new TestDirectory();
        var port = CoordinatorProcess.FreePort();
        var site = (await File.ReadAllTextAsync(Tools.InRepository("deploy/nginx/aitbc-coordinator.conf")))
            .Replace("server 127.0.0.1:8000;", $"server 127.0.0.1:{coordinator.BaseAddress.Port};",
                StringComparison.Ordinal)
            .Replace("listen 80;", $"listen 127.0.0.1:{port};", StringComparison.Ordinal)
            .Replace("listen [::]:80;", "", StringComparison.Ordinal);
        var config = Path.Combine(directory.Path, "nginx.conf");
        await File.WriteAllTextAsync(Path.Combine(directory.Path, "site.conf"), site);
        await File.WriteAllTextAsync(config, $$"""
            pid {{directory.Path}}/nginx.pid;
            error_log {{directory.Path}}/error.log;
            events {}
            http {
                access_log off;
                client_body_temp_path {{directory.Path}}/body;
                proxy_temp_path {{directory.Path}}/proxy;
                include {{directory.Path}}/site.conf;
            }
            """);

        var (valid, output) = await Tools.RunAsync(nginx, ["-t", "-c", config, "-p", directory.Path]);
        Assert.True(valid == 0, output);

        var server = Task.Run(() => Tools.RunAsync(nginx, ["-c", config, "-p", directory.Path, "-g", "daemon off;"],
            timeout: TimeSpan.FromMinutes(2)));
        try
        {
            await WaitForPortAsync(port, server);
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
            http.DefaultRequestHeaders.Add("X-Api-Key", coordinator.ClientKey);

            using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/client/jobs")
            {
                Content = Http.Content(new { job_type = "llm_inference", parameters = new { } }),
            };
            request.Headers.Add("X-Request-Id", "through-nginx-1");
            using var submitted = await http.SendAsync(request);
            var jobId = (await submitted.ExpectAsync(HttpStatusCode.Created)).Str("job_id");
            Assert.Equal("through-nginx-1", Assert.Single(submitted.Headers.GetValues("X-Request-Id")));
            using var direct = await http.GetAsync($"/v1/client/jobs/{jobId}/status");
            await direct.ExpectAsync(HttpStatusCode.OK);
            using var hidden = await http.GetAsync("/api/metrics");
            Assert.Equal(HttpStatusCode.Forbidden, hidden.StatusCode);
            using var local = await http.GetAsync("/metrics");
            Assert.Equal(HttpStatusCode.OK, local.StatusCode);
            using var huge = await http.PostAsync("/api/v1/client/jobs",
                new ByteArrayContent(new byte[3 * 1024 * 1024]));
            Assert.Equal(HttpStatusCode.RequestEntityTooLarge, huge.StatusCode);
        }
        finally
        {
            var pid = int.Parse(await File.ReadAllTextAsync(Path.Combine(directory.Path, "nginx.pid")),
                System.Globalization.CultureInfo.InvariantCulture);
            await Tools.RunAsync("kill", ["-QUIT", pid.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
            await server;
        }
    }

    /// <summary>ENV lines of the Dockerfile's last stage, with their line continuations.</summary>
    private static Dictionary<string, string> DockerfileEnvironment(string dockerfile)
    {
        var runtime = dockerfile[dockerfile.LastIndexOf("\nFROM ", StringComparison.Ordinal)..]
            .Replace("\\\n", " ", StringComparison.Ordinal);
        var environment = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in runtime.Split('\n').Where(l => l.StartsWith("ENV ", StringComparison.Ordinal)))
        {
            foreach (var pair in line[4..].Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                var equals = pair.IndexOf('=', StringComparison.Ordinal);
                Assert.True(equals > 0, $"ENV item without '=': {pair}");
                environment[pair[..equals]] = pair[(equals + 1)..];
            }
        }

        Assert.NotEmpty(environment);
        return environment;
    }

    private static async Task WaitForPortAsync(int port, Task server)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            Assert.False(server.IsCompleted, $"nginx stopped: {(server.IsCompleted ? "see its error log" : "")}");
            try
            {
                using var socket = new TcpClient();
                await socket.ConnectAsync(IPAddress.Loopback, port);
                return;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(50);
            }
        }
    }

    [GeneratedRegex(@"^FROM (\S+)", RegexOptions.Multiline)]
    private static partial Regex FromLine();

    [GeneratedRegex(@"^\s+CMD (\[.*\])\s*$", RegexOptions.Multiline)]
    private static partial Regex HealthcheckLine();
}
