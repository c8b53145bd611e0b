using System.Collections.Concurrent;
using System.Text.Json;
using Aitbc.Coordinator.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Aitbc.Coordinator.Jobs;

/// <summary>
/// One distinct set of requirements (models, VRAM, GPU, region). Jobs point at their profile, and the queue index
/// starts with the profile, so a miner looks only at the queues of profiles it can serve: a million queued jobs that
/// it cannot run cost it nothing. Real workloads have few distinct profiles; each one a miner can serve costs one
/// index seek per take.
/// </summary>
internal sealed class JobProfile
{
    public long Id { get; set; }

    /// <summary>The requirements in canonical JSON: the profile's identity.</summary>
    public required string Key { get; set; }

    /// <summary>Lowercase model names, sorted, as a JSON array.</summary>
    public required string Models { get; set; }

    public int? MinVramGb { get; set; }

    public string? Gpu { get; set; }

    public string? Region { get; set; }

    public bool Fits(MinerOffer offer, IReadOnlyList<string> models) =>
        new JobDemand(models, MinVramGb, Gpu, Region).Fits(offer);
}

internal sealed class JobProfileConfiguration : IEntityTypeConfiguration<JobProfile>
{
    public void Configure(EntityTypeBuilder<JobProfile> profile)
    {
        profile.ToTable("job_profiles");
        profile.HasKey(p => p.Id);
        profile.HasIndex(p => p.Key).IsUnique();
        profile.Property(p => p.Gpu).HasMaxLength(64);
        profile.Property(p => p.Region).HasMaxLength(64);
    }
}

/// <summary>
/// Finds or adds profiles, and tells which ones a miner can serve. Profiles are never changed or removed, so the
/// set is cached and only rows newer than the last one seen are read again (other processes may add some).
/// </summary>
internal sealed class JobProfiles
{
    private readonly ConcurrentDictionary<string, long> _ids = new(StringComparer.Ordinal);
    private readonly object _gate = new();
    private List<(JobProfile Profile, IReadOnlyList<string> Models)> _known = [];

    /// <summary>The key of the jobs without requirements, most jobs; it is what serializing none would give.</summary>
    public const string NoRequirements = "{}";

    /// <summary>The canonical key of a set of requirements; jobs without any share the key <c>{}</c>.</summary>
    public static string KeyOf(IReadOnlyList<string> models, int? minVramGb, string? gpu, string? region) =>
        models.Count == 0 && minVramGb is null && gpu is null && region is null
            ? NoRequirements
            : JsonSerializer.Serialize(new SortedDictionary<string, object?>(StringComparer.Ordinal)
            {
                ["gpu"] = gpu,
                ["min_vram_gb"] = minVramGb,
                ["models"] = models.Count == 0 ? null : models.Order(StringComparer.Ordinal).ToArray(),
                ["region"] = region,
            }.Where(kv => kv.Value is not null).ToDictionary(kv => kv.Key, kv => kv.Value));

    public async Task<long> IdForAsync(
        WriteScope scope, IReadOnlyList<string> models, int? minVramGb, string? gpu, string? region)
    {
        var key = KeyOf(models, minVramGb, gpu, region);
        if (_ids.TryGetValue(key, out var id))
        {
            return id;
        }

        // Insert-if-absent, so two processes adding the same profile at once both end up with the one row.
        var sorted = JsonSerializer.Serialize(models.Order(StringComparer.Ordinal).ToArray());
        await scope.Db.Database.ExecuteSqlAsync($"""
            INSERT INTO job_profiles (key, models, min_vram_gb, gpu, region)
            VALUES ({key}, {sorted}, {minVramGb}, {gpu}, {region})
            ON CONFLICT (key) DO NOTHING
            """);
        id = await scope.Db.Set<JobProfile>().Where(p => p.Key == key).Select(p => p.Id).FirstAsync();

        // Remembered only once the profile row is surely committed.
        scope.OnCommitted(() => _ids[key] = id);
        return id;
    }

    /// <summary>The profiles whose requirements <paramref name="offer"/> meets.</summary>
    public async Task<List<long>> ServableAsync(WriteScope scope, MinerOffer offer)
    {
        List<(JobProfile Profile, IReadOnlyList<string> Models)> known;
        lock (_gate)
        {
            known = _known;
        }

        var last = known.Count == 0 ? 0 : known[^1].Profile.Id;
        var added = new List<(JobProfile, IReadOnlyList<string>)>();
        await using (var row = await scope.Sql.For(SelectAdded).With("@last", last).ExecuteReaderAsync())
        {
            while (await row.ReadAsync())
            {
                var profile = new JobProfile
                {
                    Id = row.GetInt64(0),
                    Key = row.GetString(1),
                    Models = row.GetString(2),
                    MinVramGb = row.GetInt32OrNull(3),
                    Gpu = row.GetStringOrNull(4),
                    Region = row.GetStringOrNull(5),
                };
                added.Add((profile, JsonSerializer.Deserialize<string[]>(profile.Models) ?? []));
            }
        }

        if (added.Count > 0)
        {
            // Remembered only once committed: an earlier unit of this batch may have added a row that is still rolled
            // back, and SQLite would then give its id to another profile, which the cache would never read.
            known = [.. known, .. added];
            scope.OnCommitted(() =>
            {
                lock (_gate)
                {
                    if (known.Count > _known.Count)
                    {
                        _known = known;
                    }
                }
            });
        }

        return [.. known.Where(k => k.Profile.Fits(offer, k.Models)).Select(k => k.Profile.Id)];
    }

    // Profiles are never changed or removed, and other processes may add some: only the new rows are read.
    private const string SelectAdded =
        "SELECT id, key, models, min_vram_gb, gpu, region FROM job_profiles WHERE id > @last ORDER BY id";
}
