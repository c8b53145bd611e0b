using Aitbc.Coordinator.Auth;
using Aitbc.Coordinator.Users;
using Microsoft.AspNetCore.Authorization;
using Microsoft.OpenApi;

namespace Aitbc.Coordinator.Docs;

/// <summary>
/// The OpenAPI document at /openapi.json, Swagger UI at /docs and ReDoc at /redoc, as FastAPI users expect.
/// </summary>
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
                document.Components.SecuritySchemes[SessionAuthentication.SchemeName] = new OpenApiSecurityScheme
                {
                    Type = SecuritySchemeType.ApiKey,
                    In = ParameterLocation.Header,
                    Name = SessionAuthentication.Header,
                    Description = "A user's session token from POST /v1/users/login.",
                };
                return Task.CompletedTask;
            });
            options.AddOperationTransformer((operation, context, _) =>
            {
                var (schemes, needs) = Credentials(context.Description.ActionDescriptor.EndpointMetadata);
                if (schemes.Length > 0)
                {
                    // Several requirements in OpenAPI mean "any one of them".
                    operation.Security ??= [];
                    foreach (var scheme in schemes)
                    {
                        operation.Security.Add(new OpenApiSecurityRequirement
                        {
                            [new OpenApiSecuritySchemeReference(scheme, context.Document)] = [],
                        });
                    }

                    operation.Description = $"Needs {needs} (401 missing_credentials, invalid_api_key or "
                        + $"invalid_session; 403 forbidden). {operation.Description}";
                }

                return Task.CompletedTask;
            });
        });

    /// <summary>Which credentials an endpoint takes, read from its authorization metadata.</summary>
    private static (string[] Schemes, string Needs) Credentials(IList<object> metadata)
    {
        if (metadata.OfType<RequiredRole>().FirstOrDefault() is { } role)
        {
            return ([ApiKeyAuthentication.SchemeName],
                $"an API key with the {role.Role.ToString().ToLowerInvariant()} role");
        }

        var policies = metadata.OfType<IAuthorizeData>().ToList();
        if (policies.Count == 0 || metadata.OfType<IAllowAnonymous>().Any())
        {
            return ([], "");
        }

        return policies.Select(p => p.Policy).FirstOrDefault(p => p is not null) switch
        {
            UserAuthSetup.User => ([SessionAuthentication.SchemeName], "a session token"),
            UserAuthSetup.UserOrAdmin => ([SessionAuthentication.SchemeName, ApiKeyAuthentication.SchemeName],
                "the owner's session token or an admin API key"),
            _ => ([ApiKeyAuthentication.SchemeName], "an API key"),
        };
    }

    public static WebApplication MapApiDocs(this WebApplication app)
    {
        app.MapOpenApi("/openapi.json").AllowAnonymous();
        // Each UI's middleware matches its paths with regular expressions; only requests under its prefix pay.
        app.UseWhen(context => context.Request.Path.StartsWithSegments("/docs"), docs => docs.UseSwaggerUI(options =>
        {
            options.RoutePrefix = "docs";
            options.SwaggerEndpoint("/openapi.json", "AITBC Coordinator API");
            options.DocumentTitle = "AITBC Coordinator API";
        }));
        app.UseWhen(context => context.Request.Path.StartsWithSegments("/redoc"), redoc => redoc.UseReDoc(options =>
        {
            options.RoutePrefix = "redoc";
            options.SpecUrl = "/openapi.json";
            options.DocumentTitle = "AITBC Coordinator API";
        }));
        return app;
    }
}
