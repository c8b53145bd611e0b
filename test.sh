#!/usr/bin/env bash
# Runs every test of the repository. On a fresh machine it first installs what the tests need and the .NET SDK
# does not bring (see scripts/test-prerequisites.sh); then it runs `dotnet test` over the whole solution, on SQLite
# and on PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")"

bash scripts/test-prerequisites.sh
dotnet tool restore >/dev/null
dotnet build Aitbc.slnx --configuration Release
# The suite runs twice: on SQLite files, then on a throwaway PostgreSQL cluster. The scale-out tests need several
# processes on one PostgreSQL database whatever the pass, so they run once, in the second.
# Both passes run even when the first fails, so one run reports everything.
status=0
dotnet test Aitbc.slnx --configuration Release --no-build --filter "Category!=ScaleOut" "$@" || status=$?
AITBC_TEST_DATABASE=postgresql dotnet test Aitbc.slnx --configuration Release --no-build "$@" || status=$?
exit "$status"
