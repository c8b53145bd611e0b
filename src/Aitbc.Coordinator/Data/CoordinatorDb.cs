using System.Text;
using Aitbc.Coordinator.Auth;
using Aitbc.Coordinator.Exchange;
using Aitbc.Coordinator.Jobs;
using Aitbc.Coordinator.Ledger;
using Aitbc.Coordinator.Miners;
using Aitbc.Coordinator.Receipts;
using Aitbc.Coordinator.Users;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace Aitbc.Coordinator.Data;

/// <summary>
/// The Coordinator's database. Each provider has its own derived context and migration set, because the EF tools
/// scaffold for one provider at a time:
/// <code>
/// dotnet ef migrations add NAME --project src/Aitbc.Coordinator --context SqliteCoordinatorDb \
///     --output-dir Data/Migrations/Sqlite
/// </code>
/// </summary>
internal abstract class CoordinatorDb(DbContextOptions options) : DbContext(options)
{
    public DbSet<Job> Jobs => Set<Job>();

    public DbSet<JobModel> JobModels => Set<JobModel>();

    public DbSet<JobAttempt> JobAttempts => Set<JobAttempt>();

    public DbSet<JobProfile> JobProfiles => Set<JobProfile>();

    public DbSet<Miner> Miners => Set<Miner>();

    public DbSet<ApiKey> ApiKeys => Set<ApiKey>();

    public DbSet<Receipt> Receipts => Set<Receipt>();

    public DbSet<ReceiptChainHead> ReceiptChainHeads => Set<ReceiptChainHead>();

    public DbSet<ReceiptKey> ReceiptKeys => Set<ReceiptKey>();

    public DbSet<ReceiptSigningSeed> ReceiptSigningSeeds => Set<ReceiptSigningSeed>();

    public DbSet<User> Users => Set<User>();

    public DbSet<LoginChallenge> LoginChallenges => Set<LoginChallenge>();

    public DbSet<UserSession> UserSessions => Set<UserSession>();

    public DbSet<LedgerAccount> LedgerAccounts => Set<LedgerAccount>();

    public DbSet<LedgerTransaction> LedgerTransactions => Set<LedgerTransaction>();

    public DbSet<LedgerPosting> LedgerPostings => Set<LedgerPosting>();

    public DbSet<LedgerHold> LedgerHolds => Set<LedgerHold>();

    public DbSet<ExchangePayment> ExchangePayments => Set<ExchangePayment>();

    public DbSet<ExchangeAddressCounter> ExchangeAddressCounters => Set<ExchangeAddressCounter>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.ApplyConfigurationsFromAssembly(typeof(CoordinatorDb).Assembly, IsSharedConfiguration);

        // Tables and columns in snake_case, enums as their lowercase names: the database reads like the API.
        foreach (var entity in modelBuilder.Model.GetEntityTypes())
        {
            foreach (var property in entity.GetProperties())
            {
                property.SetColumnName(SnakeCase(property.Name));
                var type = Nullable.GetUnderlyingType(property.ClrType) ?? property.ClrType;
                if (type.IsEnum && !type.IsDefined(typeof(FlagsAttribute), inherit: false))
                {
                    property.SetValueConverter(
                        (ValueConverter)Activator.CreateInstance(
                            typeof(LowercaseEnumConverter<>).MakeGenericType(type))!);
                }
            }
        }
    }

    protected override void ConfigureConventions(ModelConfigurationBuilder configurationBuilder)
    {
        // Every time is UTC; SQLite hands DateTime back unlabelled, so label it on the way in.
        configurationBuilder.Properties<DateTime>().HaveConversion<UtcDateTimeConverter>();
        configurationBuilder.Properties<DateTime?>().HaveConversion<UtcDateTimeConverter>();
    }

    /// <summary>Provider-specific configuration classes are picked up by the derived contexts only.</summary>
    private static bool IsSharedConfiguration(Type type) =>
        type.GetCustomAttributes(typeof(ProviderSpecificAttribute), inherit: false).Length == 0;

    public static string SnakeCase(string name)
    {
        var builder = new StringBuilder(name.Length + 8);
        for (var i = 0; i < name.Length; i++)
        {
            if (char.IsUpper(name[i]) && i > 0 && !char.IsUpper(name[i - 1]))
            {
                builder.Append('_');
            }

            builder.Append(char.ToLowerInvariant(name[i]));
        }

        return builder.ToString();
    }

    private sealed class UtcDateTimeConverter() : ValueConverter<DateTime, DateTime>(
        v => v.Kind == DateTimeKind.Utc ? v : v.ToUniversalTime(),
        v => DateTime.SpecifyKind(v, DateTimeKind.Utc));

    private sealed class LowercaseEnumConverter<TEnum>() : ValueConverter<TEnum, string>(
        v => v.ToString().ToLowerInvariant(),
        v => Enum.Parse<TEnum>(v, true))
        where TEnum : struct, Enum;
}

[AttributeUsage(AttributeTargets.Class)]
internal sealed class ProviderSpecificAttribute : Attribute;

internal sealed class SqliteCoordinatorDb(DbContextOptions<SqliteCoordinatorDb> options) : CoordinatorDb(options);
