using Microsoft.AspNetCore.Http.Features;

namespace Aitbc.Coordinator.Common;

/// <summary>
/// Per-endpoint request body limits. Kestrel's own limit applies to every request alike; these let the endpoints
/// that take large documents (job parameters, results) accept them while everything else stays small.
/// </summary>
internal static class BodyLimits
{
    /// <summary>What an endpoint without its own limit accepts.</summary>
    public const long Default = 64 * 1024;

    public static TBuilder WithBodyLimit<TBuilder>(this TBuilder builder, long bytes)
        where TBuilder : IEndpointConventionBuilder => builder.WithMetadata(new BodyLimit(bytes));

    public static IApplicationBuilder UseBodyLimits(this IApplicationBuilder app) => app.Use((context, next) =>
    {
        var limit = context.GetEndpoint()?.Metadata.GetMetadata<BodyLimit>()?.Bytes ?? Default;
        var feature = context.Features.Get<IHttpMaxRequestBodySizeFeature>();
        if (feature is { IsReadOnly: false })
        {
            feature.MaxRequestBodySize = limit;
        }

        // Refuse a declared oversize body before reading any of it.
        if (context.Request.ContentLength > limit)
        {
            throw new BadHttpRequestException("Request body too large.", StatusCodes.Status413PayloadTooLarge);
        }

        return next(context);
    });

    private sealed record BodyLimit(long Bytes);
}
