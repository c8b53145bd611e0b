using Aitbc.Coordinator.Admin;
using Aitbc.Coordinator.Auth;
using Aitbc.Coordinator.Common;
using Aitbc.Coordinator.Configuration;
using Aitbc.Coordinator.Data;
using Aitbc.Coordinator.Docs;
using Aitbc.Coordinator.Errors;
using Aitbc.Coordinator.Exchange;
using Aitbc.Coordinator.Health;
using Aitbc.Coordinator.Jobs;
using Aitbc.Coordinator.Ledger;
using Aitbc.Coordinator.Miners;
using Aitbc.Coordinator.Receipts;
using Aitbc.Coordinator.Users;
using Aitbc.Coordinator.Observability;
using Aitbc.Coordinator.Operations;

namespace Aitbc.Coordinator;

/// <summary>Builds the service: one block per concern, then one line per feature's endpoints.</summary>
internal static partial class CoordinatorApp
{
    /// <summary>Kestrel's ceiling; each endpoint sets its own, lower limit (see <see cref="BodyLimits"/>).</summary>
    private const long MaxBodyBytes = 2 * 1024 * 1024;

    public static WebApplication Build(string[] args, Action<IServiceCollection>? configureServices = null)
    {
        // appsettings.json ships beside the binary; the working directory is where the data goes.
        var builder = WebApplication.CreateBuilder(
            new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        var settings = CoordinatorSettings.Load(builder.Configuration);

        // Listen where API_HOST and API_PORT say.
        var host = settings.ApiHost.Contains(':', StringComparison.Ordinal)
            ? $"[{settings.ApiHost}]"
            : settings.ApiHost;
        builder.WebHost.UseUrls($"http://{host}:{settings.ApiPort}");
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = MaxBodyBytes;
        });
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(8));

        // Operations: console log format, metrics, client addresses behind proxies, CORS, rate limits.
        builder.Logging.AddCoordinatorConsole(settings.JsonLogs);
        builder.Services.AddObservability();
        builder.Services.AddEdgeProtection(settings);

        // Configuration, time and the wire format.
        builder.Services.AddSingleton(settings);
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.ConfigureHttpJsonOptions(options => Json.Configure(options.SerializerOptions));

        // Errors as problem details, credentials, documentation.
        builder.Services.AddProblems();
        builder.Services.AddCoordinatorAuth();
        builder.Services.AddSingleton(sp => new KeyHasher(
            KeyBootstrap.ResolveSecret(settings, sp.GetRequiredService<ILogger<KeyHasher>>())));
        builder.Services.AddApiDocs();

        // Storage: the database and its single writer.
        builder.Services.AddCoordinatorDatabase(settings.Database);

        // Jobs and miners.
        builder.Services.AddSingleton<JobSignals>();
        builder.Services.AddSingleton<JobProfiles>();
        builder.Services.AddSingleton<JobLifecycle>();
        builder.Services.AddSingleton<MinerDirectory>();
        builder.Services.AddSingleton<MinerKeys>();
        builder.Services.AddSingleton<Sweeper>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<Sweeper>());

        // Receipts: the signing keys, the issuer JobLifecycle calls on completion, the verifier and audit.
        builder.Services.AddReceipts();

        // Users and their money: wallet login, sessions beside API keys, the ledger that pays for jobs.
        builder.Services.AddUserAuth();
        builder.Services.AddSingleton(new WalletSignatures(WalletSignatures.NetworkNamed(settings.BitcoinNetwork)));
        builder.Services.AddSingleton<Bookkeeper>();

        // The exchange: Bitcoin payments for AITBC, watched on chain and credited once.
        builder.Services.AddSingleton<ExchangePayments>();
        builder.Services.AddHostedService<ExchangeWatcher>();

        configureServices?.Invoke(builder.Services);

        var app = builder.Build();
        app.UseForwardedClientAddress();
        app.UseRequestTelemetry();
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseRouting();
        app.UseCorsWhenConfigured();
        app.UseBodyLimits();
        app.UseAuthentication();
        app.UseRateLimiter();
        app.UseAuthorization();

        app.MapApiDocs();
        app.MapHealth();
        app.MapMetricsEndpoint();
        app.MapClientJobs();
        app.MapMiners();
        app.MapReceipts();
        app.MapUsers();
        app.MapLedger();
        app.MapExchange();
        app.MapAdmin();
        return app;
    }

    /// <summary>Everything that must be true before the first request: schema migrated, keys in place.</summary>
    public static async Task InitializeAsync(WebApplication app, CancellationToken cancel = default)
    {
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Aitbc.Coordinator.Startup");
        var settings = app.Services.GetRequiredService<CoordinatorSettings>();
        Log.Starting(logger, settings.Database.Describe());
        var hasher = app.Services.GetRequiredService<KeyHasher>();
        await using var startup = await DatabaseSetup.LockStartupAsync(app.Services, logger, cancel);
        await DatabaseSetup.MigrateAsync(app.Services, logger, cancel);
        await app.Services.GetRequiredService<ReceiptKeyring>().InitializeAsync(cancel);

        await using var scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<CoordinatorDb>();
        var now = app.Services.GetRequiredService<TimeProvider>().GetUtcNow().UtcDateTime;
        await KeyBootstrap.SyncAsync(db, hasher, settings, now, logger);
    }

    public static async Task<int> RunAsync(string[] args)
    {
        if (args is [HealthProbe.Command])
        {
            return await HealthProbe.RunAsync();
        }

        WebApplication app;
        try
        {
            app = Build(args);
        }
        catch (SettingsException e)
        {
            await Console.Error.WriteLineAsync($"aitbc-coordinator: {e.Message}");
            return 2;
        }

        try
        {
            await InitializeAsync(app);
        }
        catch (SettingsException e)
        {
            await Console.Error.WriteLineAsync($"aitbc-coordinator: {e.Message}");
            return 2;
        }

        await app.StartAsync();
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Aitbc.Coordinator.Startup");
        foreach (var url in app.Urls)
        {
            Log.Listening(logger, url, url.Replace("0.0.0.0", "localhost", StringComparison.Ordinal));
        }

        await app.WaitForShutdownAsync();
        return 0;
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Information, "Starting the AITBC Coordinator on {Database}", EventName = "Starting")]
        public static partial void Starting(ILogger logger, string database);

        [LoggerMessage(2, LogLevel.Information,
            "Listening on {Url}; API docs at {DocsBase}/docs and {DocsBase}/redoc, OpenAPI at {DocsBase}/openapi.json",
            EventName = "Listening")]
        public static partial void Listening(ILogger logger, string url, string docsBase);
    }
}
