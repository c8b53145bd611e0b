using System.Collections.Concurrent;
using Aitbc.Coordinator.Data;

namespace Aitbc.Coordinator.Jobs;

/// <summary>
/// Wake-ups for long-polls, raised only after the change they announce has committed: miners wait for "a job was
/// queued", clients for "this job changed". A waiter takes the task first and checks the database second, so a signal
/// raised in between is never missed. Transitions announce through a <see cref="WriteScope"/>, which also tells other
/// processes on the same database (<see cref="WriteScope.Publish"/>); what they announce arrives in
/// <see cref="Receive"/>.
/// </summary>
internal sealed class JobSignals
{
    private const string QueuedNotice = "queued";

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

    /// <summary>Once <paramref name="scope"/> commits, wakes the miners waiting for work here and elsewhere.</summary>
    public void Queued(WriteScope scope)
    {
        scope.OnCommitted(Queued);
        scope.Publish(QueuedNotice);
    }

    /// <summary>Once <paramref name="scope"/> commits, wakes whoever waits on these jobs, here and elsewhere.</summary>
    public void Changed(WriteScope scope, IReadOnlyCollection<string> jobIds)
    {
        if (jobIds.Count == 0)
        {
            return;
        }

        scope.OnCommitted(() => Changed(jobIds));
        foreach (var id in jobIds)
        {
            scope.Publish(id);
        }
    }

    /// <summary>What another process announced, once its change committed.</summary>
    public void Receive(ReadOnlySpan<string> notices)
    {
        foreach (var notice in notices)
        {
            if (notice == QueuedNotice)
            {
                Queued();
            }
            else
            {
                Changed(notice);
            }
        }
    }

    /// <summary>Wakes every waiter to look again, after announcements may have been missed.</summary>
    public void WakeAll()
    {
        Queued();
        Changed(_changes.Keys);
    }

    /// <summary>
    /// Waits for <paramref name="signal"/> up to <paramref name="timeout"/>; false when time ran out.
    /// </summary>
    public static async Task<bool> WaitAsync(
        Task signal, TimeSpan timeout, TimeProvider clock, CancellationToken cancel)
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
