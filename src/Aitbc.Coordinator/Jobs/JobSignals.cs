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

    private readonly Lock _gate = new();
    private readonly LinkedList<WorkWait> _idle = new();
    private readonly ConcurrentDictionary<string, TaskCompletionSource> _changes = new(StringComparer.Ordinal);

    /// <summary>
    /// Registers a miner that is about to look for work and then wait. Register first, look second, so work queued
    /// in between still wakes it. Each queued job wakes one waiting miner, first come first served, rather than all
    /// of them: with many idle miners, waking everyone for every job would make each job cost a take per miner.
    /// </summary>
    public WorkWait WaitForWork()
    {
        var wait = new WorkWait(this);
        lock (_gate)
        {
            wait.Node = _idle.AddLast(wait);
        }

        return wait;
    }

    /// <summary>
    /// Wakes one waiting miner for each of <paramref name="jobs"/> newly queued jobs. With the jobs'
    /// <paramref name="demand"/> known, the wake goes to the first miner in line that can run them, passing over the
    /// ones that cannot (or are full); a miner so chosen that then finds nothing lost a race for the job, and nobody
    /// else needs waking. Without it, the first in line is woken, and if it finds nothing it wakes everyone.
    /// </summary>
    public void Queued(int jobs = 1, JobDemand? demand = null)
    {
        lock (_gate)
        {
            var node = _idle.First;
            var woken = 0;
            while (node is not null && woken < jobs)
            {
                var next = node.Next;
                var wait = node.Value;
                var targeted = demand is not null && wait.Known;
                if (!targeted || (wait.Offer is not null && demand!.Fits(wait.Offer)))
                {
                    _idle.Remove(node);
                    wait.Node = null;
                    wait.Targeted = targeted;
                    wait.Source.TrySetResult(true);
                    woken++;
                }

                node = next;
            }
        }
    }

    /// <summary>
    /// Wakes every waiting miner: when a woken miner could not take the job it was woken for, someone else may be
    /// able to, and after announcements from other processes may have been missed.
    /// </summary>
    public void WakeAllMiners()
    {
        List<WorkWait> woken;
        lock (_gate)
        {
            woken = [.. _idle];
            _idle.Clear();
        }

        foreach (var wait in woken)
        {
            wait.Node = null;
            wait.Source.TrySetResult(false);
        }
    }

    private void Leave(WorkWait wait)
    {
        bool handedOn;
        lock (_gate)
        {
            if (wait.Node is { } node)
            {
                _idle.Remove(node);
                wait.Node = null;
                return;
            }

            // Woken for a job but gone without looking for it: the wake goes to the next miner in line.
            handedOn = wait.Source.Task is { IsCompletedSuccessfully: true, Result: true } && !wait.Consumed;
        }

        if (handedOn)
        {
            Queued();
        }
    }

    /// <summary>One miner's place in line; dispose it when done waiting.</summary>
    internal sealed class WorkWait(JobSignals signals) : IDisposable
    {
        public TaskCompletionSource<bool> Source { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public LinkedListNode<WorkWait>? Node { get; set; }

        /// <summary>Whether the miner has looked since taking its place: then <see cref="Offer"/> is current.</summary>
        public bool Known { get; private set; }

        /// <summary>What the miner can run now; null when it can take nothing more (full, draining, blocked).</summary>
        public MinerOffer? Offer { get; private set; }

        /// <summary>Woken by a job it can run, rather than on the chance that it can.</summary>
        public bool Targeted { get; set; }

        public bool Consumed { get; private set; }

        /// <summary>True when woken for a queued job, false when woken with everyone.</summary>
        public Task<bool> Woken => Source.Task;

        /// <summary>Tells the line what the miner can run after its last look, so wakes for jobs can pick it.</summary>
        public void Looked(MinerOffer? offer)
        {
            lock (signals._gate)
            {
                Offer = offer;
                Known = true;
            }
        }

        /// <summary>Says the miner is about to look for the job it was woken for.</summary>
        public bool Consume()
        {
            Consumed = true;
            return Source.Task is { IsCompletedSuccessfully: true, Result: true };
        }

        public void Dispose() => signals.Leave(this);
    }

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

    /// <summary>
    /// Once <paramref name="scope"/> commits, wakes a miner waiting for work for each of <paramref name="jobs"/>
    /// jobs, here and elsewhere.
    /// </summary>
    public void Queued(WriteScope scope, int jobs = 1, JobDemand? demand = null)
    {
        scope.OnCommitted(() => Queued(jobs, demand));
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
                // A notice may stand for several jobs: let every local miner look.
                WakeAllMiners();
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
        WakeAllMiners();
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
