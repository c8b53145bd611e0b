using System.Net.Http.Headers;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace Aitbc.Coordinator.Tests.Infrastructure;

/// <summary>
/// A real Coordinator on a real Kestrel socket and a real SQLite file of its own (or a PostgreSQL database of its
/// own, see <see cref="TestDatabase"/>), for one test. Every test builds its own, so tests share nothing and run in
/// parallel.
/// </summary>
public sealed class TestCoordinator : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly TestDirectory _directory;
    private readonly bool _ownsDirectory;

    private TestCoordinator(WebApplication app, TestDirectory directory, bool ownsDirectory, Uri baseAddress,
        IReadOnlyList<string> keys, string adminKey)
    {
        _app = app;
        _directory = directory;
        _ownsDirectory = ownsDirectory;
        BaseAddress = baseAddress;
        Keys = keys;
        AdminKey = adminKey;
    }

    public Uri BaseAddress { get; }

    /// <summary>Keys from API_KEYS: each has the client and the miner role and is its own principal.</summary>
    public IReadOnlyList<string> Keys { get; }

    public string ClientKey => Keys[0];

    public string OtherClientKey => Keys[1];

    /// <summary>A key from ADMIN_API_KEYS: the admin role only.</summary>
    public string AdminKey { get; }

    public IServiceProvider Services => _app.Services;

    public string DatabasePath => _directory.File("coordinator.db");

    public TestDirectory Directory => _directory;

    /// <summary>Options a test may set; the names are the environment variables of the spec.</summary>
    public static async Task<TestCoordinator> StartAsync(
        int keys = 4,
        IReadOnlyDictionary<string, string>? settings = null,
        TestDirectory? directory = null,
        Action<IServiceCollection>? services = null)
    {
        var ownsDirectory = directory is null;
        directory ??= new TestDirectory();
        var apiKeys = Enumerable.Range(0, keys).Select(i => $"test-key-{i:D3}-{directory.Name}").ToList();
        var adminKey = $"test-admin-key-{directory.Name}";
        var config = new Dictionary<string, string>
        {
            ["DATABASE_URL"] = await TestDatabase.UrlAsync(directory),
            ["API_HOST"] = "127.0.0.1",
            ["API_PORT"] = "0",
            ["SECRET_KEY"] = "test-secret-key-0123456789abcdef",
            ["API_KEYS"] = string.Join(',', apiKeys),
            ["ADMIN_API_KEYS"] = adminKey,
            ["Logging:LogLevel:Default"] = "Warning",
        };
        foreach (var (name, value) in settings ?? new Dictionary<string, string>())
        {
            config[name] = value;
        }

        var app = CoordinatorApp.Build([.. config.Select(kv => $"--{kv.Key}={kv.Value}")], services);
        await CoordinatorApp.InitializeAsync(app);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!
            .Addresses.First();
        return new TestCoordinator(app, directory, ownsDirectory, new Uri(address), apiKeys, adminKey);
    }

    public HttpClient CreateClient(string? apiKey = null)
    {
        var client = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(120) };
        client.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        if (apiKey is not null)
        {
            client.DefaultRequestHeaders.Add("X-Api-Key", apiKey);
        }

        return client;
    }

    public T GetService<T>() where T : notnull => _app.Services.GetRequiredService<T>();

    /// <summary>Stops the server gracefully, as SIGTERM would; the database file stays for a restart.</summary>
    public async Task StopAsync()
    {
        await _app.StopAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        if (_ownsDirectory)
        {
            _directory.Dispose();
        }
    }
}

/// <summary>A temporary folder deleted when the test ends.</summary>
public sealed class TestDirectory : IDisposable
{
    private readonly List<Action> _cleanups = [];

    public TestDirectory()
    {
        Name = Guid.NewGuid().ToString("N")[..12];
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "aitbc-tests", Name);
        System.IO.Directory.CreateDirectory(Path);
    }

    public string Name { get; }

    public string Path { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    /// <summary>The PostgreSQL database created for this folder, if any.</summary>
    public string? Database { get; set; }

    /// <summary>Runs <paramref name="cleanup"/> when the folder is deleted, for what lives outside it.</summary>
    public void OnDispose(Action cleanup) => _cleanups.Add(cleanup);

    public void Dispose()
    {
        foreach (var cleanup in _cleanups)
        {
            cleanup();
        }

        try
        {
            System.IO.Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // A file still held open by a process being torn down; the temp folder is cleaned by the OS.
        }
    }
}
