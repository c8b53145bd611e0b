using System.Collections.Concurrent;

namespace Aitbc.Coordinator.Jobs;

/// <summary>
/// In-process wake-ups for long-polls, raised only after the change they announce has committed: miners wait for
/// "a job was queued", clients for "this job changed". A waiter takes the task first and checks the database second,
/// so a signal raised in between is never missed.
/// </summary>
internal sealed class JobSignals
{
    private TaskCompletionSource _queued = NewSource();
    private readonly ConcurrentDictionary<string, TaskCompletionSource> _changes = new(StringComparer.Ordinal);

    /// <summary>Completes at the next commit that queues work.</summary>
    public Task NextQueued => Volatile.Read(ref _queued).Task;

    public void Queued() => Interlocked.Exchange(ref _queued, NewSource()).TrySetResult();

    /// <summary>Completes at the next committed change of the job's state.</summary>
    public Task NextChange(string jobId) => _changes.GetOrAdd(jobId, _ => NewSource()).Task;

    public void Changed(string jobId)
    {
        if (_changes.TryRemove(jobId, out var source))
        {
            source.TrySetResult();
        }
    }

    public void Changed(IEnumerable<string> jobIds)
    {
        foreach (var id in jobIds)
        {
            Changed(id);
        }
    }

    /// <summary>Waits for <paramref name="signal"/> up to <paramref name="timeout"/>; false when time ran out.</summary>
    public static async Task<bool> WaitAsync(Task signal, TimeSpan timeout, TimeProvider clock, CancellationToken cancel)
    {
        if (timeout <= TimeSpan.Zero)
        {
            return false;
        }

        try
        {
            await signal.WaitAsync(timeout, clock, cancel);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
        catch (OperationCanceledException)
        {
            // Shutdown or a client that went away: answer with what there is.
            return false;
        }
    }

    private static TaskCompletionSource NewSource() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
