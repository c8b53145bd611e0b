using Aitbc.Coordinator.Configuration;
using Aitbc.Coordinator.Data;

namespace Aitbc.Coordinator.Jobs;

/// <summary>
/// About once a second: requeues jobs whose lease ran out, retires miners that stopped sending heartbeats (and
/// requeues their jobs), and expires jobs past their time to live. Deadlines live in rows, not timers, so a restart
/// picks up exactly where the last process stopped. With several processes on one database, one of them sweeps.
/// </summary>
internal sealed partial class Sweeper(
    CoordinatorSettings settings,
    JobLifecycle lifecycle,
    DbWriter writer,
    IClusterSingleton singleton,
    TimeProvider clock,
    ILogger<Sweeper> logger) : BackgroundService
{
    // Bounded, so one sweep never holds the writer for long; a backlog clears over a few sweeps.
    private const int BatchLimit = 500;

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        singleton.RunAsync("sweeper", SweepUntilAsync, stoppingToken);

    private async Task SweepUntilAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(settings.SweepInterval, clock);
        var failing = false;
        while (await WaitAsync(timer, stoppingToken))
        {
            try
            {
                await SweepOnceAsync();
                if (failing)
                {
                    Log.Recovered(logger);
                    failing = false;
                }
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                // Log once per streak of failures, not once a second.
                if (!failing)
                {
                    Log.Failed(logger, e);
                    failing = true;
                }
            }
        }
    }

    public Task SweepOnceAsync() => writer.ExecuteAsync(async scope =>
    {
        await lifecycle.ExpireJobsAsync(scope, BatchLimit);
        await lifecycle.RetireSilentMinersAsync(scope, BatchLimit);
        await lifecycle.RequeueLapsedLeasesAsync(scope, BatchLimit);
    });

    private static async Task<bool> WaitAsync(PeriodicTimer timer, CancellationToken stoppingToken)
    {
        try
        {
            return await timer.WaitForNextTickAsync(stoppingToken);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private static partial class Log
    {
        [LoggerMessage(2101, LogLevel.Error, "The sweeper failed; it keeps trying every interval",
            EventName = "SweepFailed")]
        public static partial void Failed(ILogger logger, Exception exception);

        [LoggerMessage(2102, LogLevel.Information, "The sweeper works again", EventName = "SweepRecovered")]
        public static partial void Recovered(ILogger logger);
    }
}
