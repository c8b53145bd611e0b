using Aitbc.Coordinator.Auth;
using Microsoft.OpenApi;

namespace Aitbc.Coordinator.Docs;

/// <summary>The OpenAPI document at /openapi.json, Swagger UI at /docs and ReDoc at /redoc, as FastAPI users expect.</summary>
internal static class ApiDocs
{
    public static IServiceCollection AddApiDocs(this IServiceCollection services) =>
        services.AddOpenApi("v1", options =>
        {
            options.AddDocumentTransformer((document, _, _) =>
            {
                document.Info = new OpenApiInfo
                {
                    Title = "AITBC Coordinator API",
                    Version = "v1",
                    Description = "Clients submit AI jobs, miners take them and return results. Errors are RFC 9457 "
                        + "problem details with a machine-readable code.",
                };
                document.Components ??= new OpenApiComponents();
                document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
                document.Components.SecuritySchemes[ApiKeyAuthentication.SchemeName] = new OpenApiSecurityScheme
                {
                    Type = SecuritySchemeType.ApiKey,
                    In = ParameterLocation.Header,
                    Name = ApiKeyAuthentication.Header,
                    Description = "An API key with the role the endpoint needs: client, miner or admin.",
                };
                return Task.CompletedTask;
            });
            options.AddOperationTransformer((operation, context, _) =>
            {
                var metadata = context.Description.ActionDescriptor.EndpointMetadata;
                if (metadata.OfType<RequiredRole>().FirstOrDefault() is { } role)
                {
                    operation.Security ??= [];
                    operation.Security.Add(new OpenApiSecurityRequirement
                    {
                        [new OpenApiSecuritySchemeReference(ApiKeyAuthentication.SchemeName, context.Document)] = [],
                    });
                    operation.Description = $"Needs an API key with the {role.Role.ToString().ToLowerInvariant()} "
                        + $"role (401 missing_credentials or invalid_api_key, 403 forbidden). {operation.Description}";
                }

                return Task.CompletedTask;
            });
        });

    public static WebApplication MapApiDocs(this WebApplication app)
    {
        app.MapOpenApi("/openapi.json").AllowAnonymous();
        app.UseSwaggerUI(options =>
        {
            options.RoutePrefix = "docs";
            options.SwaggerEndpoint("/openapi.json", "AITBC Coordinator API");
            options.DocumentTitle = "AITBC Coordinator API";
        });
        app.UseReDoc(options =>
        {
            options.RoutePrefix = "redoc";
            options.SpecUrl = "/openapi.json";
            options.DocumentTitle = "AITBC Coordinator API";
        });
        return app;
    }
}
