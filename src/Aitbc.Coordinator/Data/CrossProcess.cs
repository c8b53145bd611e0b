
namespace Aitbc.Coordinator.Data;

/// <summary>
/// Carries the notices of committed changes (see <see cref="WriteScope.Publish"/>) to the other Coordinator
/// processes on the same database. The writer calls it inside the batch's transaction, just before the commit.
/// </summary>
internal interface INoticeBus
{
    Task PublishAsync(CoordinatorDb db, IReadOnlyCollection<string> notices);
}

/// <summary>
/// Background work that must run in one Coordinator process at a time, such as the sweeper or the payment watcher,
/// each known by a name. Another process takes a role over within seconds when its holder dies. The work must still
/// be safe to run twice for a moment (every transition is guarded), because a holder learns that it lost its role
/// only at its next check.
/// </summary>
internal interface IClusterSingleton
{
    /// <summary>
    /// Runs <paramref name="work"/> whenever this process holds the role <paramref name="name"/>, until
    /// <paramref name="stopping"/> fires. The token given to the work fires when the role is lost or the process stops.
    /// </summary>
    Task RunAsync(string name, Func<CancellationToken, Task> work, CancellationToken stopping);
}

/// <summary>A SQLite file has one Coordinator process: nobody else to tell, no role to share.</summary>
internal sealed class SingleProcess : INoticeBus, IClusterSingleton
{
    public Task PublishAsync(CoordinatorDb db, IReadOnlyCollection<string> notices) => Task.CompletedTask;

    public Task RunAsync(string name, Func<CancellationToken, Task> work, CancellationToken stopping) => work(stopping);
}
