using Aitbc.Coordinator.Data;
using Aitbc.Coordinator.Errors;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace Aitbc.Coordinator.Health;

internal static class HealthApi
{
    public static void MapHealth(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("").WithTags("Health").AllowAnonymous();
        group.MapGet("/healthz", () => TypedResults.Ok(new HealthStatus("ok")))
            .WithName("Health")
            .WithSummary("The process is alive");
        group.MapGet("/readyz", ReadyAsync)
            .WithName("Ready")
            .WithSummary("The database is reachable and its schema is current")
            .WithDescription("Errors: not_ready (503).");
    }

    private static async Task<Results<Ok<HealthStatus>, ProblemHttpResult>> ReadyAsync(
        CoordinatorDb db, CancellationToken cancel)
    {
        try
        {
            var pending = await db.Database.GetPendingMigrationsAsync(cancel);
            if (pending.Any())
            {
                return Problems.Create(503, "not_ready", "The database schema is not current yet.");
            }

            await db.Database.ExecuteSqlRawAsync("SELECT 1", cancel);
            return TypedResults.Ok(new HealthStatus("ready"));
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return Problems.Create(503, "not_ready", "The database cannot be reached.");
        }
    }

    internal sealed record HealthStatus(string Status);
}
