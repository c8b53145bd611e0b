using System.Diagnostics;
using Aitbc.Coordinator.Tests.Infrastructure;

namespace Aitbc.Cli.Tests.Infrastructure;

/// <summary>
/// The <c>aitbc</c> command as a real child process (<c>dotnet aitbc.dll …</c>), pointed at a test Coordinator
/// through AITBC_URL and AITBC_API_KEY, with its output collected line by line.
/// </summary>
public sealed class CliProcess : IAsyncDisposable
{
    private static readonly string CliPath = Path.Combine(AppContext.BaseDirectory, "aitbc.dll");
    private static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(90);

    private readonly Process _process;
    private readonly List<string> _stdout = [];
    private readonly List<string> _stderr = [];
    private readonly List<(Func<string, bool> Match, TaskCompletionSource<string> Found)> _waiters = [];
    private readonly Lock _lock = new();

    private CliProcess(Process process) => _process = process;

    public string Stdout
    {
        get
        {
            lock (_lock)
            {
                return string.Join('\n', _stdout);
            }
        }
    }

    public string Stderr
    {
        get
        {
            lock (_lock)
            {
                return string.Join('\n', _stderr);
            }
        }
    }

    public static CliProcess Start(
        TestCoordinator coordinator, string? apiKey, IEnumerable<string> args,
        IReadOnlyDictionary<string, string>? environment = null) =>
        Start(coordinator.BaseAddress.ToString(), apiKey, args, environment);

    public static CliProcess Start(
        string url, string? apiKey, IEnumerable<string> args, IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(CliPath);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["AITBC_URL"] = url;
        start.Environment.Remove("AITBC_API_KEY");
        if (apiKey is not null)
        {
            start.Environment["AITBC_API_KEY"] = apiKey;
        }

        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        var cli = new CliProcess(new Process { StartInfo = start, EnableRaisingEvents = true });
        cli._process.OutputDataReceived += (_, e) => cli.Add(cli._stdout, e.Data);
        cli._process.ErrorDataReceived += (_, e) => cli.Add(cli._stderr, e.Data);
        cli._process.Start();
        cli._process.StandardInput.Close();
        cli._process.BeginOutputReadLine();
        cli._process.BeginErrorReadLine();
        return cli;
    }

    /// <summary>Runs the command to its end and returns its exit code and output.</summary>
    public static async Task<CliResult> RunAsync(TestCoordinator coordinator, string? apiKey, params string[] args)
    {
        await using var cli = Start(coordinator, apiKey, args);
        var exitCode = await cli.WaitForExitAsync();
        return new CliResult(exitCode, cli.Stdout, cli.Stderr);
    }

    /// <summary>Waits for a line on stdout or stderr that matches, and returns it.</summary>
    public async Task<string> WaitForLineAsync(Func<string, bool> match, TimeSpan? timeout = null)
    {
        var found = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_lock)
        {
            var seen = _stdout.Concat(_stderr).FirstOrDefault(match);
            if (seen is not null)
            {
                return seen;
            }

            _waiters.Add((match, found));
        }

        var done = await Task.WhenAny(found.Task, Task.Delay(timeout ?? DefaultTimeout), ExitedAsync());
        Assert.True(done == found.Task, $"No such line came.\nstdout:\n{Stdout}\nstderr:\n{Stderr}");
        return await found.Task;
    }

    public async Task<int> WaitForExitAsync(TimeSpan? timeout = null)
    {
        using var limit = new CancellationTokenSource(timeout ?? DefaultTimeout);
        try
        {
            await _process.WaitForExitAsync(limit.Token);
        }
        catch (OperationCanceledException)
        {
            Assert.Fail($"aitbc did not exit.\nstdout:\n{Stdout}\nstderr:\n{Stderr}");
        }

        // Drains the redirected output, which may still be in flight after the exit.
        _process.WaitForExit();
        return _process.ExitCode;
    }

    /// <summary>Sends SIGTERM, as a service manager stopping the process would.</summary>
    public async Task TerminateAsync()
    {
        var pid = _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture);
        using var kill = Process.Start("kill", ["-TERM", pid]);
        await kill.WaitForExitAsync();
        Assert.Equal(0, kill.ExitCode);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }

    private Task ExitedAsync() => _process.WaitForExitAsync();

    private void Add(List<string> lines, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_lock)
        {
            lines.Add(line);
            foreach (var waiter in _waiters.Where(w => w.Match(line)).ToList())
            {
                _waiters.Remove(waiter);
                waiter.Found.TrySetResult(line);
            }
        }
    }
}

public sealed record CliResult(int ExitCode, string Stdout, string Stderr)
{
    public System.Text.Json.Nodes.JsonNode Json() =>
        System.Text.Json.Nodes.JsonNode.Parse(Stdout) ?? throw new InvalidOperationException("stdout was null");

    public override string ToString() => $"exit {ExitCode}\nstdout:\n{Stdout}\nstderr:\n{Stderr}";
}
