# The AITBC Coordinator as a container:
#   docker build -t aitbc-coordinator .
#   docker run -d --name aitbc-coordinator -p 8000:8000 -v $(pwd)/data:/app/data aitbc-coordinator
# The database, and the secrets generated beside it when none are configured, live in the /app/data volume.

# Build: restore first, so the package layer is reused while only the code changes.
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY global.json Directory.Build.props Directory.Packages.props .editorconfig ./
COPY src/Aitbc.Coordinator/Aitbc.Coordinator.csproj src/Aitbc.Coordinator/
RUN dotnet restore src/Aitbc.Coordinator/Aitbc.Coordinator.csproj
COPY src/ src/
RUN dotnet publish src/Aitbc.Coordinator/Aitbc.Coordinator.csproj --no-restore --configuration Release \
    --output /app/publish -p:UseAppHost=false

# Run: the ASP.NET Core runtime only, the service as the image's unprivileged user "app".
FROM mcr.microsoft.com/dotnet/aspnet:10.0
WORKDIR /app
ENV DATABASE_URL=sqlite:////app/data/coordinator.db \
    API_HOST=0.0.0.0 \
    API_PORT=8000 \
    LOG_FORMAT=text \
    DOTNET_gcServer=0
COPY --from=build /app/publish ./
COPY deploy/docker/entrypoint.sh /usr/local/bin/aitbc-entrypoint
RUN chmod 0755 /usr/local/bin/aitbc-entrypoint && mkdir -p /app/data && chown app:app /app/data
VOLUME /app/data
EXPOSE 8000
# Three failures 30 s apart before "unhealthy" also cover a slow first start (migrations).
HEALTHCHECK --interval=30s --timeout=10s --retries=3 \
    CMD ["dotnet", "/app/Aitbc.Coordinator.dll", "healthcheck"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["aitbc-entrypoint"]
CMD ["dotnet", "/app/Aitbc.Coordinator.dll"]
